"""Finance staff work here. Nothing that holds money is edited directly:
cards are issued, topped up, unlocked and reissued through
``payments.services``, payments
change only through the gateway, the ledger is read-only (and insert-only in
the database too)."""

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from okryu.money import format_won
from payments import reports, services
from payments.forms import IssueCardForm, ReconciliationForm, TopUpForm
from payments.gateway import PaymentError
from payments.models import (
    Account,
    Card,
    CardEvent,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentEvent,
)
from payments.numbers import NotACardNumber, lookup_hash


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CardEventInline(ReadOnlyInline):
    model = CardEvent
    fields = readonly_fields = ["kind", "from_status", "to_status", "by", "note", "created_at"]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    # The full number is nowhere but on the slip printed at issue; staff
    # find a card by its last four digits or by typing all sixteen.
    list_display = ["masked_number", "holder_name", "owner", "status", "failed_pin_attempts", "money_links"]
    list_filter = ["status"]
    search_fields = ["=last_four", "holder_name", "owner__username"]
    search_help_text = gettext_lazy("Holder, account name, the last four digits or the whole 16-digit card number.")
    fields = ["masked_number", "holder_name", "owner", "status", "failed_pin_attempts", "created_at", "money_links"]
    readonly_fields = ["masked_number", "status", "failed_pin_attempts", "created_at", "money_links"]
    raw_id_fields = ["owner"]
    inlines = [CardEventInline]
    actions = ["unlock_cards"]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_unlock_permission(self, request):
        return request.user.has_perm("payments.unlock_card")

    def get_search_results(self, request, queryset, search_term):
        digits = search_term.replace(" ", "").replace("-", "")
        if len(digits) == 16:
            try:
                return queryset.filter(number_hash=lookup_hash(digits)), False
            except NotACardNumber:
                return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=gettext_lazy("money"))
    def money_links(self, card: Card) -> str:
        links = format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:payments_card_statement", args=[card.pk]), _("Statement"),
            reverse("admin:payments_card_top_up", args=[card.pk]), _("Top up"),
        )
        if card.status != Card.Status.CLOSED:
            links += format_html(' · <a href="{}">{}</a>', reverse("admin:payments_card_reissue", args=[card.pk]),
                                 _("Reissue"))
        return links

    @admin.action(description=gettext_lazy("Unlock the selected cards"), permissions=["unlock"])
    def unlock_cards(self, request: HttpRequest, queryset) -> None:
        unlocked = sum(services.unlock_card(card=card, by=request.user) for card in queryset.order_by("pk"))
        self.message_user(request, _("%(count)d card(s) unlocked.") % {"count": unlocked}, messages.SUCCESS)

    def get_urls(self):
        return [
            path("<int:card_id>/top-up/", self.admin_site.admin_view(self.top_up_view), name="payments_card_top_up"),
            path(
                "<int:card_id>/statement/", self.admin_site.admin_view(self.statement_view),
                name="payments_card_statement",
            ),
            path("<int:card_id>/reissue/", self.admin_site.admin_view(self.reissue_view), name="payments_card_reissue"),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        """Issue a card at the counter: holder, account, opening top-up; the
        answer is the slip, the one page that shows the number and PIN."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueCardForm(request.POST or None, initial={"token": uuid.uuid4()})
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                pin = services.new_pin()
                try:
                    card = services.issue_card_at_counter(
                        holder_name=form.cleaned_data["holder_name"], owner=form.cleaned_data["owner"],
                        opening_top_up=form.cleaned_data["opening_top_up"], pin=pin, by=request.user,
                        idempotency_key=f"admin-issue:{form.cleaned_data['token']}",
                    )
                except services.AlreadyIssued:
                    form.add_error(None, _("This form issued its card already; its slip was shown once. "
                                           "Find the card in the list."))
                    status = 409
                else:
                    return self._slip(request, card, pin, title=_("Card issued"))
        return render(request, "admin/payments/card/issue.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form, "title": _("Issue a card"),
        }, status=status)

    def reissue_view(self, request: HttpRequest, card_id: int) -> HttpResponse:
        """A new number and PIN for a lost card, its balance moved over."""
        if not request.user.has_perm("payments.reissue_card"):
            raise PermissionDenied
        card = get_object_or_404(Card, pk=card_id)
        status = 200
        error = ""
        if request.method == "POST":
            pin = services.new_pin()
            try:
                new = services.reissue_card(card=card, pin=pin, by=request.user)
            except PaymentError as refused:
                error, status = str(refused.message), 409
            except services.CardHasHolds as holds:
                error = _("%(amount)s is on hold for open payments. Reissue the card once they are captured or "
                          "voided.") % {"amount": format_won(holds.amount)}
                status = 409
            else:
                return self._slip(request, new, pin, title=_("Card reissued"), replaces=card)
        return render(request, "admin/payments/card/reissue.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "card": card, "error": error,
            "balances": services.card_balances(card), "title": _("Reissue %(card)s") % {"card": card},
        }, status=status)

    def _slip(self, request: HttpRequest, card: Card, pin: str, *, title: str, replaces: Card | None = None):
        # Rendered as the answer to the POST, never redirected to: the
        # number and PIN are in no session, no cache, no row.
        response = render(request, "admin/payments/card/slip.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "card": card, "replaces": replaces,
            "number_groups": [card.number[i:i + 4] for i in range(0, 16, 4)], "pin": pin,
            "balances": services.card_balances(card), "title": title,
        })
        add_never_cache_headers(response)
        return response

    def top_up_view(self, request: HttpRequest, card_id: int) -> HttpResponse:
        if not request.user.has_perm("payments.top_up_card"):
            raise PermissionDenied
        card = get_object_or_404(Card, pk=card_id)
        form = TopUpForm(request.POST or None, initial={"token": uuid.uuid4()})
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    services.top_up(
                        card=card, amount=form.cleaned_data["amount"], note=form.cleaned_data["reason"],
                        by=request.user, idempotency_key=f"admin-top-up:{form.cleaned_data['token']}",
                    )
                except PaymentError as error:
                    form.add_error(None, str(error.message))
                    status = 409
                else:
                    self.message_user(request, _("%(card)s is topped up.") % {"card": card}, messages.SUCCESS)
                    return redirect("admin:payments_card_statement", card.pk)
        return render(request, "admin/payments/card/top_up.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "card": card, "form": form,
            "title": _("Top up %(card)s") % {"card": card},
        }, status=status)

    def statement_view(self, request: HttpRequest, card_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        card = get_object_or_404(Card, pk=card_id)
        return render(request, "admin/payments/card/statement.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "card": card,
            "balances": services.card_balances(card), "entries": services.statement(card)[:200],
            "title": _("Statement of %(card)s") % {"card": card},
            "can_top_up": request.user.has_perm("payments.top_up_card"),
        })


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = readonly_fields = ["from_status", "to_status", "amount", "by", "note", "created_at"]


class PaymentTransactionInline(ReadOnlyInline):
    model = LedgerTransaction
    fields = readonly_fields = ["kind", "amount", "by", "note", "created_at"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["reference", "card", "status", "authorized", "captured", "refunded", "created_at"]
    list_filter = ["status"]
    list_select_related = ["card"]
    search_fields = ["reference"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [PaymentEventInline, PaymentTransactionInline]
    change_list_template = "admin/payments/payment/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "reconciliation/", self.admin_site.admin_view(self.reconciliation_view),
                name="payments_reconciliation",
            ),
            *super().get_urls(),
        ]

    def reconciliation_view(self, request: HttpRequest) -> HttpResponse:
        """Per day captures, refunds and top-ups, and the books' checks."""
        if not (self.has_view_permission(request) and request.user.has_perm("payments.view_ledgertransaction")):
            raise PermissionDenied
        form = ReconciliationForm(request.GET)
        valid = form.is_valid()
        days = (form.cleaned_data.get("days") if valid else None) or ReconciliationForm.base_fields["days"].initial
        return render(request, "admin/payments/reconciliation.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form,
            "days": reports.daily_totals(days=days), "checks": reports.checks(),
            "title": _("Daily reconciliation"),
        }, status=200 if valid else 400)


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = readonly_fields = ["account", "amount"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "amount", "payment", "by", "note"]
    list_filter = ["kind"]
    list_select_related = ["payment", "by"]
    search_fields = ["payment__reference", "note"]
    date_hierarchy = "created_at"
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
    list_select_related = ["card"]
    readonly_fields = ["kind", "card", "balance"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
