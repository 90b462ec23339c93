from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from delivery import services
from delivery.forms import DeliveredForm, FailedForm
from delivery.models import Courier, Delivery, InvalidTransition


def _courier(request: HttpRequest) -> Courier:
    courier = Courier.objects.filter(user=request.user, is_active=True).first()
    if courier is None:
        raise Http404
    return courier


def _own_delivery(request: HttpRequest, delivery_id: int) -> Delivery:
    return get_object_or_404(Delivery, pk=delivery_id, courier=_courier(request))


@never_cache
@login_required
def courier_page(request: HttpRequest) -> HttpResponse:
    courier = _courier(request)
    return render(request, "delivery/courier.html", {
        "courier": courier,
        "deliveries": services.courier_deliveries(courier),
        "delivered_form": DeliveredForm(),
        "failed_form": FailedForm(),
    })


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
        return redirect("delivery:courier")
    return _act(request, lambda: services.deliver(
        delivery=delivery, by=request.user, recipient_name=form.cleaned_data["recipient_name"]))


@require_POST
@login_required
def failed(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = _own_delivery(request, delivery_id)
    form = FailedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the delivery failed."))
        return redirect("delivery:courier")
    return _act(request, lambda: services.fail(delivery=delivery, by=request.user, reason=form.cleaned_data["reason"]))


def _act(request: HttpRequest, action) -> HttpResponse:
    try:
        delivery = action()
    except InvalidTransition:
        messages.error(request, _("That step does not fit this delivery's status; the page is refreshed."))
        return redirect("delivery:courier", permanent=False)
    messages.success(request, _("%(order)s: %(status)s.") % {
        "order": delivery.order.number, "status": delivery.get_status_display()})
    return redirect("delivery:courier")
