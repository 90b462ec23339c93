import calendar as month_calendar
import uuid
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from catalog import cache as catalog_cache
from lodging import availability, cache, services
from lodging.forms import CancelForm, LodgingPageForm, ReserveForm, SearchForm, StayForm, default_dates
from lodging.models import Lodging, Reservation, RoomType
from okryu.db import reads_replica
from okryu.money import format_won
from payments.forms import CardChoiceForm
from payments.gateway import PaymentError, WrongPin


def _stay_query(request: HttpRequest, form_class, **kwargs):
    """The form bound to the query string, with tomorrow's one night for two
    when no dates are given; ``status`` is 400 when the query is wrong."""
    data = request.GET.copy()
    if "arrival" not in data and "departure" not in data:
        arrival, departure = default_dates()
        data.update({"arrival": arrival.isoformat(), "departure": departure.isoformat()})
    data.setdefault("guests", "2")
    form = form_class(data, **kwargs)
    return form, (200 if form.is_valid() else 400)


class SearchPage(NamedTuple):
    """What a search caches: its status, its HTML, and when a hold running
    as it was built expires and gives a room back (None: no hold ran)."""

    status: int
    html: str
    true_until: datetime | None


@reads_replica
def search(request: HttpRequest) -> HttpResponse:
    """The search page, built once for each query and language until the
    stays change (lodging.cache): cached, one SQL query."""
    page = catalog_cache.get_or_build(
        cache.version(), ("stays", timezone.localdate(), sorted(request.GET.lists()), get_language()),
        lambda: _search_page(request),
        still_true=lambda page: page.true_until is None or timezone.now() < page.true_until,
    )
    return render(request, "catalog/page.html", {"title": _("Stays"), "content": mark_safe(page.html)},
                  status=page.status)


