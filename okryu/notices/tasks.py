from django.db import transaction
from django.db.models import F
from django.utils import timezone
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from okryu.notices.models import SmsMessage
from okryu.notices.sms import SmsError, get_gateway

# Retries after the first try, waiting 4 s, 16 s, 64 s, 4 min and 17 min:
# an SMS centre that is down for a while still gets the message.
SMS_RETRIES = 5
# Characters kept of a gateway's error message (SmsMessage.last_error).
ERROR_LENGTH = 500


@app.task(pass_context=True, retry=RetryStrategy(max_attempts=SMS_RETRIES, exponential_wait=4))
def send_sms(context: JobContext, *, message_id: int) -> None:
    """Hand a queued text message to the gateway; one already sent (or
    failed for good) is left alone, so a repeated job sends nothing twice.
    A gateway failure is counted on the message and raised again for the
    job to retry; after the last retry the message is marked failed.

    The row stays locked while the gateway is called: a second job for the
    same message waits for the first and then finds it sent.
    """
    try:
        with transaction.atomic():
            message = SmsMessage.objects.select_for_update().get(pk=message_id)
            if message.status != SmsMessage.Status.QUEUED:
                return
            get_gateway().send(phone=message.phone, text=message.text)
            message.status = SmsMessage.Status.SENT
            message.sent_at = timezone.now()
            message.attempts += 1
            message.save(update_fields=["status", "sent_at", "attempts"])
    except SmsError as error:
        last_attempt = context.job.attempts >= SMS_RETRIES
        SmsMessage.objects.filter(pk=message_id, status=SmsMessage.Status.QUEUED).update(
            attempts=F("attempts") + 1, last_error=str(error)[:ERROR_LENGTH],
            status=SmsMessage.Status.FAILED if last_attempt else SmsMessage.Status.QUEUED,
        )
        raise
