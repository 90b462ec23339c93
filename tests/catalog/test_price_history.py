"""Every change of an offer's price leaves one history row, whichever way it
was made (the admin form, the inline offers of a product, the bulk action,
the import); the same price leaves none; the history is append-only."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from catalog.models import Offer, PriceChange
from catalog.services import set_offer_prices
from tests import factories
from tests.catalog.test_admin import act
from tests.catalog.test_import_catalog import HEADER, add_weight, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(db):
    return factories.user("boss", is_staff=True, is_superuser=True)


@pytest.fixture
def boss_client(client, boss):
    client.force_login(boss)
    return client


def offer_form(offer, **changes):
    return {"product": offer.product_id, "seller": offer.seller_id, "price": offer.price, "stock": offer.stock,
            "is_active": "on", **changes}


def history():
    return list(PriceChange.objects.order_by("pk").values_list("offer__seller__slug", "old_price", "new_price",
                                                               "source", "by__username"))


class TestTheAdminForm:
    def test_a_new_price_is_recorded_once(self, boss_client, world):
        offer = Offer.objects.get(seller=world.store)
        response = boss_client.post(reverse("admin:catalog_offer_change", args=[offer.pk]),
                                    offer_form(offer, price=1300, stock=4))
        assert response.status_code == 302
        assert history() == [(world.store.slug, 1500, 1300, "admin", "boss")]
        offer.refresh_from_db()
        world.soap.refresh_from_db()
        assert (offer.price, offer.stock, world.soap.best_price) == (1300, 4, 1300)

    def test_the_same_price_records_nothing(self, boss_client, world):
        offer = Offer.objects.get(seller=world.store)
        response = boss_client.post(reverse("admin:catalog_offer_change", args=[offer.pk]),
                                    offer_form(offer, stock=2))
        assert response.status_code == 302
        assert history() == []
        assert Offer.objects.get(pk=offer.pk).stock == 2

    def test_a_new_offer_is_not_a_change(self, boss_client, world):
        other = factories.seller(slug="other")
        response = boss_client.post(reverse("admin:catalog_offer_add"), {
            "product": world.soap.pk, "seller": other.pk, "price": 1000, "stock": 1, "is_active": "on"})
        assert response.status_code == 302
        assert history() == []
        world.soap.refresh_from_db()
        assert world.soap.best_price == 1000

    def test_the_inline_offers_of_a_product(self, boss_client, world):
        offers = list(Offer.objects.filter(product=world.soap).order_by("pk"))
        data = {
            "category": world.category.pk, "slug": world.soap.slug, "name_ko": world.soap.name_ko,
            "name_en": world.soap.name_en, "is_active": "on",
            "offers-TOTAL_FORMS": 2, "offers-INITIAL_FORMS": 2, "media-TOTAL_FORMS": 0, "media-INITIAL_FORMS": 0,
            "attribute_values-TOTAL_FORMS": 0, "attribute_values-INITIAL_FORMS": 0,
        }
        for index, offer in enumerate(offers):
            data.update({f"offers-{index}-{name}": value for name, value in offer_form(offer).items()})
            data[f"offers-{index}-id"] = offer.pk
        data["offers-0-price"] = 1450  # the store's; the factory's stays 1400
        response = boss_client.post(reverse("admin:catalog_product_change", args=[world.soap.pk]), data)
        assert response.status_code == 302
        assert history() == [(world.store.slug, 1500, 1450, "admin", "boss")]


def test_the_bulk_action_records_each_offer_it_changes(boss_client, world):
    response = act(boss_client, "product", "change_offer_prices", [world.soap.pk], apply="1", percent="10")
    assert response.status_code == 302
    assert history() == [
        (world.store.slug, 1500, 1650, "bulk", "boss"), (world.factory.slug, 1400, 1540, "bulk", "boss"),
    ]


def test_the_bulk_action_at_zero_percent_records_nothing(boss_client, world):
    act(boss_client, "offer", "change_prices", list(Offer.objects.values_list("pk", flat=True)), apply="1", percent="0")
    assert history() == []


def test_the_import_records_changed_prices_only(tmp_path, world):
    add_weight(world)
    ok, out, _ = run(tmp_path, HEADER + (
        f"ginseng-soap,soap,인삼비누,Ginseng soap,120,{world.store.slug},1200,7,yes\n"
        f"ginseng-soap,soap,인삼비누,Ginseng soap,120,{world.factory.slug},1400,9,yes\n"
        f"new-soap,soap,새비누,New soap,120,{world.factory.slug},900,9,yes\n"
    ))
    assert ok, out
    assert history() == [(world.store.slug, 1500, 1200, "import", None)]


class TestAppendOnly:
    def test_the_admin_shows_it_read_only(self, boss_client, world, boss):
        set_offer_prices(prices={Offer.objects.get(seller=world.store).pk: 1000}, source="admin", by=boss)
        change = PriceChange.objects.get()
        assert boss_client.get(reverse("admin:catalog_pricechange_changelist")).status_code == 200
        page = boss_client.get(reverse("admin:catalog_pricechange_change", args=[change.pk]))
        assert page.status_code == 200 and 'name="new_price"' not in page.content.decode()
        assert boss_client.get(reverse("admin:catalog_pricechange_add")).status_code == 403
        assert boss_client.post(reverse("admin:catalog_pricechange_delete", args=[change.pk]),
                                {"post": "yes"}).status_code == 403
        assert boss_client.post(reverse("admin:catalog_pricechange_changelist"), {
            "action": "delete_selected", "_selected_action": [change.pk], "post": "yes"}).status_code == 200
        assert PriceChange.objects.count() == 1

    @pytest.mark.parametrize("write", [
        lambda rows: rows.update(new_price=1), lambda rows: rows.update(changed_at="2020-01-01T00:00Z"),
        lambda rows: rows.delete(),
    ], ids=["price", "time", "delete"])
    def test_the_database_refuses_to_change_it(self, world, boss, write):
        set_offer_prices(prices={Offer.objects.get(seller=world.store).pk: 1000}, source="admin", by=boss)
        with pytest.raises(IntegrityError, match="insert-only"), transaction.atomic():
            write(PriceChange.objects.all())
        assert history() == [(world.store.slug, 1500, 1000, "admin", "boss")]

    def test_a_deleted_user_leaves_the_history(self, world, boss):
        set_offer_prices(prices={Offer.objects.get(seller=world.store).pk: 1000}, source="admin", by=boss)
        boss.delete()
        assert history() == [(world.store.slug, 1500, 1000, "admin", None)]

    def test_an_offer_with_history_is_not_deleted_from_the_admin(self, boss_client, world, boss):
        offer = Offer.objects.get(seller=world.store)
        set_offer_prices(prices={offer.pk: 1000}, source="admin", by=boss)
        response = boss_client.post(reverse("admin:catalog_offer_delete", args=[offer.pk]), {"post": "yes"})
        assert response.status_code == 200
        assert Offer.objects.filter(pk=offer.pk).exists()
