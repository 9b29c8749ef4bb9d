"""`python -m tests.faults.slow_worker -A citimeasure worker …`: the celery CLI, with score
writes slowed down and announced, so a test can kill the worker in the middle of a job.

Before each score row is written, FAULT_MARKER is touched and the worker sleeps
FAULT_DELAY seconds (inside the job's transaction). Used by test_worker_killed only.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from celery.signals import task_prerun


@task_prerun.connect
def _slow_down_score_writes(**_kwargs) -> None:
    from projects import services_scores

    original = services_scores._upsert_score
    if getattr(original, "slowed", False):
        return

    def slowed(**kwargs):
        Path(os.environ["FAULT_MARKER"]).touch()
        time.sleep(float(os.environ.get("FAULT_DELAY", "2")))
        return original(**kwargs)

    slowed.slowed = True
    services_scores._upsert_score = slowed


if __name__ == "__main__":
    from celery.__main__ import main

    sys.argv[0] = "celery"
    main()
