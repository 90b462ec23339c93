from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from payments import services
from payments.forms import LinkCardForm
from payments.gateway import PaymentError
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
    """The holder's own card: the only page that shows its full number."""
    card = get_object_or_404(Card, pk=card_id, owner=request.user)
    return render(request, "payments/card_detail.html", {
        "card": card, "balances": services.card_balances(card), "entries": services.statement(card)[:100],
    })
