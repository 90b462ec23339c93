"""Orders in the staff admin. Bureau staff see every order; a seller's staff
(a staff user in ``Seller.staff``) see only orders with a line of their
seller, only those lines and deliveries, and may only move their own
deliveries to preparing and ready (the order follows its deliveries). The
same scope gives a seller's staff their standing against the other sellers
of their products."""

import csv
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.models import PriceChange, Seller, SellerScore, Standing
from catalog.staff import seller_scope
from delivery.models import Delivery
from okryu.admin import PhoneSearchMixin
from okryu.db import reads_replica
from okryu.money import format_won
from okryu.transitions import InvalidTransition
from orders import refunds, reports, scores, services
from orders.forms import RefundForm, SalesReportForm
from orders.models import Order, OrderEvent, OrderLine, Prescription, PrescriptionEvent, Refund
from payments.gateway import PaymentError


def _has_line_of(sellers):
    return Exists(OrderLine.objects.filter(order=OuterRef("pk"), seller__in=sellers))


class SellerFilter(admin.SimpleListFilter):
    title = gettext_lazy("seller")
    parameter_name = "seller"

    def lookups(self, request, model_admin):
        sellers = Seller.objects.order_by("name_ko")
        scope = seller_scope(request)
        if scope is not None:
            sellers = sellers.filter(pk__in=scope)
        return [(seller.pk, seller.name) for seller in sellers]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not self.value().isdigit():
            raise IncorrectLookupParameters(self.value())
        return queryset.filter(_has_line_of([int(self.value())]))


class StuckFilter(admin.SimpleListFilter):
    """The orders the periodic report warns about (orders.services.stuck_orders)."""

    title = gettext_lazy("progress")
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Stuck past its delivery slot"))]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() != "yes":
            raise IncorrectLookupParameters(self.value())
        return queryset.filter(pk__in=services.stuck_orders().values("pk"))


class ScoreFilter(admin.SimpleListFilter):
    """The orders behind a figure of the seller score (orders.scores), in
    the counted days up to now; with the seller filter, that seller's part
    of each order only."""

    title = gettext_lazy("seller score")
    parameter_name = "score"

    def lookups(self, request, model_admin):
        return [("counted", gettext_lazy("Counted in the score")),
                ("late", gettext_lazy("Ready late")),
                ("seller_failed", gettext_lazy("Failed through the seller")),
                ("seller_cancelled", gettext_lazy("Cancelled by the seller")),
                ("other_failed", gettext_lazy("Failed through the courier or customer (not counted)"))]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() not in dict(self.lookup_choices):
            raise IncorrectLookupParameters(self.value())
        deliveries = scores.scored_deliveries(now=timezone.now())
        if self.value() != "counted":
            deliveries = deliveries.filter(**{self.value(): True})
        seller = request.GET.get(SellerFilter.parameter_name, "")
        if seller.isdigit():
            deliveries = deliveries.filter(seller_id=int(seller))
        return queryset.filter(pk__in=deliveries.values("order_id"))


