"""Which of a product's competing offers the product page names in words."""

from catalog.models import Offer


def offer_marks(live_offers: list[Offer]) -> dict:
    """The cheapest offer a customer can buy now (``cheapest``) and, when it
    is another one, the available offer of the best-rated seller
    (``best_rated``; only sellers with a rating count). Sold-out offers are
    never named: a mark on one would send the customer to nothing."""
    available = [offer for offer in live_offers if offer.stock > 0]
    cheapest = min(available, key=lambda offer: (offer.price, offer.pk), default=None)
    rated = [offer for offer in available if offer.seller.rating_count]
    best_rated = max(rated, key=lambda offer: (offer.seller.rating, -offer.price, -offer.pk), default=None)
    if best_rated is not None and best_rated.seller.rating <= cheapest.seller.rating:
        best_rated = None
    return {"cheapest": cheapest, "best_rated": best_rated}
