"""Medicine rules through HTTP: a prescription-only medicine goes into the
cart only with a prescription number and is paid for only after a
pharmacist approves it in the admin; a limited medicine is capped per
customer over a rolling window across every pharmacy, also under racing
checkouts."""

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from catalog.models import Offer
from delivery.models import TimeSlot
from orders import medicine, services
from orders.models import Cart, CartLine, Order, Prescription
from orders.roles import ensure_pharmacist_group
from tests import factories
from tests.orders.helpers import checkout_token, pay, snapshot, start_checkout
from tests.races import race


@pytest.fixture
def pharmacies(world):
    first = factories.seller(name_ko="중구약국", name_en="Central Pharmacy")
    second = factories.seller(name_ko="보통강약국", name_en="Pothonggang Pharmacy")
    medicines = factories.category(name_ko="의약품", name_en="Medicine", slug="medicine")
    antibiotic = factories.product(category_=medicines, slug="antibiotic", name_en="Amoxicillin",
                                   prescription_only=True, offers=[(first, 4000, 20), (second, 3900, 20)])
    painkiller = factories.product(category_=medicines, slug="painkiller", name_en="Paracetamol",
                                   limit_units=2, limit_days=7, offers=[(first, 1200, 50), (second, 1100, 50)])
    return {"first": first, "second": second, "antibiotic": antibiotic, "painkiller": painkiller}


@pytest.fixture
def customer_client(customer_client, settings):
    """The customer, reading English (the pay form's messages follow the language cookie)."""
    customer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return customer_client


@pytest.fixture
def pharmacist(db):
    person = factories.user("pharmacist", is_staff=True)
    # The group of the data migration (made again: a flush may have emptied it).
    person.groups.add(ensure_pharmacist_group(apps))
    return person


def bought(world, offer, quantity: int) -> Order:
    """An order of ``quantity`` of ``offer`` by the world's customer, from a cart of its own."""
    cart = Cart.objects.create()
    CartLine.objects.create(cart=cart, offer=offer, quantity=quantity, price_when_added=offer.price)
    return services.place_order(user=world.customer, cart=cart, shown_cart=factories.shown_cart(cart),
                                address=world.address, slot_id=world.slot.pk,
                                card_number=world.card.number, pin=factories.PIN, token=uuid.uuid4())


