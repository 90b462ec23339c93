"""What a cart needs from delivery, worked out once: the pay page shows it
and place_order books it, so both follow the same rules."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.utils import timezone

from catalog import hours
from catalog.models import Offer, Seller
from delivery import booking
from delivery.models import District, TimeSlot

# The pay page offers the first slots, not a week of them.
SLOTS_SHOWN = 24


@dataclass(frozen=True)
class Pickup:
    """One seller's part of the cart: one delivery, from the seller's door."""

    seller: Seller
    # The shortest time any of its dishes stays fresh; None: no hot food.
    fresh_minutes: int | None

    @property
    def is_hot_food(self) -> bool:
        return self.fresh_minutes is not None


@dataclass(frozen=True)
class CheckoutPlan:
    """The sellers to pick up from, which of them cook hot food and how long
    it lasts, the slots that allows and their fees. Built from the cart on
    the pay page, and again in place_order from the offers it has locked."""

    district: District
    pickups: tuple[Pickup, ...]  # in seller id order
    subtotal: int
    fees: Mapping[int, int]  # by transport service, for this district

    @classmethod
    def for_items(cls, items: Iterable[tuple[Offer, int]], *, district: District) -> "CheckoutPlan":
        """The plan of ``items`` (offer, quantity), whose offers come with
        their product and seller, delivered to ``district``. A dish is hot
        food when its product says so (``Product.is_hot_food``), whatever
        its minutes, zero included. One query: the district's fees."""
        sellers: dict[int, Seller] = {}
        fresh: dict[int, int] = {}
        subtotal = 0
        for offer, quantity in items:
            sellers[offer.seller_id] = offer.seller
            subtotal += offer.price * quantity
            if offer.product.is_hot_food:
                minutes = offer.product.fresh_minutes
                fresh[offer.seller_id] = min(minutes, fresh.get(offer.seller_id, minutes))
        return cls(
            district=district,
            pickups=tuple(Pickup(seller=sellers[pk], fresh_minutes=fresh.get(pk)) for pk in sorted(sellers)),
            subtotal=subtotal,
            fees=MappingProxyType(booking.fees_by_service(district=district)),
        )

    @property
    def fresh_minutes(self) -> int | None:
        """How long the least lasting dish stays fresh; None without hot food."""
        return min((p.fresh_minutes for p in self.pickups if p.is_hot_food), default=None)

    @property
    def sellers(self) -> list[Seller]:
        return [pickup.seller for pickup in self.pickups]

    @property
    def kitchens(self) -> list[Seller]:
        """The sellers that cook the cart's hot food."""
        return [pickup.seller for pickup in self.pickups if pickup.is_hot_food]

    def open_slots(self):
        """The slots this cart may be delivered in (booking.open_slots, with
        the kitchens that cook its dishes)."""
        now = timezone.now()
        return booking.open_slots(
            district=self.district, fresh_minutes=self.fresh_minutes, now=now,
            kitchens=hours.schedules([kitchen.pk for kitchen in self.kitchens], around=now).values(),
        )

    def slots_on_offer(self) -> list[TimeSlot]:
        """The first open slots, each with its ``fee``, for the pay page."""
        slots = list(self.open_slots()[:SLOTS_SHOWN])
        for slot in slots:
            slot.fee = self.fee(slot)
        return slots

    def allowed_slot(self, slot_id: int) -> TimeSlot | None:
        """The slot, with its service, when this cart may be delivered in it."""
        return self.open_slots().select_related("service").filter(pk=slot_id).first()

    def fee(self, slot: TimeSlot) -> int:
        """The slot's service's fee for the district; NotServed when it has none."""
        if slot.service_id not in self.fees:
            raise booking.NotServed()
        return self.fees[slot.service_id]
