"""The job queue: jobs deferred on commit, run by real worker processes
(``manage.py procrastinate worker``) against the test database, retried,
shared between workers, shown to staff, and the periodic jobs of ``make run``."""

import collections
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateEvent, ProcrastinateJob, ProcrastinateWorker

from okryu.jobs import defer_on_commit
from payments.gateway import get_gateway
from payments.models import Payment
from tests import factories
from tests.live_server import BASE_DIR, free_port, job_workers, process_env
from tests.okryu import jobs_tasks
from tests.okryu.jobs_tasks import RUNS_TABLE

# How long a test waits for processes before it fails: generous, as the
# machine may be busy, but bounded.
WAIT = 90


def _empty_queue():
    with connection.cursor() as cursor:
        # Not Django-managed tables, so the transactional tests' flush leaves them alone.
        cursor.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers, "
                       "procrastinate_workers CASCADE")


@pytest.fixture
def queue(transactional_db):
    """An empty job queue and table of runs, committed where a worker sees them."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} "
                       "(id bigserial PRIMARY KEY, key text NOT NULL, pid integer NOT NULL)")
        cursor.execute(f"TRUNCATE {RUNS_TABLE}")
    _empty_queue()
    yield
    _empty_queue()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {RUNS_TABLE}")


def runs() -> collections.Counter:
    """How many times each key ran."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {RUNS_TABLE}")
        return collections.Counter(key for (key,) in cursor.fetchall())


def run_pids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT pid FROM {RUNS_TABLE}")
        return {pid for (pid,) in cursor.fetchall()}


def jobs_of(task) -> dict[str, str]:
    """Each job of ``task`` as {key: status}."""
    return {job.args["key"]: job.status for job in ProcrastinateJob.objects.filter(task_name=task.name)}


