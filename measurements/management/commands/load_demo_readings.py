"""`manage.py load_demo_readings`: invented demo sensors and 14 days of their readings.

Run after `load_demo`. The sensors come from seeds/demo_sensors.json (INVENTED devices at
made-up points in the synthetic neighbourhoods, owned by each project's demo coordinator);
the readings are generated: hourly values with a daily cycle plus noise from a
random.Random seeded with the sensor's name, so every install gets the same series.

Idempotent: sensors are keyed by (project, name) and readings go through
`readings_ingest`, which reports rows already stored as duplicates and leaves them alone;
a second run (for the same end hour) adds nothing.

Planted faults, so the quality checks have something to show: a few out-of-plausible-range
values (stored, flagged) and one sensor missing a whole day.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from measurements.models import Quantity, Sensor, Source
from measurements.processing import rollups_process_dirty
from measurements.services import readings_ingest
from projects.models import Project

SENSORS_FILE = Path(settings.BASE_DIR) / "seeds" / "demo_sensors.json"
DAYS = 14
HOUR = timedelta(hours=1)
SENSOR_FIELDS = ("owner", "kit", "lat", "lon", "location_precision", "height_m")
# Every FAULT_EVERY-th sensor (in file order) gets one value above the plausible range.
FAULT_EVERY = 9
# This sensor (index in file order) misses one whole day of readings.
GAP_SENSOR = 1
GAP_START_DAY = 6


class Command(BaseCommand):
    help = (
        "Create the invented demo sensors (seeds/demo_sensors.json) and 14 days of generated "
        "hourly readings, then compute the rollups. Run after load_demo. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", default=str(SENSORS_FILE), help="the sensors file (default: %(default)s)"
        )
        parser.add_argument(
            "--end",
            help="the last reading's hour, ISO 8601 with offset (default: start of this hour)",
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"No sensors file at {path}")
        end = hour_start(parse_end(options["end"]) if options["end"] else timezone.now())
        data = json.loads(path.read_text(encoding="utf-8"))
        started = time.monotonic()
        reading_tally: Counter = Counter()
        quantities = {q.code: q for q in Quantity.objects.all()}
        # One transaction: the rollup and rescore jobs that each ingest schedules after its
        # commit then run once at the end (and find the rollups already done) instead of
        # once per sensor.
        with transaction.atomic():
            sensors, sensor_tally = load_sensors(data["projects"])
            for index, (sensor, codes) in enumerate(sensors):
                rows = generate_rows(sensor, [quantities[c] for c in codes], end=end, index=index)
                report = readings_ingest(rows=rows, source=Source.CSV, actor=sensor.owner)
                reading_tally.update(
                    accepted=report.accepted,
                    duplicates=report.duplicates,
                    rejected=report.rejected,
                )
            ingested = time.monotonic()
            processed = rollups_process_dirty()
            rolled = time.monotonic()
        self.stdout.write(
            f"sensors: {sensor_tally['created']} created, {sensor_tally['updated']} updated, "
            f"{sensor_tally['unchanged']} unchanged "
            f"(in {len({s.project_id for s, _ in sensors})} projects)"
        )
        self.stdout.write(
            f"readings: {reading_tally['accepted']} accepted, "
            f"{reading_tally['duplicates']} duplicates, {reading_tally['rejected']} rejected "
            f"(hourly, {DAYS} days up to {end:%Y-%m-%dT%H:%MZ})"
        )
        self.stdout.write(
            f"rollups: {processed} dirty hours processed; took {ingested - started:.1f} s "
            f"to ingest, {rolled - ingested:.1f} s to roll up, "
            f"{time.monotonic() - started:.1f} s in all"
        )
        self.stdout.write(self.style.SUCCESS("Demo readings loaded."))


def parse_end(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--end {text!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise CommandError(f"--end {text!r} needs a UTC offset, e.g. {text}Z")
    return parsed


def hour_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def load_sensors(entries: list[dict[str, Any]]) -> tuple[list[tuple[Sensor, list[str]]], Counter]:
    """Create or update the sensors (keyed by project and name); return them with the
    quantity codes each measures, in file order."""
    users = {u.email: u for u in get_user_model().objects.all()}
    slugs = [e["project"] for e in entries]
    projects = Project.objects.in_bulk(slugs, field_name="slug")
    missing = sorted(set(slugs) - set(projects))
    if missing:
        raise CommandError(
            f"Projects not found (run `manage.py load_demo` first): {', '.join(missing)}"
        )
    existing = {
        (s.project_id, s.name): s
        for s in Sensor.objects.filter(project__in=projects.values()).select_related("owner")
    }
    tally: Counter = Counter()
    result = []
    for entry in entries:
        project = projects[entry["project"]]
        owner = users.get(entry["owner"])
        if owner is None:
            raise CommandError(f"Demo user {entry['owner']} not found (run load_demo first).")
        for item in entry["sensors"]:
            values = {
                "owner": owner,
                "kit": item.get("kit", ""),
                "lat": item["lat"],
                "lon": item["lon"],
                "location_precision": item.get("location_precision", "approximate"),
                "height_m": item.get("height_m"),
            }
            sensor = existing.get((project.pk, item["name"]))
            if sensor is None:
                sensor = Sensor.objects.create(project=project, name=item["name"], **values)
                tally["created"] += 1
            else:
                changed = [k for k in SENSOR_FIELDS if getattr(sensor, k) != values[k]]
                for name in changed:
                    setattr(sensor, name, values[name])
                if changed:
                    sensor.save()
                    tally["updated"] += 1
                else:
                    tally["unchanged"] += 1
            result.append((sensor, list(item["quantities"])))
    by_owner: dict[Any, list[int]] = {}
    for sensor, _ in result:
        by_owner.setdefault(sensor.owner, []).append(sensor.pk)
    for owner, ids in by_owner.items():
        allowed = set(
            Sensor.objects.writable_by(owner).filter(pk__in=ids).values_list("pk", flat=True)
        )
        refused = [s.name for s, _ in result if s.pk in set(ids) - allowed]
        if refused:
            raise CommandError(
                f"{owner.email} is not an active member of the project of: {', '.join(refused)}"
            )
    return result, tally


# --- generated values -----------------------------------------------------------------


def daily(hour: int, peak: int) -> float:
    """A cosine over the day, 1 at `peak` o'clock (UTC), −1 twelve hours later."""
    return math.cos((hour - peak) / 24 * 2 * math.pi)


