"""Data the fault tests share: a scored project with sensors, and table snapshots to compare."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection

from citimeasure.models import ApiToken
from measurements.models import DailyRollup, DirtyHour, HourlyRollup, Reading, Sensor
from projects.choices import Role
from projects.models import CityStat, Project, RescoreMark, Score
from tests.factories import (
    CityFactory,
    MembershipFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    UserFactory,
)
from tests.measurements.factories import SensorFactory

#: Readings are sent for hours of yesterday, so none is "in the future".
T0 = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


@dataclass
class World:
    project: Project
    sensors: list[Sensor]
    user: object  # the coordinator who owns the sensors
    token: str  # a personal API token of a participant

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


def make_world(*, sensors: int = 2, neighbourhoods: int = 4) -> World:
    """A published project in one city, with neighbourhoods (so it gets real scores)."""
    city = CityFactory(name="Faultville", slug="faultville", lat=52.0, lon=5.0)
    for i in range(neighbourhoods):
        NeighbourhoodFactory(city=city, boundary=_square(5.0 + 0.01 * i, 52.0))
    project = ProjectFactory(cities=[city], free_to_join=True, licence="cc0")
    user = UserFactory(username="sender")
    MembershipFactory(project=project, user=user, role=Role.COORDINATOR)
    made = [
        SensorFactory(project=project, owner=user, lat=52.005, lon=5.005 + 0.01 * i)
        for i in range(sensors)
    ]
    _row, token = ApiToken.issue(user=user, name="fault test")
    return World(project=project, sensors=made, user=user, token=token)


def _square(lon: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def rollups_from_raw() -> set[tuple]:
    """The hourly rollups as a direct SQL aggregation of the raw readings (the reference)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sensor_id, quantity_id, date_trunc('hour', time AT TIME ZONE 'UTC'), "
            "count(*), count(*) FILTER (WHERE flags > 0), "
            "avg(value) FILTER (WHERE flags = 0), min(value) FILTER (WHERE flags = 0), "
            f"max(value) FILTER (WHERE flags = 0) FROM {Reading._meta.db_table} "
            "GROUP BY 1, 2, 3"
        )
        return {
            (s, q, h.replace(tzinfo=UTC), n, f, _r(mean), _r(lo), _r(hi))
            for s, q, h, n, f, mean, lo, hi in cursor.fetchall()
        }


def rollups_stored() -> set[tuple]:
    return {
        (r.sensor_id, r.quantity_id, r.hour.astimezone(UTC), r.count, r.flagged)
        + (_r(r.mean), _r(r.min), _r(r.max))
        for r in HourlyRollup.objects.all()
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 9)


def snapshot() -> dict[str, list]:
    """Every row the background jobs write, without the time they were computed at."""
    return {
        "hourly": sorted(rollups_stored(), key=repr),
        "daily": sorted(
            repr(row)
            for row in DailyRollup.objects.values_list(
                "sensor", "quantity", "day", "count", "flagged", "mean", "min", "max"
            )
        ),
        "dirty": list(DirtyHour.objects.order_by("pk").values_list("sensor", "quantity", "hour")),
        "scores": sorted(
            repr((s.project_id, s.city_id, s.kind, s.method, str(s.day), _r(s.value), s.components))
            for s in Score.objects.all()
        ),
        "city_stats": sorted(
            (c.city_id, str(c.day), repr(c.values)) for c in CityStat.objects.all()
        ),
        "rescore_marks": list(RescoreMark.objects.values_list("project_id", flat=True)),
    }
