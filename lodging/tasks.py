"""Background jobs of lodging (procrastinate tasks)."""

from procrastinate.contrib.django import app

from lodging import services


# Every hour, so a stay booked late the day before still gets its reminder;
# notify sends each one once however often this runs.
@app.periodic(cron="0 * * * *", periodic_id="remind_stay_arrivals")
@app.task(queueing_lock="remind_stay_arrivals")
def remind_stay_arrivals(timestamp: int) -> int:
    """Remind the guests whose stays begin tomorrow."""
    return services.remind_arrivals()
