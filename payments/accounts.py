"""What payments do when a customer's account is erased (okryu.accounts)."""

from django.dispatch import receiver

from okryu.accounts import account_erased
from payments import services


@receiver(account_erased, dispatch_uid="payments.unlink_cards")
def unlink_cards(sender, *, user, **kwargs) -> None:
    services.unlink_cards_of(user=user)
