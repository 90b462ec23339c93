"""The expire_abandoned command: holds whose order never completed, stale
anonymous carts, orders left unpaid; and the reconciliation it restores."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from orders import reconcile, services
from orders.models import Cart, CartLine, Order
from payments.gateway import get_gateway
from payments.models import Payment
from payments.services import card_balances
from tests import factories
from tests.races import race


def orphan_hold(the_card, reference: str, *, age=timedelta(hours=2)) -> Payment:
    """A hold the way a network adapter leaves it when the worker dies after
    authorize committed and before the order did: no order points at it."""
    payment = get_gateway().authorize(card_number=the_card.number, pin=factories.PIN, amount=1_000,
                                      reference=reference, idempotency_key=f"order:{reference}")
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - age)
    return payment


def run(*args) -> str:
    out = StringIO()
    call_command("expire_abandoned", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_voids_holds_without_an_order_after_the_grace_and_is_idempotent(world):
    order = factories.paid_order(customer=world.customer, card_=world.card, address_=world.address,
                                 offer=world.soap.offers.first(), slot_=world.slot)
    Payment.objects.filter(pk=order.payment_id).update(created_at=timezone.now() - timedelta(days=1))
    orphan_hold(world.card, "crashed")
    orphan_hold(world.card, "in-flight", age=timedelta(minutes=5))
    assert set(reconcile.problems()) == {"hold without an order"}

    assert "Voided 1 hold(s)" in run()
    assert "Voided 0 hold(s)" in run()

    statuses = dict(Payment.objects.values_list("reference", "status"))
    assert statuses == {order.number: "authorized", "crashed": "voided", "in-flight": "authorized"}
    assert card_balances(world.card)["held"] == order.total + 1_000
    assert Payment.objects.get(reference="crashed").events.last().note == "no order"
    assert "Voided 1 hold(s)" in run("--grace-minutes", "1")
    assert reconcile.problems() == {}


@pytest.mark.django_db
def test_it_deletes_only_anonymous_carts_untouched_for_the_given_days(world):
    offer = world.soap.offers.first()
    stale, fresh = Cart.objects.create(), Cart.objects.create()
    owned = Cart.objects.create(user=world.customer)
    for cart in (stale, fresh, owned):
        CartLine.objects.create(cart=cart, offer=offer, quantity=1, price_when_added=offer.price)
    Cart.objects.filter(pk__in=[stale.pk, owned.pk]).update(updated_at=timezone.now() - timedelta(days=31))

    assert "deleted 1 anonymous cart(s)" in run("--cart-days", "30")
    assert "deleted 0 anonymous cart(s)" in run("--cart-days", "30")
    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh.pk, owned.pk}
    assert CartLine.objects.filter(cart_id=stale.pk).count() == 0


@pytest.mark.django_db
def test_an_order_left_unpaid_is_reported_and_fails_the_run(world):
    stuck = factories.order(owner=world.customer, district_=world.district,
                            offers=[(world.soap.offers.first(), 1)], status=Order.Status.PLACED)
    Order.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with pytest.raises(CommandError, match=stuck.number):
        run()
    assert Order.objects.get(pk=stuck.pk).status == Order.Status.PLACED
    assert reconcile.problems()["order without a payment"] == [stuck.number]


@pytest.mark.django_db
@pytest.mark.parametrize("args", [("--grace-minutes", "0"), ("--cart-days", "-1"), ("--cart-days", "soon")])
def test_bad_arguments_are_refused(args):
    with pytest.raises((CommandError, SystemExit)):
        run(*args)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_void_each_orphan_once_and_delete_each_cart_once():
    funded = factories.card(balance=100_000)
    for index in range(30):
        orphan_hold(funded, f"lost-{index}")
    old = timezone.now() - timedelta(days=40)
    carts = Cart.objects.bulk_create([Cart() for _ in range(1200)])
    Cart.objects.filter(pk__in=[cart.pk for cart in carts]).update(updated_at=old)

    def one_run():
        return services.expire_abandoned(hold_grace=timedelta(hours=1), cart_age=timedelta(days=30))

    # race() fails the test if either run raises.
    results = race(one_run, one_run)
    voided = [reference for result in results for reference in result.voided_holds]
    assert sorted(voided) == sorted(f"lost-{index}" for index in range(30))
    assert sum(result.deleted_carts for result in results) == 1200
    assert Cart.objects.count() == 0
    assert card_balances(funded) == {"available": 100_000, "held": 0, "balance": 100_000}
    assert reconcile.problems() == {}
