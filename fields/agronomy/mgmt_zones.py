"""Management zones: a field split into a few areas of like index that a machine can treat alike.

A spreader or a spraying drone changes its rate per area, not per pixel, so the pixels of an
index image are grouped into a chosen number of classes (k-means on the index values, which
in one dimension amounts to natural breaks), the class map is smoothed by a majority filter,
and every patch smaller than a workable area is merged into the neighbour it shares the
longest border with. The patches are merged on the pixel grid first, where a noisy image of a
million pixels takes a second, then vectorised, simplified, clipped to the field outline and
checked again as polygons, as clipping can cut a patch in two. Each zone gets the statistics
of the index over the final polygons, each pixel weighted by the share of it inside the zone
(exactextract).

Vectorised, the borders between zones are staircases of pixel edges (0.5 m steps on a drone
image, 10 m on Sentinel-2) that no drone or spreader follows and that bloat prescription
files. They are simplified as a coverage (``shapely.coverage_simplify``, Visvalingam–Whyatt):
each shared border once, so the zones still tile without gaps or overlaps, before clipping,
with the outer boundary of the pixels left alone, so the field outline comes out exact. The
tolerance is two pixels: the method drops a vertex whose triangle with its neighbours is
smaller than tolerance², and a staircase corner's triangle is half its run times one step,
so one pixel would only flatten 45° staircases while two flattens every run of up to seven
pixels. The border then moves by about a quarter of a pixel on average (about a pixel at
most on smooth borders), well within the pixel the class boundary is known to, and what is
dropped is slivers a pixel or two wide. Simplification can cut or shrink a piece, so
the minimum area is enforced after it.

Pixels are classified only when at least half of them lies in the field, so a road or a ditch
along the edge does not make a zone of its own; the rim pixels the outline cuts, and pixels
masked inside the field (nodata, NaN: cloud, shadow), take the class of the nearest classified
pixel, so the zones tile the whole part of the field the image covers. Their masked share shows
as ``valid_fraction`` below 1 in the zone statistics.

The work is done in the raster's own CRS, where pixels tile exactly; areas are measured in the
field's local metric CRS (``fields.crs``), and the zones are returned in WGS84.
"""

import heapq
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import rasterio.features
import shapely
from exactextract import exact_extract
from scipy.ndimage import distance_transform_edt, label, uniform_filter
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from fields.agronomy.errors import NotEnoughData
from fields.agronomy.field_window import (
    FieldWindow,
    exactextract_inputs,
    polygonal,
    read_field_window,
    reproject,
)
from fields.agronomy.model import FieldShape, IndexStats, ManagementZone, ZoneMap
from fields.agronomy.weighted import weighted_index_stats
from fields.crs import LocalCrs, area_m2, local_crs_for

__all__ = ["MIN_PIXELS_PER_ZONE", "management_zones"]

MIN_PIXELS_PER_ZONE = 4
"""Fewest valid pixels inside the field per zone asked for; below it, k-means has no basis."""

_FIT_SAMPLE = 50_000  # k-means is fitted on at most this many pixels, drawn with the seed
_KMEANS_N_INIT = 4

_ClassGrid: TypeAlias = npt.NDArray[np.int32]
_Floats: TypeAlias = npt.NDArray[np.float64]
_Pieces: TypeAlias = list[tuple[int, BaseGeometry]]


