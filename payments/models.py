import hmac

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from okryu.transitions import StatusEvent, transition
from payments import numbers
from payments.numbers import number_hash


class Card(models.Model):
    """An electronic stored-value card on the issuer's side of the network."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LOCKED = "locked", _("Locked")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {
        Status.ACTIVE: {Status.LOCKED, Status.CLOSED},
        Status.LOCKED: {Status.ACTIVE, Status.CLOSED},
    }
    MAX_PIN_FAILURES = 5  # also in the card_pin_failures_at_most_five constraint

    # Never the number itself (payments.numbers): its keyed hash, unique so
    # that no number is issued twice, closed cards included.
    number_hash = models.CharField(_("card number hash"), max_length=64, unique=True, editable=False)
    last_four = models.CharField(_("last four digits"), max_length=4, editable=False)
    holder_name = models.CharField(_("holder name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="cards", verbose_name=_("linked account"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    pin_hash = models.CharField(_("PIN hash"), max_length=128, editable=False)
    failed_pin_attempts = models.PositiveSmallIntegerField(_("wrong PINs in a row"), default=0)
    # Set when the card is reissued: refunds of its earlier payments go on.
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces", editable=False,
        verbose_name=_("replaced by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("e-card")
        verbose_name_plural = _("e-cards")
        permissions = [
            ("top_up_card", _("Can top up an e-card")),
            ("unlock_card", _("Can unlock an e-card")),
            ("reissue_card", _("Can reissue an e-card")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(failed_pin_attempts__lte=5), name="card_pin_failures_at_most_five"
            ),
        ]

    def __str__(self):
        return self.masked_number

    def get_absolute_url(self):
        return reverse("payments:card", args=[self.pk])

    @property
    def masked_number(self):
        return f"•••• •••• •••• {self.last_four}"

    def set_number(self, number: str) -> None:
        """Keep what the issuer needs of the 16 digits. The full number
        stays on this instance only, as ``number``, for the slip printed
        when the card is issued (as Django's set_password keeps the raw
        password until the user is saved); no row ever holds it."""
        self.number = number
        self.number_hash = number_hash(number)
        self.last_four = number[-4:]

    def set_pin(self, pin: str) -> None:
        """Keep the PIN keyed (payments.numbers.pin_hash); the number is set first."""
        self.pin_hash = numbers.pin_hash(self.number_hash, pin)

    @property
    def pin_is_keyed(self) -> bool:
        return self.pin_hash.startswith(numbers.PIN_HASH_PREFIX)

    def pin_matches(self, pin: str) -> bool:
        if self.pin_is_keyed:
            return hmac.compare_digest(self.pin_hash, numbers.pin_hash(self.number_hash, pin))
        # Kept by a password hasher before PINs were keyed: the issuer keys it at its next right PIN.
        return check_password(pin, self.pin_hash)

    def lock(self, *, by=None, note: str = "") -> "Card":
        """Refuse the card to payments until the bureau unlocks it."""
        return transition(self, self.Status.LOCKED, by=by, note=note, event={"kind": CardEvent.Kind.LOCKED})

    def unlock(self, *, by, note: str = "") -> "Card":
        """Make a locked card usable again, with its wrong-PIN count reset."""
        return transition(
            self, self.Status.ACTIVE, by=by, note=note, fields={"failed_pin_attempts": 0},
            event={"kind": CardEvent.Kind.UNLOCKED},
        )

    def report_lost(self, *, by) -> "Card":
        """Locked at once, also a card wrong PINs had locked already, so that
        staff see that it is lost and reissue it. Raises InvalidTransition
        for a closed card or one reported lost already."""
        return transition(
            self, self.Status.LOCKED, by=by, sources={self.Status.ACTIVE, self.Status.LOCKED},
            check=lambda card: not card.is_reported_lost(), event={"kind": CardEvent.Kind.REPORTED_LOST},
        )

    def is_reported_lost(self) -> bool:
        """Locked because the holder said it is lost, not by wrong PINs."""
        if self.status != self.Status.LOCKED:
            return False
        kinds = [CardEvent.Kind.LOCKED, CardEvent.Kind.UNLOCKED, CardEvent.Kind.REPORTED_LOST]
        latest = self.events.filter(kind__in=kinds).order_by("-pk").values_list("kind", flat=True).first()
        return latest == CardEvent.Kind.REPORTED_LOST

    def close(self, *, by, note: str = "", replaced_by: "Card | None" = None) -> "Card":
        """For good: a closed card is neither paid with nor topped up. A
        reissued card names the card that ``replaced_by`` it."""
        return transition(self, self.Status.CLOSED, by=by, note=note, fields={"replaced_by": replaced_by},
                          event={"kind": CardEvent.Kind.CLOSED})

    def current(self) -> "Card":
        """The card in use now: this one, or the last one it was reissued as."""
        card = self
        while card.replaced_by_id:
            card = card.replaced_by
        return card

    def record(self, kind: str, *, by=None, note: str = "") -> "CardEvent":
        """An event that changes no status (a wrong PIN, a link to an account)."""
        return self.events.create(kind=kind, from_status=self.status, to_status=self.status, by=by, note=note[:200])


class CardEvent(StatusEvent):
    """A card's timeline: status changes, and with ``from_status`` equal to
    ``to_status`` what happened without one."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PIN_FAILED = "pin_failed", _("Wrong PIN")
        LOCKED = "locked", _("Locked")
        UNLOCKED = "unlocked", _("Unlocked")
        CLOSED = "closed", _("Closed")
        LINKED = "linked", _("Linked to an account")
        UNLINKED = "unlinked", _("Unlinked from the account")
        TOPPED_UP = "topped_up", _("Topped up")
        PIN_CHANGED = "pin_changed", _("PIN changed")
        REPORTED_LOST = "reported_lost", _("Reported lost")
        REISSUED = "reissued", _("Reissued")

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=Card.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Card.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("card event")
        verbose_name_plural = _("card events")

    def __str__(self):
        return self.get_kind_display()


