# Gunicorn for a 2-core machine: sync workers are enough for short
# server-rendered pages; the numbers are revisited by bench/ measurements.
import multiprocessing

workers = multiprocessing.cpu_count() * 2 + 1
threads = 1
timeout = 30
graceful_timeout = 10
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
