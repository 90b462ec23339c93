"""What checkout may ask of the card network.

``get_gateway()`` returns the class named by ``settings.PAYMENT_GATEWAY``:
``payments.issuer.LocalIssuer`` by default, the stand-in for the national
network that lives in this database. A real network adapter implements the
same methods and raises the same exceptions: PaymentError's subclasses and
InvalidTransition.
"""

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

# The one exception for a status the operation does not fit (capture a voided
# hold, void a captured payment, refund before capture); like PaymentError it
# carries a ``message`` for the user.
from okryu.transitions import InvalidTransition  # noqa: F401


class PaymentError(Exception):
    """The network refused the operation. ``message`` is fit for the customer."""

    message = _("The payment was declined.")


class UnknownCard(PaymentError):
    message = _("There is no card with that number.")


class InvalidCardNumber(UnknownCard):
    message = _("That is not a valid card number: check the 16 digits.")


class WrongPin(PaymentError):
    message = _("The PIN is wrong.")


class PinCheckExpired(WrongPin):
    """The proof of a PIN check that authorize was given is not this card's,
    was tampered with or is too old."""

    message = _("Enter the PIN again.")


class CardLocked(PaymentError):
    message = _("This card is locked. Ask the bureau to unlock it.")


class CardClosed(PaymentError):
    message = _("This card is closed.")


class InsufficientFunds(PaymentError):
    message = _("The card's available balance is too low for this payment.")


class InvalidAmount(PaymentError):
    message = _("The amount must be a positive number of won.")


class RefundTooLarge(InvalidAmount):
    message = _("The refund is more than was paid and not yet refunded.")


class IdempotencyKeyReused(PaymentError):
    """A key that already made a different movement: a caller's bug, never a replay."""

    message = _("This operation conflicts with an earlier one. Start again.")


# The largest single movement the network accepts: far above any order, far
# below what a bigint column holds, so a typo cannot overflow a balance.
MAX_AMOUNT = 10**12


def check_amount(amount) -> None:
    """Raise InvalidAmount unless ``amount`` is a positive whole number of won."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidAmount()


class Gateway:
    """The interface. ``card_number`` is the 16 digits the customer typed,
    or for a card chosen from the customer's linked cards its token
    (``Card.number_hash``): the storefront keeps no full number.

    Every money-moving method is idempotent: ``authorize`` and ``refund``
    on the caller's key, ``capture`` and ``void`` on the
    payment (a payment is captured or voided at most once). A replay returns
    the payment and moves no money twice, also when replays run concurrently.
    Amounts are positive whole won."""

    def verify_pin(self, *, card_number: str, pin: str) -> str:
        """Raise unless the card is usable with this PIN; a wrong PIN counts
        toward locking the card even if the caller rolls back. Returns the
        proof of the check (a short-lived token for this card) that
        ``authorize`` takes in place of the PIN."""
        raise NotImplementedError

    def authorize(self, *, card_number: str, amount: int, reference: str, idempotency_key: str,
                  pin: str | None = None, pin_check: str | None = None):
        """Hold ``amount`` on the card and return the new Payment; with the
        ``pin``, checked as verify_pin does, or with ``pin_check``, the proof
        verify_pin returned (PinCheckExpired when it is not this card's or
        too old), so that a caller checks the PIN once, before it takes its
        own locks."""
        raise NotImplementedError

    def capture(self, payment, amount: int | None = None, *, by=None):
        """Take ``amount`` (default: all) of the hold; release the rest."""
        raise NotImplementedError

    def void(self, payment, *, by=None, note: str = ""):
        """Release the whole hold of an authorized payment."""
        raise NotImplementedError

    def refund(self, payment, amount: int, *, idempotency_key: str, by=None):
        """Give back part or all of what was captured and not yet refunded."""
        raise NotImplementedError


def get_gateway() -> Gateway:
    return import_string(settings.PAYMENT_GATEWAY)()
