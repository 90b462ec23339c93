"""Background jobs of lodging (procrastinate tasks)."""

from django.conf import settings
from procrastinate.contrib.django import app

from lodging import services


# Every hour, so a stay booked late the day before still gets its reminder;
# notify sends each one once however often this runs.
@app.periodic(cron="0 * * * *", periodic_id="remind_stay_arrivals")
@app.task(queueing_lock="remind_stay_arrivals")
def remind_stay_arrivals(timestamp: int) -> int:
    """Remind the guests whose stays begin tomorrow."""
    return services.remind_arrivals()


# Searches and bookings already treat a lapsed hold as free; this gives its
# nights back in the counters too, so the front desk's occupancy is true.
@app.periodic(cron=settings.JOBS_RELEASE_HOLDS_CRON, periodic_id="release_expired_stay_holds")
@app.task(queueing_lock="release_expired_stay_holds")
def release_expired_stay_holds(timestamp: int) -> int:
    """Put the nights of holds nobody paid for in time back on sale."""
    return services.release_expired_holds()
