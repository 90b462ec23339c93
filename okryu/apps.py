from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OkryuConfig(AppConfig):
    name = "okryu"
    verbose_name = _("Accounts")
