"""Background jobs of the catalogue (procrastinate tasks)."""

from procrastinate.contrib.django import app

from catalog import wishes


@app.task
def tell_watchers(product_id: int) -> int:
    """Tell a restocked product's watchers (catalog.wishes.tell_watchers)."""
    return wishes.tell_watchers(product_id=product_id)
