"""The nightly scores run through a real Celery worker, Redis broker and PostgreSQL (second CI
pass). The beat task plans the run and fans it out per city; the worker runs every chunk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from measurements.models import HourlyRollup
from projects.models import CityStat, RescoreMark, Score
from projects.tasks import scores_nightly
from tests.factories import (
    CityFactory,
    MembershipFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    square,
)
from tests.integration.test_celery_worker import celery_worker, wait_for  # noqa: F401
from tests.measurements.factories import SensorFactory, quantity

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _city(name: str, lon: float, lat: float):
    city = CityFactory(name=name, slug=name.lower(), population=300, lon=lon, lat=lat)
    for i, (population, income) in enumerate([(100, 20_000), (200, 40_000)]):
        NeighbourhoodFactory(
            city=city,
            code=f"{name[:2].upper()}{i}",
            boundary=square(lon + 0.01 * i, lat),
            population=population,
            mean_income=income,
        )
    return city


def _project(city, slug: str, *, neighbourhood: int, lon: float, lat: float):
    project = ProjectFactory(slug=slug, title=slug.title(), cities=[city], licence="cc0")
    MembershipFactory(project=project)
    sensor = SensorFactory(project=project, lon=lon + 0.01 * neighbourhood + 0.005, lat=lat + 0.005)
    HourlyRollup.objects.create(
        sensor=sensor,
        quantity=quantity("pm25"),
        hour=timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2),
        count=3,
        flagged=0,
        mean=5.0,
        min=4.0,
        max=6.0,
    )
    return project


def test_it_computes_the_nightly_run_in_the_worker(celery_worker):  # noqa: F811
    north = _city("Northam", 5.0, 53.0)
    south = _city("Southam", 4.0, 51.0)
    projects = [
        _project(north, "north-poor", neighbourhood=0, lon=5.0, lat=53.0),
        _project(north, "north-rich", neighbourhood=1, lon=5.0, lat=53.0),
        _project(south, "south-rich", neighbourhood=1, lon=4.0, lat=51.0),
    ]

    scores_nightly.delay()

    def done():
        return CityStat.objects.count() == 2 and not RescoreMark.objects.exists()

    assert wait_for(done, seconds=60), "the worker did not finish the nightly run"
    for project in projects:
        assert Score.objects.filter(project=project, kind="comparison").count() == 1
        assert Score.objects.filter(project=project, kind="inclusivity").count() == 2
    stats = {s.city.slug: s.values for s in CityStat.objects.select_related("city")}
    assert stats["northam"]["active_sensors"] == 2
    assert stats["northam"]["neighbourhood_sensors"] == {"NO0": 1, "NO1": 1}
    assert stats["southam"]["neighbourhood_sensors"] == {"SO0": 0, "SO1": 1}
    # One sensor per neighbourhood over 100/200 residents: π = 1/3, 2/3; r = 1/6, 2/3;
    # σ = 1/2, 1/2 → CI = 2·(1/12 + 1/3) − 1 = −1/6.
    assert stats["northam"]["ci_exact"] == "-1/6"
    # The city statistics used the inclusivity of both its projects (computed before it).
    north_scores = Score.objects.filter(
        project__slug__startswith="north", kind="inclusivity", city__isnull=True
    ).values_list("value", flat=True)
    assert stats["northam"]["mean_inclusivity"] == pytest.approx(sum(north_scores) / 2)
