from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class OkryuConfig(AppConfig):
    name = "okryu"
    verbose_name = _("Accounts")

    def ready(self):
        from PIL import Image

        from okryu import checks  # noqa: F401  (registers the start-up checks)

        # Every image opened in this process, by any app, is held to this
        # size: a small file that decompresses into a huge bitmap is refused.
        Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
