"""Money is whole won, stored as integers."""


def format_won(amount: int | None) -> str:
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}₩{abs(int(amount)):,}"
