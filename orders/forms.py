from django import forms
from django.utils.translation import gettext_lazy as _

from delivery.models import District
from okryu.luhn import luhn_checksum_ok
from orders.models import Address
from orders.services import MAX_LINE_QUANTITY


class AddToCartForm(forms.Form):
    offer = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_LINE_QUANTITY, initial=1,
        error_messages={
            "min_value": _("Choose at least one."),
            "max_value": _("At most %(limit_value)s at a time."),
            "invalid": _("Enter a whole number."),
        },
    )


class CartLineForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=0, max_value=MAX_LINE_QUANTITY,
        error_messages={
            "min_value": _("The quantity cannot be negative."),
            "max_value": _("At most %(limit_value)s at a time."),
            "invalid": _("Enter a whole number."),
        },
    )


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["recipient_name", "phone", "district", "line"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only districts some active service delivers to.
        self.fields["district"].queryset = District.objects.filter(
            areas__service__is_active=True
        ).distinct()


class ChooseAddressForm(forms.Form):
    address = forms.ModelChoiceField(
        label=_("Deliver to"), queryset=Address.objects.none(), widget=forms.RadioSelect, empty_label=None,
        error_messages={"invalid_choice": _("Choose one of your addresses.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].queryset = Address.objects.filter(user=user).select_related("district")


class PaymentForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    slot = forms.TypedChoiceField(
        label=_("Delivery time"), coerce=int, widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("That delivery time is no longer available. Choose another.")},
    )
    card = forms.ChoiceField(label=_("E-card"), widget=forms.RadioSelect)
    card_number = forms.CharField(
        label=_("Card number"), required=False, max_length=19,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    pin = forms.CharField(
        label=_("PIN"), min_length=4, max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, slots, cards, cart_fingerprint: str, **kwargs):
        super().__init__(*args, **kwargs)
        # Not a field: a page shown again carries the cart as it is now.
        self.cart_fingerprint = cart_fingerprint
        self.slots = {slot.pk: slot for slot in slots}
        self.fields["slot"].choices = [(slot.pk, str(slot)) for slot in slots]
        self.cards = {str(card.pk): card for card in cards}
        self.fields["card"].choices = [(pk, card.masked_number) for pk, card in self.cards.items()] + [
            ("other", _("Another card"))
        ]
        if self.cards:
            self.fields["card"].initial = next(iter(self.cards))
        else:
            self.fields["card"].initial = "other"

    def clean_pin(self):
        pin = self.cleaned_data["pin"]
        if not pin.isdigit():
            raise forms.ValidationError(_("The PIN is digits only."), code="pin_digits")
        return pin

    def clean(self):
        data = super().clean()
        if self.data.get("cart") != self.cart_fingerprint:
            raise forms.ValidationError(
                _("Your cart changed since this page was shown. Check the order below and pay again."),
                code="cart_changed")
        if data.get("card") == "other":
            number = (data.get("card_number") or "").replace(" ", "").replace("-", "")
            if len(number) != 16 or not luhn_checksum_ok(number):
                self.add_error("card_number", forms.ValidationError(
                    _("Enter the 16 digits of the card exactly as printed."), code="card_number"))
            data["card_number"] = number
        elif data.get("card") in self.cards:
            data["card_number"] = self.cards[data["card"]].number
        return data


class RefundForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    amount = forms.IntegerField(
        label=_("Amount (won)"), min_value=1,
        error_messages={"min_value": _("Refund at least one won."), "invalid": _("Enter a whole number of won.")},
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class SalesReportForm(forms.Form):
    MAX_DAYS = 366

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The first day comes after the last."), code="reversed")
            if (end - start).days >= self.MAX_DAYS:
                raise forms.ValidationError(
                    _("Choose at most %(days)s days."), code="too_long", params={"days": self.MAX_DAYS})
        return data


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Stars"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)],
        error_messages={"required": _("Choose from one to five stars."),
                        "invalid_choice": _("Choose from one to five stars.")},
    )
    text = forms.CharField(
        label=_("Your review"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("At most %(limit_value)d characters.")},
    )
