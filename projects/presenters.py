"""Shapes of data for pages and maps (no access decisions here: callers pass visible rows)."""

from __future__ import annotations

from collections.abc import Iterable

from projects.models import Project


def project_map_features(projects: Iterable[Project]) -> dict:
    """A GeoJSON FeatureCollection with one point per (project, city), at the city centre.

    Projects carry no location of their own; the city centre is public and reveals nothing
    about any resident.
    """
    features = []
    for project in projects:
        for city in project.cities.all():
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [city.lon, city.lat]},
                    "properties": {
                        "title": project.title,
                        "url": project.get_absolute_url(),
                        "city": city.name,
                        "theme": project.get_primary_theme_display(),
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}