def management_zones(
    index_raster: Path,
    field: FieldShape,
    *,
    n_zones: int = 3,
    min_zone_area_m2: float = 200.0,
    smoothing_px: int = 1,
    seed: int = 0,
    index: str = "NDVI",
    simplify_px: float = 2.0,
) -> ZoneMap:
    """Split a field into management zones of like index value.

    Parameters
    ----------
    index_raster
        A single-band index GeoTIFF, north up, in any CRS; NaN or the declared nodata is masked.
    field
        The field outline, WGS84.
    n_zones
        How many zones to aim for. Fewer come back when the index has fewer distinct values
        (a uniform field gives one zone) or when a class is merged away as too small.
    min_zone_area_m2
        The smallest polygon, in m², a machine can treat on its own; smaller ones are merged
        into the neighbour they share the longest border with. A piece with no neighbour
        (a separate small part of a multi-part field) is kept.
    smoothing_px
        Radius in pixels of the majority filter run on the class map; 0 turns it off.
    seed
        Seed of k-means; the same seed and image give the same zones.
    index
        Name of the index in the raster, recorded in the result.
    simplify_px
        Tolerance, in pixels, of the simplification of the borders between zones: vertices
        whose triangle with their neighbours is under ``simplify_px``² pixels go (the module
        docstring says why 2); 0 keeps the pixel staircase. The field outline is never
        simplified.

    Returns
    -------
    ZoneMap
        Zones numbered from 1 (lowest mean index) upwards, in WGS84, each a Polygon, or a
        MultiPolygon when in pieces, with its area in m² and its coverage-weighted statistics.
        Together they tile the part of the field the image covers.

    Raises
    ------
    BadRaster
        The file cannot be read, has more than one band, or is not georeferenced north up.
    FieldOutsideImage
        The field does not overlap the image, or every pixel over it is masked.
    NotEnoughData
        Fewer than ``MIN_PIXELS_PER_ZONE * n_zones`` valid pixels lie in the field.
    ValueError
        ``n_zones``, ``min_zone_area_m2``, ``smoothing_px`` or ``simplify_px`` out of range.
    """
    if n_zones < 1 or min_zone_area_m2 < 0 or smoothing_px < 0 or not simplify_px >= 0:
        raise ValueError(
            f"n_zones {n_zones} (≥ 1), min_zone_area_m2 {min_zone_area_m2} (≥ 0), "
            f"smoothing_px {smoothing_px} (≥ 0), simplify_px {simplify_px} (≥ 0)"
        )
    window = read_field_window(index_raster, field)
    known = window.inside & np.isfinite(window.values)
    if known.sum() < MIN_PIXELS_PER_ZONE * n_zones:
        raise NotEnoughData(
            f"field {field.id}: {int(known.sum())} valid pixels in it in {index_raster}, "
            f"{MIN_PIXELS_PER_ZONE * n_zones} needed for {n_zones} zones"
        )
    centres = _cluster_centres(window.values[known], n_zones, seed)
    classes = _majority(_classify(window, known, centres), len(centres), smoothing_px)
    local = local_crs_for(field.geometry.centroid.x, field.geometry.centroid.y)
    m2_per_unit = area_m2(field.geometry, local) / window.field_geometry.area
    min_area = min_zone_area_m2 / m2_per_unit  # in raster CRS units²
    classes = _merge_regions(classes, window, min_area)
    pieces = _merge_pieces(_clipped_pieces(classes, window, simplify_px), min_area)
    zones = _numbered_zones(pieces, window, local)
    return ZoneMap(field_id=field.id, index=index, image_date=window.image_date, zones=zones)


def _numbered_zones(
    pieces: _Pieces, window: FieldWindow, local: LocalCrs
) -> tuple[ManagementZone, ...]:
    """One zone per class left, with its statistics, numbered by mean index, in WGS84."""
    by_class: dict[int, list[BaseGeometry]] = defaultdict(list)
    for cls, geom in pieces:
        by_class[cls].append(geom)
    geoms = [polygonal(shapely.union_all(by_class[cls])) for cls in sorted(by_class)]
    stats = _zone_stats(window, geoms)
    # a zone wholly under cloud has no mean; it goes last rather than break the order
    order = sorted(
        range(len(geoms)),
        key=lambda i: (not stats[i].has_data, stats[i].mean if stats[i].has_data else 0.0, i),
    )
    zones = []
    for number, i in enumerate(order, start=1):
        wgs84 = polygonal(reproject(geoms[i], window.crs, "EPSG:4326"))
        area = area_m2(wgs84, local)
        zones.append(ManagementZone(zone=number, geometry=wgs84, area_m2=area, stats=stats[i]))
    return tuple(zones)


def _cluster_centres(sample: _Floats, n_zones: int, seed: int) -> _Floats:
    """Class centres of the index values, ascending; no more than there are distinct values."""
    if sample.size > _FIT_SAMPLE:
        sample = np.random.default_rng(seed).choice(sample, _FIT_SAMPLE, replace=False)
    n_clusters = min(n_zones, np.unique(sample).size)
    if n_clusters == 1:
        return np.array([float(sample.mean())])
    kmeans = KMeans(n_clusters=n_clusters, n_init=_KMEANS_N_INIT, random_state=seed)
    # One thread: on 50,000 values it takes well under a second, and OpenMP's workers
    # spinning on a busy machine (a web worker, a CI runner) made it 50 times slower.
    with threadpool_limits(limits=1):
        kmeans.fit(sample.reshape(-1, 1))
    return np.sort(np.asarray(kmeans.cluster_centers_, dtype=np.float64).ravel())


