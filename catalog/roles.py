"""The catalogue manager role: staff who keep the catalogue, that is the
sellers' offers and prices, products, categories, attributes and their
pictures, voice and video. Imports (``manage.py import_catalog``) are run by whoever has
the server's shell, not through this group.

Written against a given app registry so that the data migration (with its
historical models) and the tests (after a flush empties the groups) build
the same group."""

CATALOGUE_MANAGER_GROUP = "catalogue manager"
CATALOGUE_MANAGER_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("product", "productmedia", "offer", "category", "attribute", "attributechoice",
                  "productattributevalue")
    for action in ("view", "add", "change", "delete")
# Sellers are the bureau's contracts: seen (to pick one for an offer), not changed.
] + ["view_seller", "view_pricechange", "view_review"]


def ensure_catalogue_manager_group(apps):
    """Create the catalogue manager group, or bring its permissions up to date."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CATALOGUE_MANAGER_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="catalog",
                                                     codename__in=CATALOGUE_MANAGER_PERMISSIONS))
    return group
