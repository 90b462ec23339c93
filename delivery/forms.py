from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from delivery.models import Courier, Delivery, TimeSlot, TransportService

# A phone's clock may run a little ahead of the server's; beyond this a
# pressed time in the future is refused.
CLOCK_SKEW = timedelta(minutes=2)


class DeliveredForm(forms.Form):
    recipient_name = forms.CharField(label=_("Received by"), max_length=100)


class FailedForm(forms.Form):
    """Every field is in the form, so that the courier page's outbox can
    replay the POST as it was pressed."""

    reason = forms.ChoiceField(
        label=_("Reason"), choices=Delivery.FailureReason.choices,
        error_messages={"required": _("Choose why the delivery failed."),
                        "invalid_choice": _("Choose why the delivery failed.")},
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Delivery.FailureReason.OTHER and not cleaned.get("note"):
            raise forms.ValidationError(_("Say in the note what went wrong."), code="note_required")
        return cleaned


class PressForm(forms.Form):
    """What the courier page's outbox adds to a step's form: the id it made
    for the press and when it was pressed. A form without them (no
    JavaScript) is a step taken now."""

    action_id = forms.UUIDField(required=False)
    pressed_at = forms.DateTimeField(required=False)

    def clean_pressed_at(self):
        pressed_at = self.cleaned_data["pressed_at"]
        if pressed_at is not None and pressed_at > timezone.now() + CLOCK_SKEW:
            raise forms.ValidationError(
                _("The phone's clock says this was pressed in the future; set the phone's time and press again."),
                code="future")
        return pressed_at

    def clean(self):
        cleaned = super().clean()
        if not self.errors and (cleaned["action_id"] is None) != (cleaned["pressed_at"] is None):
            raise forms.ValidationError(_("An action sent later needs both its id and the time it was pressed."),
                                        code="incomplete")
        return cleaned


class DeliveriesForm(forms.Form):
    """The deliveries ticked on the dispatcher board."""

    deliveries = forms.ModelMultipleChoiceField(
        label=_("Deliveries"), queryset=Delivery.objects.order_by(),
        error_messages={"required": _("Tick at least one delivery.")},
    )


class AssignForm(DeliveriesForm):
    courier = forms.ModelChoiceField(
        label=_("Courier"), queryset=Courier.objects.filter(is_active=True),
        error_messages={"required": _("Choose a courier.")},
    )


class ReslotForm(DeliveriesForm):
    slot = forms.ModelChoiceField(
        label=_("New delivery time"), queryset=TimeSlot.objects.all(),
        error_messages={"required": _("Choose a new delivery time."),
                        "invalid_choice": _("That delivery time is no longer available. Choose another.")},
    )


class WeekOfSlotsForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Transport service"), queryset=TransportService.objects.all())
    first_day = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    day_starts = forms.TimeField(label=_("Daily start"), widget=forms.TimeInput(attrs={"type": "time"}))
    day_ends = forms.TimeField(label=_("Daily end"), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=10, max_value=480)
    capacity = forms.IntegerField(label=_("Capacity per slot"), min_value=1, max_value=1000)

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("day_starts"), cleaned.get("day_ends")
        if starts and ends and ends <= starts:
            raise forms.ValidationError(_("The daily end must come after the daily start."), code="order")
        return cleaned
