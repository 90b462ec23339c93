from django import forms
from django.utils.translation import gettext_lazy as _

from delivery.models import District
from orders.models import Address
from orders.services import MAX_LINE_QUANTITY
from payments.forms import CardChoiceForm


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
    prescription = forms.CharField(label=_("Prescription number"), max_length=40, required=False)


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


class PaymentForm(CardChoiceForm):
    token = forms.UUIDField(widget=forms.HiddenInput)
    slot = forms.TypedChoiceField(
        label=_("Delivery time"), coerce=int, widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("That delivery time is no longer available. Choose another.")},
    )

    def __init__(self, *args, slots, cards, cart_fingerprint: str, **kwargs):
        super().__init__(*args, cards=cards, **kwargs)
        # Not a field: a page shown again carries the cart as it is now.
        self.cart_fingerprint = cart_fingerprint
        self.slots = {slot.pk: slot for slot in slots}
        self.fields["slot"].choices = [(slot.pk, str(slot)) for slot in slots]

    def clean(self):
        data = super().clean()
        if self.data.get("cart") != self.cart_fingerprint:
            raise forms.ValidationError(
                _("Your cart changed since this page was shown. Check the order below and pay again."),
                code="cart_changed")
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
