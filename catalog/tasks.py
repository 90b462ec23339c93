"""Background jobs of the catalogue (procrastinate tasks)."""

import logging

from django.db import transaction
from procrastinate.contrib.django import app

from catalog import recordings, wishes
from catalog.cache import bump_version
from catalog.models import ProductMedia
from okryu.transitions import InvalidTransition

logger = logging.getLogger(__name__)


# FFmpeg fails the same way twice, so one retry (for a worker killed midway)
# is enough; the reason is on the media row for staff to read.
@app.task(retry=1)
def transcode_media(*, media_id: int, original: str) -> str | None:
    """Write the renditions of the voice or video ``original`` and mark the
    media ready, or failed with FFmpeg's reason; returns the new status.

    Safe to run twice: it does nothing when the media is gone, has another
    original by now or is no longer processing. Transcoding runs outside any
    transaction; only recording its result locks the row.
    """
    media = ProductMedia.objects.filter(pk=media_id, file=original, status=ProductMedia.Status.PROCESSING).first()
    if media is None:
        return None
    try:
        renditions = recordings.transcode(name=original, video=media.kind == ProductMedia.Kind.VIDEO)
    except recordings.TranscodeError as error:
        logger.warning("Transcoding product media %d (%s) failed: %s", media_id, original, error)
        reason = str(error) or type(error).__name__
        return _record(lambda: media.mark_failed(original=original, reason=reason))
    status = _record(lambda: media.mark_ready(original=original, renditions=renditions))
    if status is None:
        recordings.delete_renditions(renditions)  # a new original, or another run, got there first
    return status


def _record(mark) -> str | None:
    try:
        with transaction.atomic():
            media = mark()
            bump_version()
    except (InvalidTransition, ProductMedia.DoesNotExist):
        return None
    return media.status


@app.task
def tell_watchers(product_id: int) -> int:
    """Tell a restocked product's watchers (catalog.wishes.tell_watchers)."""
    return wishes.tell_watchers(product_id=product_id)
