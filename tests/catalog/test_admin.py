"""Staff manage the catalogue in the admin; every change that listings sort
on keeps the product summaries and ratings current."""

import pytest
from django.urls import reverse

from catalog.models import Offer, Product, Review, Seller
from catalog.services import submit_review
from tests import factories

pytestmark = pytest.mark.django_db


def act(client, model, action, ids, **extra):
    return client.post(
        reverse(f"admin:catalog_{model}_changelist"), {"action": action, "_selected_action": ids, **extra},
    )


@pytest.mark.parametrize("model", ["seller", "category", "product", "offer", "review"])
def test_every_list_searches_and_filters(staff_client, world, model):
    assert staff_client.get(reverse(f"admin:catalog_{model}_changelist"), {"q": "비누"}).status_code == 200
    page = staff_client.get(reverse(f"admin:catalog_{model}_changelist"))
    assert page.status_code == 200
    assert 'id="changelist-filter"' in page.content.decode() or model == "category"


def test_staff_only(client, world):
    client.force_login(world.customer)
    response = client.get(reverse("admin:catalog_product_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_products_are_deactivated_and_activated(staff_client, world):
    act(staff_client, "product", "deactivate", [world.soap.pk])
    assert not Product.objects.get(pk=world.soap.pk).is_active
    act(staff_client, "product", "activate", [world.soap.pk])
    assert Product.objects.get(pk=world.soap.pk).is_active


def test_a_deactivated_seller_leaves_the_summaries(staff_client, world):
    act(staff_client, "seller", "deactivate", [world.factory.pk])
    world.soap.refresh_from_db()
    assert not Seller.objects.get(pk=world.factory.pk).is_active
    assert (world.soap.best_price, world.soap.seller_count) == (1500, 1)


def test_deactivated_offers_leave_the_summaries(staff_client, world):
    act(staff_client, "offer", "deactivate", list(Offer.objects.values_list("pk", flat=True)))
    world.soap.refresh_from_db()
    assert (world.soap.best_price, world.soap.seller_count, world.soap.in_stock) == (None, 0, False)


class TestChangePrices:
    def test_it_asks_for_the_percent_first(self, staff_client, world):
        page = act(staff_client, "product", "change_offer_prices", [world.soap.pk])
        assert page.status_code == 200
        assert 'name="percent"' in page.content.decode()
        assert sorted(Offer.objects.values_list("price", flat=True)) == [1400, 1500]

    def test_it_changes_every_offer_and_the_best_price(self, staff_client, world):
        response = act(staff_client, "product", "change_offer_prices", [world.soap.pk], apply="1", percent="10")
        assert response.status_code == 302
        assert sorted(Offer.objects.values_list("price", flat=True)) == [1540, 1650]
        world.soap.refresh_from_db()
        assert world.soap.best_price == 1540

    def test_selected_offers_only_rounded_to_whole_won(self, staff_client, world):
        offer = Offer.objects.get(seller=world.store)
        act(staff_client, "offer", "change_prices", [offer.pk], apply="1", percent="-33.33")
        assert Offer.objects.get(pk=offer.pk).price == 1000
        assert Offer.objects.get(seller=world.factory).price == 1400
        world.soap.refresh_from_db()
        assert world.soap.best_price == 1000

    @pytest.mark.parametrize("percent", ["-95", "abc", "", "1000"])
    def test_a_bad_percent_changes_nothing(self, staff_client, world, percent):
        page = act(staff_client, "product", "change_offer_prices", [world.soap.pk], apply="1", percent=percent)
        assert page.status_code == 200
        assert "errorlist" in page.content.decode()
        assert sorted(Offer.objects.values_list("price", flat=True)) == [1400, 1500]


def test_editing_offers_inline_refreshes_the_summary(staff_client, world):
    offers = list(Offer.objects.filter(product=world.soap).order_by("pk"))
    data = {
        "category": world.category.pk, "slug": world.soap.slug, "name_ko": world.soap.name_ko,
        "name_en": world.soap.name_en, "is_active": "on",
        "offers-TOTAL_FORMS": 2, "offers-INITIAL_FORMS": 2, "media-TOTAL_FORMS": 0, "media-INITIAL_FORMS": 0,
        "attribute_values-TOTAL_FORMS": 0, "attribute_values-INITIAL_FORMS": 0,
    }
    for index, offer in enumerate(offers):
        data.update({
            f"offers-{index}-id": offer.pk, f"offers-{index}-product": world.soap.pk,
            f"offers-{index}-seller": offer.seller_id, f"offers-{index}-price": 900 + index,
            f"offers-{index}-stock": 0 if index == 0 else 3, f"offers-{index}-is_active": "on",
        })
    response = staff_client.post(reverse("admin:catalog_product_change", args=[world.soap.pk]), data)
    assert response.status_code == 302
    world.soap.refresh_from_db()
    assert (world.soap.best_price, world.soap.seller_count, world.soap.in_stock) == (901, 2, True)


def test_staff_hide_and_show_reviews(staff_client, world):
    order = factories.order(
        owner=world.customer, district_=world.district, offers=[(Offer.objects.get(seller=world.store), 1)]
    )
    review = submit_review(author=world.customer, product=world.soap, seller=world.store, stars=2, text="meh",
                           purchase_key=order.lines.get().review_key)
    act(staff_client, "review", "hide", [review.pk])
    assert Review.objects.get(pk=review.pk).is_hidden
    world.soap.refresh_from_db()
    assert world.soap.rating_count == 0
    act(staff_client, "review", "show", [review.pk])
    world.soap.refresh_from_db()
    assert world.soap.rating_count == 1
    detail = staff_client.get(reverse("admin:catalog_review_change", args=[review.pk]))
    assert detail.status_code == 200 and 'name="is_hidden"' not in detail.content.decode()
