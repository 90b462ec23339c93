"""Money is whole won, stored as integers."""

from django.utils.translation import pgettext


def format_won(amount: int | None) -> str:
    """An amount as the reader's language writes it: 1,400원 in Korean,
    ₩1,400 in English (the format is a translated string)."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return sign + pgettext("money", "₩%(amount)s") % {"amount": f"{abs(int(amount)):,}"}
