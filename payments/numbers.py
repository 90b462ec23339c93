"""Card numbers at rest. The issuer keeps a keyed hash of the number, to
find the card by it, and the last four digits, to show it masked; nothing
the full number can be read from. A hash without the key cannot be checked
against the 10^11 numbers the prefix leaves, so a dump of the database is
no list of cards. The key is ``settings.CARD_NUMBER_KEY``: changing it makes
every card unknown, so it is kept like SECRET_KEY and never rotated alone."""

import hashlib
import hmac
import re

from django.conf import settings

from okryu.luhn import luhn_checksum_ok

_HASH = re.compile(r"[0-9a-f]{64}")


class NotACardNumber(ValueError):
    """Neither 16 Luhn-valid digits nor a card's number hash."""


def number_hash(number: str) -> str:
    """The look-up hash of a full 16-digit number."""
    return hmac.new(settings.CARD_NUMBER_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()


def lookup_hash(card_number: str) -> str:
    """What the gateway finds a card by: the hash of 16 typed digits, or a
    linked card's ``number_hash`` as it is (the card's token, which the
    storefront passes for a card chosen from the customer's own)."""
    if isinstance(card_number, str) and _HASH.fullmatch(card_number):
        return card_number
    if not isinstance(card_number, str) or len(card_number) != 16 or not luhn_checksum_ok(card_number):
        raise NotACardNumber()
    return number_hash(card_number)
