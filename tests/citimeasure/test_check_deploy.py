"""`manage.py check --deploy` is clean under production-like settings.

Django's deployment checks (HSTS, secure cookies, SSL redirect, secret key strength, …) and
drf-spectacular's schema warnings only show with DEBUG off, so the command runs in a fresh
process with a production environment; a warning fails the test, as it fails CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.citimeasure.test_settings import PRODUCTION

BASE_DIR = Path(__file__).resolve().parents[2]


def test_it_passes_the_deployment_checks_with_production_settings() -> None:
    """No check may be silenced: each warning is a real gap in a production deployment."""
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **PRODUCTION}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