def _search_page(request: HttpRequest) -> SearchPage:
    true_until = cache.holds_run_until()
    form, status = _stay_query(request, SearchForm)
    results, found, page = [], 0, 1
    if status == 200:
        data = form.cleaned_data
        page = data["page"] or 1
        hits, found = availability.search(
            arrival=data["arrival"], departure=data["departure"], guests=data["guests"],
            district_id=data["district"].pk if data["district"] else None,
            min_price=data["min_price"], max_price=data["max_price"], amenities=data["amenities"],
            near_id=data["near"].pk if data["near"] else None, sort=data["sort"] or "price",
            limit=SearchForm.PER_PAGE, offset=(page - 1) * SearchForm.PER_PAGE,
        )
        lodgings = Lodging.objects.select_related("district", "seller").in_bulk([hit.lodging_id for hit in hits])
        rooms = RoomType.objects.in_bulk([hit.room_type_id for hit in hits])
        results = [
            {"lodging": lodgings[hit.lodging_id], "room": rooms[hit.room_type_id], "total": hit.total,
             "per_night": hit.total // form.nights, "distance_km": hit.distance_km}
            for hit in hits
        ]
    query = request.GET.copy()
    query.pop("page", None)
    return SearchPage(status, render_to_string("lodging/_search.html", {
        "form": form, "results": results, "found": found, "page": page, "stay_query": query.urlencode(),
        "has_next": page * SearchForm.PER_PAGE < found,
    }), true_until)


@reads_replica
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    lodging = get_object_or_404(Lodging.objects.select_related("district"), slug=slug, is_active=True)
    form, status = _stay_query(request, LodgingPageForm)
    rooms = list(lodging.room_types.filter(is_active=True))
    stay = form.cleaned_data if status == 200 else None
    if stay:
        quotes = availability.quotes(
            lodging_id=lodging.pk, arrival=stay["arrival"], departure=stay["departure"], guests=stay["guests"]
        )
        for room in rooms:
            room.quote = quotes.get(room.pk)
            room.fits = room.max_guests >= stay["guests"] and room.min_stay <= form.nights <= room.max_stay
    month = _month(form.cleaned_data.get("month") if stay else None, stay["arrival"] if stay else None)
    return render(request, "lodging/detail.html", {
        "lodging": lodging, "form": form, "rooms": rooms, "stay": stay,
        "calendar": _calendar(lodging, month), "month": month, "weekday_names": WEEKDAYS_ABBR.values(),
        "previous_month": (month - timedelta(days=1)).replace(day=1),
        "next_month": (month + timedelta(days=32)).replace(day=1),
    }, status=status)


def _month(value: str | None, arrival: date | None) -> date:
    first, last = services.stay_window()
    if value:
        month = date(int(value[:4]), int(value[5:7]), 1)
    else:
        month = (arrival or first).replace(day=1)
    return min(max(month, first.replace(day=1)), last.replace(day=1))


def _calendar(lodging: Lodging, month: date) -> list[list[dict | None]]:
    """The month as weeks (Monday first) of days: each day knows whether a
    room is free that night; days before today or past the window are None."""
    days = month_calendar.monthrange(month.year, month.month)[1]
    first, last = services.stay_window()
    free = availability.calendar(
        lodging_id=lodging.pk, first=month, last=month.replace(day=days)
    )
    weeks: list[list[dict | None]] = [[None] * month.weekday()]
    for day in range(1, days + 1):
        night = month.replace(day=day)
        if len(weeks[-1]) == 7:
            weeks.append([])
        bookable = first <= night < last
        weeks[-1].append({"date": night, "free": bookable and free.get(night, False), "bookable": bookable})
    weeks[-1] += [None] * (7 - len(weeks[-1]))
    return weeks


def _room_for(slug: str, room_id: int) -> RoomType:
    return get_object_or_404(
        RoomType.objects.select_related("lodging"), pk=room_id, lodging__slug=slug, is_active=True,
        lodging__is_active=True,
    )


@never_cache
@login_required
def reserve(request: HttpRequest, slug: str, room_id: int) -> HttpResponse:
    """Step one: who is coming. Submitting holds the room for 15 minutes."""
    room = _room_for(slug, room_id)
    status = 200
    if request.method == "POST":
        form = ReserveForm(request.POST, room_type=room)
        stay = form.cleaned_data if form.is_valid() else None
    else:
        query, query_status = _stay_query(request, StayForm)
        stay = query.cleaned_data if query_status == 200 else None
        form = ReserveForm(initial={**(stay or {}), "token": uuid.uuid4()}, room_type=room)
    if request.method == "POST" and stay:
        try:
            reservation = services.hold_stay(
                user=request.user, room_type=room, arrival=stay["arrival"], departure=stay["departure"],
                guests=stay["guests"], guest_names=stay["guest_names"], arrival_time=stay["arrival_time"],
                requests=stay["requests"], token=stay["token"],
            )
        except services.SoldOut:
            form.add_error(None, _("Someone has just booked the last room for these dates. Choose other "
                                   "dates or another room."))
            status = 409
        except services.Unavailable:
            form.add_error(None, _("This room cannot be booked for these dates."))
            status = 409
        else:
            return redirect("lodging:pay", reservation.code)
    elif request.method == "POST":
        status = 400
    quote = stay and availability.quotes(
        lodging_id=room.lodging_id, arrival=stay["arrival"], departure=stay["departure"], guests=stay["guests"],
        room_type_id=room.pk,
    ).get(room.pk)
    return render(request, "lodging/reserve.html", {
        "room": room, "lodging": room.lodging, "form": form, "quote": quote,
    }, status=status)


def _own(request: HttpRequest, code: str) -> Reservation:
    return get_object_or_404(
        Reservation.objects.select_related("lodging__district", "payment__card"), code=code, user=request.user
    )


@sensitive_post_parameters("pin", "card_number")
@never_cache
@login_required
def pay(request: HttpRequest, code: str) -> HttpResponse:
    """Step two: pay with the e-card while the hold lasts."""
    reservation = _own(request, code)
    if reservation.status != Reservation.Status.HELD:
        return redirect(reservation)
    form = CardChoiceForm(request.POST or None, cards=request.user.cards.filter(status="active"))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                reservation = services.pay_reservation(
                    reservation=reservation, card_number=form.cleaned_data["card_number"],
                    pin=form.cleaned_data["pin"],
                )
            except PaymentError as error:
                form.add_error("pin" if isinstance(error, WrongPin) else None, str(error.message))
                status = 409
            except services.HoldExpired:
                messages.error(request, _("The 15 minutes to pay are over and the room went back on sale. "
                                          "Search again."))
                return redirect(reservation.lodging)
            else:
                messages.success(request, _("Thank you. Your stay %(code)s is booked and paid.") % {
                    "code": reservation.code})
                return redirect(reservation)
    return render(request, "lodging/pay.html", {"reservation": reservation, "form": form}, status=status)


@never_cache
@login_required
def reservation_list(request: HttpRequest) -> HttpResponse:
    reservations = Reservation.objects.filter(user=request.user).select_related("lodging")[:50]
    return render(request, "lodging/reservation_list.html", {"reservations": reservations})


@never_cache
@login_required
def reservation_detail(request: HttpRequest, code: str) -> HttpResponse:
    reservation = _own(request, code)
    return render(request, "lodging/reservation_detail.html", {
        "reservation": reservation, "events": reservation.events.all(),
        "refund": reservation.cancellation_refund(today=timezone.localdate()),
    })


@never_cache
@login_required
def confirmation(request: HttpRequest, code: str) -> HttpResponse:
    reservation = _own(request, code)
    return render(request, "lodging/confirmation.html", {"reservation": reservation})


@never_cache
@login_required
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    """Show what cancelling gives back today; cancel when the guest confirms that amount."""
    reservation = _own(request, code)
    if not reservation.is_cancellable:
        messages.error(request, _("This stay can no longer be cancelled."))
        return redirect(reservation)
    refund = reservation.cancellation_refund(today=timezone.localdate())
    if request.method != "POST":
        return render(request, "lodging/cancel.html", {"reservation": reservation, "refund": refund})
    form = CancelForm(request.POST)
    if not form.is_valid() or form.cleaned_data["refund"] != refund:
        messages.error(request, _("The refund has changed since the page was shown. Check the amount again."))
        return render(request, "lodging/cancel.html", {"reservation": reservation, "refund": refund}, status=409)
    try:
        reservation, refunded = services.cancel_reservation(reservation=reservation, by=request.user)
    except services.NotCancellable:
        messages.error(request, _("This stay can no longer be cancelled."))
        return redirect(reservation)
    messages.success(request, _("Your stay %(code)s is cancelled. %(amount)s go back to your card.") % {
        "code": reservation.code, "amount": format_won(refunded)})
    return redirect(reservation)
