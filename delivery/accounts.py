"""What delivery forgets when a customer's account is erased (okryu.accounts)."""

from django.dispatch import receiver

from delivery.models import Courier, Delivery, DeliveryEvent
from okryu.accounts import account_erased


@receiver(account_erased, dispatch_uid="delivery.forget_customer")
def forget_customer(sender, *, user, **kwargs) -> None:
    """The drop-off address and who took the goods (the delivery step's
    note repeats that name); a courier's account stops being a courier."""
    # A delivered delivery must name who took it (a constraint): a dash.
    Delivery.objects.filter(order__user=user).exclude(recipient_name="").update(recipient_name="-")
    Delivery.objects.filter(order__user=user).update(dropoff_address="")
    DeliveryEvent.objects.filter(delivery__order__user=user, to_status=Delivery.Status.DELIVERED).update(note="")
    Courier.objects.filter(user=user).update(phone="", is_active=False)
