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
# Keep a browser's (or the proxy's) connection open between page and assets.
keepalive = 5
# Recycle workers now and then so that memory grown by one odd request goes back.
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
