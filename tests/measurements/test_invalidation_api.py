"""A coordinator invalidates a reading over the API or from the sensor page: the value is
kept, the INVALID flag set, the rollup mean leaves it out, the audit log has the reason.
Who may see the reading but not moderate it gets 403; who may not see it, 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from citimeasure.models import ApiToken, AuditEvent
from measurements import quality
from measurements.models import HourlyRollup, Invalidation, Reading
from measurements.services import readings_ingest
from tests.measurements.factories import SensorFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 10, tzinfo=UTC)


def _ingest(sensor, bob, capture) -> list[Reading]:
    rows = [
        {
            "sensor": sensor.pk,
            "quantity": "pm25",
            "time": T0.replace(minute=m).isoformat(),
            "value": v,
        }
        for m, v in ((0, 10.0), (10, 20.0), (20, 90.0))
    ]
    with capture(execute=True):
        readings_ingest(rows=rows, source="api", actor=bob)
    return list(Reading.objects.filter(sensor=sensor).order_by("time"))


@pytest.fixture
def readings(published, bob, django_capture_on_commit_callbacks):
    return _ingest(
        SensorFactory(project=published, owner=bob), bob, django_capture_on_commit_callbacks
    )


def url(reading: Reading) -> str:
    return f"/api/v1/readings/{reading.pk}/invalidate/"


def personal(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user=user, name='script')[1]}")
    return api


def test_it_invalidates_keeping_the_value_and_leaving_it_out_of_the_mean(
    api, readings, alice, django_capture_on_commit_callbacks
):
    bad = readings[2]
    assert HourlyRollup.objects.get().mean == pytest.approx(40.0)

    with django_capture_on_commit_callbacks(execute=True):
        response = personal(api, alice).post(
            url(bad), {"reason": "Sensor stood next to a barbecue"}, format="json"
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["value"], body["created"]) == (90.0, True)
    assert "invalid" in body["flags"]
    bad.refresh_from_db()
    assert bad.value == 90.0 and bad.flags & quality.INVALID
    assert HourlyRollup.objects.get().mean == pytest.approx(15.0)
    event = AuditEvent.objects.get(action="reading.invalidate")
    assert event.actor == alice and event.data["reason"] == "Sensor stood next to a barbecue"


def test_it_reports_a_second_invalidation_as_nothing_new(api, readings, alice):
    client = personal(api, alice)
    client.post(url(readings[0]), {"reason": "first"}, format="json")
    response = client.post(url(readings[0]), {"reason": "second"}, format="json")
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["reason"]) == (False, "first")
    assert AuditEvent.objects.filter(action="reading.invalidate").count() == 1


def test_it_refuses_those_who_see_the_reading_403_and_others_404(
    api, readings, bob, charlie, draft, django_capture_on_commit_callbacks
):
    hidden = _ingest(
        SensorFactory(project=draft, owner=bob), bob, django_capture_on_commit_callbacks
    )

    assert api.post(url(readings[0]), {"reason": "x"}, format="json").status_code == 401
    assert (
        personal(api, bob).post(url(readings[0]), {"reason": "x"}, format="json").status_code == 403
    )
    assert (
        personal(api, charlie).post(url(readings[0]), {"reason": "x"}, format="json").status_code
        == 403
    )
    assert (
        personal(api, charlie).post(url(hidden[0]), {"reason": "x"}, format="json").status_code
        == 404
    )
    assert not Invalidation.objects.exists()
    assert not Reading.objects.filter(flags__gt=0).exists()


@pytest.mark.parametrize("body", [{}, {"reason": "  "}, {"reason": 5}, {"reason": ["why"]}])
def test_it_needs_a_reason_as_text_and_changes_nothing_without(api, readings, alice, body):
    response = personal(api, alice).post(url(readings[0]), body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert not Invalidation.objects.exists()
    readings[0].refresh_from_db()
    assert readings[0].flags == 0


# --- the sensor page ----------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_recent_readings_with_a_form_for_coordinators_only(readings, alice, bob):
    sensor = readings[0].sensor
    action = f"/sensors/{sensor.pk}/readings/invalidate/"
    assert action in signed_in(alice).get(sensor.get_absolute_url()).content.decode()
    # bob owns the sensor (he manages it) but is not a coordinator.
    assert action not in signed_in(bob).get(sensor.get_absolute_url()).content.decode()


def test_it_invalidates_from_the_sensor_page(
    readings, alice, bob, django_capture_on_commit_callbacks
):
    sensor, bad = readings[0].sensor, readings[2]
    action = f"/sensors/{sensor.pk}/readings/invalidate/"

    assert signed_in(bob).post(action, {"reading": bad.pk, "reason": "x"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(alice).post(action, {"reading": bad.pk, "reason": "In the sun"})

    assert response.status_code == 302
    bad.refresh_from_db()
    assert bad.value == 90.0 and bad.flags & quality.INVALID
    assert HourlyRollup.objects.get().mean == pytest.approx(15.0)
    assert AuditEvent.objects.get(action="reading.invalidate").data["reason"] == "In the sun"


def test_it_refuses_a_reading_of_another_sensor_from_the_page(readings, alice, published, bob):
    other = SensorFactory(project=published, owner=bob)
    response = signed_in(alice).post(
        f"/sensors/{other.pk}/readings/invalidate/",
        {"reading": readings[0].pk, "reason": "wrong sensor"},
        follow=True,
    )
    assert "That reading is not one of this sensor&#x27;s." in response.content.decode()
    assert not Invalidation.objects.exists()
