"""The demo store's products carry attributes, so `make run` shows facets."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog.models import ProductAttributeValue

pytestmark = pytest.mark.django_db


def facets(client, slug, **params):
    response = client.get(reverse("catalog:category", args=[slug]), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response, {facet.code: {value.label: value.count for value in facet.values}
                      for facet in response.context["facets"]}


def test_the_dishes_can_be_narrowed_by_spiciness(client, demo):
    response, found = facets(client, "dishes")
    assert found["spiciness"] == {"Mild": 4, "Medium": 3, "Hot": 1}
    response, _ = facets(client, "dishes", **{"a.spiciness": "hot"})
    assert [product.slug for product in response.context["products"]] == ["bibim-raengmyon"]


def test_cosmetics_by_volume_and_medicine_by_dosage_form(client, demo):
    _, cosmetics = facets(client, "cosmetics")
    assert cosmetics["volume"]["50 ml"] == 2 and cosmetics["weight"]["120 g"] == 1
    _, medicine = facets(client, "medicine")
    assert medicine["dosage-form"] == {"Tablet": 3, "Capsule": 1, "Liquid": 1, "Injection": 1}


def test_seeding_again_changes_no_value(demo):
    before = sorted(ProductAttributeValue.objects.values_list("product__slug", "attribute__code", "number",
                                                              "choice__code", "text"))
    call_command("seed_demo", stdout=io.StringIO())
    assert sorted(ProductAttributeValue.objects.values_list("product__slug", "attribute__code", "number",
                                                            "choice__code", "text")) == before
