"""The category tree has no depth limit: a category's page lists the
products of every category under it, its breadcrumbs name every ancestor,
and a category moved elsewhere takes its subtree with it."""

import re

import pytest
from django.urls import reverse

from catalog.models import Category
from tests import factories

pytestmark = pytest.mark.django_db


def listed(client, slug) -> set:
    html = client.get(reverse("catalog:category", args=[slug])).content.decode()
    return set(re.findall(r'<li class="card">\s*<a href="/p/([^/"]+)/">', html))


@pytest.fixture
def five_deep(world):
    """level-1 › level-2 › … › level-5, a product on each level, and another tree beside it."""
    levels, parent = [], None
    for depth in range(1, 6):
        parent = factories.category(name_ko=f"단계{depth}", name_en=f"Level {depth}", slug=f"level-{depth}",
                                    parent=parent)
        levels.append(parent)
        factories.product(category_=parent, slug=f"item-{depth}", offers=[(world.store, 1000 * depth, 3)])
    other = factories.category(name_ko="다른", name_en="Other", slug="other")
    factories.product(category_=other, slug="item-other", offers=[(world.store, 500, 3)])
    return levels


def test_a_category_lists_the_products_of_every_level_under_it(client, five_deep):
    assert listed(client, "level-1") == {f"item-{depth}" for depth in range(1, 6)}
    assert listed(client, "level-3") == {"item-3", "item-4", "item-5"}
    assert listed(client, "level-5") == {"item-5"}
    assert listed(client, "other") == {"item-other"}


def test_the_paths_follow_the_tree(five_deep):
    ids = [level.pk for level in five_deep]
    assert Category.objects.get(slug="level-5").path == "".join(f"{pk}/" for pk in ids)
    assert list(Category.objects.within(five_deep[2]).order_by("path").values_list("slug", flat=True)) == [
        "level-3", "level-4", "level-5"]


def test_the_breadcrumbs_name_every_ancestor(client, five_deep):
    html = client.get(reverse("catalog:category", args=["level-5"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    crumbs = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', html).group(1)
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs) == [
        ("/", "Home"), *((f"/c/level-{depth}/", f"Level {depth}") for depth in range(1, 5))]
    top = client.get(reverse("catalog:category", args=["level-1"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.findall(r"<a href=\"[^\"]+\">", re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', top).group(1)) == [
        '<a href="/">']
    # The children below the heading stay one level down.
    assert '<li><a href="/c/level-2/">Level 2</a></li>' in top and "/c/level-3/" not in top


def test_searching_a_categorys_name_finds_the_deepest_products(client, five_deep):
    response = client.get(reverse("catalog:search"), {"q": "단계1"})
    assert {"item-5", "item-1"} <= {product.slug for product in response.context["products"]}


def test_moving_a_category_takes_its_subtree_along(staff_client, client, five_deep, django_capture_on_commit_callbacks):
    level_3 = five_deep[2]
    other = Category.objects.get(slug="other")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:catalog_category_change", args=[level_3.pk]), {
            "name_ko": level_3.name_ko, "name_en": level_3.name_en, "slug": level_3.slug, "position": 0,
            "parent": other.pk,
        })
    assert response.status_code == 302
    assert listed(client, "other") == {"item-other", "item-3", "item-4", "item-5"}
    assert listed(client, "level-1") == {"item-1", "item-2"}
    assert Category.objects.get(slug="level-5").path == f"{other.pk}/{level_3.pk}/{five_deep[3].pk}/{five_deep[4].pk}/"


def test_a_category_cannot_move_inside_itself(staff_client, five_deep):
    level_2 = five_deep[1]
    for inside in (level_2, five_deep[4]):
        response = staff_client.post(reverse("admin:catalog_category_change", args=[level_2.pk]), {
            "name_ko": level_2.name_ko, "name_en": level_2.name_en, "slug": level_2.slug, "position": 0,
            "parent": inside.pk,
        }, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert "A category cannot be placed inside itself or one of its own subcategories." in (
            response.content.decode().replace("&#x27;", "'"))
    level_2.refresh_from_db()
    assert level_2.parent == five_deep[0]
