from django import forms
from django.utils.translation import gettext_lazy as _

from okryu.luhn import luhn_checksum_ok


class LinkCardForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"), max_length=19,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    pin = forms.CharField(
        label=_("PIN"), min_length=4, max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_number(self):
        number = self.cleaned_data["number"].replace(" ", "").replace("-", "")
        if len(number) != 16 or not luhn_checksum_ok(number):
            raise forms.ValidationError(_("Enter the 16 digits of the card exactly as printed."), code="card_number")
        return number
