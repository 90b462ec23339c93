"""Reconciliation: what finance checks every day. Read-only queries."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models import Account, LedgerEntry, LedgerTransaction, Payment


@dataclass
class Day:
    day: date
    captures: int = 0
    refunds: int = 0
    top_ups: int = 0

    @property
    def net_revenue(self) -> int:
        return self.captures - self.refunds


@dataclass
class Check:
    label: str
    expected: int
    actual: int

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def daily_totals(*, days: int, today: date | None = None) -> list[Day]:
    """Captures, refunds and top-ups per local day, newest first, for the
    last ``days`` days; days without movements are listed with zeros."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    totals = {first + timedelta(days=n): Day(first + timedelta(days=n)) for n in range(days)}
    field = {
        LedgerTransaction.Kind.CAPTURE: "captures",
        LedgerTransaction.Kind.REFUND: "refunds",
        LedgerTransaction.Kind.TOP_UP: "top_ups",
    }
    rows = (
        LedgerTransaction.objects.annotate(day=TruncDate("created_at"))
        .filter(day__gte=first, day__lte=today, kind__in=field)
        .values_list("day", "kind")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )
    for day, kind, total, _count in rows:
        setattr(totals[day], field[kind], total)
    return sorted(totals.values(), key=lambda d: d.day, reverse=True)


def checks() -> list[Check]:
    """The books' invariants, each as expected against actual."""
    entries = LedgerEntry.objects.aggregate(
        total=Coalesce(Sum("amount"), 0),
        revenue=Coalesce(Sum("amount", filter=Q(account__kind=Account.Kind.REVENUE)), 0),
        held=Coalesce(Sum("amount", filter=Q(account__kind=Account.Kind.HOLD)), 0),
    )
    payments = Payment.objects.aggregate(
        net=Coalesce(Sum(F("captured") - F("refunded")), 0),
        held=Coalesce(Sum("authorized", filter=Q(status=Payment.Status.AUTHORIZED)), 0),
    )
    revenue_cached = Account.objects.filter(kind=Account.Kind.REVENUE, card=None).values_list("balance", flat=True)
    drifted = (
        Account.objects.annotate(entries_total=Coalesce(Sum("entries__amount"), 0))
        .exclude(balance=F("entries_total")).count()
    )
    return [
        Check(_("Ledger grand total"), 0, entries["total"]),
        Check(_("Captured minus refunded payments = revenue account"), payments["net"], entries["revenue"]),
        Check(_("Revenue account: cached balance = its entries"), entries["revenue"], sum(revenue_cached)),
        Check(_("Authorized payments = money on hold"), payments["held"], entries["held"]),
        Check(_("Accounts whose cached balance differs from their entries"), 0, drifted),
    ]
