"""Customers review what was delivered to them, from their order's page;
ratings follow; staff hide reviews; the text is shown escaped."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Offer, Review
from catalog.services import AlreadyReviewed, set_reviews_hidden, submit_review
from orders.models import Order
from tests import factories
from tests.races import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(world):
    cheaper = Offer.objects.get(seller=world.factory)
    dearer = Offer.objects.get(seller=world.store)
    return factories.order(owner=world.customer, district_=world.district, offers=[(cheaper, 2), (dearer, 1)])


def review(client, order, line, *, stars=5, text="좋습니다"):
    return client.post(
        reverse("orders:review", args=[order.number, line.pk]),
        {f"review-{line.pk}-stars": stars, f"review-{line.pk}-text": text},
    )


def test_the_delivered_order_page_offers_a_form_per_line(customer_client, delivered):
    page = customer_client.get(delivered.get_absolute_url()).content.decode()
    for line in delivered.lines.all():
        assert reverse("orders:review", args=[delivered.number, line.pk]) in page


def test_a_review_updates_the_product_and_seller_ratings(customer_client, world, delivered):
    first, second = delivered.lines.all()
    response = review(customer_client, delivered, first, stars=5)
    assert response.status_code == 302 and response["Location"] == delivered.get_absolute_url()
    review(customer_client, delivered, second, stars=2)
    world.soap.refresh_from_db()
    world.factory.refresh_from_db()
    assert (world.soap.rating, world.soap.rating_count) == (Decimal("3.50"), 2)
    assert (world.factory.rating, world.factory.rating_count) == (Decimal("5.00"), 1)
    saved = Review.objects.get(purchase_key=first.review_key)
    assert (saved.author, saved.seller, saved.stars) == (world.customer, world.factory, 5)


def test_one_review_per_line(customer_client, world, delivered):
    line = delivered.lines.first()
    review(customer_client, delivered, line)
    again = review(customer_client, delivered, line, stars=1)
    assert again.status_code == 409
    assert Review.objects.count() == 1
    world.soap.refresh_from_db()
    assert world.soap.rating == Decimal("5.00")
    page = customer_client.get(delivered.get_absolute_url()).content.decode()
    assert reverse("orders:review", args=[delivered.number, line.pk]) not in page


def test_another_customer_gets_404(client, world, delivered):
    client.force_login(factories.user("neighbour"))
    response = review(client, delivered, delivered.lines.first())
    assert response.status_code == 404
    assert not Review.objects.exists()


def test_an_undelivered_order_refuses(customer_client, world):
    offer = Offer.objects.get(seller=world.store)
    paid = factories.order(
        owner=world.customer, district_=world.district, offers=[(offer, 1)], status=Order.Status.PAID
    )
    line = paid.lines.get()
    assert reverse("orders:review", args=[paid.number, line.pk]) not in customer_client.get(
        paid.get_absolute_url()).content.decode()
    response = review(customer_client, paid, line)
    assert response.status_code == 409
    assert not Review.objects.exists()


def test_it_rejects_get(customer_client, delivered):
    response = customer_client.get(reverse("orders:review", args=[delivered.number, delivered.lines.first().pk]))
    assert response.status_code == 405


@pytest.mark.parametrize("stars", ["0", "6", "abc", ""])
def test_bad_stars_write_nothing(customer_client, delivered, stars):
    response = review(customer_client, delivered, delivered.lines.first(), stars=stars)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not Review.objects.exists()


def test_too_long_text_writes_nothing(customer_client, delivered):
    response = review(customer_client, delivered, delivered.lines.first(), text="가" * 2001)
    assert response.status_code == 400
    assert not Review.objects.exists()


def test_the_product_page_shows_reviews_escaped(customer_client, client, world, delivered):
    review(customer_client, delivered, delivered.lines.first(), stars=4, text="<script>alert(1)</script>\n맛있어요")
    page = client.get(world.soap.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>맛있어요" in page
    assert "<script>alert" not in page
    assert "★ 4.0" in page


def test_hidden_reviews_vanish_and_stop_counting(customer_client, client, world, delivered):
    first, second = delivered.lines.all()
    review(customer_client, delivered, first, stars=1, text="rude words")
    review(customer_client, delivered, second, stars=5, text="fine soap")
    set_reviews_hidden(reviews=Review.objects.filter(purchase_key=first.review_key), hidden=True)
    page = client.get(world.soap.get_absolute_url()).content.decode()
    assert "rude words" not in page and "fine soap" in page
    world.soap.refresh_from_db()
    world.factory.refresh_from_db()
    assert (world.soap.rating, world.soap.rating_count) == (Decimal("5.00"), 1)
    assert (world.factory.rating, world.factory.rating_count) == (Decimal("0.00"), 0)


def test_the_product_page_queries_stay_few(client, world, django_assert_max_num_queries):
    offer = Offer.objects.get(seller=world.store)
    for index in range(15):
        buyer = factories.user()
        order = factories.order(owner=buyer, district_=world.district, offers=[(offer, 1)])
        submit_review(author=buyer, product=world.soap, seller=world.store, stars=1 + index % 5, text=str(index),
                      purchase_key=order.lines.get().review_key)
    with django_assert_max_num_queries(10):
        assert client.get(world.soap.get_absolute_url()).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_reviews_of_one_line_at_once_make_one(world):
    order = factories.order(
        owner=world.customer, district_=world.district, offers=[(Offer.objects.get(seller=world.store), 1)]
    )
    key = order.lines.get().review_key

    def submit(stars):
        try:
            submit_review(author=world.customer, product=world.soap, seller=world.store, stars=stars, text="",
                          purchase_key=key)
        except AlreadyReviewed:
            return "refused"
        return "ok"

    results = race(lambda: submit(1), lambda: submit(5))
    assert sorted(results) == ["ok", "refused"]
    world.soap.refresh_from_db()
    assert world.soap.rating_count == 1 and Review.objects.count() == 1
