from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """What a person can be told. Each has its message templates,
    templates/notices/sms/<event>.txt and templates/notices/inbox/<event>.txt."""

    ORDER_PAID = "order_paid", _("Order paid")
    ORDER_PREPARING = "order_preparing", _("Order being prepared")
    ORDER_READY = "order_ready", _("Order ready")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    HOLD_LAPSED = "hold_lapsed", _("Order cancelled before its card hold lapsed")
    REFUND_POSTED = "refund_posted", _("Refund posted")
    CARD_LOCKED = "card_locked", _("Card locked")
    CARD_LOST = "card_lost", _("Card reported lost")
    HOT_FOOD_WAITING = "hot_food_waiting", _("Hot food waiting for pickup")
    PASSWORD_RESET = "password_reset", _("Password reset code")
    STAY_BOOKED = "stay_booked", _("Stay booked")
    STAY_CANCELLED = "stay_cancelled", _("Stay cancelled")
    STAY_REMINDER = "stay_reminder", _("Stay tomorrow")
    BACK_IN_STOCK = "back_in_stock", _("Back in stock")


# Sent by text message only, whatever the preferences: a reset code in the
# inbox would open the account to whoever holds the session, and someone
# who cannot log in reads no inbox anyway.
TEXT_ONLY = {Event.PASSWORD_RESET}
# What a person may switch text messages off for.
OPTIONAL_TEXTS = [event for event in Event if event not in TEXT_ONLY]


class Message(models.Model):
    """What an inbox notice and a text message share: who it is for, what
    happened to what, and its text. One per (event, object, recipient)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(class)ss", verbose_name=_("recipient")
    )
    event = models.CharField(_("event"), max_length=30, choices=Event.choices)
    # What it is about, as "<kind>:<id>" (order:250101-ABC123): with the
    # event and the recipient, the key that makes a repeat a no-op.
    obj_key = models.CharField(_("about"), max_length=100)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.recipient} {self.event} {self.obj_key}"


class Notice(Message):
    """One message in a person's inbox on the site."""

    link = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta(Message.Meta):
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(fields=["event", "obj_key", "recipient"], name="notice_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notice_inbox"),
            models.Index(fields=["recipient"], condition=models.Q(read_at=None), name="notice_unread"),
        ]


class SmsMessage(Message):
    """One text message, from queued to sent or failed: the outbox staff read
    in the admin. The local stand-in gateway stops here; a real adapter
    hands the message on to the SMS centre."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    phone = models.CharField(_("phone"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta(Message.Meta):
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        constraints = [
            models.UniqueConstraint(fields=["event", "obj_key", "recipient"], name="sms_once"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="sms_status")]

    def __str__(self):
        return f"{self.phone} {self.event} {self.obj_key}"


class SmsOptOut(models.Model):
    """A kind of event someone does not want text messages for (the inbox
    still has it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sms_opt_outs", verbose_name=_("user")
    )
    event = models.CharField(_("event"), max_length=30, choices=Event.choices)

    class Meta:
        verbose_name = _("text message opt-out")
        verbose_name_plural = _("text message opt-outs")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="sms_opt_out_once")]

    def __str__(self):
        return f"{self.user} {self.event}"
