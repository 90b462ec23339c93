from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LodgingConfig(AppConfig):
    name = "lodging"
    verbose_name = _("Stays")

    def ready(self):
        # What this app forgets when an account is erased (okryu.accounts).
        from lodging import accounts  # noqa: F401
