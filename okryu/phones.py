"""Phone numbers of this country, checked with libphonenumber's metadata
for region KP (the ``phonenumberslite`` package).

A number is accepted when it is a mobile number of the 191 or 192 networks
or a fixed line (Pyongyang's start with 02). It is stored in one normal
form, E.164 (``+8501912345678``), so that two spellings of one number are
one value, and shown in the national format (``0191 234 5678``)."""

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

REGION = "KP"
MOBILE_PREFIXES = ("191", "192")


def normal_phone(text: str) -> str | None:
    """The E.164 form of ``text`` when it is a number of this country
    that we accept, else None."""
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(number, REGION):
        return None
    kind = phonenumbers.number_type(number)
    # libphonenumber also knows a 193 mobile range; the bureau's customers
    # are on the 191 and 192 networks only.
    mobile = kind == phonenumbers.PhoneNumberType.MOBILE and str(number.national_number).startswith(MOBILE_PREFIXES)
    if not (mobile or kind == phonenumbers.PhoneNumberType.FIXED_LINE):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(stored: str) -> str:
    """A stored number in the national format; a value from before numbers
    were checked is shown as it was written."""
    if not stored.startswith("+"):
        return stored
    try:
        number = phonenumbers.parse(stored, REGION)
    except phonenumbers.NumberParseException:
        return stored
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


class PhoneField(forms.CharField):
    """A form field whose cleaned value is the normal form; a stored value
    comes back into the form in the national format."""

    default_error_messages = {
        "invalid": _("Enter a phone number of this country, such as 0191 234 5678 or 02 381 2345."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return display_phone(value) if isinstance(value, str) else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        normal = normal_phone(value)
        if normal is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return normal
