"""Settings of the job workers that tests/okryu/test_jobs.py starts: the
test settings, with the tasks that exist only for those tests."""

from okryu.test_settings import *  # noqa: F403

PROCRASTINATE_IMPORT_PATHS = ["tests.okryu.jobs_tasks"]
