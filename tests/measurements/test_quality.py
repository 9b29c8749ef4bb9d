"""Quality checks: the pure rules, and the processing job that applies them after readings
land (spike, stuck value, particulate at high humidity) without touching raw values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from measurements import quality
from measurements.models import HourlyRollup, Reading
from measurements.services import readings_ingest
from tests.measurements.factories import SensorFactory

T0 = datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.fixture
def sensor(published, bob):
    return SensorFactory(project=published, owner=bob)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Ingest values 10 minutes apart and run what runs after the commit (the job)."""

    def send(sensor, user, values, *, code="pm25", start=T0, step=timedelta(minutes=10)):
        rows = [
            {
                "sensor": sensor.pk,
                "quantity": code,
                "time": (start + i * step).isoformat(),
                "value": v,
            }
            for i, v in enumerate(values)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            return readings_ingest(rows=rows, source="api", actor=user)

    return send


def flags_of(code="pm25"):
    return list(
        Reading.objects.filter(quantity__code=code).order_by("time").values_list("flags", flat=True)
    )


def test_it_flags_a_jump_beyond_the_quantitys_threshold():
    assert quality.flags_spike([10, 11, 200, 12], delta=150) == [0, 0, 4, 4]
    assert quality.flags_spike([10, 90], delta=None) == [0, 0]
    assert quality.SPIKE_THRESHOLDS["pm25"] == 150


def test_it_flags_only_runs_of_at_least_n_identical_values():
    assert quality.flags_stuck([3.0] * 9 + [4.0]) == [0] * 10
    assert quality.flags_stuck([3.0] * 10 + [4.0]) == [quality.STUCK] * 10 + [0]


def test_it_flags_particulate_only_above_85_percent_humidity():
    assert quality.flag_humid("pm10", 85.1) == quality.HUMID
    assert quality.flag_humid("pm10", 85.0) == 0
    assert quality.flag_humid("temperature", 99) == 0
    assert quality.flag_names(quality.HUMID | quality.INVALID) == ["humid", "invalid"]


def test_it_does_not_flag_rain_that_stays_zero():
    assert quality.flags_series("rainfall", [0.0] * 20) == [0] * 20


@pytest.mark.django_db
def test_the_job_flags_a_spike_and_leaves_it_out_of_the_hourly_mean(sensor, bob, send):
    send(sensor, bob, [10, 12, 400, 11, 13])

    assert flags_of() == [0, 0, quality.SPIKE, quality.SPIKE, 0]
    values = list(Reading.objects.order_by("time").values_list("value", flat=True))
    assert values == [10, 12, 400, 11, 13]  # raw values untouched
    rollup = HourlyRollup.objects.get()
    assert (rollup.count, rollup.flagged) == (5, 2)
    assert rollup.mean == pytest.approx((10 + 12 + 13) / 3)


@pytest.mark.django_db
def test_it_sees_a_spike_across_an_hour_border_sent_in_a_later_batch(sensor, bob, send):
    send(sensor, bob, [10, 11], start=T0 + timedelta(minutes=40))  # 10:40, 10:50
    send(sensor, bob, [300], start=T0 + timedelta(hours=1))  # 11:00, a separate request

    assert flags_of() == [0, 0, quality.SPIKE]


@pytest.mark.django_db
def test_it_flags_a_stuck_run_that_started_in_an_earlier_hour(sensor, bob, send):
    send(sensor, bob, [7.0] * 6, start=T0)  # 10:00 .. 10:50
    assert flags_of() == [0] * 6
    send(sensor, bob, [7.0] * 4 + [8.0], start=T0 + timedelta(hours=1))  # 11:00 ..

    assert flags_of() == [quality.STUCK] * 10 + [0]
    first_hour = HourlyRollup.objects.get(hour=T0)
    assert first_hour.flagged == 6 and first_hour.mean is None


@pytest.mark.django_db
def test_it_flags_particulate_when_humidity_arrives_later_in_the_same_hour(sensor, bob, send):
    send(sensor, bob, [20, 21], code="pm25")
    assert flags_of() == [0, 0]

    send(sensor, bob, [92], code="humidity")

    assert flags_of() == [quality.HUMID, quality.HUMID]
    assert flags_of("humidity") == [0]
    assert HourlyRollup.objects.get(quantity__code="pm25").mean is None


@pytest.mark.django_db
def test_it_does_not_flag_particulate_of_another_sensor_in_humid_air(sensor, bob, published, send):
    other = SensorFactory(project=published, owner=bob)
    send(sensor, bob, [20], code="pm25")
    send(other, bob, [95], code="humidity")

    assert flags_of() == [0]
