"""The job queue's own housekeeping (procrastinate tasks)."""

from django.conf import settings
from procrastinate import builtin_tasks
from procrastinate.contrib.django import app


@app.periodic(cron=settings.JOBS_REMOVE_OLD_JOBS_CRON, periodic_id="remove_old_jobs")
@app.task(queueing_lock="remove_old_jobs", pass_context=True)
async def remove_old_jobs(context, timestamp: int) -> None:
    """Delete jobs that succeeded more than JOBS_KEEP_FINISHED_HOURS ago, so
    the queue's tables stay small; failed jobs stay for staff to see."""
    await builtin_tasks.remove_old_jobs(context, max_hours=settings.JOBS_KEEP_FINISHED_HOURS)
