"""Settings for the benchmarks: production settings plus a benchmark-only URLconf (a bare
view to compare with) and a broker that queues jobs in memory.

Jobs are queued, not run: in production the rollup and rescore jobs run in a Celery worker,
off the request path, so the request cost is the commit plus an enqueue. The rollup job is
timed on its own by the benchmarks.
"""

from citimeasure.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.urls"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
LOGGING = {"version": 1, "disable_existing_loggers": False}
