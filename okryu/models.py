from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The language messages are written in: the one the person used last.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class PasswordResetCode(models.Model):
    """A six-digit code sent by text message to let someone set a new
    password. Only its hash is kept; it is good for one use, a few tries
    and a few minutes (okryu.password_reset)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reset_codes", verbose_name=_("user"))
    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    code_hash = models.CharField(max_length=128)
    tries = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("password reset code")
        verbose_name_plural = _("password reset codes")

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