def add(client, offer, **data):
    return client.post(reverse("orders:add"), {"offer": offer.pk, "quantity": 1, "next": "/", **data},
                       HTTP_ACCEPT_LANGUAGE="en")


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.mark.django_db
class TestPrescriptionOnly:
    def test_the_product_page_asks_for_the_number_in_the_add_form(self, client, pharmacies):
        html = client.get(pharmacies["antibiotic"].get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

        assert html.count('name="prescription" required') == 2
        assert "A pharmacist checks it before the order can be paid." in html

    def test_it_is_not_added_without_a_number(self, customer_client, pharmacies):
        refused = add(customer_client, pharmacies["antibiotic"].offers.first())

        assert refused.status_code == 400
        assert "Amoxicillin is sold only against a prescription: enter its number" in text(refused)
        assert not CartLine.objects.exists() and not Prescription.objects.exists()

    def test_a_visitor_is_asked_to_log_in(self, client, pharmacies):
        refused = add(client, pharmacies["antibiotic"].offers.first(), prescription="RX-1")

        assert refused.status_code == 400
        assert "log in, then enter its number" in text(refused)
        assert not Prescription.objects.exists()

    def test_it_cannot_be_paid_before_a_pharmacist_approves_then_can(
            self, customer_client, world, pharmacies, pharmacist, django_capture_on_commit_callbacks):
        offer = pharmacies["antibiotic"].offers.get(seller=pharmacies["second"])
        assert add(customer_client, offer, prescription="RX-2026-0042").status_code == 302
        prescription = Prescription.objects.get()
        assert (prescription.number, prescription.status, prescription.user) == (
            "RX-2026-0042", Prescription.Status.PENDING, world.customer)

        cart = customer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en")
        assert "Prescription RX-2026-0042: Waiting for a pharmacist." in text(cart)
        assert reverse("orders:checkout") not in cart.content.decode()

        page = start_checkout(customer_client, world)
        before = snapshot()
        refused = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card)
        assert refused.status_code == 409
        assert "A pharmacist has not approved the prescription for Amoxicillin yet" in text(refused)
        assert snapshot() == before

        staff = Client()
        staff.force_login(pharmacist)
        listed = staff.get(reverse("admin:orders_prescription_changelist"))
        assert listed.status_code == 200 and "RX-2026-0042" in listed.content.decode()
        approved = staff.post(reverse("admin:orders_prescription_changelist"), {
            "action": "approve", "_selected_action": [prescription.pk]})
        assert approved.status_code == 302
        prescription.refresh_from_db()
        assert prescription.status == Prescription.Status.APPROVED
        assert prescription.events.get().by == pharmacist

        assert "Prescription RX-2026-0042: Approved." in text(
            customer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en"))
        page = start_checkout(customer_client, world)
        with django_capture_on_commit_callbacks(execute=True):
            placed = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card)
        assert placed.status_code == 302
        order = Order.objects.get()
        assert order.lines.get().prescription == prescription
        assert "Prescription RX-2026-0042: Approved." in text(
            customer_client.get(order.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))

    def test_a_rejected_prescription_stays_unpayable(self, customer_client, world, pharmacies, pharmacist):
        add(customer_client, pharmacies["antibiotic"].offers.first(), prescription="RX-BAD")
        Prescription.objects.get().reject(by=pharmacist)

        assert "Prescription RX-BAD: Rejected." in text(
            customer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en"))
        page = start_checkout(customer_client, world)
        assert pay(customer_client, checkout_token(page), slot=world.slot, card=world.card).status_code == 409

    def test_a_pharmacist_sees_prescriptions_and_not_orders(self, client, pharmacist):
        client.force_login(pharmacist)

        assert client.get(reverse("admin:orders_prescription_changelist")).status_code == 200
        assert client.get(reverse("admin:orders_order_changelist")).status_code == 403

    def test_a_customer_cannot_decide_their_own_prescription(self, customer_client, pharmacies):
        add(customer_client, pharmacies["antibiotic"].offers.first(), prescription="RX-1")

        response = customer_client.post(reverse("admin:orders_prescription_changelist"), {
            "action": "approve", "_selected_action": [Prescription.objects.get().pk]})

        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        assert Prescription.objects.get().status == Prescription.Status.PENDING


@pytest.mark.django_db
def test_a_limited_medicine_over_its_cap_is_refused_in_words(customer_client, world, pharmacies):
    first = pharmacies["painkiller"].offers.get(seller=pharmacies["first"])
    second = pharmacies["painkiller"].offers.get(seller=pharmacies["second"])
    add(customer_client, first)
    page = start_checkout(customer_client, world)
    assert pay(customer_client, checkout_token(page), slot=world.slot, card=world.card).status_code == 302

    add(customer_client, second, quantity=2)
    page = start_checkout(customer_client, world)
    before = snapshot()
    refused = pay(customer_client, checkout_token(page), slot=world.slot, card=world.card)

    assert refused.status_code == 409
    assert ("Paracetamol is limited to 2 per customer in 7 days, from all sellers together; you have bought 1, "
            "so at most 1 more now.") in text(refused)
    assert snapshot() == before


@pytest.mark.django_db
def test_purchases_older_than_the_window_and_cancelled_ones_do_not_count(world, pharmacies):
    offer = pharmacies["painkiller"].offers.get(seller=pharmacies["first"])
    old = bought(world, offer, 2)
    Order.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=7, minutes=1))
    services.cancel_order(order=bought(world, offer, 2), by=world.customer)

    assert bought(world, offer, 2).lines.get().quantity == 2
    with pytest.raises(medicine.LimitReached):
        bought(world, offer, 1)


@pytest.mark.django_db(transaction=True)
def test_ten_racing_checkouts_of_a_capped_medicine_across_two_pharmacies_never_pass_the_cap(world, pharmacies):
    TimeSlot.objects.filter(pk=world.slot.pk).update(capacity=50)
    offers = [pharmacies["painkiller"].offers.get(seller=pharmacies[name]) for name in ("first", "second")]
    calls = []
    for n in range(10):
        # One customer, ten carts (as ten devices' sessions would hold), one pack each.
        cart = Cart.objects.create()
        CartLine.objects.create(cart=cart, offer=offers[n % 2], quantity=1, price_when_added=offers[n % 2].price)
        calls.append(lambda cart=cart: services.place_order(
            user=world.customer, cart=cart, shown_cart=factories.shown_cart(cart), address=world.address,
            slot_id=world.slot.pk, card_number=world.card.number, pin=factories.PIN, token=uuid.uuid4()))

    results = race(*calls, expect=(medicine.LimitReached,))

    placed = [result for result in results if isinstance(result, Order)]
    refused = [result for result in results if isinstance(result, medicine.LimitReached)]
    assert len(placed) == 2 and len(refused) == 8, results
    assert sum(Offer.objects.filter(pk__in=[offer.pk for offer in offers]).values_list("stock", flat=True)) == 98
