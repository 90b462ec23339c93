"""What stays forget when a guest's account is erased (okryu.accounts)."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from lodging.models import Reservation
from okryu.accounts import AccountNotErasable, account_erased


@receiver(account_erased, dispatch_uid="lodging.forget_guest")
def forget_guest(sender, *, user, **kwargs) -> None:
    """Reservations stay for the books and the occupancy figures, without
    the guests' names or their requests. Not while a stay is booked or
    under way: the front desk needs the names."""
    if Reservation.objects.filter(user=user, status__in=Reservation.HOLDING).exists():
        raise AccountNotErasable(_("You have a stay booked. Cancel it, or wait until it is over, "
                                   "before you delete the account."))
    Reservation.objects.filter(user=user).update(guest_names="", requests="")
