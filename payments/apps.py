from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        # What this app forgets when an account is erased (okryu.accounts).
        from payments import accounts  # noqa: F401
