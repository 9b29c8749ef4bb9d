"""The sensor's owner and the project's coordinators manage the sensor, on its page and over
the API: a new device token (shown once, never cached), revoking it, switching the sensor
off and on, what it measures and how its location is published. Others are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from citimeasure.models import ApiToken, AuditEvent
from measurements.models import LocationPrecision, Reading, Sensor
from projects.choices import Role
from tests.factories import MembershipFactory, UserFactory
from tests.measurements.factories import SensorFactory, quantity

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def sensor(published, bob):
    return SensorFactory(project=published, owner=bob)


@pytest.fixture
def erin(published):
    """Another participant of the project: sees bob's sensor, may not manage it."""
    user = UserFactory(username="erin")
    MembershipFactory(project=published, user=user, role=Role.PARTICIPANT)
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def device_post(token: str, sensor: Sensor, minute: int = 0):
    """A reading sent the way the firmware does: the device token, no session."""
    return Client().post(
        "/api/v1/readings/",
        {
            "sensor": sensor.pk,
            "quantity": "pm25",
            "time": T0.replace(minute=minute).isoformat(),
            "value": 7.5,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


def page(sensor: Sensor, action: str) -> str:
    return f"/sensors/{sensor.pk}/{action}/"


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_it_shows_a_new_token_once_and_the_old_one_stops_working(who, sensor, request):
    old = sensor.device_token_issue()
    user = request.getfixturevalue(who)

    response = signed_in(user).post(page(sensor, "token/rotate"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    new = response.context["token"]
    assert new != old and new in response.content.decode()
    assert device_post(old, sensor).status_code == 401
    assert device_post(new, sensor).status_code == 201
    assert Reading.objects.get().source == "device"
    event = AuditEvent.objects.get(action="sensor.token_rotate")
    assert event.actor == user and new not in str(event.data)
    # Not kept anywhere for a second look: the sensor page does not show it again.
    assert new not in signed_in(user).get(sensor.get_absolute_url()).content.decode()


def test_it_refuses_management_to_other_participants_and_outsiders(
    sensor, erin, charlie, draft, bob
):
    token = sensor.device_token_issue()
    hidden = SensorFactory(project=draft, owner=bob)
    for action in ("token/rotate", "token/revoke", "active", "settings"):
        assert signed_in(erin).post(page(sensor, action), {"active": "false"}).status_code == 403
        assert signed_in(charlie).post(page(sensor, action), {"active": "false"}).status_code == 403
        assert signed_in(charlie).post(page(hidden, action)).status_code == 404
        assert Client().post(page(sensor, action))["Location"].startswith("/accounts/login/")
    sensor.refresh_from_db()
    assert sensor.is_active and device_post(token, sensor).status_code == 201
    assert not AuditEvent.objects.filter(action__startswith="sensor.").exists()


def test_it_shows_the_management_section_only_to_those_who_manage(sensor, bob, erin):
    owner_page = signed_in(bob).get(sensor.get_absolute_url()).content.decode()
    other_page = signed_in(erin).get(sensor.get_absolute_url()).content.decode()
    assert page(sensor, "token/rotate") in owner_page
    assert page(sensor, "token/rotate") not in other_page


def test_it_revokes_the_token_so_the_device_gets_401(sensor, alice):
    token = sensor.device_token_issue()

    response = signed_in(alice).post(page(sensor, "token/revoke"))

    assert response.status_code == 302
    assert device_post(token, sensor).status_code == 401
    assert not Reading.objects.exists()
    assert AuditEvent.objects.get(action="sensor.token_revoke").actor == alice


def test_it_switches_a_sensor_off_and_on(sensor, bob):
    token = sensor.device_token_issue()
    owner = signed_in(bob)

    owner.post(page(sensor, "active"), {"active": "false"})
    sensor.refresh_from_db()
    assert not sensor.is_active
    assert device_post(token, sensor).status_code == 401

    owner.post(page(sensor, "active"), {"active": "true"})
    sensor.refresh_from_db()
    assert sensor.is_active
    assert device_post(token, sensor, minute=1).status_code == 201


def test_it_changes_nothing_for_an_unclear_activity_choice(sensor, bob):
    response = signed_in(bob).post(page(sensor, "active"), {"active": "maybe"}, follow=True)
    sensor.refresh_from_db()
    assert sensor.is_active
    assert "Choose whether the sensor is active or inactive." in response.content.decode()


def test_it_edits_the_quantities_and_the_location_precision(sensor, bob):
    pm25, humidity = quantity("pm25"), quantity("humidity")

    response = signed_in(bob).post(
        page(sensor, "settings"),
        {"quantities": [pm25.pk, humidity.pk], "location_precision": LocationPrecision.HIDDEN},
    )

    assert response.status_code == 302
    sensor.refresh_from_db()
    assert set(sensor.quantities.all()) == {pm25, humidity}
    assert sensor.location_precision == LocationPrecision.HIDDEN
    assert (sensor.published_lat, sensor.published_lon) == (None, None)


def test_it_rejects_an_unknown_precision_and_changes_nothing(sensor, alice):
    response = signed_in(alice).post(
        page(sensor, "settings"),
        {"quantities": [quantity("pm25").pk], "location_precision": "street"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["location_precision"]
    sensor.refresh_from_db()
    assert sensor.location_precision == LocationPrecision.APPROXIMATE
    assert not sensor.quantities.exists()


# --- the API ------------------------------------------------------------------------------


def token_url(sensor: Sensor) -> str:
    return f"/api/v1/sensors/{sensor.pk}/token/"


def personal(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user=user, name='script')[1]}")
    return api


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_it_rotates_over_the_api_and_returns_the_token_once(who, api, sensor, request):
    old = sensor.device_token_issue()

    response = personal(api, request.getfixturevalue(who)).post(token_url(sensor))

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    new = response.json()["token"]
    assert response.json()["sensor"] == sensor.pk
    assert device_post(old, sensor).status_code == 401
    assert device_post(new, sensor).status_code == 201
    assert AuditEvent.objects.filter(action="sensor.token_rotate").count() == 1


def test_it_revokes_over_the_api(api, sensor, bob):
    token = sensor.device_token_issue()

    response = personal(api, bob).delete(token_url(sensor))

    assert response.status_code == 204
    assert device_post(token, sensor).status_code == 401
    assert AuditEvent.objects.get(action="sensor.token_revoke").actor == bob


def test_it_refuses_token_changes_over_the_api_to_others(api, sensor, erin, charlie, draft, bob):
    token = sensor.device_token_issue()
    hidden = SensorFactory(project=draft, owner=bob)

    assert api.post(token_url(sensor)).status_code == 401
    assert personal(api, erin).post(token_url(sensor)).status_code == 403
    assert personal(api, erin).delete(token_url(sensor)).status_code == 403
    assert personal(api, charlie).post(token_url(hidden)).status_code == 404
    assert personal(api, charlie).delete(token_url(hidden)).status_code == 404
    assert device_post(token, sensor).status_code == 201


def test_it_does_not_let_a_device_re_key_itself(api, sensor):
    token = sensor.device_token_issue()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post(token_url(sensor)).status_code == 401
    assert device_post(token, sensor).status_code == 201