def _classify(window: FieldWindow, known: npt.NDArray[np.bool_], centres: _Floats) -> _ClassGrid:
    """Class 1..k of every pixel the field overlaps (0 elsewhere).

    Valid pixels mostly in the field go to the nearest centre; the others take the class of
    the nearest such pixel.
    """
    breaks = (centres[1:] + centres[:-1]) / 2.0
    nearest = np.searchsorted(breaks, np.where(known, window.values, 0.0)) + 1
    if not known.all():
        _, (rows, cols) = distance_transform_edt(~known, return_indices=True)
        nearest = nearest[rows, cols]
    return np.where(window.touched, nearest, 0).astype(np.int32)


def _majority(classes: _ClassGrid, n_classes: int, radius_px: int) -> _ClassGrid:
    """Mode filter over a (2r+1)² window among pixels of the field; ties keep the pixel's class."""
    if radius_px == 0 or n_classes == 1:
        return classes
    size = 2 * radius_px + 1
    counts = np.stack(
        [
            uniform_filter((classes == cls).astype(np.float32), size=size, mode="constant")
            for cls in range(1, n_classes + 1)
        ]
    )
    rows, cols = np.nonzero(classes)
    counts[classes[rows, cols] - 1, rows, cols] += 0.5 / size**2
    smoothed = np.argmax(counts, axis=0).astype(np.int32) + 1
    return np.where(classes > 0, smoothed, 0).astype(np.int32)


def _merge_regions(classes: _ClassGrid, window: FieldWindow, min_area: float) -> _ClassGrid:
    """Merge each 4-connected patch of one class whose area in the field is under ``min_area``,
    smallest first, into the patch it shares the most pixel edge with."""
    labels = np.zeros(classes.shape, dtype=np.int64)
    region_class = [0]
    for cls in range(1, int(classes.max()) + 1):
        patches, count = label(classes == cls)
        labels[patches > 0] = patches[patches > 0] + len(region_class) - 1
        region_class += [cls] * count
    n = len(region_class)
    pixel_area = abs(window.transform.a * window.transform.e)
    area = np.bincount(labels.ravel(), weights=window.coverage.ravel(), minlength=n) * pixel_area
    borders = _borders(labels, n, (abs(window.transform.e), abs(window.transform.a)))
    parent = np.arange(n)

    def absorb(src: int, dst: int) -> None:
        for nb, length in borders.pop(src, {}).items():
            del borders[nb][src]
            if nb != dst:
                borders[nb][dst] = borders[nb].get(dst, 0.0) + length
                borders[dst][nb] = borders[dst].get(nb, 0.0) + length
        area[dst] += area[src]
        parent[src] = dst

    heap = [(float(area[r]), r) for r in range(1, n) if area[r] < min_area]
    heapq.heapify(heap)
    while heap:
        size, r = heapq.heappop(heap)
        if parent[r] != r or size != area[r] or not borders.get(r):
            continue  # merged away, grown since, or alone in its part of the field
        best = max(sorted(borders[r]), key=borders[r].__getitem__)
        joined = [nb for nb in borders[r] if nb != best and region_class[nb] == region_class[best]]
        absorb(r, best)
        for nb in joined:  # joined to best through r: one patch now; keep the longer list
            small, best = sorted((nb, best), key=lambda x: (len(borders[x]), x))
            absorb(small, best)
        if area[best] < min_area:
            heapq.heappush(heap, (float(area[best]), best))
    while not np.array_equal(parent[parent], parent):
        parent = parent[parent]
    return np.asarray(region_class, dtype=np.int32)[parent[labels]]


def _borders(
    labels: npt.NDArray[np.int64], n: int, edge_lengths: tuple[float, float]
) -> dict[int, dict[int, float]]:
    """Length of border each pair of patches shares, both ways round."""
    borders: dict[int, dict[int, float]] = defaultdict(dict)
    sides = ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :]))
    for (a, b), length in zip(sides, edge_lengths, strict=True):
        differ = (a != b) & (a > 0) & (b > 0)
        low, high = np.minimum(a[differ], b[differ]), np.maximum(a[differ], b[differ])
        keys, counts = np.unique(low * n + high, return_counts=True)
        for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
            i, j = divmod(key, n)
            borders[i][j] = borders[j][i] = borders[i].get(j, 0.0) + count * length
    return borders