class SellerScopedInline(admin.TabularInline):
    """An inline of rows that belong to a seller: seller staff see their own."""

    extra = 0
    can_delete = False

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        scope = seller_scope(request)
        return rows if scope is None else rows.filter(seller__in=scope)

    def has_view_permission(self, request, obj=None):
        # Seen as part of an order: seller staff hold no permission on the
        # Delivery model itself, whose own admin would show every seller's.
        return request.user.has_perm("orders.view_order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(SellerScopedInline):
    model = OrderLine
    fields = ["product_name", "seller_name", "unit_price", "quantity"]
    readonly_fields = fields


class DeliveryInline(SellerScopedInline):
    model = Delivery
    fields = ["seller", "slot", "courier", "status", "preparing_at", "ready_at", "picked_up_at", "delivered_at"]
    readonly_fields = fields


class EventInline(admin.TabularInline):
    """A status model's events, as a timeline nobody edits."""

    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderEventInline(EventInline):
    model = OrderEvent


@admin.register(Order)
class OrderAdmin(PhoneSearchMixin, admin.ModelAdmin):
    phone_fields = ("phone", "user__phone")
    list_display = ["number", "user", "phone", "status", "total", "district_name", "service_name", "created_at"]
    list_filter = ["status", StuckFilter, "created_at", SellerFilter, ScoreFilter, "district",
                   "deliveries__slot__service"]
    search_fields = [
        "number", "user__username", "user__first_name", "user__last_name", "user__phone", "phone", "recipient_name",
    ]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "number", "user", "status", "subtotal", "delivery_fee", "total", "recipient_name", "phone",
        "district_name", "address_line", "service_name", "payment", "created_at",
    ]
    fields = readonly_fields
    inlines = [OrderLineInline, DeliveryInline, OrderEventInline]
    actions = ["mark_preparing", "mark_ready", "cancel_and_refund", "cancel_for_seller"]
    change_list_template = "orders/admin/order_change_list.html"
    change_form_template = "orders/admin/order_change_form.html"

    def get_queryset(self, request):
        orders = super().get_queryset(request)
        scope = seller_scope(request)
        return orders if scope is None else orders.filter(_has_line_of(scope))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Orders are records of sales: they are cancelled or refunded, never deleted.
        return False

    def changelist_view(self, request, extra_context=None):
        extra = {"bureau_staff": seller_scope(request) is None}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"bureau_staff": seller_scope(request) is None}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if seller_scope(request) is not None:
            actions.pop("cancel_and_refund", None)
            actions.pop("cancel_for_seller", None)
        return actions

    def get_urls(self):
        own = [
            path("export.csv", self.admin_site.admin_view(self.export_csv), name="orders_order_export"),
            path("sales/", self.admin_site.admin_view(reads_replica(self.sales_report)), name="orders_order_sales"),
            path("<path:object_id>/refund/", self.admin_site.admin_view(self.refund_view), name="orders_order_refund"),
        ]
        return own + super().get_urls()

    # Actions: each order on its own, so one refusal does not stop the rest.

    @admin.action(description=gettext_lazy("Mark preparing"), permissions=["change"])
    def mark_preparing(self, request, queryset):
        self._move(request, queryset, Order.Status.PREPARING)

    @admin.action(description=gettext_lazy("Mark ready"), permissions=["change"])
    def mark_ready(self, request, queryset):
        self._move(request, queryset, Order.Status.READY)

    def _move(self, request, queryset, status: str) -> None:
        moved = 0
        for order in queryset.order_by("pk"):
            try:
                services.move_in_kitchen(order=order, status=status, by=request.user, sellers=seller_scope(request))
            except InvalidTransition:
                messages.error(request, _("%(number)s: cannot go from %(current)s to %(wanted)s.") % {
                    "number": order.number, "current": order.get_status_display(),
                    "wanted": Order.Status(status).label,
                })
            else:
                moved += 1
        if moved:
            messages.success(request, _("%(count)s orders moved to %(status)s.") % {
                "count": moved, "status": Order.Status(status).label})

    @admin.action(description=gettext_lazy("Cancel and refund"), permissions=["change"])
    def cancel_and_refund(self, request, queryset):
        self._cancel(request, queryset)

    @admin.action(description=gettext_lazy("Cancel and refund: the seller cannot supply it (lowers the seller score)"),
                  permissions=["change"])
    def cancel_for_seller(self, request, queryset):
        self._cancel(request, queryset, fault=Delivery.Fault.SELLER)

    def _cancel(self, request, queryset, *, fault: str = "") -> None:
        done = 0
        for order in queryset.order_by("pk"):
            try:
                services.cancel_order(order=order, by=request.user, fault=fault)
            except services.NotCancellable:
                messages.error(request, _("%(number)s cannot be cancelled: it has left the seller or is closed.") % {
                    "number": order.number})
            except (PaymentError, InvalidTransition) as error:
                messages.error(request, f"{order.number}: {error.message}")
            else:
                done += 1
        if done:
            messages.success(request, _("%(count)s orders cancelled and their payments released.") % {"count": done})

    # Views of our own.

    def export_csv(self, request):
        """The changelist as CSV, with the filters and search of the page it was asked from."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("Those filters are not valid."))
        rows = changelist.get_queryset(request).values_list(
            "number", "created_at", "user__username", "recipient_name", "phone", "status", "district_name",
            "service_name", "subtotal", "delivery_fee", "total",
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="orders.csv"'
        writer = csv.writer(response)
        writer.writerow([
            "number", "placed_at", "customer", "recipient", "phone", "status", "district", "service",
            "subtotal", "delivery_fee", "total",
        ])
        for row in rows:
            writer.writerow([*row[:1], timezone.localtime(row[1]).isoformat(timespec="seconds"), *row[2:]])
        return response

    def refund_view(self, request, object_id):
        """Give back units of the order's lines, on a one-time token: for
        finance staff (``payments.refund_payment``) of the bureau."""
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404
        if seller_scope(request) is not None or not request.user.has_perm("payments.refund_payment"):
            raise PermissionDenied
        lines = list(order.lines.all())
        form = RefundForm(request.POST or None, lines=lines, initial={"token": services.new_checkout_token()})
        status = 200
        if request.method == "POST" and Refund.objects.filter(key=f"admin:{request.POST.get('token')}").exists():
            # A double submit: the first one refunded, and its form no longer fits what is left.
            return redirect("admin:orders_order_change", order.pk)
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    refunds.refund_lines(
                        order=order, quantities=form.quantities(), key=f"admin:{form.cleaned_data['token']}",
                        reason=form.cleaned_data["reason"], by=request.user, restock=form.cleaned_data["restock"],
                    )
                except refunds.RefundRefused as error:
                    form.add_error(None, str(error.message))
                    status = 409
                except (PaymentError, InvalidTransition) as error:
                    form.add_error(None, str(error.message))
                    status = 409
                else:
                    order.refresh_from_db()
                    messages.success(request, _("Refunded. The order is %(status)s.") % {
                        "status": order.get_status_display()})
                    return redirect("admin:orders_order_change", order.pk)
        return TemplateResponse(request, "orders/admin/refund.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "order": order, "form": form,
            "payment": order.payment, "refunds": order.refunds.prefetch_related("lines__line").select_related("by"),
            "title": _("Refund %(number)s") % {"number": order.number},
        }, status=status)

    def sales_report(self, request):
        """Orders, revenue and average basket per day and per seller."""
        if seller_scope(request) is not None or not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        form = SalesReportForm(request.GET or {"start": today - timedelta(days=29), "end": today})
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form, "title": _("Sales")}
        if not form.is_valid():
            return TemplateResponse(request, "orders/admin/sales_report.html", context, status=400)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        by_day = reports.sales_by_day(start=start, end=end)
        by_seller = reports.sales_by_seller(start=start, end=end)
        if request.GET.get("format") == "csv":
            return _sales_csv(by_day, by_seller, start=start, end=end)
        return TemplateResponse(request, "orders/admin/sales_report.html", {
            **context, "by_day": by_day, "by_seller": by_seller,
            "chart": reports.bar_chart([(f"{row.label:%m-%d}", row.revenue) for row in by_day]),
            "chart_width": reports.CHART_WIDTH, "chart_height": reports.CHART_HEIGHT,
            "chart_baseline": reports.CHART_BASELINE, "chart_top": reports.CHART_TOP,
            "total_orders": sum(row.orders for row in by_day),
            "total_revenue": sum(row.revenue for row in by_day),
            "csv_url": "{}?{}".format(
                reverse("admin:orders_order_sales"), urlencode({"start": start, "end": end, "format": "csv"})),
        })


def _sales_csv(by_day, by_seller, *, start, end) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sales-{start}-{end}.csv"'
    writer = csv.writer(response)
    writer.writerow(["kind", "day_or_seller", "orders", "revenue", "average_basket"])
    for row in by_day:
        writer.writerow(["day", row.label.isoformat(), row.orders, row.revenue, row.average])
    for row in by_seller:
        writer.writerow(["seller", row.label.name, row.orders, row.revenue, row.average])
    return response


# The seller's own view: each of their offers against the other sellers.

STANDING_DAYS = 30


def _sees_orders(request) -> bool:
    # Bureau staff and the seller staff group both hold it; the standing
    # needs no catalogue permission, as a seller's staff hold none.
    return request.user.has_perm("orders.view_order")


class NotCheapestFilter(admin.SimpleListFilter):
    title = gettext_lazy("price")
    parameter_name = "cheapest"

    def lookups(self, request, model_admin):
        return [("no", gettext_lazy("Where I am not the cheapest"))]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() != "no":
            raise IncorrectLookupParameters(self.value())
        return queryset.filter(cheapest_other__lt=F("price"))


class PriceHistoryInline(admin.TabularInline):
    model = PriceChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "old", "new", "by", "source"]
    readonly_fields = fields
    ordering = ["-changed_at", "-id"]

    @admin.display(description=gettext_lazy("old price"))
    def old(self, change):
        return format_won(change.old_price)

    @admin.display(description=gettext_lazy("new price"))
    def new(self, change):
        return format_won(change.new_price)

    def has_view_permission(self, request, obj=None):
        return _sees_orders(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Standing)
class StandingAdmin(admin.ModelAdmin):
    """Read only. A seller's staff see their own sellers' offers (another
    seller's answers 404); bureau staff see every offer. Of the others only
    what customers see is shown (their lowest price, the rank), and their
    sales only as one total."""

    list_display = ["product", "seller", "your_price", "cheapest_other_price", "rank_of", "units_mine",
                    "units_others"]
    list_filter = [NotCheapestFilter, ("seller", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["product__name_ko", "product__name_en"]
    list_select_related = ["product", "seller"]
    ordering = ["product__name_ko", "pk"]
    fields = ["product", "seller", "your_price", "cheapest_other_price", "rank_of", "units_mine", "units_others",
              "stock", "is_active"]
    readonly_fields = fields
    inlines = [PriceHistoryInline]

    def get_queryset(self, request):
        offers = super().get_queryset(request)
        scope = seller_scope(request)
        if scope is not None:
            offers = offers.filter(seller__in=scope)
        return reports.with_standing(offers, since=timezone.now() - timedelta(days=STANDING_DAYS))

    def has_module_permission(self, request):
        return _sees_orders(request)

    def has_view_permission(self, request, obj=None):
        return _sees_orders(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._own_row_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._own_row_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def _own_row_or_404(self, request, object_id) -> None:
        # Not the admin's redirect to its index: someone else's row is not
        # there. Staff without the permission are refused first, as elsewhere.
        if not self.has_view_permission(request):
            raise PermissionDenied
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404

    @admin.display(description=gettext_lazy("your price"), ordering="price")
    def your_price(self, offer):
        return format_won(offer.price)

    @admin.display(description=gettext_lazy("cheapest other seller"), ordering="cheapest_other")
    def cheapest_other_price(self, offer):
        return format_won(offer.cheapest_other) if offer.cheapest_other else _("nobody else sells it")

    @admin.display(description=gettext_lazy("your rank"), ordering="rank")
    def rank_of(self, offer):
        return _("%(rank)s of %(sellers)s") % {"rank": offer.rank, "sellers": offer.product.seller_count}

    @admin.display(description=gettext_lazy("units you sold in 30 days"), ordering="units_mine")
    def units_mine(self, offer):
        return offer.units_mine

    @admin.display(description=gettext_lazy("units the others sold in 30 days"), ordering="units_others")
    def units_others(self, offer):
        return offer.units_others


@admin.register(SellerScore)
class SellerScoreAdmin(admin.ModelAdmin):
    """Read only, written by the periodic job. Each figure links to the
    orders behind it (the orders list's seller and score filters); a
    seller's staff see their own sellers' scores."""

    list_display = ["seller", "score_shown", "orders_link", "late_link", "seller_failures_link",
                    "seller_cancellations_link", "other_failures_link", "reviews", "rating", "computed_at"]
    list_select_related = ["seller"]
    search_fields = ["seller__name_ko", "seller__name_en"]
    fields = ["seller", "days", "score", "orders", "prepared", "on_time", "seller_failures", "other_failures",
              "seller_cancellations", "reviews", "review_stars", "rating", "computed_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        scope = seller_scope(request)
        return rows if scope is None else rows.filter(seller__in=scope)

    def has_module_permission(self, request):
        return _sees_orders(request)

    def has_view_permission(self, request, obj=None):
        return _sees_orders(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("score"), ordering="score")
    def score_shown(self, row):
        return _("new") if row.is_new else row.score

    @admin.display(description=gettext_lazy("orders"), ordering="orders")
    def orders_link(self, row):
        return self._orders(row, row.orders)

    @admin.display(description=gettext_lazy("ready late"))
    def late_link(self, row):
        return self._orders(row, row.late, "late")

    @admin.display(description=gettext_lazy("failed through the seller"), ordering="seller_failures")
    def seller_failures_link(self, row):
        return self._orders(row, row.seller_failures, "seller_failed")

    @admin.display(description=gettext_lazy("cancelled by the seller"), ordering="seller_cancellations")
    def seller_cancellations_link(self, row):
        return self._orders(row, row.seller_cancellations, "seller_cancelled")

    @admin.display(description=gettext_lazy("failed through the courier or customer"), ordering="other_failures")
    def other_failures_link(self, row):
        return self._orders(row, row.other_failures, "other_failed")

    def _orders(self, row, count: int, figure: str = "counted"):
        query = urlencode({SellerFilter.parameter_name: row.seller_id, ScoreFilter.parameter_name: figure})
        return format_html('<a href="{}?{}">{}</a>', reverse("admin:orders_order_changelist"), query, count)


class PrescriptionEventInline(EventInline):
    model = PrescriptionEvent


@admin.register(Prescription)
class PrescriptionAdmin(admin.ModelAdmin):
    """A pharmacist's desk: prescription numbers waiting first; approving
    or rejecting is an action, through the model's status methods, so each
    decision is an event with who made it."""

    list_display = ["number", "product", "user", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["product", "user"]
    search_fields = ["number", "user__username", "product__name_ko", "product__name_en"]
    fields = ["number", "product", "user", "status", "created_at"]
    readonly_fields = fields
    inlines = [PrescriptionEventInline]
    actions = ["approve", "reject"]
    ordering = ["-created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, verb: str) -> None:
        decided = 0
        for prescription in queryset.filter(status=Prescription.Status.PENDING):
            try:
                getattr(prescription, verb)(by=request.user)
            except InvalidTransition:
                continue  # decided meanwhile by another pharmacist
            decided += 1
        self.message_user(request, ngettext("%(count)d prescription decided.", "%(count)d prescriptions decided.",
                                            decided) % {"count": decided}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Approve the selected prescriptions"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, "approve")

    @admin.action(description=gettext_lazy("Reject the selected prescriptions"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, "reject")
