"""Orders in the admin: filters, search, actions, CSV export, partial
refunds, and what a seller's own staff can see and do."""

import csv
import importlib
import io
import uuid
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode

from catalog.models import Offer, SellerScore
from delivery import services as delivery_services
from delivery.models import Delivery, DeliveryEvent
from orders import scores, services
from orders.models import Order, OrderEvent
from payments.gateway import get_gateway
from payments.models import Payment
from tests import factories
from tests.orders.helpers import fill_cart

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_order_changelist"


def buy(world, offers, *, buyer=None, phone="010-1111-2222"):
    buyer = buyer or world.customer
    fill_cart(buyer, [(offer, 1) for offer in offers])
    address = factories.address(owner=buyer, district_=world.district, phone=phone)
    card = world.card if buyer == world.customer else factories.card(owner=buyer)
    return services.place_order(
        user=buyer, cart=buyer.cart, shown_cart=factories.shown_cart(buyer.cart), address=address,
        slot_id=world.slot.pk, card_number=card.number, pin=factories.PIN, token=uuid.uuid4(),
    )


@pytest.fixture
def orders(world):
    """A store-only order, a factory-only order and a mixed one."""
    store, factory = Offer.objects.get(seller=world.store), Offer.objects.get(seller=world.factory)
    return {
        "store": buy(world, [store]),
        "factory": buy(world, [factory], buyer=factories.user("minho"), phone="010-9999-0000"),
        "mixed": buy(world, [store, factory], buyer=factories.user("sunhui")),
    }


