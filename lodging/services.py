"""Reservation workflows: hold the rooms, pay, cancel, remind, and the front
desk's check-in, check-out, no-show and room change. Money moves through payments' gateway and
services only; rooms through the RoomNight counters, whose CHECK refuses
an oversold night whatever runs here."""

import secrets
import uuid
import zlib
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from lodging import availability
from lodging.cache import bump_version
from lodging.models import Reservation, ReservationEvent, RoomChange, RoomNight, RoomType
from okryu.db import retry_on_conflict
from okryu.notices.models import Event
from okryu.notices.services import notify
from okryu.transitions import InvalidTransition, transition
from payments import services as payment_services
from payments.gateway import get_gateway

HOLD_MINUTES = 15
# How far ahead a stay may be booked, and its longest length.
HORIZON_DAYS = 365
MAX_NIGHTS = 30
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class Unavailable(Exception):
    """The room type is closed, inactive or cannot take this stay."""


class SoldOut(Exception):
    """Another guest took the last room for one of the nights."""


class HoldExpired(Exception):
    """The 15 minutes to pay are over; the rooms went back on sale."""


class NotCancellable(Exception):
    """The reservation is already cancelled, or the stay has begun."""


class TooEarly(Exception):
    """A guest can be marked as not having come only once the arrival day has begun."""


class CardNeeded(Exception):
    """The new room costs more: the guest's card and PIN pay the difference."""


def reservation_for_token(*, user, token: uuid.UUID) -> Reservation | None:
    return Reservation.objects.filter(hold_token=token, user=user).first()


@retry_on_conflict
def hold_stay(*, user, room_type: RoomType, arrival: date, departure: date, guests: int, guest_names: str,
              arrival_time: time | None, requests: str, token: uuid.UUID) -> Reservation:
    """Take one room of ``room_type`` for every night of the stay and hold it
    for HOLD_MINUTES while the guest pays.

    The nights are taken with a conditional UPDATE in night order, so
    concurrent guests queue on the rows and the last room goes to one of
    them; the others get SoldOut and nothing is written. Expired holds on
    these nights are released first, so they never block a sale. A token
    that already made a reservation returns it. Raises Unavailable when the
    room type cannot take this stay at all.
    """
    existing = reservation_for_token(user=user, token=token)
    if existing:
        return existing
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(token.bytes)])
        existing = reservation_for_token(user=user, token=token)
        if existing:
            return existing
        nights = (departure - arrival).days
        quote = availability.quotes(
            lodging_id=room_type.lodging_id, arrival=arrival, departure=departure, guests=guests,
            room_type_id=room_type.pk,
        ).get(room_type.pk)
        if (quote is None or guests > room_type.max_guests
                or not room_type.min_stay <= nights <= room_type.max_stay
                or quote.closed):
            raise Unavailable()
        _release_expired_holds(room_type=room_type, arrival=arrival, departure=departure)
        _take_nights(room_type=room_type, arrival=arrival, departure=departure)
        lodging = room_type.lodging
        reservation = Reservation.objects.create(
            code=_new_code(), user=user, lodging=lodging, room_type=room_type, room_name=room_type.name,
            arrival=arrival, departure=departure, guests=guests, guest_names=guest_names,
            arrival_time=arrival_time, requests=requests, hold_token=token,
            hold_expires_at=timezone.now() + timedelta(minutes=HOLD_MINUTES),
            nightly=[[night.isoformat(), price] for night, price in quote.nights], total=quote.total,
            free_cancel_days=lodging.free_cancel_days, cancel_percent=lodging.cancel_percent,
            no_show_percent=lodging.no_show_percent,
        )
        ReservationEvent.objects.create(reservation=reservation, to_status=Reservation.Status.HELD, by=user)
    return reservation


