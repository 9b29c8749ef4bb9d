"""Measurement pages: register a sensor, see its chart, type in a reading.

Function views; the access check comes first; writes go through one service call. The
exact location is shown only to those who may manage the sensor.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from measurements import services, views_sensors
from measurements.api import sensor_feature
from measurements.forms import ReadingForm, SensorForm
from measurements.models import HourlyRollup, Quantity, Sensor, Source

RANGES = (1, 7, 30, 90)
TOKEN_SESSION_KEY = "measurements-new-device-token-{pk}"


def _visible_sensor(request, pk: int) -> Sensor:
    """404 for sensors of projects the user may not see, as if they did not exist."""
    return get_object_or_404(
        Sensor.objects.visible_to(request.user).select_related("project"), pk=pk
    )


@login_required
def my_sensors(request):
    sensors = Sensor.objects.filter(owner=request.user).select_related("project").order_by("name")
    return render(request, "measurements/my_sensors.html", {"sensors": sensors})


@login_required
def sensor_create(request):
    form = SensorForm(
        request.POST or None, user=request.user, initial={"project": request.GET.get("project")}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        project = data.pop("project")
        try:
            sensor, token = services.sensor_register(actor=request.user, project=project, data=data)
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            # Shown once on the next page, then gone: only its digest is stored.
            request.session[TOKEN_SESSION_KEY.format(pk=sensor.pk)] = token
            messages.success(request, _("Sensor registered."))
            return redirect(sensor)
    return render(request, "measurements/sensor_form.html", {"form": form})


def _chart_data(sensor: Sensor, *, days: int) -> dict:
    """Hourly series per quantity from the rollups, as [epoch seconds, mean, min, max]."""
    end = timezone.now()
    start = end - timedelta(days=days)
    rollups = (
        HourlyRollup.objects.filter(sensor=sensor, hour__gte=start, hour__lt=end)
        .order_by("quantity_id", "hour")
        .values_list("quantity_id", "hour", "mean", "min", "max")
    )
    quantities = {q.id: q for q in Quantity.objects.all()}
    series: dict[int, dict] = {}
    for quantity_id, hour, mean, low, high in rollups:
        q = quantities[quantity_id]
        entry = series.setdefault(
            quantity_id, {"code": q.code, "name": q.name, "unit": q.unit, "points": []}
        )
        entry["points"].append([int(hour.timestamp()), mean, low, high])
    return {
        "start": int(start.timestamp()),
        "end": int(end.timestamp()),
        "series": list(series.values()),
    }


def sensor_detail(request, pk: int):
    sensor = _visible_sensor(request, pk)
    can_manage = Sensor.objects.manageable_by(request.user).filter(pk=sensor.pk).exists()
    can_write = Sensor.objects.writable_by(request.user).filter(pk=sensor.pk).exists()
    token = (
        request.session.pop(TOKEN_SESSION_KEY.format(pk=sensor.pk), None) if can_manage else None
    )
    try:
        days = int(request.GET.get("days", 7))
    except ValueError:
        days = 7
    days = days if days in RANGES else 7
    feature = sensor_feature(sensor)
    return render(
        request,
        "measurements/sensor_detail.html",
        {
            "sensor": sensor,
            "can_manage": can_manage,
            "can_write": can_write,
            "device_token": token,
            **views_sensors.management_context(sensor, request.user, can_manage=can_manage),
            "chart": _chart_data(sensor, days=days),
            "days": days,
            "ranges": RANGES,
            "features": {
                "type": "FeatureCollection",
                "features": [feature] if feature["geometry"] else [],
            },
        },
    )


@login_required
def reading_create(request, pk: int):
    sensor = _visible_sensor(request, pk)
    if not Sensor.objects.writable_by(request.user).filter(pk=sensor.pk).exists():
        raise PermissionDenied
    form = ReadingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        row = {
            "sensor": sensor.pk,
            "quantity": form.cleaned_data["quantity"].code,
            "time": form.cleaned_data["time"].isoformat(),
            "value": form.cleaned_data["value"],
            "unit": form.cleaned_data["unit"] or None,
        }
        result = services.readings_ingest(
            rows=[row], source=Source.WEB, actor=request.user
        ).results[0]
        if result.status == "accepted":
            messages.success(request, _("Reading saved."))
            return redirect(sensor)
        if result.status == "duplicate":
            form.add_error(
                "time", _("This sensor already has a reading of this quantity at this time.")
            )
        else:
            form.add_error(None, result.message.replace("Row 0: ", ""))
    return render(request, "measurements/reading_form.html", {"sensor": sensor, "form": form})
