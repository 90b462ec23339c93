"""What the notices ask of the SMS centre.

``get_gateway()`` returns the class named by ``settings.SMS_GATEWAY``:
``LocalOutbox`` by default, the stand-in for the bureau's SMS centre, which
is not reachable from here. A real adapter implements ``send`` and raises
``SmsError`` when the centre refuses or cannot be reached.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The message did not go out; sending it again later may work."""


class Gateway:
    def send(self, *, phone: str, text: str) -> None:
        """Hand one message to the SMS centre, or raise SmsError."""
        raise NotImplementedError


class LocalOutbox(Gateway):
    """Sends nothing: the message stays in the outbox table (SmsMessage),
    where staff read it in the admin."""

    def send(self, *, phone: str, text: str) -> None:
        log.info("text message to %s kept in the local outbox", phone[-4:])


def get_gateway() -> Gateway:
    return import_string(settings.SMS_GATEWAY)()
