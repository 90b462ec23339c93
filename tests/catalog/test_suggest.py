"""The suggestion endpoint behind the search box's script, on the demo store."""

import pytest
from django.urls import reverse

from catalog.cache import bump_version
from catalog.finder import SUGGESTIONS
from catalog.models import Seller

pytestmark = pytest.mark.django_db

SUGGEST = reverse("catalog:suggest")


def suggest(client, query, language="ko"):
    response = client.get(SUGGEST, {"q": query}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["suggestions"]


@pytest.mark.parametrize(("language", "name", "kind"), [
    ("ko", "옥류관", "식당"), ("en", "Okryukwan Restaurant", "Restaurant"),
])
def test_typing_the_start_of_the_restaurants_name_suggests_it_first(client, demo, language, name, kind):
    items = suggest(client, "옥류", language)
    seller = reverse("catalog:seller", args=["okryukwan"])
    assert items[0] == {"kind": "seller", "label": kind, "name": name, "url": seller}
    assert 1 < len(items) <= SUGGESTIONS
    assert {item["kind"] for item in items[1:]} == {"product"}
    assert all(item["url"].startswith("/p/") for item in items[1:])


def test_a_category_name_suggests_the_category(client, demo):
    items = suggest(client, "신발")
    shoes = reverse("catalog:category", args=["shoes"])
    assert items[0] == {"kind": "category", "label": "부류", "name": "신발", "url": shoes}
    assert "product" in {item["kind"] for item in items}


def test_a_product_name_suggests_products(client, demo):
    items = suggest(client, "naengmyeon", "en")
    assert items and items[0]["kind"] == "product" and "naengmyeon" in items[0]["name"]
    assert all(client.get(item["url"]).status_code == 200 for item in items)


def test_there_are_never_more_than_eight(client, demo):
    assert len(suggest(client, "국수")) == SUGGESTIONS


def test_suggestions_are_cached_for_the_catalogue_version(client, demo, django_capture_on_commit_callbacks):
    assert suggest(client, "청류관")[0]["name"] == "청류관"
    Seller.objects.filter(slug="chongryugwan").update(name_ko="청류관 본점")  # no service, no new version
    assert suggest(client, "청류관")[0]["name"] == "청류관"
    with django_capture_on_commit_callbacks(execute=True):
        bump_version()
    assert suggest(client, "청류관")[0]["name"] == "청류관 본점"


@pytest.mark.parametrize("query", ["", "   ", "x", "\x00", "%_\\'\"<script>", "qqxxzz", "😀😀😀"])
def test_empty_short_or_junk_text_gets_no_suggestions(client, demo, query):
    assert suggest(client, query) == []


def test_no_parameter_or_two_of_them_is_no_trouble(client, demo):
    assert client.get(SUGGEST).json()["suggestions"] == []
    response = client.get(f"{SUGGEST}?q=옥류&q=x")
    assert response.status_code == 200


@pytest.mark.parametrize(("language", "message"), [
    ("ko", "검색어가 너무 깁니다: 100자까지 쓸수 있습니다."),
    ("en", "The search text is too long: at most 100 characters."),
])
def test_too_long_a_text_is_refused_with_a_message(client, demo, language, message):
    response = client.get(SUGGEST, {"q": "옥류관" * 40}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_pages_load_the_script_from_the_site_under_a_policy_without_inline_scripts(client, demo):
    response = client.get(reverse("catalog:home"))
    page = response.content.decode()
    assert f'data-suggest="{SUGGEST}"' in page
    scripts = page.split("<script")[1:]
    assert len(scripts) == 1 and scripts[0].startswith(' src="/static/js/suggest.js" defer></script>')
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