@pytest.fixture
def boss_client(client, db):
    client.force_login(factories.user("boss", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def seller_staff_group(db):
    # The data migration made it, but a transactional test's flush (the race
    # tests) empties every table; put it back the way the migration does.
    migration = importlib.import_module("orders.migrations.0002_seller_staff_group")
    migration.create_group(django_apps, None)
    return Group.objects.get(name=migration.GROUP)


@pytest.fixture
def kitchen_client(client, world, seller_staff_group):
    """A staff user of the store, in the seller staff group."""
    person = factories.user("storeclerk", is_staff=True)
    person.groups.add(seller_staff_group)
    world.store.staff.add(person)
    client.force_login(person)
    return client


def listed(response) -> set[str]:
    return {order.number for order in response.context["cl"].result_list}


def test_the_list_filters_by_status_seller_district_service_and_date(boss_client, world, orders):
    url = reverse(CHANGELIST)
    orders["store"].change_status(Order.Status.PREPARING)
    assert listed(boss_client.get(url, {"status": "preparing"})) == {orders["store"].number}
    by_seller = boss_client.get(url, {"seller": world.factory.pk})
    assert listed(by_seller) == {orders["factory"].number, orders["mixed"].number}
    other = factories.district()
    assert listed(boss_client.get(url, {"district__id__exact": other.pk})) == set()
    assert len(listed(boss_client.get(url, {"district__id__exact": world.district.pk}))) == 3
    by_service = boss_client.get(url, {"deliveries__slot__service__id__exact": world.service.pk})
    assert listed(by_service) == {o.number for o in orders.values()}, "no duplicate rows for two deliveries"
    assert len(by_service.context["cl"].result_list) == 3
    tomorrow = timezone.localdate(Order.objects.first().created_at) + timedelta(days=1)
    assert listed(boss_client.get(url, {"created_at__gte": tomorrow.isoformat()})) == set()
    assert boss_client.get(url, {"seller": "abc"}).status_code in (200, 302), "a bad filter is no 500"


def test_the_list_searches_by_number_customer_and_phone(boss_client, orders):
    url = reverse(CHANGELIST)
    assert listed(boss_client.get(url, {"q": orders["mixed"].number})) == {orders["mixed"].number}
    assert listed(boss_client.get(url, {"q": "minho"})) == {orders["factory"].number}
    assert listed(boss_client.get(url, {"q": "010-9999"})) == {orders["factory"].number}


def test_the_list_finds_a_stored_phone_typed_as_people_write_it(boss_client, orders):
    Order.objects.filter(pk=orders["store"].pk).update(phone="+8501912345678")
    url = reverse(CHANGELIST)
    for typed in ("0191 234 5678", "0191-234-5678", "+850 191 234 5678"):
        assert listed(boss_client.get(url, {"q": typed})) == {orders["store"].number}, typed
    assert listed(boss_client.get(url, {"q": "0191 234 5679"})) == set()


def test_the_change_page_shows_lines_deliveries_and_events(boss_client, orders):
    order = orders["mixed"]
    response = boss_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    inlines = {f.opts.model.__name__: f.formset.queryset.count() for f in response.context["inline_admin_formsets"]}
    assert inlines == {"OrderLine": 2, "Delivery": 2, "OrderEvent": 2}


def test_actions_mark_preparing_and_ready_and_report_each_refusal(boss_client, world, orders):
    services.cancel_order(order=orders["factory"], by=None)
    pks = [o.pk for o in orders.values()]
    data = {"action": "mark_preparing", "_selected_action": pks}
    response = boss_client.post(reverse(CHANGELIST), data, follow=True)
    levels = sorted(m.level_tag for m in response.context["messages"])
    assert levels == ["error", "success"]
    assert dict(Order.objects.values_list("pk", "status")) == {
        orders["store"].pk: "preparing", orders["factory"].pk: "cancelled", orders["mixed"].pk: "preparing"}
    boss_client.post(reverse(CHANGELIST), {"action": "mark_ready", "_selected_action": [orders["store"].pk]})
    assert Order.objects.get(pk=orders["store"].pk).status == Order.Status.READY
    assert Order.objects.get(pk=orders["store"].pk).events.last().by.username == "boss"


def test_cancel_and_refund_action(boss_client, world, orders):
    leaving = orders["mixed"].deliveries.first()
    leaving = leaving.assign(world.courier, by=None)
    delivery_services.pick_up(delivery=leaving, by=world.courier.user)
    response = boss_client.post(reverse(CHANGELIST), {
        "action": "cancel_and_refund", "_selected_action": [orders["store"].pk, orders["mixed"].pk],
    }, follow=True)
    assert sorted(m.level_tag for m in response.context["messages"]) == ["error", "success"]
    assert Order.objects.get(pk=orders["store"].pk).status == Order.Status.CANCELLED
    assert Payment.objects.get(pk=orders["store"].payment_id).status == Payment.Status.VOIDED
    assert Order.objects.get(pk=orders["mixed"].pk).status == Order.Status.OUT_FOR_DELIVERY


def test_no_one_deletes_orders(boss_client, orders):
    response = boss_client.get(reverse(CHANGELIST))
    assert "delete_selected" not in response.context["action_form"].fields["action"].choices.__repr__()
    assert boss_client.get(reverse("admin:orders_order_delete", args=[orders["store"].pk])).status_code == 403


def test_csv_export_follows_the_filters(boss_client, world, orders):
    response = boss_client.get(reverse("admin:orders_order_export"), {"seller": world.factory.pk, "q": "minho"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "number" and [row[0] for row in rows[1:]] == [orders["factory"].number]
    everything = boss_client.get(reverse("admin:orders_order_export"))
    assert len(everything.content.decode().strip().splitlines()) == 1 + 3
    changelist = boss_client.get(reverse(CHANGELIST), {"status": "paid"}).content.decode()
    assert reverse("admin:orders_order_export") + "?status=paid" in changelist


def delivered(world, order):
    for delivery in order.deliveries.all():
        delivery = delivery.assign(world.courier, by=None)
        delivery_services.pick_up(delivery=delivery, by=world.courier.user)
        delivery_services.deliver(delivery=delivery, by=world.courier.user, recipient_name="김철민")
    order.refresh_from_db()
    return order


def refund_form(client, order):
    url = reverse("admin:orders_order_refund", args=[order.pk])
    page = client.get(url)
    assert page.status_code == 200
    return url, page.context["form"]["token"].value()


def test_finance_refunds_a_line_by_quantity_once_per_token(finance_client, world, orders):
    order = delivered(world, orders["mixed"])
    store_line, factory_line = order.lines.order_by("seller_id" if world.store.pk < world.factory.pk else "-seller_id")
    assert finance_client.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 200
    url, token = refund_form(finance_client, order)
    first = {"token": token, f"line-{store_line.pk}": 1, "reason": "bruised", "restock": "on"}
    assert finance_client.post(url, first).status_code == 302
    assert finance_client.post(url, first).status_code == 302, "a double submit"

    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.refunded == 1500 and payment.status == Payment.Status.PARTLY_REFUNDED
    store_line.refresh_from_db()
    assert (store_line.refunded_quantity, store_line.restocked_quantity, store_line.refunded) == (1, 1, 1500)
    assert Offer.objects.get(pk=store_line.offer_id).stock == 10 - 2 + 1, "the goods came back"
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and order.refunds.count() == 1

    rest = finance_client.post(url, {"token": str(uuid.uuid4()), f"line-{factory_line.pk}": 1, "reason": "all"})
    assert rest.status_code == 302
    order.refresh_from_db()
    payment.refresh_from_db()
    assert payment.refunded == 2900 and payment.captured == 3900, "the fee stays: goods were delivered"
    assert Offer.objects.get(pk=factory_line.offer_id).stock == 5 - 2, "not restocked unless they came back"


def test_refunding_every_line_of_a_delivered_order_keeps_the_fee(finance_client, world, orders):
    order = delivered(world, orders["store"])
    line = order.lines.get()
    url, token = refund_form(finance_client, order)
    assert finance_client.post(url, {"token": token, f"line-{line.pk}": 1, "reason": "all of it"}).status_code == 302
    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.refunded == 1500 and payment.captured == 2500
    assert Order.objects.get(pk=order.pk).status == Order.Status.DELIVERED


@pytest.mark.parametrize("quantity", ["0", "2", "-1", "abc", ""])
def test_a_bad_quantity_answers_400_and_moves_nothing(finance_client, world, orders, quantity):
    order = delivered(world, orders["store"])
    line = order.lines.get()
    url, token = refund_form(finance_client, order)
    response = finance_client.post(url, {"token": token, f"line-{line.pk}": quantity, "reason": "x"},
                                   HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = response.content.decode()
    assert any(text in page for text in ("Refund at least one unit", "Choose at least one line", "whole number"))
    assert Payment.objects.get(pk=order.payment_id).refunded == 0
    assert not order.refunds.exists() and order.lines.get().refunded_quantity == 0


def test_a_refund_without_a_reason_answers_400(finance_client, world, orders):
    order = delivered(world, orders["store"])
    url, token = refund_form(finance_client, order)
    response = finance_client.post(url, {"token": token, f"line-{order.lines.get().pk}": 1, "reason": ""})
    assert response.status_code == 400 and not order.refunds.exists()


def test_a_refund_above_what_is_left_answers_400(finance_client, world, orders):
    order = delivered(world, orders["store"])
    line = order.lines.get()
    url, token = refund_form(finance_client, order)
    assert finance_client.post(url, {"token": token, f"line-{line.pk}": 1, "reason": "x"}).status_code == 302
    again = finance_client.post(url, {"token": str(uuid.uuid4()), f"line-{line.pk}": 1, "reason": "x"})
    assert again.status_code == 400
    assert Payment.objects.get(pk=order.payment_id).refunded == 1500


def test_before_capture_a_refund_releases_that_part_of_the_hold(finance_client, world, orders):
    order = orders["mixed"]
    store_line = order.lines.get(seller=world.store)
    url, token = refund_form(finance_client, order)
    assert finance_client.post(url, {"token": token, f"line-{store_line.pk}": 1, "reason": "x"}).status_code == 302
    assert Payment.objects.get(pk=order.payment_id).status == Payment.Status.AUTHORIZED

    delivery = order.deliveries.get(seller=world.factory).assign(world.courier, by=None)
    delivery_services.pick_up(delivery=delivery, by=world.courier.user)

    payment = Payment.objects.get(pk=order.payment_id)
    assert payment.captured == order.total - 1500 and payment.refunded == 0
    assert finance_client.get(reverse("admin:orders_order_refund", args=[987654])).status_code == 404


@pytest.mark.parametrize("who", ["catalog", "plain staff"])
def test_only_finance_may_refund(client, world, orders, who):
    person = factories.user(who.replace(" ", ""), is_staff=True)
    if who == "catalog":
        person.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["catalog", "orders"]))
    client.force_login(person)
    order = delivered(world, orders["store"])
    url = reverse("admin:orders_order_refund", args=[order.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"token": str(uuid.uuid4()), f"line-{order.lines.get().pk}": 1, "reason": "x"})
    assert response.status_code == 403
    assert Payment.objects.get(pk=order.payment_id).refunded == 0


def test_the_seller_staff_group_has_order_permissions(seller_staff_group):
    codenames = set(seller_staff_group.permissions.values_list("codename", flat=True))
    assert codenames == {"view_order", "change_order", "view_orderline", "view_orderevent"}


def test_seller_staff_see_only_their_sellers_orders(kitchen_client, world, orders):
    response = kitchen_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert listed(response) == {orders["store"].number, orders["mixed"].number}
    changelist = response.context["cl"]
    [seller_filter] = [spec for spec in changelist.filter_specs if getattr(spec, "parameter_name", "") == "seller"]
    assert [choice["display"] for choice in seller_filter.choices(changelist)][1:] == ["광복상점"]
    exported = kitchen_client.get(reverse("admin:orders_order_export")).content.decode()
    assert orders["factory"].number not in exported


def test_seller_staff_see_only_their_lines_and_deliveries(kitchen_client, world, orders):
    response = kitchen_client.get(reverse("admin:orders_order_change", args=[orders["mixed"].pk]))
    assert response.status_code == 200
    shown = {f.opts.model.__name__: list(f.formset.queryset) for f in response.context["inline_admin_formsets"]}
    assert [line.seller for line in shown["OrderLine"]] == [world.store]
    assert [delivery.seller for delivery in shown["Delivery"]] == [world.store]
    assert "봄향기공장" not in response.content.decode()
    assert kitchen_client.get(reverse("admin:delivery_delivery_changelist")).status_code == 403, "no list of all"


def test_seller_staff_cannot_open_another_sellers_order(kitchen_client, orders):
    response = kitchen_client.get(reverse("admin:orders_order_change", args=[orders["factory"].pk]))
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    refund = reverse("admin:orders_order_refund", args=[orders["factory"].pk])
    assert kitchen_client.get(refund).status_code == 404


def test_seller_staff_mark_their_orders_preparing_and_ready_only(kitchen_client, orders):
    mine, theirs = orders["store"], orders["factory"]
    kitchen_client.post(reverse(CHANGELIST), {"action": "mark_preparing", "_selected_action": [mine.pk, theirs.pk]})
    kitchen_client.post(reverse(CHANGELIST), {"action": "mark_ready", "_selected_action": [mine.pk, theirs.pk]})
    assert Order.objects.get(pk=mine.pk).status == Order.Status.READY
    assert Order.objects.get(pk=theirs.pk).status == Order.Status.PAID
    kitchen_client.post(reverse(CHANGELIST), {"action": "cancel_and_refund", "_selected_action": [mine.pk]})
    assert Order.objects.get(pk=mine.pk).status == Order.Status.READY, "cancelling is not theirs to do"
    assert kitchen_client.get(reverse("admin:orders_order_refund", args=[mine.pk])).status_code == 403
    assert kitchen_client.get(reverse("admin:orders_order_sales")).status_code == 403


def test_a_seller_staff_account_linked_to_no_seller_sees_nothing(client, orders, seller_staff_group):
    person = factories.user("newclerk", is_staff=True)
    person.groups.add(seller_staff_group)
    client.force_login(person)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200 and listed(response) == set()
    opened = client.get(reverse("admin:orders_order_change", args=[orders["store"].pk]))
    assert opened.status_code == 302 and opened["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:orders_order_export")).content.decode().count("\n") == 1, "the header only"
    assert client.get(reverse("admin:delivery_delivery_changelist")).status_code == 403
    client.post(reverse(CHANGELIST), {"action": "mark_ready", "_selected_action": [orders["store"].pk]})
    assert Order.objects.get(pk=orders["store"].pk).status == Order.Status.PAID
    assert not orders["store"].deliveries.filter(ready_at__isnull=False).exists()


def kitchen_of(seller, group, username):
    person = factories.user(username, is_staff=True)
    person.groups.add(group)
    seller.staff.add(person)
    staff = Client()
    staff.force_login(person)
    return staff


def test_each_seller_prepares_only_its_own_delivery_and_the_order_follows(world, orders, seller_staff_group):
    store = kitchen_of(world.store, seller_staff_group, "storeclerk")
    factory = kitchen_of(world.factory, seller_staff_group, "factoryclerk")
    mixed = orders["mixed"]
    ours, theirs = mixed.deliveries.get(seller=world.store), mixed.deliveries.get(seller=world.factory)

    def press(staff, action):
        return staff.post(reverse(CHANGELIST), {"action": action, "_selected_action": [mixed.pk]}, follow=True)

    press(store, "mark_preparing")
    ours.refresh_from_db(), theirs.refresh_from_db()
    assert ours.preparing_at is not None and ours.ready_at is None
    assert theirs.preparing_at is None, "the other seller's delivery did not move"
    assert Order.objects.get(pk=mixed.pk).status == Order.Status.PREPARING
    press(store, "mark_ready")
    assert Order.objects.get(pk=mixed.pk).status == Order.Status.PREPARING, "the factory is not ready yet"
    again = press(store, "mark_ready")
    assert [m.level_tag for m in again.context["messages"]] == ["error"]
    press(factory, "mark_ready")
    ours.refresh_from_db(), theirs.refresh_from_db()
    assert ours.ready_at is not None and theirs.ready_at is not None and theirs.preparing_at is not None
    assert Order.objects.get(pk=mixed.pk).status == Order.Status.READY
    assert list(mixed.events.values_list("to_status", "by__username")) == [
        ("placed", "sunhui"), ("paid", "sunhui"), ("preparing", "storeclerk"), ("ready", "factoryclerk")]
    assert list(ours.events.values_list("note", "by__username")) == [
        ("preparing", "storeclerk"), ("ready", "storeclerk")]
    page = store.get(reverse("admin:orders_order_change", args=[mixed.pk]))
    [inline] = [f for f in page.context["inline_admin_formsets"] if f.opts.model is Delivery]
    assert [d.pk for d in inline.formset.queryset] == [ours.pk]


def test_a_delivery_picked_up_is_no_longer_the_kitchens(world, orders, seller_staff_group):
    store = kitchen_of(world.store, seller_staff_group, "storeclerk")
    delivery = orders["store"].deliveries.get().assign(world.courier, by=None)
    delivery_services.pick_up(delivery=delivery, by=world.courier.user)
    response = store.post(reverse(CHANGELIST), {"action": "mark_ready", "_selected_action": [orders["store"].pk]},
                          follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Order.objects.get(pk=orders["store"].pk).status == Order.Status.OUT_FOR_DELIVERY
    assert Delivery.objects.get(pk=delivery.pk).ready_at is None


def test_a_captured_payment_is_refunded_through_the_gateway_only(boss_client, world, orders):
    # The partial refund calls the gateway; the ledger shows one refund per token.
    order = delivered(world, orders["store"])
    payment = get_gateway().refund(order.payment, 100, idempotency_key="manual", by=None)
    assert payment.refunded == 100


# The seller score's figures, and the orders behind them.

SCORES = "admin:catalog_sellerscore_changelist"


def figure_url(seller, figure: str) -> str:
    return f"{reverse(CHANGELIST)}?{urlencode({'seller': seller.pk, 'score': figure})}"


@pytest.fixture
def scored(world, orders):
    """The store's order ready two hours after payment (an hour late), the
    factory's failed through the factory, the mixed order's store part failed
    through the courier; then the job counted."""
    store_order = services.move_in_kitchen(order=orders["store"], status=Order.Status.READY, by=None)
    OrderEvent.objects.filter(order=store_order, to_status=Order.Status.PAID).update(
        created_at=timezone.now() - timedelta(hours=2))
    orders["factory"].deliveries.get().mark_failed(by=None, reason=Delivery.FailureReason.SELLER_SHORT)
    orders["mixed"].deliveries.get(seller=world.store).mark_failed(by=None, reason=Delivery.FailureReason.DAMAGED)
    scores.refresh_seller_scores()
    return orders


def test_the_score_admin_links_each_figure_to_the_orders_behind_it(boss_client, world, scored):
    page = boss_client.get(reverse(SCORES))
    assert page.status_code == 200
    html = page.content.decode()
    for seller, figure in [(world.store, "late"), (world.store, "other_failed"), (world.factory, "seller_failed"),
                           (world.store, "counted"), (world.factory, "seller_cancelled")]:
        assert escape(figure_url(seller, figure)) in html
    behind = {(seller, figure): listed(boss_client.get(figure_url(seller, figure)))
              for seller in (world.store, world.factory)
              for figure in ("counted", "late", "seller_failed", "other_failed", "seller_cancelled")}
    assert behind[world.store, "counted"] == {scored["store"].number, scored["mixed"].number}
    assert behind[world.store, "late"] == {scored["store"].number}
    assert behind[world.store, "other_failed"] == {scored["mixed"].number}
    assert behind[world.store, "seller_failed"] == set(), "the courier's fault is not the store's"
    assert behind[world.factory, "seller_failed"] == {scored["factory"].number}
    assert behind[world.factory, "late"] == set(), "paid a moment ago: its promise has not run out"
    assert behind[world.factory, "seller_cancelled"] == set()
    # The counts in the list are the sizes of those lists.
    store = SellerScore.objects.get(seller=world.store)
    assert (store.orders, store.late, store.other_failures, store.seller_failures) == (2, 1, 1, 0)


def test_an_unknown_score_figure_is_refused_not_a_500(boss_client, world, scored):
    response = boss_client.get(reverse(CHANGELIST), {"score": "bogus"})
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_cancelling_for_the_seller_counts_against_the_seller_only(boss_client, world, orders):
    boss_client.post(reverse(CHANGELIST), {"action": "cancel_for_seller", "_selected_action": [orders["store"].pk]})
    services.cancel_order(order=orders["factory"], by=orders["factory"].user)  # the customer's own cancel
    assert Order.objects.get(pk=orders["store"].pk).status == Order.Status.CANCELLED
    assert DeliveryEvent.objects.get(delivery__order=orders["store"], to_status=Delivery.Status.CANCELLED).fault == (
        Delivery.Fault.SELLER)
    assert DeliveryEvent.objects.get(delivery__order=orders["factory"], to_status=Delivery.Status.CANCELLED).fault == ""
    scores.refresh_seller_scores()
    assert SellerScore.objects.get(seller=world.store).seller_cancellations == 1
    assert SellerScore.objects.get(seller=world.factory).seller_cancellations == 0
    assert listed(boss_client.get(figure_url(world.store, "seller_cancelled"))) == {orders["store"].number}


def test_seller_staff_see_their_own_score_and_cannot_cancel_for_the_seller(kitchen_client, world, scored):
    response = kitchen_client.get(reverse(SCORES))
    assert response.status_code == 200
    assert [row.seller for row in response.context["cl"].result_list] == [world.store]
    kitchen_client.post(reverse(CHANGELIST), {"action": "cancel_for_seller", "_selected_action": [scored["store"].pk]})
    assert Order.objects.get(pk=scored["store"].pk).status == Order.Status.READY