def wait_until(condition, *, processes, logs: Path, what: str):
    """Poll ``condition`` until it holds; fail, with the processes' output,
    when one of them exits or after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        if any(process.poll() is not None for process in processes):
            break
        time.sleep(0.2)
    output = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(logs.glob("*.log")))
    pytest.fail(f"gave up waiting until {what}\n{output}")


def test_a_job_is_queued_only_when_its_transaction_commits(queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        defer_on_commit(jobs_tasks.record, key="rolled back")
        raise RuntimeError("the request failed")
    assert not ProcrastinateJob.objects.exists()

    with transaction.atomic():
        defer_on_commit(jobs_tasks.record, key="committed")
        assert not ProcrastinateJob.objects.exists(), "nothing is queued before the commit"
    job = ProcrastinateJob.objects.get()
    assert (job.task_name, job.args, job.status) == (jobs_tasks.record.name, {"key": "committed"}, "todo")


@pytest.mark.slow
def test_a_worker_runs_a_deferred_job_once(queue, tmp_path):
    with job_workers(count=1, log_dir=tmp_path) as workers:
        with transaction.atomic():
            defer_on_commit(jobs_tasks.record, key="once")
        wait_until(lambda: jobs_of(jobs_tasks.record) == {"once": "succeeded"},
                   processes=workers, logs=tmp_path, what="the job succeeded")
    assert runs() == {"once": 1}
    assert run_pids() == {workers[0].pid}


@pytest.mark.slow
def test_a_failing_job_is_retried_and_staff_see_failed_and_retried_jobs(queue, tmp_path, client):
    finished = {"flaky": "succeeded", "broken": "failed"}
    with job_workers(count=1, log_dir=tmp_path) as workers:
        with transaction.atomic():
            defer_on_commit(jobs_tasks.fail_twice, key="flaky")
            defer_on_commit(jobs_tasks.always_fail, key="broken")
        wait_until(lambda: {**jobs_of(jobs_tasks.fail_twice), **jobs_of(jobs_tasks.always_fail)} == finished,
                   processes=workers, logs=tmp_path, what="both jobs finished")
    assert runs() == {"flaky": 3, "broken": 2}
    flaky = ProcrastinateJob.objects.get(task_name=jobs_tasks.fail_twice.name)
    assert flaky.attempts == 3
    events = collections.Counter(ProcrastinateEvent.objects.filter(job=flaky).values_list("type", flat=True))
    assert (events["started"], events["deferred_for_retry"], events["succeeded"], events["failed"]) == (3, 2, 1, 0)

    client.force_login(factories.user("staffer", is_staff=True, is_superuser=True))
    changelist = "/admin/procrastinate/procrastinatejob/"
    failed = client.get(changelist, {"status": "failed"})
    assert failed.status_code == 200
    assert [job.args["key"] for job in failed.context["cl"].result_list] == ["broken"]
    assert "Failed" in failed.text
    retried = client.get(f"{changelist}{flaky.pk}/change/")
    assert retried.status_code == 200
    assert "deferred_for_retry" in retried.text

    broken = ProcrastinateJob.objects.get(task_name=jobs_tasks.always_fail.name)
    assert client.post(changelist, {"action": "retry", "_selected_action": [broken.pk]}).status_code == 302
    assert ProcrastinateJob.objects.get(pk=broken.pk).status == "todo", "queued again for the next worker"


def test_staff_see_queued_jobs_and_customers_do_not(client, db):
    _empty_queue()  # of jobs that earlier tests' committed notices left (rolled back with the test)
    jobs_tasks.record.configure(schedule_in={"hours": 1}).defer(key="later")
    changelist = "/admin/procrastinate/procrastinatejob/"

    client.force_login(factories.user("shopper"))
    assert client.get(changelist).status_code == 302

    client.force_login(factories.user("staffer", is_staff=True, is_superuser=True))
    queued = client.get(changelist, {"status": "todo"})
    assert queued.status_code == 200
    assert [job.args["key"] for job in queued.context["cl"].result_list] == ["later"]
    assert "Todo" in queued.text


@pytest.mark.slow
def test_two_workers_run_each_of_200_jobs_exactly_once(queue, tmp_path):
    keys = [f"job-{number}" for number in range(200)]
    with job_workers(count=2, log_dir=tmp_path) as workers:
        # Both listening before the jobs arrive, so that they race for them.
        wait_until(lambda: ProcrastinateWorker.objects.count() == 2,
                   processes=workers, logs=tmp_path, what="both workers started")
        with transaction.atomic():
            for key in keys:
                defer_on_commit(jobs_tasks.record, key=key)
        wait_until(lambda: list(jobs_of(jobs_tasks.record).values()).count("succeeded") == len(keys),
                   processes=workers, logs=tmp_path, what="every job succeeded")
    assert runs() == dict.fromkeys(keys, 1)
    assert run_pids() == {worker.pid for worker in workers}, "both workers took jobs"


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


def _expired_hold(card, reference: str) -> Payment:
    payment = get_gateway().authorize(card_number=card.number, pin=factories.PIN, amount=1_000,
                                      reference=reference, idempotency_key=reference)
    Payment.objects.filter(pk=payment.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    return payment


def _status(payment: Payment) -> str:
    return Payment.objects.values_list("status", flat=True).get(pk=payment.pk)


@pytest.mark.slow
def test_make_run_voids_expired_holds_on_its_own_and_ctrl_c_stops_everything(queue, tmp_path):
    card = factories.card(balance=10_000)
    first = _expired_hold(card, "expired-before-start")
    port = free_port()
    log = tmp_path / "serve.log"
    env = process_env("okryu.test_settings", JOBS_RELEASE_HOLDS_CRON="* * * * * */2")
    with log.open("w") as output:
        # A session of its own, so that the Ctrl-C below reaches it and
        # gunicorn as a terminal's would, and nothing of pytest's.
        serve = subprocess.Popen([sys.executable, "-m", "okryu.serve", "--port", str(port)],
                                 cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    children = []
    try:
        wait_until(lambda: _status(first) == "voided", processes=[serve], logs=tmp_path,
                   what="the hold made before start was voided")
        # A second one, made while it runs: the job comes back by itself.
        second = _expired_hold(card, "expired-while-running")
        wait_until(lambda: _status(second) == "voided", processes=[serve], logs=tmp_path,
                   what="the hold made while running was voided")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
        children = _children(serve.pid)
        assert len(children) == 2, "gunicorn and one worker"
        assert ProcrastinateJob.objects.filter(task_name="payments.tasks.release_expired_holds",
                                               status="succeeded").count() >= 2
        assert Payment.objects.get(pk=second.pk).events.last().note == "hold expired"

        os.killpg(serve.pid, signal.SIGINT)
        assert serve.wait(timeout=WAIT) == 0, log.read_text()[-3000:]
        assert not [pid for pid in children if _is_running(pid)], "gunicorn and the worker stopped with it"
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        for pid in children:
            if _is_running(pid):
                os.kill(pid, signal.SIGKILL)
