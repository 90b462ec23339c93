"""A card's life in a real browser: a finance clerk issues it in the admin
and reads the slip, a new customer links it, changes the PIN and reports it
lost on the card page, which goes through the axe and weight checks."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from payments.models import Card, CardEvent
from payments.numbers import number_hash
from tests import factories
from tests.browser.conftest import SCREENSHOTS


def test_a_clerk_issues_a_card_and_its_holder_links_it_and_reports_it_lost(visitor, viewport, shop):
    clerk = factories.finance_clerk()
    clerk_view = visitor(language="ko")
    page = clerk_view.page
    clerk_view.log_in(clerk.username, next_url=reverse("admin:payments_card_changelist"))
    clerk_view.follow(page.locator(f'#content-main a[href="{reverse("admin:payments_card_add")}"]'))
    page.locator('input[name="holder_name"]').fill("리순희")
    page.locator('input[name="opening_top_up"]').fill("50000")
    clerk_view.submit('input[name="opening_top_up"]')
    number, pin = (re.sub(r"\s", "", text) for text in page.locator("dd.slip-number").all_inner_texts())
    assert len(number) == 16 and len(pin) == 6
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"card-slip-{viewport}.png", full_page=True)
    card = Card.objects.get(number_hash=number_hash(number))
    # Back on the list, the number is masked.
    page.goto(reverse("admin:payments_card_changelist"))
    expect(page.locator("#result_list")).to_contain_text(card.masked_number)
    expect(page.locator("#content")).not_to_contain_text(number[:8])

    newcomer = factories.user()
    holder = visitor(language="ko")
    page = holder.page
    holder.log_in(newcomer.username, next_url=reverse("payments:cards"))
    page.locator('input[name="number"]').fill(number)
    page.locator('input[name="pin"]').fill(pin)
    holder.submit('input[name="number"]')
    assert page.url.endswith(card.get_absolute_url())
    expect(page.locator("main h1")).to_contain_text(card.masked_number)
    holder.check("card")

    page.locator('input[name="old_pin"]').fill(pin)
    page.locator('input[name="new_pin"]').fill("4862")
    page.locator('input[name="new_pin_again"]').fill("4862")
    holder.submit('input[name="new_pin_again"]')
    card.refresh_from_db()
    assert card.pin_matches("4862")

    holder.follow(page.locator(f'form[action="{reverse("payments:report_lost", args=[card.pk])}"] button'))
    card.refresh_from_db()
    assert card.status == Card.Status.LOCKED and card.is_reported_lost()
    assert card.events.filter(kind=CardEvent.Kind.REPORTED_LOST, by=newcomer).exists()
    holder.check("card-lost")
