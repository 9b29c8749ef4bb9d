"""The measurements API routes, included under /api/v1/ by citimeasure/api.py."""

from django.urls import path

from measurements import api, api_sensors, api_series, api_uploads

urlpatterns = [
    path("readings/", api.ReadingsView.as_view(), name="readings"),
    path("uploads/", api_uploads.UploadsView.as_view(), name="uploads"),
    path("uploads/<int:pk>/", api_uploads.UploadDetailView.as_view(), name="upload"),
    path(
        "ingest/opensensemap/boxes/<str:box_id>/data",
        api_uploads.OpenSenseMapView.as_view(),
        name="ingest-opensensemap",
    ),
    path("sensors/", api.SensorsView.as_view(), name="sensors"),
    path("sensors/<int:pk>/token/", api_sensors.SensorTokenView.as_view(), name="sensor-token"),
    path(
        "readings/<int:pk>/invalidate/",
        api_sensors.ReadingInvalidateView.as_view(),
        name="reading-invalidate",
    ),
    path("series/", api_series.SeriesView.as_view(), name="series"),
    path("sensors/<int:pk>/series/", api.SensorSeriesView.as_view(), name="sensor-series"),
    path(
        "ingest/sensor-community/",
        api.SensorCommunityView.as_view(),
        name="ingest-sensor-community",
    ),
    # The same endpoint under the name used in the team's plan; the firmware needs only one.
    path(
        "devices/sensor-community/",
        api.SensorCommunityView.as_view(),
        name="device-sensor-community",
    ),
]
