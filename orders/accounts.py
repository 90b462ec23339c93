"""What orders forget when a customer's account is erased (okryu.accounts)."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from okryu.accounts import AccountNotErasable, account_erased
from orders.models import Address, Cart, Order

FINISHED = {Order.Status.DELIVERED, Order.Status.CANCELLED, Order.Status.REFUNDED}


@receiver(account_erased, dispatch_uid="orders.forget_customer")
def forget_customer(sender, *, user, **kwargs) -> None:
    """Addresses and the cart go; orders stay for the books, with the
    district (for the delivery figures) but without name, phone or street.
    Not while an order is still on its way: it needs that address."""
    if Order.objects.filter(user=user).exclude(status__in=FINISHED).exists():
        raise AccountNotErasable(_("An order of yours is still on its way. You can delete the account "
                                   "once it is delivered or cancelled."))
    Address.objects.filter(user=user).delete()
    Cart.objects.filter(user=user).delete()
    Order.objects.filter(user=user).update(recipient_name="", phone="", address_line="")
