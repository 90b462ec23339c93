"""What checkout may ask of the card network.

``get_gateway()`` returns the class named by ``settings.PAYMENT_GATEWAY``:
``payments.issuer.LocalIssuer`` by default, the stand-in for the national
network that lives in this database. A real network adapter implements the
same methods and raises the same exceptions.
"""

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class PaymentError(Exception):
    """The network refused the operation. ``message`` is fit for the customer."""

    message = _("The payment was declined.")


class UnknownCard(PaymentError):
    message = _("There is no card with that number.")


class WrongPin(PaymentError):
    message = _("The PIN is wrong.")


class CardLocked(PaymentError):
    message = _("This card is locked. Ask the bureau to unlock it.")


class CardClosed(PaymentError):
    message = _("This card is closed.")


class InsufficientFunds(PaymentError):
    message = _("The card's available balance is too low for this payment.")


class InvalidAmount(PaymentError):
    message = _("The amount must be a positive number of won.")


class Gateway:
    """The interface. Every method is idempotent on its key: a replay returns
    the first result and moves no money twice."""

    def verify_pin(self, *, card_number: str, pin: str) -> None:
        raise NotImplementedError

    def authorize(self, *, card_number: str, pin: str, amount: int, reference: str, idempotency_key: str):
        raise NotImplementedError

    def capture(self, payment, amount: int | None = None):
        raise NotImplementedError

    def void(self, payment):
        raise NotImplementedError

    def refund(self, payment, amount: int, *, idempotency_key: str, by=None):
        raise NotImplementedError


def get_gateway() -> Gateway:
    return import_string(settings.PAYMENT_GATEWAY)()
