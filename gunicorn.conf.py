# Gunicorn for a 2-core machine, chosen with bench/load.py (bench/README.md,
# "Gunicorn"): 2 processes, one a core, of 4 threads each. A request spends
# part of its time waiting on PostgreSQL and Redis, which another thread of
# the same process uses; 5 sync workers (2 × cores + 1) served no more pages
# but held 2.5 times the memory. Checkout's Argon2 checks release the GIL, so
# threads run them side by side as processes would.
workers = 2
threads = 4  # more than one thread: gthread workers
timeout = 30  # a request still running after 30 s is a stuck worker: restart it
graceful_timeout = 10
# No keep-alive: gunicorn sits behind the TLS proxy, which keeps the
# browsers' connections open. A kept-alive connection stays with the worker
# that accepted it, and when most of them landed on one process that process
# was bound by its GIL while the other core idled: the same cached page ran at
# 330 req/s in one wrk run and 820 in the next. Closing after each response
# lets the idle process take the next connection (bench/README.md, Gunicorn).
keepalive = 0
# Recycle workers now and then so that memory grown by one odd request goes back.
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
