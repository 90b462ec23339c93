"""Search in the browser: suggestions while typing (the script), and the
results page for a restaurant and its dish."""

from urllib.parse import urlencode, urlsplit

from django.urls import reverse


def test_typing_the_start_of_a_restaurants_name_suggests_it(visitor, viewport):
    v = visitor(language="ko")
    v.page.goto(reverse("catalog:home"))
    v.page.locator('input[name="q"]').press_sequentially("옥류", delay=60)
    first = v.page.locator("#q-suggestions a").first
    first.wait_for()
    assert first.inner_text().startswith("옥류관")
    assert v.page.locator("#q-suggestions").is_visible()
    v.check("suggestions")
    v.follow(first)
    assert urlsplit(v.page.url).path == reverse("catalog:seller", args=["okryukwan"])


def test_a_restaurant_and_its_dish_lead_the_results(visitor, viewport):
    v = visitor(language="en")
    v.page.goto(f"{reverse('catalog:search')}?{urlencode({'q': 'Okryukwan naengmyeon'})}")
    assert v.page.locator(".seller-card a").first.inner_text() == "Okryukwan Restaurant"
    assert "Okryukwan Restaurant sells it" in v.page.locator(".card").first.inner_text()
    v.check("search-seller")
