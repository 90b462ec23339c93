"""Which sellers a staff user works for: the one rule that scopes seller
staff in every admin (orders, stays)."""

from django.http import HttpRequest

# The groups of a seller's own staff, made by the orders and lodging data
# migrations: their members work for a seller, never for the bureau.
SELLER_STAFF_GROUPS = ("seller staff", "front desk")


def seller_scope(request: HttpRequest) -> list[int] | None:
    """The sellers a seller-staff user works for, or None for bureau staff
    (superusers, and staff attached to no seller and in no seller-staff
    group), who see everything. A seller-staff account not yet attached to
    a seller works for none and sees nothing."""
    if not hasattr(request, "_seller_scope"):
        ids = None
        if not request.user.is_superuser:
            ids = list(request.user.sellers.values_list("pk", flat=True))
            if not ids and not request.user.groups.filter(name__in=SELLER_STAFF_GROUPS).exists():
                ids = None
        request._seller_scope = ids
    return request._seller_scope
