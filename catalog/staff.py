"""Which sellers a staff user works for: the one rule that scopes seller
staff in every admin (orders, stays)."""

from django.http import HttpRequest


def seller_scope(request: HttpRequest) -> list[int] | None:
    """The sellers a seller-staff user works for, or None for bureau staff
    (superusers and staff attached to no seller), who see everything."""
    if not hasattr(request, "_seller_scope"):
        ids = None
        if not request.user.is_superuser:
            ids = list(request.user.sellers.values_list("pk", flat=True)) or None
        request._seller_scope = ids
    return request._seller_scope
