"""Telling people what happened: ``notify`` is the one way in.

A notice is written in the recipient's language into their inbox on the
site and, unless they switched that kind off, queued as a text message,
inside the caller's transaction: a change that rolls back tells nobody,
and one that commits leaves exactly one of each, whatever repeats. The text
message goes out after the commit, through a job (``tasks.send_sms``) that
the gateway's failures make retry with back-off.
"""

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from okryu.jobs import defer_on_commit
from okryu.notices.models import TEXT_ONLY, Event, Notice, SmsMessage, SmsOptOut
from okryu.notices.tasks import send_sms


def notify(*, recipient, event: Event, obj_key: str, context: dict | None = None, link: str = "") -> None:
    """Tell ``recipient`` about ``event`` on the object ``obj_key``
    ("order:<number>"), at most once for that (event, object, recipient).

    ``context`` fills the event's templates; lazy translations in it (a
    choice's label) come out in the recipient's language. ``link`` is the
    page the inbox notice opens. Someone without a phone number gets the
    inbox notice only.
    """
    with translation.override(recipient.language):
        channels = ["sms"] if event in TEXT_ONLY else ["inbox", "sms"]
        texts = {channel: _render(channel, event, context or {}) for channel in channels}
    with transaction.atomic():
        if event not in TEXT_ONLY:
            # ON CONFLICT DO NOTHING: notice_once keeps it to one, in one statement.
            Notice.objects.bulk_create([Notice(recipient=recipient, event=event, obj_key=obj_key,
                                               text=texts["inbox"], link=link)], ignore_conflicts=True)
        if not recipient.phone or (
            event not in TEXT_ONLY and SmsOptOut.objects.filter(user=recipient, event=event).exists()
        ):
            return
        message, created = SmsMessage.objects.get_or_create(
            recipient=recipient, event=event, obj_key=obj_key, defaults={"phone": recipient.phone, "text": texts["sms"]}
        )
        if created:
            defer_on_commit(send_sms, message_id=message.pk)


def _render(channel: str, event: str, context: dict) -> str:
    # Plain text: an "&" in a seller's name stays one; the inbox page
    # escapes the text when it shows it.
    template = get_template(f"notices/{channel}/{event}.txt").template
    return template.render(Context(context, autoescape=False)).strip()


def send_again(*, message_ids) -> int:
    """Queue failed text messages once more (a staff action); returns how many."""
    with transaction.atomic():
        ids = list(SmsMessage.objects.select_for_update().filter(
            pk__in=message_ids, status=SmsMessage.Status.FAILED).values_list("pk", flat=True))
        SmsMessage.objects.filter(pk__in=ids).update(status=SmsMessage.Status.QUEUED)
        for pk in ids:
            defer_on_commit(send_sms, message_id=pk)
    return len(ids)


def unread_notices_of_user_row() -> RawSQL:
    """The number of unread notices of the user row a query selects, as an
    annotation. Raw SQL because the ORM's correlated Subquery took 2 ms of
    CPU to build, on every logged-in request, twice the rest of the user's
    query; the SQL is the same and uses the ``notice_unread`` index."""
    notices, users, name = Notice._meta, get_user_model()._meta, connection.ops.quote_name
    return RawSQL(f"SELECT count(*) FROM {name(notices.db_table)} WHERE {name(notices.get_field('recipient').column)}"
                  f" = {name(users.db_table)}.{name(users.pk.column)}"
                  f" AND {name(notices.get_field('read_at').column)} IS NULL", ())


def unread_count(user) -> int:
    """Read from the user row when the auth backend annotated it (every
    request's user), else counted."""
    count = getattr(user, "unread_notices", None)
    if count is None:
        count = Notice.objects.filter(recipient=user, read_at=None).count()
    return count


def open_notice(notice: Notice) -> None:
    """Mark the notice read (the first time it is opened)."""
    Notice.objects.filter(pk=notice.pk, read_at=None).update(read_at=timezone.now())


def mark_all_read(*, user) -> int:
    return Notice.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


@transaction.atomic
def set_text_preferences(*, user, off: set[str]) -> None:
    """Text messages switched off for exactly the kinds in ``off``."""
    SmsOptOut.objects.filter(user=user).exclude(event__in=off).delete()
    SmsOptOut.objects.bulk_create([SmsOptOut(user=user, event=event) for event in off], ignore_conflicts=True)
