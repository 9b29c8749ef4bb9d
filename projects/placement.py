"""Which neighbourhood a sensor stands in: point in polygon with a spatial index.

The index is built once per city per job from the GeoJSON boundaries and then answers
for every sensor, so 10,000 sensors in 1,000 neighbourhoods is a single vectorised query.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import shapely
from shapely.geometry import shape


class NeighbourhoodIndex:
    """An STRtree over neighbourhood boundaries, keyed by any hashable (e.g. the code).

    A point on a shared border lies in both polygons; it goes to the first one given, so the
    answer is deterministic when the caller passes the areas in a stable order.
    """

    def __init__(self, boundaries: Iterable[tuple[Hashable, dict]]) -> None:
        self.keys: list[Hashable] = []
        geometries = []
        for key, geojson in boundaries:
            try:
                geometry = shape(geojson)
            except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
                continue  # an unreadable boundary places nothing rather than failing the job
            if geometry.is_empty:
                continue
            if not geometry.is_valid:
                geometry = shapely.make_valid(geometry)
            self.keys.append(key)
            geometries.append(geometry)
        self.tree = shapely.STRtree(geometries)

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[Hashable | None]:
        """The key of the area containing each (lon, lat) point, or None outside them all."""
        result: list[Hashable | None] = [None] * len(points)
        if not points or not self.keys:
            return result
        geoms = shapely.points(np.asarray(points, dtype=float))
        point_idx, area_idx = self.tree.query(geoms, predicate="intersects")
        # Lowest area index wins for points on a border: iterate in reverse so it writes last.
        order = np.lexsort((-area_idx, point_idx))
        for p, a in zip(point_idx[order], area_idx[order], strict=True):
            result[int(p)] = self.keys[int(a)]
        return result

    def locate(self, lon: float, lat: float) -> Hashable | None:
        return self.locate_many([(lon, lat)])[0]