def _take_nights(*, room_type: RoomType, arrival: date, departure: date) -> None:
    nights = (departure - arrival).days
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO lodging_roomnight (room_type_id, night, rooms, taken)"
            " SELECT %s, n::date, %s, 0 FROM generate_series(%s::date, %s::date, interval '1 day') n"
            " ON CONFLICT (room_type_id, night) DO NOTHING",
            [room_type.pk, room_type.room_count, arrival, departure - timedelta(days=1)],
        )
        # Locked in night order, so two overlapping stays never wait on each other in a cycle.
        cursor.execute(
            "SELECT id FROM lodging_roomnight WHERE room_type_id = %s AND night >= %s AND night < %s"
            " ORDER BY night FOR UPDATE",
            [room_type.pk, arrival, departure],
        )
        cursor.execute(
            "UPDATE lodging_roomnight SET taken = taken + 1"
            " WHERE room_type_id = %s AND night >= %s AND night < %s AND taken < rooms",
            [room_type.pk, arrival, departure],
        )
        if cursor.rowcount != nights:
            raise SoldOut()
    bump_version()


def _free_nights(reservation: Reservation, *, since: date | None = None) -> None:
    """Give back the reservation's nights (from ``since`` on, when given)."""
    first = max(reservation.arrival, since) if since else reservation.arrival
    RoomNight.objects.filter(
        room_type_id=reservation.room_type_id, night__gte=first, night__lt=reservation.departure
    ).update(taken=F("taken") - 1)
    bump_version()


def _release_expired_holds(*, room_type: RoomType, arrival: date, departure: date) -> None:
    """Before taking nights: the holds on them that ran out give them back."""
    release_expired_holds(room_type=room_type, arrival__lt=departure, departure__gt=arrival)


@transaction.atomic
def release_expired_holds(**where) -> int:
    """Expire the holds (those matching ``where``, else all) whose minutes
    ran out, and return how many. SKIP LOCKED: a hold that its guest is
    paying just now is left to the payment, which decides it under its
    lock, and two runs at once share the holds instead of waiting."""
    expired = (
        Reservation.objects.filter(status=Reservation.Status.HELD, hold_expires_at__lte=timezone.now(), **where)
        .select_for_update(skip_locked=True).order_by("pk")
    )
    count = 0
    for hold in expired:
        expire_hold(hold)
        count += 1
    return count


def expire_hold(reservation: Reservation) -> Reservation:
    """The hold ran out: its nights go back on sale."""
    with transaction.atomic():
        reservation = reservation.change_status(Reservation.Status.EXPIRED)
        _free_nights(reservation)
    return reservation


@retry_on_conflict
@sensitive_variables("pin", "card_number")
def pay_reservation(*, reservation: Reservation, card_number: str, pin: str) -> Reservation:
    """Authorize and capture the stay's total on the card and confirm it.

    Captured at once: a card hold lasts a week and stays are booked further
    ahead. The PIN is checked first, on its own, so a wrong PIN counts
    toward locking the card. A paid reservation is returned as it is (a
    double submit pays once); a hold past its 15 minutes is released and
    raises HoldExpired. PaymentErrors propagate and leave the hold as it was.
    """
    if reservation.status != Reservation.Status.HELD:
        return reservation
    gateway = get_gateway()
    pin_check = gateway.verify_pin(card_number=card_number, pin=pin)
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
        if reservation.status != Reservation.Status.HELD:
            return reservation
        expired = reservation.hold_expires_at <= timezone.now()
        if expired:
            # Committed before the guest hears of it: the nights are back on sale.
            expire_hold(reservation)
        else:
            reservation = _capture_total(reservation, gateway=gateway, card_number=card_number, pin_check=pin_check)
    if expired:
        raise HoldExpired()
    return reservation


@sensitive_variables("pin_check", "card_number")
def _capture_total(reservation: Reservation, *, gateway, card_number: str, pin_check: str) -> Reservation:
    payment = gateway.authorize(
        card_number=card_number, pin_check=pin_check, amount=reservation.total, reference=reservation.code,
        idempotency_key=f"stay:{reservation.code}",
    )
    reservation.payment = gateway.capture(payment, by=reservation.user)
    reservation.save(update_fields=["payment"])
    reservation = reservation.change_status(Reservation.Status.CONFIRMED, by=reservation.user,
                                            amount=reservation.total)
    _tell_guest(reservation, Event.STAY_BOOKED, total=reservation.total)
    return reservation


