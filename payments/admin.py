from django.contrib import admin

from payments.models import Account, Card, CardEvent, LedgerEntry, LedgerTransaction, Payment


class CardEventInline(admin.TabularInline):
    model = CardEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "by", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ["masked_number", "holder_name", "owner", "status", "failed_pin_attempts"]
    list_filter = ["status"]
    search_fields = ["holder_name", "owner__username"]
    readonly_fields = ["masked_number", "failed_pin_attempts", "created_at"]
    fields = ["masked_number", "holder_name", "owner", "status", "failed_pin_attempts", "created_at"]
    inlines = [CardEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["reference", "card", "status", "authorized", "captured", "refunded", "created_at"]
    list_filter = ["status"]
    search_fields = ["reference"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "amount", "payment", "by", "note"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in LedgerTransaction._meta.fields]
    inlines = [LedgerEntryInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "balance"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "card", "balance"]

    def has_add_permission(self, request):
        return False
