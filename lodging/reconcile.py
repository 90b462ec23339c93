"""Reconciliation of the stays' money and nights, the companion of
orders.reconcile (which accounts for checkout's payments only): every paid
stay keeps on the card exactly what it says it costs, less what its
cancellation or no-show gave back; no stay payment is left on hold or
without its stay; and each coming night's counter equals the stays that
hold a room on it.

``problems()`` returns every broken invariant by name with the offending
rows; an empty dict means all hold."""

from django.db import connection
from django.db.models import BigIntegerField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from lodging.models import Reservation, ReservationEvent, RoomChange
from payments.models import Payment

# Every payment lodging takes is keyed so (lodging.services).
STAY_KEY = "stay:"
UNPAID = [Reservation.Status.HELD, Reservation.Status.EXPIRED]
CLOSED = [Reservation.Status.CANCELLED, Reservation.Status.NO_SHOW]


def problems() -> dict[str, list]:
    stay_payments = Payment.objects.filter(idempotency_key__startswith=STAY_KEY)
    owned = list(Reservation.objects.filter(payment__isnull=False).values_list("payment_id", flat=True))
    owned += RoomChange.objects.filter(payment__isnull=False).values_list("payment_id", flat=True)
    found = {
        "paid stay without a payment": list(
            Reservation.objects.exclude(status__in=UNPAID).filter(payment__isnull=True).values_list("code", flat=True)
        ),
        "unpaid stay with a payment": list(
            Reservation.objects.filter(status__in=UNPAID, payment__isnull=False).values_list("code", flat=True)
        ),
        "stay payment without a stay": list(stay_payments.exclude(pk__in=owned).values_list("pk", flat=True)),
        "stay payment left on hold": list(
            stay_payments.filter(status=Payment.Status.AUTHORIZED).values_list("pk", flat=True)
        ),
        "stay keeps other money than it costs": _money_mismatches(),
        "night counter differs from the stays on it": _night_mismatches(),
    }
    return {name: rows for name, rows in found.items() if rows}


def _money_mismatches() -> list[tuple[str, int, int]]:
    """(code, kept on cards, expected) for each paid stay where they differ."""
    changes = (RoomChange.objects.filter(reservation=OuterRef("pk"), payment__isnull=False).order_by()
               .values("reservation").annotate(kept=Sum(F("payment__captured") - F("payment__refunded")))
               .values("kept"))
    # What closing the stay (its present status) gave back.
    given_back = ReservationEvent.objects.filter(reservation=OuterRef("pk"), to_status=OuterRef("status"),
                                                 to_status__in=CLOSED).values("amount")[:1]
    zero = Value(0, output_field=BigIntegerField())
    return list(
        Reservation.objects.exclude(status__in=UNPAID).filter(payment__isnull=False)
        .annotate(kept=ExpressionWrapper(F("payment__captured") - F("payment__refunded")
                                         + Coalesce(Subquery(changes), zero), output_field=BigIntegerField()),
                  expected=ExpressionWrapper(F("total") - Coalesce(Subquery(given_back), zero),
                                             output_field=BigIntegerField()))
        .exclude(kept=F("expected")).values_list("code", "kept", "expected")
    )


def _night_mismatches() -> list[tuple[int, str, int, int]]:
    """(room type, night, taken, stays holding it) for each night from today
    on where they differ; past nights stay as slept."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM (SELECT rn.room_type_id, rn.night, rn.taken, ("
            "  SELECT count(*) FROM lodging_reservation r WHERE r.room_type_id = rn.room_type_id"
            "  AND r.status = ANY(%s) AND r.arrival <= rn.night AND r.departure > rn.night) AS stays"
            " FROM lodging_roomnight rn WHERE rn.night >= %s) n WHERE taken <> stays ORDER BY 1, 2",
            [sorted(status.value for status in Reservation.HOLDING), timezone.localdate()],
        )
        return [(room_type, night.isoformat(), taken, stays) for room_type, night, taken, stays in cursor.fetchall()]