def _tell_guest(reservation: Reservation, event: Event, **context) -> None:
    lodging = reservation.lodging
    notify(recipient=reservation.user, event=event, obj_key=f"stay:{reservation.code}", context={
        "code": reservation.code, "lodging": lodging, "arrival": reservation.arrival,
        "departure": reservation.departure, "check_in_from": lodging.check_in_from, **context,
    }, link=reservation.get_absolute_url())


@transaction.atomic
def cancel_reservation(*, reservation: Reservation, by, today: date | None = None) -> tuple[Reservation, int]:
    """Cancel a confirmed stay before it begins and refund what its copied
    policy says for ``today``; returns the reservation and the refund.

    The row is locked first, so a double submit finds it cancelled and
    raises NotCancellable: the money moves once (the refund's idempotency
    key is the reservation's, should a gateway answer be lost and replayed).
    """
    today = today or timezone.localdate()
    reservation = Reservation.objects.select_for_update(of=("self",)).select_related("payment").get(pk=reservation.pk)
    if not reservation.is_cancellable or today >= reservation.departure:
        raise NotCancellable()
    refund = reservation.cancellation_refund(today=today)
    reservation = _close(reservation, Reservation.Status.CANCELLED, refund=refund, by=by, key="cancel")
    _tell_guest(reservation, Event.STAY_CANCELLED, refund=refund)
    return reservation, refund


def remind_arrivals(*, today: date | None = None) -> int:
    """Tell every guest whose confirmed stay begins tomorrow; returns how
    many stays that is. Safe to run again: notify sends each reminder once."""
    tomorrow = (today or timezone.localdate()) + timedelta(days=1)
    stays = Reservation.objects.filter(arrival=tomorrow, status=Reservation.Status.CONFIRMED).select_related(
        "lodging", "user").order_by("pk")
    for reservation in stays:
        _tell_guest(reservation, Event.STAY_REMINDER)
    return len(stays)


@transaction.atomic
def mark_no_show(*, reservation: Reservation, by, today: date | None = None) -> tuple[Reservation, int]:
    """The guest did not come: keep the no-show charge, refund the rest and
    free the nights. Raises TooEarly before the arrival day."""
    today = today or timezone.localdate()
    reservation = Reservation.objects.select_for_update(of=("self",)).select_related("payment").get(pk=reservation.pk)
    if today < reservation.arrival:
        raise TooEarly()
    refund = reservation.no_show_refund
    reservation = _close(reservation, Reservation.Status.NO_SHOW, refund=refund, by=by, key="no-show")
    return reservation, refund


def _close(reservation: Reservation, status: str, *, refund: int, by, key: str) -> Reservation:
    reservation = reservation.change_status(status, by=by, amount=refund)
    _free_nights(reservation)
    if refund:
        payment_services.refund_payment(
            payment=reservation.payment, amount=refund, by=by, idempotency_key=f"stay-{key}:{reservation.code}"
        )
    return reservation


def check_in(*, reservation: Reservation, by) -> Reservation:
    return reservation.change_status(Reservation.Status.CHECKED_IN, by=by)


@transaction.atomic
def check_out(*, reservation: Reservation, by, today: date | None = None) -> Reservation:
    """The guest leaves; leaving early frees the nights not slept (they are
    not refunded: the policy covers cancellations before arrival)."""
    today = today or timezone.localdate()
    reservation = reservation.change_status(Reservation.Status.CHECKED_OUT, by=by)
    if today < reservation.departure:
        _free_nights(reservation, since=today)
    return reservation


def room_change_quotes(reservation: Reservation, *, today: date | None = None) -> list[tuple[RoomType, int | None]]:
    """Each other active room type of the lodging that takes the party, with
    the price difference for the nights left (None: not free for all of them)."""
    first = max(today or timezone.localdate(), reservation.arrival)
    if first >= reservation.departure:
        return []
    rooms = list(RoomType.objects.filter(lodging_id=reservation.lodging_id, is_active=True,
                                         max_guests__gte=reservation.guests).exclude(pk=reservation.room_type_id))
    found = availability.quotes(lodging_id=reservation.lodging_id, arrival=first, departure=reservation.departure,
                                guests=reservation.guests)
    left = _price_from(reservation, first)
    return [(room, found[room.pk].total - left if room.pk in found and found[room.pk].available else None)
            for room in rooms]


