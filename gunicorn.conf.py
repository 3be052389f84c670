"""gunicorn settings of the web process, shared by the container image, docker-compose.yml and the
load benchmark (benchmarks/load.py), so that what is measured is what is deployed.

gunicorn reads this file from the working directory. WEB_CONCURRENCY, GUNICORN_THREADS,
GUNICORN_BIND and FORWARDED_ALLOW_IPS override the defaults.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Threads keep a worker serving while one of its requests waits on PostgreSQL or storage.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
# Longer than clients and proxies keep an idle connection for reuse: with gunicorn's default of
# 2 s, a connection closed by the server just as a client sent on it was reset (the load test
# saw 18 such errors in 2,000 requests; none with 5 s). A proxy in front should keep its upstream
# connections idle for less than this.
keepalive = 5
# The TLS-terminating proxy sets X-Forwarded-Proto; only the proxy can reach the web port.
# It also appends the client's address to X-Forwarded-For: PROXY_COUNT (a Django setting, default
# 1) is the number of proxies that do, and the rate limits and the login lockout take the address
# that many entries from the right (core.throttling.client_address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
