"""The scale-out run: the store on several hosts behind HAProxy, reads on a
streaming replica, under a mixed load, while parts of it are stopped.

On one machine, over loopback, everything from real packages and under
``var/scale/`` (emptied first): a PostgreSQL primary and one streaming
replica made with ``pg_basebackup -R`` (Debian's PostgreSQL 15 binaries),
WAL archived by the primary; Redis (the one on 127.0.0.1:6379, database
``--redis-db``, emptied) for the cache; two app hosts, each gunicorn with
two workers (gunicorn.conf.py) and one job worker, sharing one media
folder; HAProxy (Debian's package, installed with apt-get when missing and
run as root) with health checks in front. Shoppers (threads, each its own
account and cookies) browse, search, add to the cart, check out and pay
through HAProxy (two in three only browse and search), and in turn:

1. throughput with one app host (the other in maintenance in HAProxy), then two;
2. the fault run: one app host stopped (SIGTERM) and started again, the job
   worker of the other host killed (SIGKILL) and started again, the replica
   restarted;
3. the last unit of a product bought at the same moment through both hosts;
4. reconciliation (orders.reconcile) of the whole run.

It prints requests, errors by kind, HAProxy's retries, replica lag from
``pg_stat_replication``, the share of SELECT statements the replica served
(``pg_stat_statements`` on both servers) and the reconciliation, and stops
everything it started. Exit status 1 when an invariant broke.

    .venv/bin/python -m bench.scale_out [--shoppers 12] [--seconds 20] [--fault-seconds 60]
"""

import argparse
import collections
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.checkout_storm import OK, Buyer, Record
from bench.common import BASE_DIR, ENV, free_port, get

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SCALE = BASE_DIR / "var" / "scale"
DATABASE = "okryu_scale"
STOCK = 1_000_000
SELECTS = (
    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
    f" WHERE d.datname = '{DATABASE}' AND s.query ~* '^\\s*select' AND s.query <> 'SELECT $1'"
)
LAG = ("SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0),"
       " coalesce(extract(epoch FROM replay_lag), 0) FROM pg_stat_replication")


def _as_postgres() -> list[str]:
    # PostgreSQL refuses to run as root: its commands run as Debian's postgres user.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _pg(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*_as_postgres(), *args], check=True, capture_output=True, text=True, **kwargs)


def _sql(port: int, query: str, database: str = "postgres") -> str:
    return _pg(str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database,
               "-XAtqc", query).stdout.strip()


def _needs() -> None:
    """HAProxy from Debian when it is missing; PostgreSQL 15 and Redis must be there."""
    if not shutil.which("haproxy"):
        if os.geteuid() != 0:
            sys.exit("HAProxy is missing: as root, apt-get install -y --no-install-recommends haproxy")
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "haproxy"], check=True,
                       stdout=subprocess.DEVNULL)
    if not (PG_BIN / "pg_basebackup").exists():
        sys.exit(f"PostgreSQL 15 is missing at {PG_BIN}: as root, apt-get install -y postgresql-15")
    if subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True).returncode:
        sys.exit("Redis does not answer on 127.0.0.1:6379 (Debian: apt-get install redis-server)")


