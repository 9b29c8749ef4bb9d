from django.urls import path

from measurements import exports, views, views_uploads

app_name = "measurements"

urlpatterns = [
    path("sensors/mine/", views.my_sensors, name="mine"),
    path("sensors/new/", views.sensor_create, name="sensor-create"),
    path("sensors/<int:pk>/", views.sensor_detail, name="sensor"),
    path("sensors/<int:pk>/readings/new/", views.reading_create, name="reading-create"),
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
