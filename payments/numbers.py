"""Card numbers at rest. The issuer keeps a keyed hash of the number, to
find the card by it, and the last four digits, to show it masked; nothing
the full number can be read from. A hash without the key cannot be checked
against the 10^11 numbers the prefix leaves, so a dump of the database is
no list of cards. The key is ``settings.CARD_NUMBER_KEY``: changing it makes
every card unknown, so it is kept like SECRET_KEY and never rotated alone.

The PIN is kept the same way, as card networks keep a PIN verification
value: keyed, and bound to the card's number hash so that one PIN on two
cards hashes apart. A four-digit PIN has 10,000 values, so a slow password
hash (Argon2 at OWASP's setting: 57 ms of CPU here, a quarter of a
checkout) would give anyone holding the database every PIN in ten minutes;
without the key, no number of guesses tells a PIN. Guessing at the counter
is stopped by the card's five-PIN limit, as before."""

import hashlib
import hmac
import re

from django.conf import settings

from okryu.luhn import luhn_checksum_ok

_HASH = re.compile(r"[0-9a-f]{64}")
# Marks a keyed PIN hash; anything else in Card.pin_hash was made by a
# password hasher before PINs were keyed.
PIN_HASH_PREFIX = "hmac-sha256$"


class NotACardNumber(ValueError):
    """Neither 16 Luhn-valid digits nor a card's number hash."""


def number_hash(number: str) -> str:
    """The look-up hash of a full 16-digit number."""
    return hmac.new(settings.CARD_NUMBER_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()


def pin_hash(number_hash: str, pin: str) -> str:
    """The PIN of the card whose number hashes to ``number_hash``, at rest."""
    message = f"pin:{number_hash}:{pin}".encode()
    return PIN_HASH_PREFIX + hmac.new(settings.CARD_NUMBER_KEY.encode(), message, hashlib.sha256).hexdigest()


def lookup_hash(card_number: str) -> str:
    """What the gateway finds a card by: the hash of 16 typed digits, or a
    linked card's ``number_hash`` as it is (the card's token, which the
    storefront passes for a card chosen from the customer's own)."""
    if isinstance(card_number, str) and _HASH.fullmatch(card_number):
        return card_number
    if not isinstance(card_number, str) or len(card_number) != 16 or not luhn_checksum_ok(card_number):
        raise NotACardNumber()
    return number_hash(card_number)
