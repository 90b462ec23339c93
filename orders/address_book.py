"""The customer's address book: list, add, edit, delete and choose the
default. Checkout offers the same addresses, the default first."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.forms import AddressForm
from orders.models import Address


def _own_address(request: HttpRequest, pk: int) -> Address:
    return get_object_or_404(Address.objects.select_related("district"), pk=pk, user=request.user)


@login_required
def address_list(request: HttpRequest) -> HttpResponse:
    addresses = Address.objects.filter(user=request.user).select_related("district")
    return render(request, "orders/address_list.html", {"addresses": addresses})


@login_required
def address_add(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None,
                       initial={"recipient_name": request.user.get_full_name(), "phone": request.user.phone})
    if request.method == "POST" and form.is_valid():
        form.save_for(request.user)
        messages.success(request, _("The address is saved."))
        return redirect("orders:addresses")
    return render(request, "orders/address_form.html", {"form": form, "address": None},
                  status=400 if form.is_bound else 200)


@login_required
def address_edit(request: HttpRequest, pk: int) -> HttpResponse:
    address = _own_address(request, pk)
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The address is saved."))
        return redirect("orders:addresses")
    return render(request, "orders/address_form.html", {"form": form, "address": address},
                  status=400 if form.is_bound else 200)


@require_POST
@login_required
def address_delete(request: HttpRequest, pk: int) -> HttpResponse:
    # Orders copied the address when they were placed: nothing else refers to it.
    _own_address(request, pk).delete()
    messages.success(request, _("The address is deleted."))
    return redirect("orders:addresses")


@require_POST
@login_required
def address_make_default(request: HttpRequest, pk: int) -> HttpResponse:
    _own_address(request, pk).make_default()
    messages.success(request, _("That is now your default address."))
    return redirect("orders:addresses")