def _clipped_pieces(classes: _ClassGrid, window: FieldWindow, simplify_px: float) -> _Pieces:
    """Connected areas of one class, in the raster CRS, their shared borders simplified, cut
    to the field outline."""
    shapes = list(
        rasterio.features.shapes(
            classes, mask=classes > 0, connectivity=4, transform=window.transform
        )
    )
    values = [int(value) for _, value in shapes]
    geoms = [shapely.geometry.shape(geojson) for geojson, _ in shapes]
    pixel = math.sqrt(abs(window.transform.a * window.transform.e))  # side of a square pixel
    if simplify_px > 0 and len(geoms) > 1:
        # The pixel polygons are an exact coverage (shared edges have the same vertices), as
        # coverage_simplify needs. Their outer boundary, the touched pixels' rim, holds the
        # field, so it is kept and the clip below gives the outline.
        geoms = list(shapely.coverage_simplify(geoms, simplify_px * pixel, simplify_boundary=False))
    # Each piece is clipped on its own. On a grid of a millionth of a pixel the point where a
    # border crosses the outline comes out the same in the pieces on both sides, which must
    # share that border to be merged; unsnapped, they could miss each other by a rounding
    # error, and slivers that thin (an outline a rounding error off the pixel edges) remained.
    clipped = shapely.intersection(geoms, window.field_geometry, grid_size=pixel * 1e-6)
    return [
        (value, part)
        for value, geom in zip(values, clipped, strict=True)
        for part in _parts(geom)
        if part.area > 0
    ]


def _merge_pieces(pieces: Sequence[tuple[int, BaseGeometry]], min_area: float) -> _Pieces:
    """Merge each polygon under ``min_area``, smallest first, into the neighbour it shares the
    longest border with, until none is small or can merge."""
    classes = [cls for cls, _ in pieces]
    geoms = [geom for _, geom in pieces]
    alive = [True] * len(geoms)
    neighbours: list[set[int]] = [set() for _ in geoms]
    pairs = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    for a, b in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        if a != b:
            neighbours[a].add(b)
    heap = [(geom.area, i) for i, geom in enumerate(geoms) if geom.area < min_area]
    heapq.heapify(heap)
    while heap:
        size, i = heapq.heappop(heap)
        if not alive[i] or size != geoms[i].area:
            continue  # merged away, or grown since this entry was pushed
        borders = {
            j: shapely.intersection(geoms[i].boundary, geoms[j].boundary).length
            for j in neighbours[i]
        }
        best = max(sorted(borders), key=borders.__getitem__, default=None)
        if best is None or borders[best] <= 0:
            continue  # alone in its part of the field: nothing to merge into
        geoms[best] = shapely.union(geoms[best], geoms[i])
        alive[i] = False
        for j in neighbours[i] - {best}:
            neighbours[j].discard(i)
            neighbours[j].add(best)
            neighbours[best].add(j)
        neighbours[best].discard(i)
        if geoms[best].area < min_area:
            heapq.heappush(heap, (geoms[best].area, best))
    return [(classes[i], geoms[i]) for i in range(len(geoms)) if alive[i]]


def _parts(geom: BaseGeometry) -> list[Polygon]:
    """The polygons of a clip; none when it collapsed to a point or a line on the grid."""
    if geom.is_empty or geom.area == 0:
        return []
    whole = polygonal(geom)
    return list(whole.geoms) if isinstance(whole, MultiPolygon) else [whole]


def _zone_stats(window: FieldWindow, geoms: Sequence[BaseGeometry]) -> list[IndexStats]:
    """Coverage-weighted index statistics over each geometry (raster CRS), from the values
    and covered shares exactextract gives (``fields.agronomy.weighted`` says why)."""
    raster, features = exactextract_inputs(window, np.ma.masked_invalid(window.values), geoms)
    rows = exact_extract(raster, features, ["values", "coverage", _covered])
    return [
        weighted_index_stats(
            row["properties"]["values"],
            row["properties"]["coverage"],
            pixels=float(row["properties"]["_covered"]),
        )
        for row in rows
    ]


def _covered(values: Any, coverage: Any) -> float:
    """Pixels covered, masked or not (an exactextract Python operation)."""
    return float(np.sum(coverage))
