from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("Delivery")

    def ready(self):
        # What this app forgets when an account is erased (okryu.accounts).
        from delivery import accounts  # noqa: F401