def _price_from(reservation: Reservation, first: date) -> int:
    return sum(price for night, price in reservation.nightly if night >= first.isoformat())


@retry_on_conflict
@sensitive_variables("pin", "card_number")
def change_room_type(*, reservation: Reservation, room_type: RoomType, by, token: uuid.UUID,
                     card_number: str = "", pin: str = "", today: date | None = None) -> RoomChange:
    """Move a guest in the house to ``room_type`` for the nights from today
    to departure: the old room's nights are freed, the new one's taken (the
    same conditional UPDATE as a booking), the stay's nightly prices and
    total follow, and the difference moves through the ledger: a payment of
    its own when dearer (``card_number`` and ``pin``, else CardNeeded), a
    refund on the stay's payment when cheaper.

    Raises InvalidTransition unless the guest is checked in, Unavailable
    when the room type cannot take the party for those nights, SoldOut when
    a room went meanwhile, and the gateway's PaymentErrors; each leaves the
    stay as it was. A token already used returns its change.
    """
    done = RoomChange.objects.filter(token=token).first()
    if done:
        return done
    # On its own, before the transaction: a wrong PIN counts toward locking the card.
    pin_check = get_gateway().verify_pin(card_number=card_number, pin=pin) if card_number else None
    first = max(today or timezone.localdate(), reservation.arrival)
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update(of=("self",)).select_related("payment").get(
            pk=reservation.pk)
        done = RoomChange.objects.filter(token=token).first()
        if done:
            return done
        if reservation.status != Reservation.Status.CHECKED_IN:
            raise InvalidTransition(reservation, Reservation.Status.CHECKED_IN)
        quote = availability.quotes(lodging_id=reservation.lodging_id, arrival=first, departure=reservation.departure,
                                    guests=reservation.guests, room_type_id=room_type.pk).get(room_type.pk)
        if (first >= reservation.departure or room_type.lodging_id != reservation.lodging_id
                or room_type.pk == reservation.room_type_id or not room_type.is_active
                or reservation.guests > room_type.max_guests or quote is None or quote.closed):
            raise Unavailable()
        difference = quote.total - _price_from(reservation, first)
        if difference > 0 and not card_number:
            raise CardNeeded()
        _free_nights(reservation, since=first)
        _release_expired_holds(room_type=room_type, arrival=first, departure=reservation.departure)
        _take_nights(room_type=room_type, arrival=first, departure=reservation.departure)
        change = RoomChange(reservation=reservation, from_room_type_id=reservation.room_type_id, to_room_type=room_type,
                            first_night=first, difference=difference, token=token, by=by)
        nightly = [[night, price] for night, price in reservation.nightly if night < first.isoformat()]
        nightly += [[night.isoformat(), price] for night, price in quote.nights]
        reservation = transition(
            reservation, Reservation.Status.CHECKED_IN, sources={Reservation.Status.CHECKED_IN}, by=by,
            note=f"{reservation.room_name} → {room_type.name}", locked=True, event={"amount": abs(difference)},
            fields={"room_type": room_type, "room_name": room_type.name, "nightly": nightly,
                    "total": sum(price for _night, price in nightly)},
        )
        if difference > 0:
            gateway = get_gateway()
            payment = gateway.authorize(card_number=card_number, pin_check=pin_check, amount=difference,
                                        reference=reservation.code, idempotency_key=f"stay:{reservation.code}:{token}")
            change.payment = gateway.capture(payment, by=by)
        elif difference < 0:
            payment_services.refund_payment(payment=reservation.payment, amount=-difference, by=by,
                                            idempotency_key=f"stay-room-change:{token}")
        change.save()
    return change


def _new_code() -> str:
    suffix = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"S{timezone.localdate():%y%m%d}-{suffix}"


def stay_window(*, now: datetime | None = None) -> tuple[date, date]:
    """The first arrival and the last departure that can be booked."""
    today = timezone.localdate(now)
    return today, today + timedelta(days=HORIZON_DAYS)
