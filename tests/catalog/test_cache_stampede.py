"""Visitors asking at the same moment for a page nobody has cached yet:
one of them builds it, the others wait for that page instead of building
it too (catalog.cache._build_once)."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from catalog import facets
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

VISITORS = 4


def test_visitors_asking_at_once_for_an_uncached_page_have_it_built_once(monkeypatch):
    category = factories.category(slug="noodles")
    factories.product(category_=category, offers=[(factories.seller(), 2800, 10)])
    builds = []
    count_facets = facets.count_facets

    def slow_count_facets(*args, **kwargs):
        builds.append(threading.get_ident())
        time.sleep(0.5)  # as a category of a million products takes
        return count_facets(*args, **kwargs)

    monkeypatch.setattr(facets, "count_facets", slow_count_facets)
    start, answers = threading.Barrier(VISITORS), []

    def visit():
        start.wait()
        response = Client().get(f"/c/{category.slug}/")
        answers.append((response.status_code, "2,800원" in response.content.decode()))
        connection.close()

    visitors = [threading.Thread(target=visit) for _ in range(VISITORS)]
    for visitor in visitors:
        visitor.start()
    for visitor in visitors:
        visitor.join()
    assert answers == [(200, True)] * VISITORS
    assert len(builds) == 1, "one visitor built the page, the others waited for it"