class Account(models.Model):
    """A ledger account. Its balance is the sum of its entries, cached here
    and updated in the same transaction as the entries."""

    class Kind(models.TextChoices):
        CARD = "card", _("Card (available)")
        HOLD = "hold", _("Card (held)")
        REVENUE = "revenue", _("Bureau revenue")
        CASH = "cash", _("Top-up cash")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    card = models.ForeignKey(
        Card, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("card")
    )
    balance = models.BigIntegerField(_("balance"), default=0)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(fields=["card", "kind"], name="account_one_kind_per_card"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(card__isnull=True), name="account_one_bureau_account_per_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(balance__gte=0) | models.Q(kind="cash"), name="account_balance_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.card or ''}".strip()


class Payment(models.Model):
    class Status(models.TextChoices):
        AUTHORIZED = "authorized", _("Authorized")
        CAPTURED = "captured", _("Captured")
        VOIDED = "voided", _("Voided")
        PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")
        REFUNDED = "refunded", _("Refunded")

    # A refund may follow a partial refund, so PARTLY_REFUNDED leads to itself.
    TRANSITIONS = {
        Status.AUTHORIZED: {Status.CAPTURED, Status.VOIDED},
        Status.CAPTURED: {Status.PARTLY_REFUNDED, Status.REFUNDED},
        Status.PARTLY_REFUNDED: {Status.PARTLY_REFUNDED, Status.REFUNDED},
    }

    reference = models.CharField(_("reference"), max_length=40, db_index=True)
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="payments", verbose_name=_("card"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.AUTHORIZED)
    authorized = models.PositiveBigIntegerField(_("authorized"))
    captured = models.PositiveBigIntegerField(_("captured"), default=0)
    refunded = models.PositiveBigIntegerField(_("refunded"), default=0)
    hold_expires_at = models.DateTimeField(_("hold expires at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [("refund_payment", _("Can refund a payment"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(captured__lte=models.F("authorized")), name="payment_captured_le_authorized"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded__lte=models.F("captured")), name="payment_refunded_le_captured"
            ),
            models.CheckConstraint(condition=models.Q(authorized__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            # release_expired_holds looks for authorized payments by expiry.
            models.Index(
                fields=["hold_expires_at"], condition=models.Q(status="authorized"), name="payment_open_hold_idx"
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_status_display()})"

    def allows(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    def change_status(
        self, status: str, *, amount: int, by=None, note: str = "", locked: bool = False, **fields
    ) -> "Payment":
        """Move the payment to ``status`` if TRANSITIONS allow it, saving
        ``fields``, with an event of the ``amount`` that moved; raises
        InvalidTransition otherwise. The issuer moves the money, on the row
        it has locked (``locked=True``); this keeps the row's story."""
        return transition(self, status, by=by, note=note, fields=fields, event={"amount": amount}, locked=locked)


class PaymentEvent(StatusEvent):
    """One row per status change of a payment; ``amount`` is what moved."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, choices=Payment.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Payment.Status.choices)
    amount = models.PositiveBigIntegerField(_("amount"))

    class Meta(StatusEvent.Meta):
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")


class LedgerTransaction(models.Model):
    """One money movement: its entries sum to zero."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        HOLD = "hold", _("Hold")
        CAPTURE = "capture", _("Capture")
        RELEASE = "release", _("Release")
        REFUND = "refund", _("Refund")
        TRANSFER = "transfer", _("Card to card")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    amount = models.PositiveBigIntegerField(_("amount"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_amount_positive")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(_("amount"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self):
        return f"{self.account}: {self.amount}"
