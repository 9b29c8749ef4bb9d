from django.urls import path

from measurements import exports, views, views_sensors, views_uploads

app_name = "measurements"

urlpatterns = [
    path("sensors/mine/", views.my_sensors, name="mine"),
    path("sensors/new/", views.sensor_create, name="sensor-create"),
    path("sensors/<int:pk>/", views.sensor_detail, name="sensor"),
    path("sensors/<int:pk>/readings/new/", views.reading_create, name="reading-create"),
    path(
        "sensors/<int:pk>/token/rotate/",
        views_sensors.sensor_token_rotate,
        name="sensor-token-rotate",
    ),
    path(
        "sensors/<int:pk>/token/revoke/",
        views_sensors.sensor_token_revoke,
        name="sensor-token-revoke",
    ),
    path("sensors/<int:pk>/active/", views_sensors.sensor_activity, name="sensor-activity"),
    path("sensors/<int:pk>/settings/", views_sensors.sensor_settings, name="sensor-settings"),
    path(
        "sensors/<int:pk>/readings/invalidate/",
        views_sensors.reading_invalidate,
        name="reading-invalidate",
    ),
    path("uploads/new/", views_uploads.upload_create, name="upload-create"),
    path("uploads/<int:pk>/", views_uploads.upload_detail, name="upload"),
    path("uploads/<int:pk>/errors.csv", views_uploads.upload_errors, name="upload-errors"),
    path("projects/<slug:slug>/export/readings.csv", exports.readings_csv, name="export-readings"),
    path(
        "projects/<slug:slug>/export/sensors.geojson",
        exports.sensors_geojson,
        name="export-sensors",
    ),
]
