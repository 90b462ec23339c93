from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # What this app forgets when an account is erased (okryu.accounts).
        from orders import accounts  # noqa: F401
