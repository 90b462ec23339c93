from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from payments import services
from payments.forms import ChangePinForm, LinkCardForm
from payments.gateway import InvalidTransition, PaymentError
from payments.models import Card


@sensitive_post_parameters("pin", "number")
@never_cache
@login_required
def card_list(request: HttpRequest) -> HttpResponse:
    """The customer's cards with what is available on each, and the form
    that links another card by number and PIN."""
    form = LinkCardForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                card = services.link_card(
                    user=request.user, card_number=form.cleaned_data["number"], pin=form.cleaned_data["pin"]
                )
            except PaymentError as error:
                form.add_error(None, str(error.message))
            except services.CardTaken:
                form.add_error("number", _("This card is linked to another account."))
                status = 409
            else:
                messages.success(request, _("Card %(card)s is linked to your account.") % {"card": card.masked_number})
                return redirect(card)
    cards = list(request.user.cards.all())
    balances = services.balances_by_card(cards)
    return render(request, "payments/card_list.html", {
        "form": form, "cards": [(card, balances[card.pk]) for card in cards],
    }, status=status)


@never_cache
@login_required
def card_detail(request: HttpRequest, card_id: int) -> HttpResponse:
    """The holder's own card: balance, statement, and what the holder can
    do with it (change the PIN, report it lost, unlink it)."""
    card = get_object_or_404(Card, pk=card_id, owner=request.user)
    return _card_page(request, card, ChangePinForm())


@sensitive_post_parameters("old_pin", "new_pin", "new_pin_again")
@never_cache
@require_POST
@login_required
def change_pin(request: HttpRequest, card_id: int) -> HttpResponse:
    card = get_object_or_404(Card, pk=card_id, owner=request.user)
    form = ChangePinForm(request.POST)
    if not form.is_valid():
        return _card_page(request, card, form, status=400)
    try:
        services.change_pin(card=card, old_pin=form.cleaned_data["old_pin"], new_pin=form.cleaned_data["new_pin"],
                            by=request.user)
    except PaymentError as error:
        form.add_error(None, str(error.message))
        card.refresh_from_db()
        return _card_page(request, card, form, status=409 if card.status != Card.Status.ACTIVE else 400)
    messages.success(request, _("The PIN of %(card)s is changed.") % {"card": card.masked_number})
    return redirect(card)


@never_cache
@require_POST
@login_required
def report_lost(request: HttpRequest, card_id: int) -> HttpResponse:
    card = get_object_or_404(Card, pk=card_id, owner=request.user)
    try:
        services.report_card_lost(card=card, by=request.user)
    except InvalidTransition as refused:
        messages.error(request, refused.message)
        return _card_page(request, card, ChangePinForm(), status=409)
    messages.success(request, _("%(card)s is locked: nobody can pay with it. The bureau's counter gives you a new "
                                "card with its balance.") % {"card": card.masked_number})
    return redirect(card)


@never_cache
@require_POST
@login_required
def unlink(request: HttpRequest, card_id: int) -> HttpResponse:
    card = get_object_or_404(Card, pk=card_id, owner=request.user)
    services.unlink_card(card=card, user=request.user)
    messages.success(request, _("%(card)s is no longer linked to your account.") % {"card": card.masked_number})
    return redirect("payments:cards")


def _card_page(request: HttpRequest, card: Card, pin_form: ChangePinForm, *, status: int = 200) -> HttpResponse:
    return render(request, "payments/card_detail.html", {
        "card": card, "pin_form": pin_form, "reported_lost": card.is_reported_lost(),
        "balances": services.card_balances(card), "entries": services.statement(card)[:100],
    }, status=status)
