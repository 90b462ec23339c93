from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from delivery.models import District
from lodging.models import Amenity, RoomType
from lodging.services import MAX_NIGHTS, stay_window
from payments.forms import LinkCardForm

MAX_GUESTS = 20
MAX_PRICE = 10**9

DATE_ERRORS = {"invalid": _("Enter a date as YYYY-MM-DD."), "required": _("Choose a date.")}


def default_dates():
    today = timezone.localdate()
    return today + timedelta(days=1), today + timedelta(days=2)


class StayForm(forms.Form):
    """Arrival, departure and guests, checked against the booking window."""

    arrival = forms.DateField(label=_("Arrival"), widget=forms.DateInput(attrs={"type": "date"}),
                              error_messages=DATE_ERRORS)
    departure = forms.DateField(label=_("Departure"), widget=forms.DateInput(attrs={"type": "date"}),
                                error_messages=DATE_ERRORS)
    guests = forms.IntegerField(
        label=_("Guests"), min_value=1, max_value=MAX_GUESTS, initial=2,
        error_messages={"min_value": _("At least one guest."), "max_value": _("At most %(limit_value)s guests."),
                        "invalid": _("Enter a whole number."), "required": _("Say how many guests.")},
    )

    def clean(self):
        data = super().clean()
        arrival, departure = data.get("arrival"), data.get("departure")
        if arrival and departure:
            first, last = stay_window()
            if arrival < first:
                raise forms.ValidationError(_("The arrival date has passed."), code="past")
            if departure <= arrival:
                raise forms.ValidationError(_("The departure must come after the arrival."), code="reversed")
            if (departure - arrival).days > MAX_NIGHTS:
                raise forms.ValidationError(
                    _("A stay is at most %(nights)s nights."), code="too_long", params={"nights": MAX_NIGHTS})
            if departure > last:
                raise forms.ValidationError(
                    _("Stays can be booked up to %(date)s."), code="horizon", params={"date": last.isoformat()})
        return data

    @property
    def nights(self) -> int:
        return (self.cleaned_data["departure"] - self.cleaned_data["arrival"]).days


class SearchForm(StayForm):
    SORTS = [("price", _("Lowest price")), ("rating", _("Best rated")), ("distance", _("Nearest"))]
    PER_PAGE = 20

    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.all(), to_field_name="slug", required=False,
        empty_label=_("The whole city"),
        error_messages={"invalid_choice": _("Choose a district from the list.")},
    )
    min_price = forms.IntegerField(
        label=_("From (won a night)"), min_value=0, max_value=MAX_PRICE, required=False,
        error_messages={"invalid": _("Enter a whole number of won."), "min_value": _("A price cannot be negative."),
                        "max_value": _("That price is too large.")},
    )
    max_price = forms.IntegerField(
        label=_("To (won a night)"), min_value=0, max_value=MAX_PRICE, required=False,
        error_messages={"invalid": _("Enter a whole number of won."), "min_value": _("A price cannot be negative."),
                        "max_value": _("That price is too large.")},
    )
    amenities = forms.MultipleChoiceField(
        label=_("Amenities"), choices=Amenity.choices, required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose amenities from the list.")},
    )
    near = forms.ModelChoiceField(
        label=_("Near"), queryset=District.objects.all(), to_field_name="slug", required=False,
        empty_label=_("Anywhere"),
        error_messages={"invalid_choice": _("Choose a district from the list.")},
    )
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False,
                             error_messages={"invalid_choice": _("Choose an order from the list.")})
    page = forms.IntegerField(min_value=1, max_value=1000, required=False, widget=forms.HiddenInput,
                              error_messages={"invalid": _("That page does not exist."),
                                              "min_value": _("That page does not exist."),
                                              "max_value": _("That page does not exist.")})

    def clean(self):
        data = super().clean()
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError(_("The lowest price is above the highest."), code="prices")
        if data.get("sort") == "distance" and not data.get("near"):
            self.add_error("near", forms.ValidationError(
                _("Choose the district to measure the distance from."), code="near"))
        return data


class LodgingPageForm(StayForm):
    month = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False,
        error_messages={"invalid": _("Choose a month as YYYY-MM.")},
    )


class ReserveForm(StayForm):
    """Who is coming and when; the room type comes from the URL."""

    token = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "invalid": _("This form has expired. Start again."), "required": _("This form has expired. Start again.")})
    guest_names = forms.CharField(label=_("Guest names"), max_length=300,
                                  help_text=_("Everyone staying, as on their papers."))
    arrival_time = forms.TimeField(
        label=_("Arrival time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"invalid": _("Enter a time as HH:MM.")},
    )
    requests = forms.CharField(label=_("Requests"), required=False, max_length=1000,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, room_type, **kwargs):
        super().__init__(*args, **kwargs)
        self.room_type = room_type

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        room = self.room_type
        if data["guests"] > room.max_guests:
            self.add_error("guests", forms.ValidationError(
                _("This room takes at most %(count)s guests."), code="guests", params={"count": room.max_guests}))
        elif not room.min_stay <= self.nights <= room.max_stay:
            raise forms.ValidationError(
                _("This room is let for %(min)s to %(max)s nights."), code="stay",
                params={"min": room.min_stay, "max": room.max_stay})
        return data


class CancelForm(forms.Form):
    """The refund the guest was shown: if it changed meanwhile (midnight
    passed), the guest sees the new amount before anything happens."""

    refund = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class RoomChangeForm(LinkCardForm):
    """The front desk moves a guest in the house to another room type; a
    dearer one takes the guest's card number and PIN for the difference."""

    room_type = forms.ModelChoiceField(
        label=_("New room type"), queryset=RoomType.objects.none(),
        error_messages={"invalid_choice": _("Choose a room type from the list."),
                        "required": _("Choose a room type from the list.")},
    )
    token = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "invalid": _("This form has expired. Start again."), "required": _("This form has expired. Start again.")})
    field_order = ["room_type", "number", "pin", "token"]

    def __init__(self, *args, room_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room_type"].queryset = room_types
        self.fields["number"].required = self.fields["pin"].required = False
        self.fields["number"].help_text = _("Only when the new room costs more.")

    def clean_number(self):
        return super().clean_number() if self.cleaned_data["number"] else ""

    def clean_pin(self):
        return super().clean_pin() if self.cleaned_data["pin"] else ""
