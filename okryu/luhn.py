"""The Luhn check digit that card numbers carry."""


def luhn_checksum_ok(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def with_check_digit(partial: str) -> str:
    """Append the digit that makes ``partial`` pass the Luhn check."""
    for digit in "0123456789":
        if luhn_checksum_ok(partial + digit):
            return partial + digit
    raise AssertionError("unreachable: one digit always completes a Luhn number")
