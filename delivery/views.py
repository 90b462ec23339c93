from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from delivery import services
from delivery.booking import SlotFull
from delivery.forms import AssignForm, DeliveredForm, DeliveriesForm, FailedForm, ReslotForm
from delivery.models import Courier, CourierNotInService, Delivery, TimeSlot
from okryu.transitions import InvalidTransition
from orders.services import PaymentNotCapturable

# Courier page


def _courier(request: HttpRequest) -> Courier:
    # Through the reverse relation, so base.html's menu reuses the cached row.
    courier = getattr(request.user, "courier", None)
    if courier is None or not courier.is_active:
        raise Http404
    return courier


def _own_delivery(request: HttpRequest, delivery_id: int) -> Delivery:
    return get_object_or_404(Delivery, pk=delivery_id, courier=_courier(request))


def _courier_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    courier = _courier(request)
    return render(request, "delivery/courier.html", {
        "courier": courier,
        "deliveries": services.courier_deliveries(courier=courier),
        "failed_form": FailedForm(),
    }, status=status)


@never_cache
@login_required
def courier_page(request: HttpRequest) -> HttpResponse:
    return _courier_page(request)


@require_POST
@login_required
def picked_up(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    return _act(request, lambda: services.pick_up(delivery=delivery, by=request.user))


@require_POST
@login_required
def delivered(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    form = DeliveredForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the name of the person who received the parcel."))
        return _courier_page(request, status=400)
    return _act(request, lambda: services.deliver(
        delivery=delivery, by=request.user, recipient_name=form.cleaned_data["recipient_name"]))


@require_POST
@login_required
def failed(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    form = FailedForm(request.POST)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, error[0])
        return _courier_page(request, status=400)
    return _act(request, lambda: services.fail(
        delivery=delivery, by=request.user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]))


@require_POST
@login_required
def returned(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    return _act(request, lambda: services.confirm_return(delivery=delivery, by=request.user))


def _act(request: HttpRequest, action: Callable[[], Delivery]) -> HttpResponse:
    try:
        delivery = action()
    except InvalidTransition as refused:
        # A second tap, or the dispatcher moved it meanwhile: nothing changed.
        messages.error(request, _("That step does not fit this delivery any more (now: %(status)s). "
                                  "Nothing was changed.") % {"status": refused.instance.get_status_display()})
        return _courier_page(request, status=409)
    except PaymentNotCapturable:
        messages.error(request, _("The payment for this order can no longer be taken, so it was not picked up. "
                                  "Leave the goods with the seller and call the dispatcher."))
        return _courier_page(request, status=409)
    messages.success(request, _("%(order)s: %(status)s.") % {
        "order": delivery.order.number, "status": delivery.get_status_display()})
    return redirect("delivery:courier")


# Dispatcher board

dispatcher_only = permission_required("delivery.dispatch", raise_exception=True)


def _board(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    couriers = list(services.couriers_with_load())
    return render(request, "delivery/dispatch.html", {
        "waiting": services.waiting_deliveries(),
        "assigned": services.assigned_deliveries(),
        "failed": services.failed_deliveries(),
        "redelivery_slots": TimeSlot.objects.filter(
            starts_at__gt=timezone.now(), booked__lt=F("capacity")).select_related("service")[:40],
        "couriers": couriers,
    }, status=status)


@never_cache
@login_required
@dispatcher_only
def dispatch_board(request: HttpRequest) -> HttpResponse:
    return _board(request)


def _dispatch(request: HttpRequest, form_class, action) -> HttpResponse:
    """Validate the ticked deliveries (and courier), run ``action`` on them,
    and answer with the board: 400 for a bad form, 409 when a delivery
    changed meanwhile or belongs to another service (nothing is changed)."""
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _board(request, status=400)
    ids = [delivery.pk for delivery in form.cleaned_data["deliveries"]]
    try:
        done = action(ids, form.cleaned_data)
    except InvalidTransition as refused:
        messages.error(request, _("Delivery %(order)s is now “%(status)s”; nothing was changed.") % {
            "order": refused.instance.order.number, "status": refused.instance.get_status_display()})
        return _board(request, status=409)
    except SlotFull:
        messages.error(request, _("That delivery time is full or not served there; nothing was changed."))
        return _board(request, status=409)
    except CourierNotInService as refused:
        messages.error(request, _("%(courier)s drives for %(service)s, not for the service of %(order)s; "
                                  "nothing was changed.") % {
            "courier": refused.courier, "service": refused.courier.service,
            "order": refused.delivery.order.number})
        return _board(request, status=409)
    messages.success(request, ngettext("%(count)d delivery changed.", "%(count)d deliveries changed.",
                                       len(done)) % {"count": len(done)})
    return redirect("delivery:dispatch")


@require_POST
@login_required
@dispatcher_only
def dispatch_assign(request: HttpRequest) -> HttpResponse:
    return _dispatch(request, AssignForm, lambda ids, data: services.assign_deliveries(
        delivery_ids=ids, courier=data["courier"], by=request.user))


@require_POST
@login_required
@dispatcher_only
def dispatch_reassign(request: HttpRequest) -> HttpResponse:
    return _dispatch(request, AssignForm, lambda ids, data: services.reassign_deliveries(
        delivery_ids=ids, courier=data["courier"], by=request.user))


@require_POST
@login_required
@dispatcher_only
def dispatch_unassign(request: HttpRequest) -> HttpResponse:
    return _dispatch(request, DeliveriesForm, lambda ids, data: services.unassign_deliveries(
        delivery_ids=ids, by=request.user))


@require_POST
@login_required
@dispatcher_only
def dispatch_returned(request: HttpRequest) -> HttpResponse:
    return _dispatch(request, DeliveriesForm, lambda ids, data: services.return_deliveries(
        delivery_ids=ids, by=request.user))


@require_POST
@login_required
@dispatcher_only
def dispatch_refund(request: HttpRequest) -> HttpResponse:
    return _dispatch(request, DeliveriesForm, lambda ids, data: services.refund_deliveries(
        delivery_ids=ids, by=request.user))


@require_POST
@login_required
@dispatcher_only
def dispatch_reslot(request: HttpRequest) -> HttpResponse:
    return _dispatch(request, ReslotForm, lambda ids, data: services.reslot_deliveries(
        delivery_ids=ids, slot_id=data["slot"].pk, by=request.user))


@require_POST
@login_required
@dispatcher_only
def dispatch_automatically(request: HttpRequest) -> HttpResponse:
    count = services.assign_automatically(deliveries=services.waiting_deliveries(), by=request.user)
    messages.success(request, ngettext("%(count)d delivery assigned.", "%(count)d deliveries assigned.",
                                       count) % {"count": count})
    return redirect("delivery:dispatch")
