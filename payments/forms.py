from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from okryu.luhn import luhn_checksum_ok
from payments.gateway import MAX_AMOUNT


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

    def clean_pin(self):
        pin = self.cleaned_data["pin"]
        if not pin.isdigit():
            raise forms.ValidationError(_("The PIN is 4 to 6 digits."), code="pin")
        return pin


class CardChoiceForm(forms.Form):
    """Pay with one of the customer's active cards or another card's number,
    and the PIN; ``cleaned_data["card_number"]`` is the card to charge (the
    typed number, or a linked card's token)."""

    card = forms.ChoiceField(
        label=_("E-card"), widget=forms.RadioSelect,
        # A card locked, closed or replaced since the page was shown.
        error_messages={"invalid_choice": _("That card can no longer pay. Choose another or type a card number.")},
    )
    card_number = forms.CharField(
        label=_("Card number"), required=False, max_length=19,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    pin = forms.CharField(
        label=_("PIN"), min_length=4, max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, cards, **kwargs):
        super().__init__(*args, **kwargs)
        self.cards = {str(card.pk): card for card in cards}
        self.fields["card"].choices = [(pk, card.masked_number) for pk, card in self.cards.items()] + [
            ("other", _("Another card"))
        ]
        self.fields["card"].initial = next(iter(self.cards), "other")

    def clean_pin(self):
        pin = self.cleaned_data["pin"]
        if not pin.isdigit():
            raise forms.ValidationError(_("The PIN is digits only."), code="pin_digits")
        return pin

    def clean(self):
        data = super().clean()
        if data.get("card") == "other":
            number = (data.get("card_number") or "").replace(" ", "").replace("-", "")
            if len(number) != 16 or not luhn_checksum_ok(number):
                self.add_error("card_number", forms.ValidationError(
                    _("Enter the 16 digits of the card exactly as printed."), code="card_number"))
            data["card_number"] = number
        elif data.get("card") in self.cards:
            data["card_number"] = self.cards[data["card"]].number_hash
        return data


class TopUpForm(forms.Form):
    """Staff put cash on a card. The token, fixed when the form is shown,
    makes a double submit top up once."""

    amount = forms.IntegerField(label=_("Amount (won)"), min_value=1, max_value=MAX_AMOUNT)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    token = forms.UUIDField(widget=forms.HiddenInput)


class ReconciliationForm(forms.Form):
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=366, initial=14, required=False)


class PinField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(min_length=4, max_length=6, widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off"}), **kwargs)

    def clean(self, value):
        pin = super().clean(value)
        if not pin.isdigit():
            raise forms.ValidationError(_("The PIN is 4 to 6 digits."), code="pin")
        return pin


class ChangePinForm(forms.Form):
    old_pin = PinField(label=_("Current PIN"))
    new_pin = PinField(label=_("New PIN"))
    new_pin_again = PinField(label=_("New PIN again"))

    def clean(self):
        data = super().clean()
        if data.get("new_pin") and data.get("new_pin_again") and data["new_pin"] != data["new_pin_again"]:
            self.add_error("new_pin_again", forms.ValidationError(
                _("The two new PINs differ."), code="pin_mismatch"))
        return data


class IssueCardForm(forms.Form):
    """Finance staff issue a card at the counter. The token, fixed when the
    form is shown, makes a double submit issue one card."""

    holder_name = forms.CharField(label=_("Holder name"), max_length=100)
    owner = forms.CharField(
        label=_("Customer account (user name)"), max_length=150, required=False,
        help_text=_("Leave empty: the customer links the card with its number and PIN."),
    )
    opening_top_up = forms.IntegerField(label=_("Opening top-up (won)"), min_value=1, max_value=MAX_AMOUNT)
    token = forms.UUIDField(widget=forms.HiddenInput)

    def clean_owner(self):
        username = self.cleaned_data["owner"].strip()
        if not username:
            return None
        owner = get_user_model().objects.filter(username=username, is_active=True).first()
        if owner is None:
            raise forms.ValidationError(_("There is no account with that user name."), code="unknown_owner")
        return owner
