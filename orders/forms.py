from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from delivery.models import District
from okryu.phones import PhoneField
from orders.models import Address
from orders.services import MAX_LINE_QUANTITY
from payments.forms import CardChoiceForm

CART_CHANGED = _("Your cart changed since this page was shown. Check the order below and pay again.")
SLOT_UNAVAILABLE = _("That delivery time is no longer available. Choose another.")


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


class SwitchSellerForm(forms.Form):
    offer = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


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
    phone = PhoneField(label=_("Phone"))

    class Meta:
        model = Address
        fields = ["recipient_name", "phone", "district", "line"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only districts some active service delivers to.
        self.fields["district"].queryset = District.objects.filter(
            areas__service__is_active=True
        ).distinct()

    def save_for(self, user) -> Address:
        """Add the address to ``user``'s book; the first one is the default.
        The account's row is locked so two first addresses make one default."""
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
            address = self.save(commit=False)
            address.user = user
            address.is_default = not Address.objects.filter(user=user, is_default=True).exists()
            address.save()
        return address


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
    # Any slot id: place_order checks it once, under the offers' locks, so
    # paying builds no list of slots (the page lists them itself).
    slot = forms.IntegerField(
        label=_("Delivery time"), min_value=1,
        error_messages={"invalid": SLOT_UNAVAILABLE, "min_value": SLOT_UNAVAILABLE},
    )
    # The cart the page showed (services.cart_fingerprint), which
    # place_order compares under its locks. The page writes the input itself:
    # shown again, it carries the cart as it is now, not the posted value.
    cart = forms.CharField(required=False)


class RefundForm(forms.Form):
    """Units to give back of each line of an order (a field per line,
    ``line-<id>``), why, and whether the goods came back to be sold again."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    restock = forms.BooleanField(label=_("The goods came back and can be sold again"), required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line-{line.pk}"] = forms.IntegerField(
                label=f"{line.product_name} ({line.seller_name})", min_value=0, max_value=line.quantity_left,
                required=False, initial=0,
                help_text=_("%(left)s of %(sold)s left to refund") % {
                    "left": line.quantity_left, "sold": line.quantity},
                error_messages={
                    "min_value": _("Refund at least one unit and no more than is left of the line."),
                    "max_value": _("Refund at least one unit and no more than is left of the line."),
                    "invalid": _("Enter a whole number of units."),
                },
            )

    def clean(self):
        data = super().clean()
        if not self.errors and not any(self.quantities().values()):
            raise forms.ValidationError(_("Choose at least one line and a quantity to refund."), code="nothing")
        return data

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"line-{line.pk}") or 0 for line in self.lines}

    def line_fields(self):
        return [self[f"line-{line.pk}"] for line in self.lines]


class RedeliveryForm(forms.Form):
    """A new delivery time for a failed delivery, among ``slots``."""

    slot = forms.TypedChoiceField(
        label=_("New delivery time"), coerce=int,
        error_messages={"required": _("Choose a new delivery time."), "invalid_choice": SLOT_UNAVAILABLE},
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [(slot.pk, str(slot)) for slot in slots]


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
