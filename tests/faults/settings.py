"""Settings for the site processes the fault tests start (gunicorn, Celery workers).

Production settings, with two changes a test needs and production must not have:
- static files through the plain storage, so pages render without `collectstatic`
  (the manifest storage would turn every page into an error);
- a short broker visibility timeout (FAULT_VISIBILITY_TIMEOUT seconds, checked every
  second), so a message whose worker was killed comes back within the test, not in hours.
"""

from __future__ import annotations

import os

from citimeasure.settings import *  # noqa: F403
from citimeasure.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("FAULT_VISIBILITY_TIMEOUT", "7200")),
    # kombu looks for expired unacknowledged messages every interval × throttle seconds
    # (100 s by default); once a second here, so the redelivery fits in the test.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
