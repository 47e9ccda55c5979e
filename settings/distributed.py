"""Scale-out mode: workers on several machines share one Redis frontier and one database.

Run every worker with ``SCRAPY_SETTINGS_MODULE=settings.distributed`` and the same
``REDIS_URL``, ``DATABASE_URL`` (PostgreSQL) and ``CRAWL_RUN``; see docs/scale-out.md. The
Redis URL may hold a password, so like ``DATABASE_URL`` it comes from the environment only.
"""

import os

from settings.base import *  # noqa: F403

# --- Shared frontier and duplicate filter (scrapy-redis, wrapped in crawler/scaleout.py) -----
SCHEDULER = "crawler.scaleout.SharedFrontierScheduler"
DUPEFILTER_CLASS = "crawler.scaleout.SharedDupeFilter"
# Required: the first worker to finish must not delete what the others still crawl.
SCHEDULER_PERSIST = True
# Articles before listing pages (the spider gives them a higher priority).
SCHEDULER_QUEUE_CLASS = "scrapy_redis.queue.PriorityQueue"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# One crawl run = one frontier: workers with the same CRAWL_RUN cooperate (and a restarted
# worker resumes); tomorrow's run uses a new value, e.g. CRAWL_RUN=$(date +%F).
SCALEOUT_KEY_PREFIX = f"portal-crawler:{os.environ.get('CRAWL_RUN', 'default')}"
# A worker stops once the queue is empty and no worker has been busy for this long.
SCALEOUT_IDLE_CLOSE_SECONDS = 15.0
# A worker that dies without cleaning up stops counting as busy after this many seconds.
SCALEOUT_BUSY_TTL = 60
# The run's duplicate filter is kept this long after a worker closes, then Redis drops it.
SCALEOUT_KEY_TTL = 7 * 24 * 3600
# Redis calls run on the event loop (scrapy-redis is synchronous): a Redis that stops
# answering without closing the connection would freeze the crawl for scrapy-redis's default
# 30 s per attempt. With these the worker gives up within seconds and ends the run with
# finish reason redis_unavailable (crawler/scaleout.py); queued requests stay in Redis.
REDIS_PARAMS = {"socket_timeout": 5, "socket_connect_timeout": 5}
