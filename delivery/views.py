import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from delivery import services
from delivery.booking import SlotFull
from delivery.forms import AssignForm, DeliveredForm, DeliveriesForm, FailedForm, PressForm, ReslotForm
from delivery.models import Courier, CourierNotInService, Delivery, TimeSlot
from okryu.transitions import InvalidTransition
from orders import holds
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


# What the courier page's service worker keeps for a day without data.
WORKER_ASSETS = ["css/okryu.css", "img/logo.svg", "js/outbox-store.js", "js/outbox.js"]


@require_GET
def courier_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from a URL under /courier/ so that its scope is
    the courier page only. It names the assets by their hashed URLs, so a
    deployment that changes one changes the worker and replaces it. Public:
    it holds nothing of anyone's."""
    assets = [static(name) for name in WORKER_ASSETS]
    return render(request, "delivery/sw.js", {
        "version": hashlib.sha256("\n".join(assets).encode()).hexdigest()[:16],
        "page": reverse("delivery:courier"), "assets": json.dumps(assets), "store": static("js/outbox-store.js"),
    }, content_type="text/javascript")


@require_POST
@login_required
def picked_up(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    return _act(request, delivery, lambda pressed_at: services.pick_up(
        delivery=delivery, by=request.user, pressed_at=pressed_at))


@require_POST
@login_required
def delivered(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    form = DeliveredForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _("Write the name of the person who received the parcel."), status=400)
    return _act(request, delivery, lambda pressed_at: services.deliver(
        delivery=delivery, by=request.user, recipient_name=form.cleaned_data["recipient_name"],
        pressed_at=pressed_at))


@require_POST
@login_required
def failed(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    form = FailedForm(request.POST)
    if not form.is_valid():
        # The first problem: no reason chosen, or "other" without a note.
        return _refuse(request, next(iter(form.errors.values()))[0], status=400)
    return _act(request, delivery, lambda pressed_at: services.fail(
        delivery=delivery, by=request.user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
        pressed_at=pressed_at))


@require_POST
@login_required
def returned(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    return _act(request, delivery, lambda pressed_at: services.confirm_return(
        delivery=delivery, by=request.user, pressed_at=pressed_at))


def _from_outbox(request: HttpRequest) -> bool:
    # The page's script adds an action id to every step it sends; a plain
    # form post (no JavaScript) has none and gets pages, not JSON.
    return "action_id" in request.POST


def _refuse(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    if _from_outbox(request):
        return JsonResponse({"message": message}, status=status)
    messages.error(request, message)
    return _courier_page(request, status=status)


def _act(request: HttpRequest, delivery: Delivery, step: Callable[[datetime | None], Delivery]) -> HttpResponse:
    """Take the courier's ``step``: at once for a plain form post (a page
    and a message), or once per action id for the outbox (JSON, the first
    answer again for a replay), stamped with the time it was pressed."""
    press = PressForm(request.POST)
    if not press.is_valid():
        return _refuse(request, next(iter(press.errors.values()))[0], status=400)
    action_id, pressed_at = press.cleaned_data["action_id"], press.cleaned_data["pressed_at"]
    if action_id is None:
        status, message = _outcome(lambda: step(None))
        if status != 200:
            return _refuse(request, message, status=status)
        messages.success(request, message)
        return redirect("delivery:courier")
    try:
        action = services.take_step_once(
            action_id=action_id, courier=delivery.courier, delivery=delivery, path=request.path,
            pressed_at=pressed_at, take=lambda: _outcome(lambda: _step_pressed_at(delivery, step, pressed_at)))
    except services.ActionIdReused:
        return _refuse(request, _("This action id was already used for another step."), status=409)
    return JsonResponse({"message": action.answer}, status=action.answer_status)


def _step_pressed_at(delivery: Delivery, step: Callable[[datetime | None], Delivery], pressed_at: datetime):
    services.check_pressed_after_assignment(delivery=delivery, pressed_at=pressed_at)
    return step(pressed_at)


def _outcome(step: Callable[[], Delivery]) -> tuple[int, str]:
    """Run ``step``: (200, what happened) or, when it is refused and changed
    nothing, (409, why)."""
    try:
        delivery = step()
    except InvalidTransition as refused:
        # A second tap, or the dispatcher moved it meanwhile: nothing changed.
        return 409, _("That step does not fit this delivery any more (now: %(status)s). "
                      "Nothing was changed.") % {"status": refused.instance.get_status_display()}
    except PaymentNotCapturable:
        return 409, _("The payment for this order can no longer be taken, so it was not picked up. "
                      "Leave the goods with the seller and call the dispatcher.")
    except services.PressedBeforeAssignment as refused:
        return 409, _("This was pressed at %(pressed)s, before the delivery was given to you at %(assigned)s. "
                      "Nothing was changed.") % {
            "pressed": date_format(timezone.localtime(refused.pressed_at), "H:i"),
            "assigned": date_format(timezone.localtime(refused.assigned_at), "H:i")}
    return 200, _("%(order)s: %(status)s.") % {"order": delivery.order.number, "status": delivery.get_status_display()}


# Dispatcher board

dispatcher_only = permission_required("delivery.dispatch", raise_exception=True)


def _board(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    couriers = list(services.couriers_with_load())
    lapsing = list(holds.lapsing_orders(within=holds.FLAG_BEFORE_LAPSE).select_related("payment")
                   .order_by("payment__hold_expires_at", "pk"))
    return render(request, "delivery/dispatch.html", {
        "lapsing": lapsing,
        "lapsing_ids": {order.pk for order in lapsing},
        "failed_form": FailedForm(),
        "waiting": services.waiting_deliveries(),
        "assigned": services.assigned_deliveries(),
        "failed": services.failed_deliveries(),
        "redelivery_slots": TimeSlot.objects.filter(
            starts_at__gt=timezone.now(), booked__lt=F("capacity")).select_related("service")[:40],
        "couriers": couriers,
        "steps": services.recent_courier_steps(),
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
        return _refuse_form(request, form)
    ids = [delivery.pk for delivery in form.cleaned_data["deliveries"]]
    return _run_on_board(request, lambda: action(ids, form.cleaned_data))


def _refuse_form(request: HttpRequest, form) -> HttpResponse:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return _board(request, status=400)


def _run_on_board(request: HttpRequest, action: Callable[[], list[Delivery]]) -> HttpResponse:
    """Run the dispatcher's ``action`` and answer with the board again: a
    redirect when it is done, 409 when it was refused and changed nothing."""
    try:
        done = action()
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
def dispatch_failed(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """The dispatcher marks failed, with its reason, a delivery nobody picked up."""
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    form = FailedForm(request.POST)
    if not form.is_valid():
        return _refuse_form(request, form)
    return _run_on_board(request, lambda: services.fail_deliveries(
        delivery_ids=[delivery.pk], reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
        by=request.user))


@require_POST
@login_required
@dispatcher_only
def dispatch_automatically(request: HttpRequest) -> HttpResponse:
    count = services.assign_automatically(deliveries=services.waiting_deliveries(), by=request.user)
    messages.success(request, ngettext("%(count)d delivery assigned.", "%(count)d deliveries assigned.",
                                       count) % {"count": count})
    return redirect("delivery:dispatch")
