import pytest
from procrastinate.contrib.django import app
from procrastinate.testing import InMemoryConnector


class Jobs:
    """Jobs deferred during a test, kept in memory and run by procrastinate's
    own worker (retries and their back-off included)."""

    def __init__(self, connector: InMemoryConnector):
        self.connector = connector

    def run(self) -> None:
        """Run every job that is due, until none is left."""
        app.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)

    def make_due(self) -> None:
        """Let retries waiting for their back-off run now."""
        for job in self.connector.jobs.values():
            job["scheduled_at"] = None

    def statuses(self) -> list[str]:
        return [job["status"] for job in self.connector.jobs.values()]


@pytest.fixture
def jobs(transactional_db, monkeypatch):
    """The worker runs each job in a thread with its own connection, which
    sees committed rows only: tests that run jobs commit for real. It runs
    what the test deferred, not the periodic jobs (their tests call them)."""
    monkeypatch.setattr(app.periodic_registry, "periodic_tasks", {})
    connector = InMemoryConnector()
    with app.replace_connector(connector):
        yield Jobs(connector)
