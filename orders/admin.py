from django.contrib import admin

from orders.models import Order, OrderEvent, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["product_name", "seller_name", "unit_price", "quantity"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "user", "status", "total", "district_name", "created_at"]
    list_filter = ["status", "created_at", "district"]
    search_fields = ["number", "user__username", "user__first_name", "phone", "recipient_name"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "number", "user", "status", "subtotal", "delivery_fee", "total", "recipient_name", "phone",
        "district_name", "address_line", "service_name", "payment", "created_at",
    ]
    fields = readonly_fields
    inlines = [OrderLineInline, OrderEventInline]

    def has_add_permission(self, request):
        return False
