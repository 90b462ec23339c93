from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from delivery import booking, services
from delivery.forms import WeekOfSlotsForm
from delivery.models import (
    Courier,
    Delivery,
    DeliveryEvent,
    District,
    ServiceArea,
    TimeSlot,
    TransportService,
)
from okryu.admin import PhoneSearchMixin
from okryu.transitions import InvalidTransition


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "name_en", "slug"]
    search_fields = ["name_ko", "name_en"]
    prepopulated_fields = {"slug": ["name_en"]}


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0
    autocomplete_fields = ["district"]


@admin.register(TransportService)
class TransportServiceAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "name_en", "vehicle", "is_active"]
    list_filter = ["vehicle", "is_active"]
    search_fields = ["name_ko", "name_en"]
    inlines = [ServiceAreaInline]


@admin.register(TimeSlot)
class TimeSlotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "service", "capacity", "booked"]
    list_filter = ["service"]
    list_select_related = ["service"]
    date_hierarchy = "starts_at"
    readonly_fields = ["booked"]  # only checkout books and releases places
    change_list_template = "delivery/admin/timeslot_change_list.html"

    actions = ["create_week_like"]

    def get_urls(self):
        return [
            path("create-week/", self.admin_site.admin_view(self.create_week), name="delivery_timeslot_create_week"),
            *super().get_urls(),
        ]

    def create_week(self, request):
        """A week of slots for one service, from an intermediate form. The
        action below opens it pre-filled; as Django's actions need selected
        rows, which an empty slot list lacks, the change list links it too."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        # The action below pre-fills the form through the query string.
        initial = {"first_day": timezone.localdate(), **request.GET.dict()}
        form = WeekOfSlotsForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            created = booking.create_week_of_slots(**form.cleaned_data)
            self.message_user(request, ngettext(
                "%(count)d slot created.", "%(count)d slots created.", created) % {"count": created},
                messages.SUCCESS)
            return redirect("admin:delivery_timeslot_changelist")
        return TemplateResponse(request, "delivery/admin/create_week.html", {
            **self.admin_site.each_context(request),
            "opts": self.model._meta, "form": form, "title": _("Create a week of slots"),
        }, status=400 if form.errors else 200)


    @admin.action(description=_("Create a week of slots like the selected ones"), permissions=["add"])
    def create_week_like(self, request, queryset):
        """Open the week form filled from the selection: its service, its
        first start and last end of day, length and capacity, from the day
        after the last selected slot."""
        slots = sorted(queryset, key=lambda slot: slot.starts_at)
        last_day = timezone.localtime(slots[-1].starts_at).date()
        return redirect(reverse("admin:delivery_timeslot_create_week") + "?" + urlencode({
            "service": slots[0].service_id,
            "first_day": (last_day + timedelta(days=1)).isoformat(),
            "day_starts": min(timezone.localtime(s.starts_at).time() for s in slots).strftime("%H:%M"),
            "day_ends": max(timezone.localtime(s.ends_at).time() for s in slots).strftime("%H:%M"),
            "minutes": int((slots[0].ends_at - slots[0].starts_at).total_seconds() // 60),
            "capacity": slots[0].capacity,
        }))


@admin.register(Courier)
class CourierAdmin(PhoneSearchMixin, admin.ModelAdmin):
    list_display = ["__str__", "service", "phone", "is_active"]
    list_filter = ["service", "is_active"]
    list_select_related = ["user", "service"]
    search_fields = ["user__username", "user__first_name", "phone"]
    autocomplete_fields = ["user"]


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["order", "seller", "district", "slot", "courier", "status", "is_hot_food"]
    list_filter = [
        "status", "slot__service", "district", "courier", ("slot__starts_at", admin.DateFieldListFilter),
        "is_hot_food",
    ]
    list_select_related = ["order", "seller", "district", "slot", "courier__user"]
    search_fields = ["order__number"]
    # Everything is read-only: statuses change only through the model's
    # methods, which the actions below and the dispatcher board call.
    readonly_fields = [
        "order", "seller", "slot", "district", "courier", "status", "pickup_address", "dropoff_address",
        "is_hot_food", "promised_by", "failure_reason", "failure_note", "fault", "next_step", "redeliveries",
        "recipient_name", "created_at", "assigned_at",
        "picked_up_at", "delivered_at", "failed_at", "returned_at", "cancelled_at",
    ]
    inlines = [DeliveryEventInline]
    actions = ["assign_automatically", "unassign", "mark_returned"]
    change_list_template = "delivery/admin/delivery_change_list.html"

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Assign automatically to couriers"), permissions=["change"])
    def assign_automatically(self, request, queryset):
        count = services.assign_automatically(deliveries=queryset, by=request.user)
        self.message_user(request, ngettext(
            "%(count)d delivery assigned.", "%(count)d deliveries assigned.", count) % {"count": count},
            messages.SUCCESS)

    @admin.action(description=_("Unassign (back to waiting)"), permissions=["change"])
    def unassign(self, request, queryset):
        self._all_or_nothing(request, lambda ids: services.unassign_deliveries(delivery_ids=ids, by=request.user),
                             queryset)

    @admin.action(description=_("Mark returned to the seller"), permissions=["change"])
    def mark_returned(self, request, queryset):
        self._all_or_nothing(request, lambda ids: services.return_deliveries(delivery_ids=ids, by=request.user),
                             queryset)

    def _all_or_nothing(self, request, action, queryset):
        try:
            done = action(list(queryset.values_list("pk", flat=True)))
        except InvalidTransition as refused:
            self.message_user(request, _("Delivery %(order)s is “%(status)s”; nothing was changed.") % {
                "order": refused.instance.order.number, "status": refused.instance.get_status_display()},
                messages.ERROR)
            return
        self.message_user(request, ngettext(
            "%(count)d delivery changed.", "%(count)d deliveries changed.", len(done)) % {"count": len(done)},
            messages.SUCCESS)