def generate_rows(
    sensor: Sensor, quantities: list[Quantity], *, end: datetime, index: int
) -> list[dict[str, Any]]:
    """Hourly rows for DAYS days up to and including `end`, deterministic per sensor name."""
    rng = random.Random(sensor.name)
    hours = [end - HOUR * i for i in range(DAYS * 24 - 1, -1, -1)]
    if index == GAP_SENSOR:
        gap_start = hours[0] + timedelta(days=GAP_START_DAY)
        hours = [h for h in hours if not gap_start <= h < gap_start + timedelta(days=1)]
    base = {
        "pm25": rng.uniform(6, 16),
        "noise_laeq": rng.uniform(44, 58),
        "temperature": rng.uniform(3, 9),
        "humidity": rng.uniform(75, 88),
    }
    rows = []
    for moment in hours:
        h = moment.hour
        values = {
            "pm25": max(0.5, base["pm25"] + 4 * daily(h, 7) + 3 * daily(h, 18) + rng.gauss(0, 2)),
            "noise_laeq": base["noise_laeq"] + 8 * daily(h, 13) + rng.gauss(0, 2.5),
            "temperature": base["temperature"] + 3.5 * daily(h, 14) + rng.gauss(0, 0.6),
            "rainfall": rng.expovariate(1 / 1.2) if rng.random() < 0.07 else 0.0,
        }
        values["pm10"] = values["pm25"] * rng.uniform(1.4, 1.9)
        values["humidity"] = min(
            100.0, max(30.0, base["humidity"] - 10 * daily(h, 14) + rng.gauss(0, 3))
        )
        for quantity in quantities:
            rows.append(
                {
                    "sensor": sensor.pk,
                    "quantity": quantity.code,
                    "time": moment.isoformat(),
                    "value": round(values[quantity.code], quantity.decimals),
                }
            )
    if index % FAULT_EVERY == 0 and rows:
        # One implausible but physically possible value: stored, and flagged out of range.
        row = rows[len(rows) // 2]
        quantity = next(q for q in quantities if q.code == row["quantity"])
        if quantity.plausible_max < quantity.hard_max:
            row["value"] = min(quantity.hard_max, quantity.plausible_max + 10)
        else:
            row["value"] = (quantity.hard_min + quantity.plausible_min) / 2
    return rows
