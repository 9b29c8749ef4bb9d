"""Shared set-up for the benchmarks: a project, sensors with device tokens, timing helpers."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def make_project(*, sensors: int, quantities: tuple[str, ...] = ("pm25",)):
    """A published project with one member and `sensors` sensors; returns (project, user,
    [(sensor, device token), ...])."""
    from django.contrib.auth import get_user_model

    from measurements.models import Quantity, Sensor
    from projects.choices import Moderation, Role
    from projects.models import Membership, Project

    user = get_user_model().objects.create_user(
        username="bench", email="bench@example.org", password="bench-password-123"
    )
    project = Project.objects.create(
        title="Benchmark", slug="benchmark", summary="benchmark", moderation=Moderation.PUBLISHED
    )
    Membership.objects.create(project=project, user=user, role=Role.COORDINATOR)
    made = []
    for i in range(sensors):
        sensor = Sensor.objects.create(
            project=project, owner=user, name=f"bench-{i}", lat=52.0 + i / 1000, lon=5.1
        )
        sensor.quantities.set(Quantity.objects.filter(code__in=quantities))
        made.append((sensor, sensor.device_token_issue()))
    return project, user, made


def median_ms(fn: Callable[[], object], *, repeat: int = 7) -> float:
    """Median wall time of `fn` in ms, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def line(label: str, value: str) -> None:
    print(f"{label:<58} {value}")
