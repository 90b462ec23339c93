"""Background jobs of orders (procrastinate tasks)."""

import logging

from django.conf import settings
from procrastinate.contrib.django import app

from orders import holds, scores, services

logger = logging.getLogger(__name__)

# How many order numbers a warning names; the count is always complete.
NAMED_IN_LOG = 20


@app.periodic(cron=settings.JOBS_EXPIRE_ABANDONED_CRON, periodic_id="expire_abandoned")
@app.task(queueing_lock="expire_abandoned")
def expire_abandoned(timestamp: int) -> None:
    """Void holds without an order and delete stale anonymous carts (see the
    service), with the expire_abandoned command's default limits."""
    result = services.expire_abandoned(
        hold_grace=services.ABANDONED_HOLD_GRACE, cart_age=services.ABANDONED_CART_AGE
    )
    if result.voided_holds or result.deleted_carts:
        logger.info("Voided %d hold(s) without an order; deleted %d anonymous cart(s).",
                    len(result.voided_holds), result.deleted_carts)
    if result.stuck_orders:
        logger.warning("%d order(s) placed but never paid: %s", len(result.stuck_orders),
                       ", ".join(result.stuck_orders[:NAMED_IN_LOG]))


@app.periodic(cron=settings.JOBS_REPORT_STUCK_ORDERS_CRON, periodic_id="report_stuck_orders")
@app.task(queueing_lock="report_stuck_orders")
def report_stuck_orders(timestamp: int) -> int:
    """Warn about orders left undelivered past their slot (staff find the
    same list under the "stuck" filter of the orders admin); changes nothing."""
    numbers = list(services.stuck_orders().order_by("pk").values_list("number", flat=True))
    if numbers:
        logger.warning("%d order(s) not delivered %s after their slot ended: %s", len(numbers),
                       services.STUCK_AFTER_SLOT, ", ".join(numbers[:NAMED_IN_LOG]))
    return len(numbers)


@app.periodic(cron=settings.JOBS_SETTLE_LAPSING_HOLDS_CRON, periodic_id="settle_lapsing_holds")
@app.task(queueing_lock="settle_lapsing_holds")
def settle_lapsing_holds(timestamp: int) -> int:
    """Capture or cancel the orders whose card hold lapses soon (see
    orders.holds); returns how many it settled."""
    settled = holds.settle_lapsing_holds()
    if settled.captured or settled.cancelled:
        logger.info("Before their holds lapsed: captured %d order(s), cancelled %d.", len(settled.captured),
                    len(settled.cancelled))
    if settled.refused:
        logger.warning("%d order(s) whose hold lapses soon could not be captured: %s", len(settled.refused),
                       ", ".join(settled.refused[:NAMED_IN_LOG]))
    return len(settled.captured) + len(settled.cancelled)


@app.periodic(cron=settings.JOBS_SELLER_SCORES_CRON, periodic_id="refresh_seller_scores")
@app.task(queueing_lock="refresh_seller_scores")
def refresh_seller_scores(timestamp: int) -> int:
    """Recount every seller's score from the last SELLER_SCORE_DAYS days
    (orders.scores); safe to run twice. Returns how many sellers' figures
    changed."""
    return scores.refresh_seller_scores()
