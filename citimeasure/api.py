"""The API router: every app registers its resources here under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from projects import api as projects_api

router = DefaultRouter()
router.register("projects", projects_api.ProjectViewSet, basename="project")
router.register("cities", projects_api.CityViewSet, basename="city")

urlpatterns = [
    # Readings first (the most requested); the scores' `cities/stats/` must come before the
    # router's `cities/<slug>/`.
    path("", include("measurements.api_urls")),
    path("", include("projects.api_scores")),
    path("", include(router.urls)),
]
