"""Seed the standard quantities (canonical unit, hard limits, plausible range, decimals)."""

from django.db import migrations

# code, name, unit, hard_min, hard_max, plausible_min, plausible_max, decimals, spike_delta
QUANTITIES = [
    ("pm1", "PM1", "µg/m³", 0, 2000, 0, 500, 1, 150),
    ("pm25", "PM2.5", "µg/m³", 0, 2000, 0, 500, 1, 150),
    ("pm10", "PM10", "µg/m³", 0, 2000, 0, 1000, 1, 250),
    ("no2", "Nitrogen dioxide", "µg/m³", 0, 2000, 0, 400, 1, 150),
    ("o3", "Ozone", "µg/m³", 0, 1000, 0, 400, 1, 150),
    ("noise_laeq", "Noise level (LAeq)", "dB(A)", 0, 200, 20, 130, 1, 40),
    ("noise_lamax", "Noise peak (LAmax)", "dB(A)", 0, 200, 20, 140, 1, None),
    ("temperature", "Air temperature", "°C", -100, 100, -40, 50, 1, 10),
    ("humidity", "Relative humidity", "%", 0, 100, 1, 100, 0, 40),
    ("pressure", "Air pressure", "hPa", 300, 1200, 870, 1085, 1, 10),
    ("rainfall", "Rainfall", "mm", 0, 1000, 0, 200, 1, None),
    ("water_temperature", "Water temperature", "°C", -5, 100, 0, 35, 1, 5),
    ("soil_moisture", "Soil moisture", "%", 0, 100, 0, 100, 0, 40),
    ("traffic_car", "Cars", "count", 0, 1_000_000, 0, 20_000, 0, None),
    ("traffic_bike", "Bicycles", "count", 0, 1_000_000, 0, 20_000, 0, None),
    ("traffic_pedestrian", "Pedestrians", "count", 0, 1_000_000, 0, 50_000, 0, None),
]


def seed(apps, schema_editor):
    Quantity = apps.get_model("measurements", "Quantity")
    for code, name, unit, hmin, hmax, pmin, pmax, decimals, spike in QUANTITIES:
        Quantity.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name, unit=unit, hard_min=hmin, hard_max=hmax, plausible_min=pmin,
                plausible_max=pmax, decimals=decimals, spike_delta=spike,
            ),
        )


def unseed(apps, schema_editor):
    apps.get_model("measurements", "Quantity").objects.filter(code__in=[q[0] for q in QUANTITIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("measurements", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
