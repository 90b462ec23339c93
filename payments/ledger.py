"""Double-entry bookkeeping. Entries are only ever inserted; every
transaction's entries sum to zero; cached balances move with F()
expressions in the same database transaction."""

from django.db import transaction
from django.db.models import F

from payments.models import Account, Card, LedgerEntry, LedgerTransaction


def bureau_account(kind: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, card=None)
    return account


def card_account(card: Card, kind: str = Account.Kind.CARD) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, card=card)
    return account


@transaction.atomic
def post(*, kind: str, amount: int, debit: Account, credit: Account, idempotency_key: str,
         payment=None, note: str = "", by=None) -> LedgerTransaction:
    """Move ``amount`` from ``debit`` to ``credit``; a replayed key posts nothing.

    The database refuses a move that would take a card's balance below zero.
    """
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    movement = LedgerTransaction.objects.create(
        kind=kind, amount=amount, idempotency_key=idempotency_key, payment=payment, note=note, by=by
    )
    LedgerEntry.objects.bulk_create([
        LedgerEntry(transaction=movement, account=debit, amount=-amount),
        LedgerEntry(transaction=movement, account=credit, amount=amount),
    ])
    # Accounts in id order, so that two movements never wait on each other in a cycle.
    for account, delta in sorted([(debit, -amount), (credit, amount)], key=lambda pair: pair[0].pk):
        Account.objects.filter(pk=account.pk).update(balance=F("balance") + delta)
    return movement
