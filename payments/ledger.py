"""Double-entry bookkeeping. Entries are only ever inserted (a trigger in the
database refuses updates and deletes); every transaction's entries sum to
zero; cached balances move with F() expressions in the same database
transaction, and a constraint keeps them from going below zero."""

from django.db import IntegrityError, transaction
from django.db.models import F

from payments.gateway import IdempotencyKeyReused
from payments.models import Account, Card, LedgerEntry, LedgerTransaction


def bureau_account(kind: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, card=None)
    return account


def card_account(card: Card, kind: str = Account.Kind.CARD) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, card=card)
    return account


def card_accounts(card: Card) -> tuple[Account, Account]:
    """The card's available and held accounts, read in one query."""
    kinds = (Account.Kind.CARD, Account.Kind.HOLD)
    accounts = {account.kind: account for account in Account.objects.filter(card=card, kind__in=kinds)}
    available, hold = (accounts.get(kind) or card_account(card, kind) for kind in kinds)
    return available, hold


def lock_accounts(*accounts: Account) -> None:
    """Lock the accounts a workflow will move, in id order. A workflow that
    posts more than one movement (a partial capture: capture, then release)
    takes its locks up front, so that no two workflows wait on each other
    in a cycle."""
    list(Account.objects.select_for_update().filter(pk__in=[a.pk for a in accounts]).order_by("pk").values("pk"))


@transaction.atomic
def post(*, kind: str, amount: int, debit: Account, credit: Account, idempotency_key: str,
         payment=None, note: str = "", by=None) -> LedgerTransaction:
    """Move ``amount`` from ``debit`` to ``credit``.

    A replayed key posts nothing and returns the first movement, also when
    the replay runs concurrently (the unique key decides, and the loser
    reads the winner's row). A key that made a different movement raises
    IdempotencyKeyReused. The database refuses a move that would take a
    card's balance below zero.
    """
    # Inserted first and read only when the key is taken: a replay is rare,
    # and the unique key decides between concurrent calls anyway.
    try:
        with transaction.atomic():
            movement = LedgerTransaction.objects.create(
                kind=kind, amount=amount, idempotency_key=idempotency_key, payment=payment, note=note, by=by
            )
    except IntegrityError:
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        if (existing.kind, existing.amount, existing.payment_id) != (kind, amount, payment and payment.pk):
            raise IdempotencyKeyReused() from None
        return existing
    LedgerEntry.objects.bulk_create([
        LedgerEntry(transaction=movement, account=debit, amount=-amount),
        LedgerEntry(transaction=movement, account=credit, amount=amount),
    ])
    # Accounts in id order, so that two movements never wait on each other in a cycle.
    for account, delta in sorted([(debit, -amount), (credit, amount)], key=lambda pair: pair[0].pk):
        Account.objects.filter(pk=account.pk).update(balance=F("balance") + delta)
    return movement
