"""The customer pages the journeys do not pass through, the keyboard, and
the pictures of listing pages."""

from django.urls import reverse

from catalog.models import Product
from tests import factories


def test_listing_seller_and_card_pages_pass_the_checks(visitor, viewport):
    customer = factories.user()
    card = factories.card(owner=customer, balance=20_000)
    v = visitor(language="ko")
    v.log_in(customer.username)
    for name, url in [
        ("category", reverse("catalog:category", args=["dishes"])),
        ("category by attribute", reverse("catalog:category", args=["medicine"]) + "?a.dosage-form=tablet"),
        ("seller", reverse("catalog:seller", args=["okryukwan"])),
        ("cards", reverse("payments:cards")),
        ("card", card.get_absolute_url()),
    ]:
        v.page.goto(url)
        v.check(name)


FOCUS_IS_VISIBLE = """() => {
    const style = getComputedStyle(document.activeElement);
    return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
}"""


def tab_until(page, predicate: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {predicate}")


def test_the_keyboard_reaches_search_and_add_to_cart_with_visible_focus(visitor, viewport):
    v = visitor(language="ko")
    page = v.page
    page.goto(reverse("catalog:product", args=["insam-soap"]))
    tab_until(page, "() => document.activeElement.name === 'q'")
    assert page.evaluate(FOCUS_IS_VISIBLE), "the search box shows that it has the focus"
    add = reverse("orders:add")
    # The attribute, not form.action: the wish-list form has a field named
    # "action", which shadows the property.
    tab_until(page, f"() => document.activeElement.type === 'submit' && "
                    f"new URL(document.activeElement.form.getAttribute('action'), location.href).pathname === '{add}'")
    assert page.evaluate(FOCUS_IS_VISIBLE), "the add-to-cart button shows that it has the focus"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(reverse("orders:cart"))
    assert page.locator('main input[name="quantity"]').count() == 1


def test_listing_pages_show_thumbnails_not_the_original_pictures(visitor, viewport):
    originals = {product.image.url for product in Product.objects.exclude(image="")}
    v = visitor(language="ko")
    v.page.goto(reverse("catalog:category", args=["food"]))
    sources = v.page.locator("main img").evaluate_all("""images => images.flatMap(image => [
        image.getAttribute("src"), ...(image.srcset || "").split(",").map(candidate => candidate.trim().split(" ")[0])
    ])""")
    sources = {source for source in sources if source}
    assert sources, "the listing shows pictures"
    assert not sources & originals
    # The card's link text names the product: its picture is decorative there,
    # and keeps the product's name on the product page.
    assert set(v.page.locator("main .card img").evaluate_all("images => images.map(i => i.alt)")) == {""}
    v.page.goto(reverse("catalog:product", args=["insam-soap"]))
    assert v.page.locator("main img").first.get_attribute("alt") == Product.objects.get(slug="insam-soap").name_ko


def test_a_request_outside_the_server_is_refused_and_reported(visitor, viewport):
    # The site's CSP already stops this fetch; without it the guard must still catch it.
    v = visitor(language="ko", bypass_csp=True)
    v.page.goto("/")
    outcome = v.page.evaluate("() => fetch('http://192.0.2.1/tracker.js').then(() => 'sent', () => 'refused')")
    assert outcome == "refused"
    assert v.outside == ["http://192.0.2.1/tracker.js"]
    v.outside.clear()  # reported; the fixture would otherwise fail this test at its end
