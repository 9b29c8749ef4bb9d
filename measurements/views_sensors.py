"""Managing a sensor from its page: the device token, on/off, what it measures, how its
location is published, and a coordinator's invalidation of a reading.

Only the sensor's owner and the project's coordinators manage it
(`Sensor.objects.manageable_by`); others who may see the sensor get 403, the rest 404.
Every write is one service call.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from measurements import services
from measurements.models import LocationPrecision, Quantity, Reading, Sensor
from measurements.quality import flag_names
from projects.choices import Role

#: How many of the latest readings the sensor page lists for invalidation.
RECENT_READINGS = 20


class SensorSettingsForm(forms.Form):
    quantities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Quantities measured"),
        queryset=Quantity.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    location_precision = forms.ChoiceField(
        label=gettext_lazy("Location shown publicly"),
        choices=LocationPrecision.choices,
        widget=forms.RadioSelect,
    )


class InvalidateForm(forms.Form):
    reading = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=1000, strip=True)


def _manageable_sensor(request, pk: int) -> Sensor:
    """404 when the user may not see the sensor, 403 when they see it but may not manage it."""
    sensor = get_object_or_404(
        Sensor.objects.visible_to(request.user).select_related("project"), pk=pk
    )
    if not Sensor.objects.manageable_by(request.user).filter(pk=sensor.pk).exists():
        raise PermissionDenied
    return sensor


def management_context(sensor: Sensor, user, *, can_manage: bool) -> dict:
    """What the sensor page needs for its management section (empty for other visitors)."""
    if not can_manage:
        return {}
    context: dict = {
        "settings_form": SensorSettingsForm(
            initial={
                "quantities": list(sensor.quantities.all()),
                "location_precision": sensor.location_precision,
            }
        ),
        "can_invalidate": sensor.project.role_of(user) == Role.COORDINATOR,
    }
    if context["can_invalidate"]:
        readings = (
            Reading.objects.filter(sensor=sensor)
            .select_related("quantity")
            .order_by("-time", "-id")[:RECENT_READINGS]
        )
        context["recent_readings"] = [
            {"reading": r, "flags": flag_names(r.flags)} for r in readings
        ]
    return context


@login_required
@require_POST
@never_cache
def sensor_token_rotate(request, pk: int):
    """Answer with the new token on this response only (no-store: never cached, not kept
    in the session, not shown again)."""
    sensor = _manageable_sensor(request, pk)
    token = services.sensor_token_reissue(actor=request.user, sensor=sensor)
    return render(request, "measurements/sensor_token.html", {"sensor": sensor, "token": token})


@login_required
@require_POST
def sensor_token_revoke(request, pk: int):
    sensor = _manageable_sensor(request, pk)
    if services.sensor_token_revoke(actor=request.user, sensor=sensor):
        messages.success(request, _("Device token revoked: the device can no longer send."))
    else:
        messages.info(request, _("This sensor had no device token."))
    return redirect(sensor)


@login_required
@require_POST
def sensor_activity(request, pk: int):
    sensor = _manageable_sensor(request, pk)
    choice = request.POST.get("active")
    if choice not in ("true", "false"):
        messages.error(request, _("Choose whether the sensor is active or inactive."))
        return redirect(sensor)
    active = choice == "true"
    services.sensor_activity_set(actor=request.user, sensor=sensor, active=active)
    messages.success(
        request, _("The sensor is active.") if active else _("The sensor is inactive.")
    )
    return redirect(sensor)


@login_required
def sensor_settings(request, pk: int):
    sensor = _manageable_sensor(request, pk)
    form = SensorSettingsForm(
        request.POST or None,
        initial={
            "quantities": list(sensor.quantities.all()),
            "location_precision": sensor.location_precision,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.sensor_settings_update(
                actor=request.user,
                sensor=sensor,
                quantities=form.cleaned_data["quantities"],
                location_precision=form.cleaned_data["location_precision"],
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Sensor settings saved."))
            return redirect(sensor)
    return render(request, "measurements/sensor_settings.html", {"sensor": sensor, "form": form})


@login_required
@require_POST
def reading_invalidate(request, pk: int):
    """Invalidate one reading of this sensor (coordinators only; the service decides)."""
    sensor = get_object_or_404(
        Sensor.objects.visible_to(request.user).select_related("project"), pk=pk
    )
    if sensor.project.role_of(request.user) != Role.COORDINATOR:
        raise PermissionDenied
    form = InvalidateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reading and say why it is invalid."))
        return redirect(sensor)
    reading = Reading.objects.filter(sensor=sensor, pk=form.cleaned_data["reading"]).first()
    if reading is None:
        messages.error(request, _("That reading is not one of this sensor's."))
        return redirect(sensor)
    try:
        report = services.reading_invalidate(
            actor=request.user, reading=reading, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(sensor)
    if report.created:
        messages.success(request, _("The reading is marked invalid; its value is kept."))
    else:
        messages.info(request, _("This reading was already marked invalid."))
    return redirect(sensor)