class Cluster:
    """Every process this run starts, so that all of them stop at the end."""

    def __init__(self, redis_db: int):
        self.primary_port, self.replica_port = free_port(), free_port()
        self.host_ports = {"a": free_port(), "b": free_port()}
        self.front_port = free_port()
        self.web: dict[str, subprocess.Popen] = {}
        self.jobs: dict[str, subprocess.Popen] = {}
        self.haproxy: subprocess.Popen | None = None
        self.started_postgres: list[Path] = []
        self.redis_db = redis_db
        self.logs = SCALE / "logs"
        self.env = {
            **ENV, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.primary_port}/{DATABASE}",
            "DATABASE_REPLICA_URLS": f"postgres://postgres@127.0.0.1:{self.replica_port}/{DATABASE}",
            "CACHE_URL": f"redis://127.0.0.1:6379/{redis_db}", "MEDIA_ROOT": str(SCALE / "media"),
            "APP_HOSTS": ",".join(f"127.0.0.1:{port}" for port in self.host_ports.values()),
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "CONN_MAX_AGE": "60", "DB_STATEMENT_TIMEOUT": "10s",
        }

    # PostgreSQL: a primary archiving its WAL, and a streaming replica of it.
    def start_databases(self) -> None:
        primary, replica, archive = SCALE / "primary", SCALE / "replica", SCALE / "wal-archive"
        for folder in (primary, replica, archive):
            folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(SCALE, "postgres")
            for folder in (primary, replica, archive):
                shutil.chown(folder, "postgres")
            os.chmod(primary, 0o700)
            os.chmod(replica, 0o700)
        _pg(str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "archive_mode = on\n"
                f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n"
                "shared_preload_libraries = 'pg_stat_statements'\nfsync = off\n"
            )
        self._pg_ctl(primary, "start")
        _sql(self.primary_port, f"CREATE DATABASE {DATABASE}")
        # In the maintenance database, where the sampler reads it: its own
        # queries are then not counted among the store's.
        _sql(self.primary_port, "CREATE EXTENSION pg_stat_statements")
        _pg(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(replica), "-R", "-X", "stream", "-c", "fast")
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self._pg_ctl(replica, "start")

    def _pg_ctl(self, data: Path, action: str) -> None:
        _pg(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w",
            "-m", "fast", action)
        if action == "start" and data not in self.started_postgres:
            self.started_postgres.append(data)

    def restart_replica(self) -> None:
        self._pg_ctl(SCALE / "replica", "restart")

    # The app hosts: gunicorn and a job worker each.
    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def start_web(self, host: str) -> None:
        with (self.logs / f"web-{host}.log").open("a") as log:
            self.web[host] = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "okryu.wsgi", "--config", str(BASE_DIR / "gunicorn.conf.py"),
                 "--bind", f"127.0.0.1:{self.host_ports[host]}", "--access-logfile", "/dev/null"],
                cwd=BASE_DIR, env=self.env, stdout=log, stderr=log, process_group=0,
            )
        base = f"http://127.0.0.1:{self.host_ports[host]}"
        for _ in range(300):
            if get(base + "/healthz")[0] == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"app host {host} did not answer /healthz")

    def stop_web(self, host: str) -> None:
        _stop(self.web.pop(host))

    def start_jobs(self, host: str) -> None:
        with (self.logs / f"jobs-{host}.log").open("a") as log:
            self.jobs[host] = subprocess.Popen(
                [sys.executable, "manage.py", "procrastinate", "worker"], cwd=BASE_DIR, env=self.env,
                stdout=log, stderr=log, process_group=0,
            )

    def kill_jobs(self, host: str) -> None:
        worker = self.jobs.pop(host)
        worker.kill()
        worker.wait()

    # HAProxy in front, health-checking /healthz.
    def start_haproxy(self) -> None:
        config = SCALE / "haproxy.cfg"
        servers = "".join(
            f"    server {host} 127.0.0.1:{port} check inter 1s fall 2 rise 2\n"
            for host, port in self.host_ports.items()
        )
        config.write_text(HAPROXY.format(socket=SCALE / "haproxy.sock", front=self.front_port, servers=servers))
        with (self.logs / "haproxy.log").open("a") as log:
            self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=log, stderr=log,
                                            process_group=0)
        for _ in range(100):
            if get(f"{self.base}/healthz")[0] == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("HAProxy did not pass /healthz through")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.front_port}"

    def haproxy_command(self, command: str) -> str:
        import socket

        with socket.socket(socket.AF_UNIX) as admin:
            admin.connect(str(SCALE / "haproxy.sock"))
            admin.sendall(command.encode() + b"\n")
            return b"".join(iter(lambda: admin.recv(65536), b"")).decode()

    def backend_counters(self) -> dict[str, int]:
        """HAProxy's retries and redispatches of the app backend so far."""
        lines = self.haproxy_command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "app" and row.get("svname") == "BACKEND":
                return {"retries": int(row["wretr"] or 0), "redispatches": int(row["wredis"] or 0)}
        return {"retries": 0, "redispatches": 0}

    def wait_until(self, host: str, status: str) -> None:
        """Until HAProxy has ``host`` running ("UP") or in maintenance ("MAINT")."""
        for _ in range(300):
            rows = [line.split() for line in self.haproxy_command("show servers state app").splitlines()
                    if line[:1].isdigit() and len(line.split()) > 6]
            # srv_name, srv_op_state (2: running), srv_admin_state (0: in service)
            states = {row[3]: (row[5], row[6]) for row in rows}
            if states.get(host) == ("2", "0") if status == "UP" else states.get(host, ("", "0"))[1] != "0":
                return
            time.sleep(0.1)
        raise RuntimeError(f"HAProxy never saw host {host} {status}")

    def stop_all(self) -> None:
        for process in [*self.web.values(), *self.jobs.values(), *([self.haproxy] if self.haproxy else [])]:
            _stop(process)
        for data in reversed(self.started_postgres):
            subprocess.run([*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"],
                           capture_output=True)
        subprocess.run(["redis-cli", "-n", str(self.redis_db), "flushdb"], capture_output=True)


HAPROXY = """\
global
    maxconn 1000
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 2s
    # A request that found no host (connection refused: a host stopping) goes
    # to the other one; a GET that died on its host or met a 503 (a database
    # restarting) is sent again. Nothing else is replayed: a POST is retried
    # only when it never reached a host.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response 503

frontend store
    bind 127.0.0.1:{front}
    default_backend app

backend app
    balance roundrobin
    http-request disable-l7-retry unless METH_GET
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
{servers}"""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def set_up_shop(shoppers: int) -> dict:
    """Products to browse, offers with deep stock, a slot with room for
    every order, and shoppers with an address and a well-funded card."""
    from datetime import timedelta

    from tests import factories

    district = factories.district()
    service = factories.service(districts=[district], fee=1000)
    factories.slot(service_=service, starts_in=timedelta(hours=3), capacity=30_000)
    category = factories.category()
    products = [factories.product(category_=category, offers=[(factories.seller(), 1000 + 100 * n, STOCK)])
                for n in range(6)]
    accounts = []
    for index in range(shoppers + 2):
        person = factories.user(f"shopper{index}")
        card = factories.card(owner=person, balance=10**12)
        address = factories.address(owner=person, district_=district)
        accounts.append({"username": person.username, "password": factories.PASSWORD, "address": address.pk,
                         "card": card.pk, "pin": factories.PIN})
    return {"category": category.slug, "products": [p.slug for p in products],
            "offers": [p.offers.get().pk for p in products], "accounts": accounts,
            "district": district, "seller": factories.seller()}


def shop_loop(base: str, shop: dict, account: dict, index: int, record: Record, stop: threading.Event) -> None:
    """One visitor until told to stop: two in three only browse and search,
    anonymous; the third logs in and, after the same pages, adds to the
    cart, checks out and pays every time round."""
    shopper = Buyer(base, record, account)
    buys = index % 3 == 0
    if buys and not shopper.log_in():
        return
    turn = index
    while not stop.is_set():
        turn += 1
        product = shop["products"][turn % len(shop["products"])]
        shopper.request("home", "/")
        shopper.request("category", f"/c/{shop['category']}/")
        shopper.request("product", f"/p/{product}/")
        shopper.request("search", "/search/?q=%EC%83%81%ED%92%88")
        if buys:
            shopper.checkout([shop["offers"][turn % len(shop["offers"])]], "plain")


class Sampler(threading.Thread):
    """Every half second: the replica's lag from pg_stat_replication on the
    primary, and the SELECT statements each server has run, summed across a
    restart (which empties a server's statistics)."""

    def __init__(self, cluster: Cluster):
        super().__init__(daemon=True)
        self.cluster, self.stop = cluster, threading.Event()
        self.lag_bytes, self.lag_seconds = [], []
        self.selects = {"primary": 0, "replica": 0}
        self.last = {"primary": None, "replica": None}

    def count_selects(self) -> None:
        for server, port in (("primary", self.cluster.primary_port), ("replica", self.cluster.replica_port)):
            try:
                now = int(_sql(port, SELECTS))
            except subprocess.CalledProcessError:
                continue  # restarting
            last = self.last[server]
            self.selects[server] += now - last if last is not None and now >= last else (now if last else 0)
            self.last[server] = now

    def run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                found = _sql(self.cluster.primary_port, LAG)
            except subprocess.CalledProcessError:
                found = ""
            if found:
                lag_bytes, lag_seconds = found.split("|")
                self.lag_bytes.append(float(lag_bytes))
                self.lag_seconds.append(float(lag_seconds))
            self.count_selects()


def run_load(cluster: Cluster, shop: dict, shoppers: int, seconds: float, events=()) -> tuple[Record, float, list]:
    """``shoppers`` threads through HAProxy for ``seconds``; ``events`` are
    (at seconds, what, action) run on the way. Returns the record, the time
    the load really took, and when each event happened."""
    record, stop, happened = Record(), threading.Event(), []
    threads = [threading.Thread(target=shop_loop, args=(cluster.base, shop, account, index, record, stop))
               for index, account in enumerate(shop["accounts"][:shoppers])]
    for thread in threads:
        thread.start()
    for at, what, action in events:
        time.sleep(max(0.0, record.started + at - time.monotonic()))
        moment = time.monotonic()
        action()
        happened.append((moment - record.started, time.monotonic() - record.started, what))
    time.sleep(max(0.0, record.started + seconds - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join()
    return record, time.monotonic() - record.started, happened


def last_unit_race(cluster: Cluster, shop: dict) -> dict:
    """Two shoppers, one on each app host (not through HAProxy), pay for the
    last unit of a product at the same moment."""
    from catalog.models import Offer
    from orders.models import OrderLine
    from tests import factories

    offer = factories.product(category_=factories.category(), offers=[(shop["seller"], 5000, 1)]).offers.get()
    record = Record()
    buyers = [Buyer(f"http://127.0.0.1:{port}", record, account)
              for port, account in zip(cluster.host_ports.values(), shop["accounts"][-2:], strict=True)]
    barrier = threading.Barrier(2)
    outcomes = []

    def buy(buyer: Buyer) -> None:
        buyer.log_in()
        original = buyer.post

        def post_together(what, path, data):
            if what == "pay":
                barrier.wait(timeout=60)
            return original(what, path, data)

        buyer.post = post_together
        outcomes.append(buyer.checkout([offer.pk], "plain"))

    threads = [threading.Thread(target=buy, args=(buyer,)) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "answers": sorted("order" if o not in ("refused", "gave up") else o for o in outcomes),
        "units sold": OrderLine.objects.filter(offer=offer).exclude(order__status="cancelled").count(),
        "stock left": Offer.objects.get(pk=offer.pk).stock,
    }


def _errors(record: Record) -> dict:
    """Answers that are neither a page, a redirect nor a refusal (409), by request and status."""
    return dict(sorted(collections.Counter(
        f"{what} {status or 'no answer'}" for _s, _e, what, status in record.responses if status not in OK | {409}
    ).items()))


def _rate(record: Record, elapsed: float) -> float:
    return len(record.responses) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shoppers", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=20, help="each throughput measurement")
    parser.add_argument("--fault-seconds", type=float, default=60)
    parser.add_argument("--redis-db", type=int, default=7)
    options = parser.parse_args()
    _needs()
    if SCALE.exists():
        shutil.rmtree(SCALE)
    SCALE.mkdir(parents=True)
    cluster = Cluster(options.redis_db)
    cluster.logs.mkdir()
    (SCALE / "media").mkdir()
    subprocess.run(["redis-cli", "-n", str(options.redis_db), "flushdb"], check=True, capture_output=True)
    try:
        cluster.start_databases()
        os.environ.update(cluster.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "okryu.settings"
        cluster.manage("migrate", "--noinput")
        cluster.manage("collectstatic", "--noinput", "--verbosity", "0")
        import django

        django.setup()
        from django.db import connections

        shop = set_up_shop(options.shoppers)
        stock_before = {pk: STOCK for pk in shop["offers"]}
        connections.close_all()
        for host in cluster.host_ports:
            cluster.start_web(host)
            cluster.start_jobs(host)
        cluster.start_haproxy()
        run_load(cluster, shop, options.shoppers, 5)  # warm-up: caches, connections

        cluster.haproxy_command("disable server app/b")
        cluster.wait_until("b", "MAINT")
        one, one_elapsed, _ = run_load(cluster, shop, options.shoppers, options.seconds)
        cluster.haproxy_command("enable server app/b")
        cluster.wait_until("b", "UP")
        two, two_elapsed, _ = run_load(cluster, shop, options.shoppers, options.seconds)

        sampler = Sampler(cluster)
        sampler.count_selects()
        sampler.start()
        before = cluster.backend_counters()
        span = options.fault_seconds
        faults, fault_elapsed, happened = run_load(cluster, shop, options.shoppers, span, [
            (span * 0.15, "app host a stopped (SIGTERM)", lambda: cluster.stop_web("a")),
            (span * 0.30, "app host a started", lambda: (cluster.start_web("a"), cluster.wait_until("a", "UP"))),
            (span * 0.45, "job worker of host b killed (SIGKILL)", lambda: cluster.kill_jobs("b")),
            (span * 0.55, "job worker of host b started", lambda: cluster.start_jobs("b")),
            (span * 0.70, "replica restarted", cluster.restart_replica),
        ])
        sampler.stop.set()
        sampler.join()
        sampler.count_selects()
        after = cluster.backend_counters()
        race = last_unit_race(cluster, shop)
        cluster.manage("expire_abandoned")
        from orders import reconcile

        problems = reconcile.problems(stock_before=stock_before)
        from catalog.models import Offer
        from orders.models import Order

        oversold = Offer.objects.filter(stock__lt=0).count()
        double_charges = sum(len(numbers) - 1 for numbers in faults.orders_by_token.values() if numbers)
        orders = Order.objects.count()
        connections.close_all()
    finally:
        cluster.stop_all()

    load = os.getloadavg()
    selects = sampler.selects
    by_status = dict(sorted(collections.Counter(status for *_r, status in faults.responses).items()))
    print(f"Scale-out run: 2 app hosts x (gunicorn 2 workers x 4 threads + 1 job worker), HAProxy, PostgreSQL 15 "
          f"primary + 1 streaming replica, Redis; {options.shoppers} shoppers; {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    rows = [
        ("throughput, 1 app host", f"{_rate(one, one_elapsed):.1f} req/s ({len(one.responses)} in "
                                   f"{one_elapsed:.0f} s, errors {_errors(one) or 0})"),
        ("throughput, 2 app hosts", f"{_rate(two, two_elapsed):.1f} req/s ({len(two.responses)} in "
                                    f"{two_elapsed:.0f} s, errors {_errors(two) or 0})"),
        ("fault run: requests served", f"{len(faults.responses)} in {fault_elapsed:.0f} s, by status {by_status}"),
        ("fault run: errors by kind", _errors(faults) or 0),
        ("HAProxy retries / redispatches", f"{after['retries'] - before['retries']} / "
                                           f"{after['redispatches'] - before['redispatches']}"),
        ("replica lag, bytes", f"median {statistics.median(sampler.lag_bytes or [0]):.0f}, "
                               f"max {max(sampler.lag_bytes or [0]):.0f} ({len(sampler.lag_bytes)} samples)"),
        ("replica lag, seconds", f"median {statistics.median(sampler.lag_seconds or [0]):.4f}, "
                                 f"max {max(sampler.lag_seconds or [0]):.4f}"),
        ("SELECTs served by the replica", f"{selects['replica'] / max(1, sum(selects.values())):.0%} "
                                          f"({selects['replica']} of {sum(selects.values())})"),
        ("last unit, bought through both hosts at once", race),
        ("orders placed (whole run)", orders),
        ("reconciliation", f"{len(problems)} problems {problems or ''}, {oversold} oversold, "
                           f"{double_charges} double charges"),
    ]
    width = max(len(name) for name, _v in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for started, ended, what in happened:
        print(f"  at {started:5.1f} s  {what} (took {ended - started:.1f} s)")
    print("On a machine this small two hosts cannot be faster than one: the load, both hosts, both databases and "
          "HAProxy share the same cores. The figure shows the slope on a larger machine.")
    broken = problems or oversold or double_charges or race["units sold"] != 1 or race["stock left"] != 0
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
