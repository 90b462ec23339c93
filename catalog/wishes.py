"""Wish lists, and telling the watchers of a sold-out product that it is back."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone, translation

from catalog.models import Product, WishItem
from okryu.notices.models import Event
from okryu.notices.services import notify

# A product that sells out and is restocked again within this is not
# announced twice.
QUIET_AFTER_NOTICE = timedelta(hours=1)


def wish(*, user, product: Product, watching: bool = False) -> WishItem:
    """Put ``product`` on the wish list (again: no second row); ``watching``
    asks to be told when it is back in stock."""
    item, created = WishItem.objects.get_or_create(user=user, product=product, defaults={"watching": watching})
    if not created and watching and not item.watching:
        WishItem.objects.filter(pk=item.pk).update(watching=True)
        item.watching = True
    return item


def unwish(*, user, product: Product) -> None:
    WishItem.objects.filter(user=user, product=product).delete()


@transaction.atomic
def tell_watchers(*, product_id: int) -> int:
    """Tell everyone watching the product that it is back in stock, once for
    this restock; returns how many were told.

    Safe to run twice and from racing workers: the product row is locked,
    and nothing is sent when it is not in stock, or its watchers were told
    within QUIET_AFTER_NOTICE (a second restock soon after the first)."""
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    now = timezone.now()
    if product is None or not product.in_stock or (
            product.back_in_stock_told_at is not None and now - product.back_in_stock_told_at < QUIET_AFTER_NOTICE):
        return 0
    Product.objects.filter(pk=product.pk).update(back_in_stock_told_at=now)
    watchers = list(WishItem.objects.filter(product=product, watching=True).select_related("user"))
    for item in watchers:
        with translation.override(item.user.language):
            name = product.name
        notify(recipient=item.user, event=Event.BACK_IN_STOCK, obj_key=f"restock:{product.pk}:{now.isoformat()}",
               context={"product": name, "price": product.best_price}, link=product.get_absolute_url())
    return len(watchers)
