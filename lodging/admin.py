"""The front desk. Bureau staff see every lodging; a hotel's staff (staff
users in its seller's ``staff``) see only their own lodgings, their rooms,
rates, closures and reservations, by the same rule as orders
(catalog.staff.seller_scope)."""

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.admin import StoredImageAdmin
from catalog.models import Seller
from catalog.staff import seller_scope
from lodging import services
from lodging.forms import RoomChangeForm
from lodging.models import (
    Closure,
    Lodging,
    RateRule,
    Reservation,
    ReservationEvent,
    RoomNight,
    RoomType,
)
from okryu.admin import PhoneSearchMixin
from okryu.money import format_won
from okryu.transitions import InvalidTransition
from payments.gateway import PaymentError


class ScopedAdmin(admin.ModelAdmin):
    """Rows reached through ``scope_path`` (a lookup to the seller) are
    limited to the user's sellers; choices of lodgings and sellers too."""

    scope_path = "lodging__seller"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        scope = seller_scope(request)
        return rows if scope is None else rows.filter(**{f"{self.scope_path}__in": scope})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = seller_scope(request)
        if scope is not None and db_field.related_model is Lodging:
            kwargs["queryset"] = Lodging.objects.filter(seller__in=scope)
        elif scope is not None and db_field.related_model is Seller:
            kwargs["queryset"] = Seller.objects.filter(pk__in=scope)
        elif scope is not None and db_field.related_model is RoomType:
            kwargs["queryset"] = RoomType.objects.filter(lodging__seller__in=scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PictureAdmin(StoredImageAdmin, ScopedAdmin):
    image_folder = "lodging"


class RoomTypeInline(admin.TabularInline):
    model = RoomType
    extra = 0
    fields = ["name_ko", "name_en", "beds", "max_guests", "room_count", "base_rate", "min_stay", "max_stay",
              "is_active"]
    show_change_link = True


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    fields = ["room_type", "starts_on", "ends_on", "reason"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "room_type":
            parent = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = RoomType.objects.filter(lodging_id=parent if str(parent).isdigit() else None)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Lodging)
class LodgingAdmin(PictureAdmin):
    scope_path = "seller"
    list_display = ["name_ko", "name_en", "kind", "district", "free_cancel_days", "cancel_percent",
                    "no_show_percent", "is_active"]
    list_filter = ["kind", "district", "is_active"]
    search_fields = ["name_ko", "name_en", "slug", "address"]
    list_select_related = ["district"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [RoomTypeInline, ClosureInline]

    def has_add_permission(self, request):
        return seller_scope(request) is None and super().has_add_permission(request)


class RateRuleInline(admin.TabularInline):
    model = RateRule
    extra = 0
    fields = ["starts_on", "ends_on", "weekdays", "nightly_rate", "priority"]


@admin.register(RoomType)
class RoomTypeAdmin(PictureAdmin):
    list_display = ["name_ko", "lodging", "room_count", "max_guests", "base_rate", "min_stay", "max_stay",
                    "is_active"]
    list_filter = ["is_active", "lodging"]
    search_fields = ["name_ko", "name_en", "lodging__name_ko"]
    list_select_related = ["lodging"]
    inlines = [RateRuleInline]


class TodayFilter(admin.SimpleListFilter):
    title = gettext_lazy("today")
    parameter_name = "today"

    def lookups(self, request, model_admin):
        return [("arrivals", gettext_lazy("Arriving today")), ("departures", gettext_lazy("Leaving today")),
                ("in_house", gettext_lazy("In the house"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        live = [Reservation.Status.CONFIRMED, Reservation.Status.CHECKED_IN]
        if self.value() == "arrivals":
            return queryset.filter(arrival=today, status__in=live)
        if self.value() == "departures":
            return queryset.filter(departure=today, status__in=live)
        if self.value() == "in_house":
            return queryset.filter(status=Reservation.Status.CHECKED_IN)
        return queryset


class ReservationEventInline(admin.TabularInline):
    model = ReservationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "amount", "by", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(PhoneSearchMixin, ScopedAdmin):
    phone_fields = ("user__phone",)
    list_display = ["code", "lodging", "room_name", "guest_names", "guests", "arrival", "departure", "status",
                    "total"]
    list_filter = [TodayFilter, "status", "arrival", "lodging"]
    search_fields = ["code", "guest_names", "user__username", "user__phone"]
    list_select_related = ["lodging"]
    date_hierarchy = "arrival"
    readonly_fields = [
        "code", "user", "lodging", "room_type", "room_name", "arrival", "departure", "guests", "guest_names",
        "arrival_time", "requests", "status", "nightly", "total", "free_cancel_days", "cancel_percent",
        "no_show_percent", "payment", "hold_expires_at", "created_at", "room_change",
    ]
    fields = readonly_fields
    inlines = [ReservationEventInline]
    actions = ["check_in", "check_out", "mark_no_show"]

    def get_urls(self):
        change_room = self.admin_site.admin_view(self.change_room_view)
        return [path("<path:object_id>/change-room/", change_room, name="lodging_reservation_change_room"),
                *super().get_urls()]

    @admin.display(description=gettext_lazy("room change"))
    def room_change(self, reservation):
        if reservation.status != Reservation.Status.CHECKED_IN:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:lodging_reservation_change_room",
                                                          args=[reservation.pk]), _("Move to another room type"))

    def change_room_view(self, request, object_id):
        """The nights left in another room type, each with its price
        difference; submitting moves the guest (services.change_room_type)."""
        reservation = self.get_object(request, object_id)
        if reservation is None:
            raise Http404
        if not self.has_change_permission(request, reservation):
            raise PermissionDenied
        back = reverse("admin:lodging_reservation_change", args=[reservation.pk])
        options = services.room_change_quotes(reservation)
        free = [room.pk for room, difference in options if difference is not None]
        form = RoomChangeForm(request.POST or None, room_types=RoomType.objects.filter(pk__in=free),
                              initial={"token": uuid.uuid4()})
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                data = form.cleaned_data
                try:
                    change = services.change_room_type(
                        reservation=reservation, room_type=data["room_type"], by=request.user, token=data["token"],
                        card_number=data["number"], pin=data["pin"])
                except services.CardNeeded:
                    form.add_error("number", _("The new room costs more: the guest's card number and PIN pay "
                                               "the difference."))
                except (services.Unavailable, services.SoldOut):
                    form.add_error("room_type", _("That room type is not free for every night left."))
                    status = 409
                except InvalidTransition:
                    messages.error(request, _("Only a guest in the house can move to another room."))
                    return redirect(back)
                except PaymentError as error:
                    form.add_error("pin", str(error.message))
                    status = 409
                else:
                    done = (_("%(code)s moved to %(room)s: %(amount)s charged.") if change.difference > 0
                            else _("%(code)s moved to %(room)s: %(amount)s refunded."))
                    self.message_user(request, done % {
                        "code": reservation.code, "room": change.to_room_type.name,
                        "amount": format_won(abs(change.difference)),
                    }, messages.SUCCESS)
                    return redirect(back)
        return TemplateResponse(request, "admin/lodging/reservation/change_room.html", {
            **self.admin_site.each_context(request), "title": _("Move to another room type"),
            "opts": self.model._meta, "reservation": reservation, "form": form,
            "options": [(room, difference, difference and abs(difference)) for room, difference in options],
            "back": back,
        }, status=status)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Bookings are records of money taken: they are cancelled, never deleted.
        return False

    @admin.action(description=gettext_lazy("Check in"), permissions=["change"])
    def check_in(self, request, queryset):
        self._each(request, queryset, lambda r: services.check_in(reservation=r, by=request.user))

    @admin.action(description=gettext_lazy("Check out"), permissions=["change"])
    def check_out(self, request, queryset):
        self._each(request, queryset, lambda r: services.check_out(reservation=r, by=request.user))

    @admin.action(description=gettext_lazy("Did not come (charge the no-show penalty, refund the rest)"),
                  permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._each(request, queryset, lambda r: services.mark_no_show(reservation=r, by=request.user))

    def _each(self, request, queryset, move) -> None:
        """Each reservation on its own, so one refusal does not stop the rest."""
        done = 0
        for reservation in queryset.order_by("pk"):
            try:
                move(reservation)
            except (InvalidTransition, services.TooEarly):
                messages.error(request, _("%(code)s (%(status)s) cannot be changed that way now.") % {
                    "code": reservation.code, "status": reservation.get_status_display()})
            else:
                done += 1
        if done:
            messages.success(request, _("%(count)s reservations updated.") % {"count": done})


@admin.register(RoomNight)
class OccupancyAdmin(ScopedAdmin):
    """Occupancy by night: rooms taken (held or booked) of the rooms there are."""

    scope_path = "room_type__lodging__seller"
    list_display = ["night", "room_type", "taken", "rooms"]
    list_filter = ["night", "room_type__lodging"]
    list_select_related = ["room_type__lodging"]
    date_hierarchy = "night"
    ordering = ["night", "room_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The counters move only with reservations (lodging.services).
        return False

    def has_delete_permission(self, request, obj=None):
        return False
