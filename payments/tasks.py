"""Background jobs of payments (procrastinate tasks)."""

import logging

from django.conf import settings
from procrastinate.contrib.django import app

from payments import services

logger = logging.getLogger(__name__)


@app.periodic(cron=settings.JOBS_RELEASE_HOLDS_CRON, periodic_id="release_expired_holds")
@app.task(queueing_lock="release_expired_holds")
def release_expired_holds(timestamp: int) -> int:
    """Void the holds that expired (see the service); in place of cron. The
    queueing lock keeps at most one run waiting when workers fall behind."""
    released = services.release_expired_holds()
    if released:
        logger.info("Released %d expired hold(s).", released)
    return released
