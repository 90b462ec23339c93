from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _, ngettext

from delivery import services

from delivery.models import Courier, Delivery, DeliveryEvent, District, ServiceArea, TimeSlot, TransportService


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "name_en", "slug"]
    search_fields = ["name_ko", "name_en"]


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0


@admin.register(TransportService)
class TransportServiceAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "vehicle", "is_active"]
    list_filter = ["vehicle", "is_active"]
    inlines = [ServiceAreaInline]


@admin.register(TimeSlot)
class TimeSlotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "service", "capacity", "booked"]
    list_filter = ["service"]
    date_hierarchy = "starts_at"


@admin.register(Courier)
class CourierAdmin(admin.ModelAdmin):
    list_display = ["__str__", "service", "phone", "is_active"]
    list_filter = ["service", "is_active"]
    search_fields = ["user__username", "user__first_name", "phone"]


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["order", "seller", "district", "slot", "courier", "status", "is_hot_food"]
    list_filter = ["status", "slot__service", "district", "courier", "is_hot_food"]
    list_select_related = ["order", "seller", "district", "slot", "courier__user"]
    search_fields = ["order__number"]
    readonly_fields = [
        "order", "seller", "slot", "district", "courier", "status", "pickup_address", "dropoff_address",
        "is_hot_food", "promised_by", "failure_reason", "recipient_name", "picked_up_at", "delivered_at",
    ]
    inlines = [DeliveryEventInline]
    actions = ["assign_automatically"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Assign automatically to couriers"), permissions=["change"])
    def assign_automatically(self, request, queryset):
        count = services.assign_automatically(deliveries=queryset, by=request.user)
        self.message_user(request, ngettext(
            "%(count)d delivery assigned.", "%(count)d deliveries assigned.", count) % {"count": count},
            messages.SUCCESS)
