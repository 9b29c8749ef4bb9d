"""`manage.py load_demo_readings`: invented demo sensors and 90 days of their readings.

Run after `load_demo`. The sensors come from seeds/demo_sensors.json (INVENTED devices at
made-up points in the synthetic neighbourhoods, owned by each project's demo coordinator);
the readings are generated: hourly values with a daily cycle (rush hours for particulates
and noise, afternoon warmth), a weekly one (less traffic at the weekend), a slow drift and
noise from a random.Random seeded with the sensor's name, so every install gets the same
series.

Planted faults, so the quality checks have something to show: a few out-of-plausible-range
values (flagged at ingestion), a PM2.5 spike, a temperature sensor stuck for 12 hours, a
particulate sensor in fog (humidity above 85 %), one sensor missing a whole day and a few
missing some hours. Values are never "fixed": the job flags them, as it would live data.

Speed: generated rows are known to be well-formed, so they are written with one
`INSERT … ON CONFLICT DO NOTHING` executemany per sensor (plausible-range flags set as
`readings_ingest` would) instead of through the per-row validation of `readings_ingest`;
then the same processing job as for live data (`measurements.processing.buckets_process`)
flags and rolls up, and the projects are rescored once. About 200,000 readings for the 69
demo sensors load in well under a minute on SQLite.

Idempotent: sensors are keyed by (project, name) and a reading already stored (same
sensor, quantity and time) is counted as a duplicate and left alone; a second run (for the
same end hour) adds nothing.
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
from django.db import connection, transaction
from django.utils import timezone

from measurements import quality
from measurements.models import Quantity, Reading, Sensor, Source
from measurements.processing import buckets_process
from projects.models import Project
from projects.services_scores import rescore_after_readings

SENSORS_FILE = Path(settings.BASE_DIR) / "seeds" / "demo_sensors.json"
DAYS = 90
HOUR = timedelta(hours=1)
SENSOR_FIELDS = ("owner", "kit", "lat", "lon", "location_precision", "height_m")
# Every FAULT_EVERY-th sensor (in file order) gets one value above the plausible range.
FAULT_EVERY = 9
# This sensor (index in file order) misses one whole day of readings.
GAP_SENSOR = 1
GAP_START_DAY = 6
# Every OUTAGE_EVERY-th sensor loses OUTAGE_HOURS hours of readings (a router restart).
OUTAGE_EVERY = 7
OUTAGE_HOURS = 5
STUCK_HOURS = 12  # longer than quality.STUCK_RUN, so the run is flagged
FOG_HOURS = 3


class Command(BaseCommand):
    help = (
        "Create the invented demo sensors (seeds/demo_sensors.json) and 90 days of generated "
        "hourly readings, then flag them and compute the rollups. Run after load_demo. "
        "Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", default=str(SENSORS_FILE), help="the sensors file (default: %(default)s)"
        )
        parser.add_argument(
            "--end",
            help="the last reading's hour, ISO 8601 with offset (default: start of this hour)",
        )
        parser.add_argument(
            "--days", type=int, default=DAYS, help="days of readings (default: %(default)s)"
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"No sensors file at {path}")
        end = hour_start(parse_end(options["end"]) if options["end"] else timezone.now())
        data = json.loads(path.read_text(encoding="utf-8"))
        days = options["days"]
        if days < 2:
            raise CommandError("--days must be at least 2")
        started = time.monotonic()
        reading_tally: Counter = Counter()
        quantities = {q.code: q for q in Quantity.objects.all()}
        processed = 0
        with transaction.atomic():
            sensors, sensor_tally = load_sensors(data["projects"])
            new_buckets: list[tuple] = []
            for index, (sensor, codes) in enumerate(sensors):
                rows = generate_rows(
                    sensor, [quantities[c] for c in codes], end=end, index=index, days=days
                )
                accepted = store_rows(rows, quantities=quantities, received_at=timezone.now())
                reading_tally.update(accepted=len(accepted), duplicates=len(rows) - len(accepted))
                new_buckets.extend(accepted)
            ingested = time.monotonic()
            if new_buckets:
                processed = buckets_process(buckets=new_buckets)
                rescore_after_readings(project_ids={s.project_id for s, _ in sensors})
            rolled = time.monotonic()
        self.stdout.write(
            f"sensors: {sensor_tally['created']} created, {sensor_tally['updated']} updated, "
            f"{sensor_tally['unchanged']} unchanged "
            f"(in {len({s.project_id for s, _ in sensors})} projects)"
        )
        self.stdout.write(
            f"readings: {reading_tally['accepted']} accepted, "
            f"{reading_tally['duplicates']} duplicates, 0 rejected "
            f"(hourly, {days} days up to {end:%Y-%m-%dT%H:%MZ})"
        )
        self.stdout.write(
            f"rollups: {processed} hours checked and rolled up; took {ingested - started:.1f} s "
            f"to store, {rolled - ingested:.1f} s to check and roll up, "
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


def weekly(moment: datetime) -> float:
    """Traffic factor by weekday: 1 on working days, 0.85 on Saturday, 0.75 on Sunday."""
    return (1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.75)[moment.weekday()]


def generate_rows(
    sensor: Sensor, quantities: list[Quantity], *, end: datetime, index: int, days: int = DAYS
) -> list[dict[str, Any]]:
    """Hourly rows for `days` days up to and including `end`, deterministic per sensor name
    (and per `end`). Faults are planted at fixed places relative to the start."""
    rng = random.Random(sensor.name)
    first = end - HOUR * (days * 24 - 1)
    hours = [first + HOUR * i for i in range(days * 24)]
    if index == GAP_SENSOR:
        gap_start = first + timedelta(days=GAP_START_DAY)
        hours = [h for h in hours if not gap_start <= h < gap_start + timedelta(days=1)]
    if index % OUTAGE_EVERY == 3:
        outage = first + timedelta(days=days // 4, hours=index % 24)
        hours = [h for h in hours if not outage <= h < outage + HOUR * OUTAGE_HOURS]
    base = {
        "pm25": rng.uniform(6, 16),
        "noise_laeq": rng.uniform(44, 58),
        "temperature": rng.uniform(3, 9),
        "humidity": rng.uniform(66, 76),
    }
    codes = [q.code for q in quantities]
    stuck_from = first + timedelta(days=days // 2, hours=9)
    spike_at = first + timedelta(days=days // 3, hours=13)
    fog_from = first + timedelta(days=days // 5, hours=4)
    rows = []
    for moment in hours:
        h = moment.hour
        day = (moment - first) / timedelta(days=1)
        drift = math.sin(day / 45 * math.pi)  # a slow change over the period
        traffic = weekly(moment)
        values = {
            "pm25": max(
                0.5,
                (base["pm25"] + 4 * daily(h, 7) + 3 * daily(h, 18)) * traffic
                + 3 * drift
                + rng.gauss(0, 2),
            ),
            "noise_laeq": base["noise_laeq"] + 8 * daily(h, 13) * traffic + rng.gauss(0, 2.5),
            "temperature": base["temperature"] + 3 * drift + 3.5 * daily(h, 14) + rng.gauss(0, 0.6),
            "rainfall": rng.expovariate(1 / 1.2) if rng.random() < 0.07 else 0.0,
        }
        values["pm10"] = values["pm25"] * rng.uniform(1.4, 1.9)
        values["humidity"] = min(
            99.0, max(30.0, base["humidity"] - 10 * daily(h, 14) + rng.gauss(0, 3))
        )
        if (
            "pm25" in codes
            and "humidity" in codes
            and fog_from <= moment < fog_from + HOUR * FOG_HOURS
        ):
            values["humidity"] = 96.0  # fog: the particulate counter sees droplets
            values["pm25"] *= 2.5
            values["pm10"] *= 2.5
        if index == 2 and moment == spike_at:
            values["pm25"] += 220  # a counter glitch: plausible on its own, a spike in context
        if "temperature" in codes and stuck_from <= moment < stuck_from + HOUR * STUCK_HOURS:
            if index % 10 == 1:
                values["temperature"] = 7.3  # a frozen sensor repeating its last value
        for quantity in quantities:
            rows.append(
                {
                    "sensor": sensor.pk,
                    "quantity": quantity.code,
                    "time": moment,
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


def store_rows(
    rows: list[dict[str, Any]], *, quantities: dict[str, Quantity], received_at: datetime
) -> list[tuple[int, int, datetime]]:
    """Insert the rows not stored yet (all of one sensor); return the (sensor, quantity,
    hour) buckets of those that were new. Flags as at ingestion (plausible range)."""
    if not rows:
        return []
    sensor_id = rows[0]["sensor"]
    existing = set(Reading.objects.filter(sensor_id=sensor_id).values_list("quantity_id", "time"))
    existing = {(q, t.astimezone(UTC)) for q, t in existing}
    adapt = connection.ops.adapt_datetimefield_value
    new, params = [], []
    for row in rows:
        q = quantities[row["quantity"]]
        if (q.pk, row["time"]) in existing:
            continue
        flags = quality.flag_range(row["value"], low=q.plausible_min, high=q.plausible_max)
        new.append((sensor_id, q.pk, row["time"]))
        params.append(
            (
                sensor_id,
                q.pk,
                adapt(row["time"]),
                row["value"],
                flags,
                Source.CSV,
                adapt(received_at),
            )
        )
    table = connection.ops.quote_name(Reading._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (sensor_id, quantity_id, time, value, flags, source, "
            "received_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (sensor_id, quantity_id, time) DO NOTHING",
            params,
        )
    return new
