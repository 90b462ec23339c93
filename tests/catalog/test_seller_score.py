"""The seller score: counted by the periodic job from a known set of orders
(figures computed by hand here), shown beside offers and on the seller's
page, explained on its own page, and sorted on in listings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import cache as catalog_cache
from catalog.models import Offer, Product, Review, SellerScore
from catalog.services import refresh_product_summaries
from delivery.models import Delivery
from orders import tasks
from orders.models import Order, OrderEvent
from tests import factories
from tests.races import race

pytestmark = pytest.mark.django_db

PROMISE = 30  # minutes the store promises to prepare in


@pytest.fixture(autouse=True)
def _five_orders_make_a_score(settings):
    settings.SELLER_SCORE_MIN_ORDERS = 5


@pytest.fixture
def sale(world):
    """An order of one unit from ``seller``, paid ``paid_ago`` before now,
    with the order's ready step ``ready_after`` payment and the courier's
    pickup ``picked_up_after`` it (None: not yet); its delivery is left
    pending for the caller to fail or cancel."""
    now = timezone.now()

    def make(seller, *, paid_ago=timedelta(days=2), ready_after=None, picked_up_after=None, paid=True):
        offer = Offer.objects.get(product=world.soap, seller=seller)
        order = factories.order(owner=world.customer, district_=world.district, offers=[(offer, 1)],
                                status=Order.Status.PAID if paid else Order.Status.PLACED)
        paid_at = now - paid_ago
        Order.objects.filter(pk=order.pk).update(created_at=paid_at - timedelta(minutes=1))
        if paid:
            _event(order, Order.Status.PAID, paid_at)
        if ready_after is not None:
            _event(order, Order.Status.READY, paid_at + ready_after)
        return Delivery.objects.create(
            order=order, seller=seller, slot=world.slot, district=world.district, pickup_address=seller.address,
            dropoff_address="1동 2호",
            picked_up_at=None if picked_up_after is None else paid_at + picked_up_after,
        )

    return make


def _event(order, status, at):
    event = OrderEvent.objects.create(order=order, to_status=status)
    OrderEvent.objects.filter(pk=event.pk).update(created_at=at)


def _review(world, seller, stars, *, ago=timedelta(days=1), hidden=False):
    review = Review.objects.create(product=world.soap, seller=seller, author=world.customer, stars=stars,
                                   purchase_key=f"test:{factories.next_number()}", is_hidden=hidden)
    Review.objects.filter(pk=review.pk).update(created_at=timezone.now() - ago)


@pytest.fixture
def store_history(world, sale):
    """The store's last 90 days, and what falls outside them. By hand:
    counted orders 8 (all but the old one and the unpaid one); timed 6, of
    them on time 4 (ready at 20, 25 (pickup) and 15 twice; late: ready at
    45, and never ready while failed); failed through the store 1, through
    the courier or the customer 2; cancelled by the store 1."""
    store = world.store
    store.preparation_minutes = PROMISE
    store.save()
    minutes = timedelta(minutes=1)
    sale(store, ready_after=20 * minutes)
    sale(store, ready_after=45 * minutes)
    sale(store, picked_up_after=25 * minutes)
    sale(store).mark_failed(by=world.courier.user, reason=Delivery.FailureReason.SELLER_SHORT)
    sale(store, ready_after=15 * minutes).mark_failed(by=world.courier.user, reason=Delivery.FailureReason.DAMAGED)
    sale(store, ready_after=15 * minutes).mark_failed(by=world.courier.user,
                                                      reason=Delivery.FailureReason.NOBODY_HOME)
    sale(store).cancel(by=None, fault=Delivery.Fault.SELLER)
    sale(store, paid_ago=10 * minutes)  # not ready, but its 30 minutes have not run out
    sale(store, paid_ago=timedelta(days=100), ready_after=90 * minutes)  # before the 90 days
    sale(store, paid=False)  # never paid: not the store's order
    # Reviews: 5, 5, 4, 2 in the 90 days → (5×4 + 16) / (5 + 4) = 4.00 stars.
    for stars in (5, 5, 4, 2):
        _review(world, store, stars)
    _review(world, store, 1, hidden=True)
    _review(world, store, 1, ago=timedelta(days=100))
    return store


def test_the_job_counts_the_figures_done_by_hand(world, store_history):
    assert tasks.refresh_seller_scores(timestamp=0) == 2  # both sellers' rows are new
    score = SellerScore.objects.get(seller=world.store)
    assert (score.orders, score.prepared, score.on_time, score.late) == (8, 6, 4, 2)
    assert (score.seller_failures, score.other_failures, score.seller_cancellations) == (1, 2, 1)
    assert (score.reviews, score.review_stars, score.rating) == (4, 16, Decimal("4.00"))
    # Mean of 4/6, 1 - 1/8, 1 - 1/8 and (4.00 - 1) / 4 = 0.7917 → 79.
    assert score.score == 79
    assert score.days == 90


def test_courier_and_customer_faults_do_not_lower_the_score(world, sale):
    minutes = timedelta(minutes=1)
    for seller in (world.store, world.factory):
        for _ in range(5):
            sale(seller, ready_after=10 * minutes)
    for delivery, reason in zip(Delivery.objects.filter(seller=world.store).order_by("pk"),
                                [Delivery.FailureReason.DAMAGED, Delivery.FailureReason.HOT_FOOD_LATE,
                                 Delivery.FailureReason.NOBODY_HOME, Delivery.FailureReason.REFUSED], strict=False):
        delivery.mark_failed(by=world.courier.user, reason=reason)
    tasks.refresh_seller_scores(timestamp=0)
    failed, clean = SellerScore.objects.get(seller=world.store), SellerScore.objects.get(seller=world.factory)
    assert (failed.other_failures, failed.seller_failures) == (4, 0)
    assert failed.score == clean.score == 94  # (1 + 1 + 1 + 0.75) / 4
    # The same failure through the seller does lower it.
    delivery = Delivery.objects.filter(seller=world.factory).first()
    delivery.mark_failed(by=world.courier.user, reason=Delivery.FailureReason.SELLER_SHORT)
    tasks.refresh_seller_scores(timestamp=0)
    assert SellerScore.objects.get(seller=world.factory).score == 89  # (1 + 0.8 + 1 + 0.75) / 4


def test_below_the_minimum_a_seller_is_new(world, sale, client):
    for _ in range(4):
        sale(world.store, ready_after=timedelta(minutes=5))
    tasks.refresh_seller_scores(timestamp=0)
    score = SellerScore.objects.get(seller=world.store)
    assert score.orders == 4 and score.is_new and score.score is None
    page = client.get(reverse("catalog:product", args=[world.soap.slug])).content.decode()
    assert "신규 판매자" in page and "판매자 점수" not in page
    explained = client.get(reverse("catalog:seller_score", args=[world.store.slug]),
                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "New seller" in explained and "once it has had 5 orders in the last 90 days" in explained
    assert "Counted from 4 orders" in explained and "Seller score" not in explained.split("</h1>")[1]


def test_the_job_is_idempotent_and_bumps_the_catalogue_only_on_a_change(
        world, store_history, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh_seller_scores(timestamp=0)
    first = list(SellerScore.objects.order_by("pk").values())
    version = catalog_cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.refresh_seller_scores(timestamp=0) == 0
    again = list(SellerScore.objects.order_by("pk").values())
    assert [{**row, "computed_at": None} for row in again] == [{**row, "computed_at": None} for row in first]
    assert catalog_cache.version() == version
    _review(world, world.store, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.refresh_seller_scores(timestamp=0) == 1
    assert catalog_cache.version() > version


def test_the_product_page_shows_each_offers_score_and_links_to_its_explanation(world, store_history, client):
    tasks.refresh_seller_scores(timestamp=0)
    client.get(reverse("catalog:product", args=[world.soap.slug]))  # cached before the next change
    page = client.get(reverse("catalog:product", args=[world.soap.slug])).content.decode()
    assert "판매자 점수 79/100" in page
    assert reverse("catalog:seller_score", args=[world.store.slug]) in page
    # The factory sold nothing: new.
    assert reverse("catalog:seller_score", args=[world.factory.slug]) in page and "신규 판매자" in page
    seller_page = client.get(reverse("catalog:seller", args=[world.store.slug])).content.decode()
    assert "판매자 점수 79/100" in seller_page


@pytest.mark.parametrize(("language", "expected"), [
    ("ko", ["판매자 점수 79/100", "67% (6건 중 4건)", "13% (8건 중 1건)", "★ 4.00", "30분"]),
    ("en", ["Seller score 79 of 100", "67% (4 of 6 orders)", "13% (1 of 8 orders)", "★ 4.00 from 4 reviews",
            "promised 30 minutes", "2 failed through the courier, the customer or no one"]),
])
def test_the_explanation_page_shows_each_figure(world, store_history, client, language, expected):
    tasks.refresh_seller_scores(timestamp=0)
    response = client.get(reverse("catalog:seller_score", args=[world.store.slug]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    for text in expected:
        assert text in page
    # Aggregates only: no order number, customer or address.
    order = Order.objects.filter(deliveries__seller=world.store).first()
    for private in (order.number, order.recipient_name, order.address_line):
        assert private not in page


@pytest.mark.parametrize("counted", [False, True], ids=["before the job", "without orders"])
def test_the_explanation_page_of_a_seller_without_orders_says_new(world, client, counted):
    if counted:
        tasks.refresh_seller_scores(timestamp=0)
    response = client.get(reverse("catalog:seller_score", args=[world.store.slug]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "New seller" in page and "None" not in page and "Ready on time" not in page


def test_the_explanation_page_of_an_unknown_or_inactive_seller_is_404(world, client):
    assert client.get(reverse("catalog:seller_score", args=["nobody"])).status_code == 404
    world.store.is_active = False
    world.store.save()
    assert client.get(reverse("catalog:seller_score", args=[world.store.slug])).status_code == 404


def test_listings_sort_by_the_best_seller_score_of_each_product(world, store_history, client):
    other = factories.product(category_=world.category, offers=[(world.factory, 900, 3)])
    tasks.refresh_seller_scores(timestamp=0)
    assert Product.objects.get(pk=world.soap.pk).best_seller_score == 79
    assert Product.objects.get(pk=other.pk).best_seller_score == 0
    response = client.get(reverse("catalog:category", args=["soap"]), {"sort": "seller_score"})
    assert [product.pk for product in response.context["products"]] == [world.soap.pk, other.pk]
    cheapest = client.get(reverse("catalog:category", args=["soap"]), {"sort": "cheapest"})
    assert [product.pk for product in cheapest.context["products"]] == [other.pk, world.soap.pk]
    # Switching the store's offer off leaves the soap with only new sellers.
    Offer.objects.filter(product=world.soap, seller=world.store).update(is_active=False)
    refresh_product_summaries(product_ids=[world.soap.pk])
    assert Product.objects.get(pk=world.soap.pk).best_seller_score == 0


def test_a_sellers_own_page_offers_no_sort_by_seller_score(world, client):
    response = client.get(reverse("catalog:seller", args=[world.store.slug]))
    assert "seller_score" not in dict(response.context["form"].fields["sort"].choices)


def test_the_ready_time_is_the_sellers_mark_the_pickup_or_the_orders_ready_step_whichever_came_first(world, sale):
    minutes = timedelta(minutes=1)
    for _ in range(5):
        sale(world.store, ready_after=70 * minutes, picked_up_after=80 * minutes)  # late
    sale(world.store, ready_after=70 * minutes, picked_up_after=55 * minutes)  # on time by the pickup
    marked = sale(world.store, ready_after=90 * minutes).mark_ready(by=None)  # on time by its own mark
    paid_at = OrderEvent.objects.get(order=marked.order, to_status=Order.Status.PAID).created_at
    Delivery.objects.filter(pk=marked.pk).update(ready_at=paid_at + 20 * minutes)
    tasks.refresh_seller_scores(timestamp=0)
    score = SellerScore.objects.get(seller=world.store)
    assert (score.orders, score.prepared, score.on_time) == (7, 7, 2)  # the default promise is 60 minutes


def test_the_job_runs_on_its_own_every_hour(settings):
    registered = {periodic_id: periodic.cron
                  for (_name, periodic_id), periodic in tasks.app.periodic_registry.periodic_tasks.items()}
    assert registered["refresh_seller_scores"] == settings.JOBS_SELLER_SCORES_CRON == "7 * * * *"


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_write_one_row_per_seller_with_the_same_figures(world, store_history):
    """Two workers counting at once (a retry beside the periodic run): the
    rows are upserted and locked in seller order, so neither fails nor
    deadlocks, and the figures are those of one run."""
    results = race(lambda: tasks.refresh_seller_scores(timestamp=0), lambda: tasks.refresh_seller_scores(timestamp=0))
    assert sorted(results)[0] in (0, 2) and sorted(results)[1] == 2
    assert SellerScore.objects.count() == 2
    assert SellerScore.objects.get(seller=world.store).score == 79
    assert Product.objects.get(pk=world.soap.pk).best_seller_score == 79
