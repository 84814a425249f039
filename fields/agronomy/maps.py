"""PNG maps of an index, of management zones and of a prescription, over the field's outline.

A farmer would rather look at a map than read a table of zone means, so each result of the
agronomy chain can be drawn. The three maps share one frame, the field's local metric CRS
(``fields.crs``) in metres from the field's south-west corner, north up, so they sit side by
side in a report and distances can be read off the axes. The index raster is resampled into
that frame with rasterio (nearest pixel, so values are never invented).

Drawing uses matplotlib's object API on an Agg canvas: no pyplot, no global state, no screen,
so a map can be made in a web worker or a batch job. Labels are ASCII and Latin (the default
fonts may lack Japanese glyphs).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self, TypeAlias

import numpy as np
import numpy.typing as npt
import shapely
from affine import Affine
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from rasterio.crs import CRS
from shapely import MultiPolygon, Polygon
from shapely.affinity import translate
from shapely.geometry.base import BaseGeometry

from fields.agronomy.errors import BadPrescription, NotEnoughData
from fields.agronomy.field_window import FieldWindow, read_field_window
from fields.agronomy.field_window import reproject as reproject_geometry
from fields.agronomy.model import FieldShape, ZoneMap
from fields.crs import LocalCrs, area_m2, local_crs_for, to_local

__all__ = ["PrescriptionArea", "index_map_png", "prescription_map_png", "zones_map_png"]

PrescriptionArea: TypeAlias = tuple[Polygon | MultiPolygon, float, str]
"""One area of a prescription: its WGS84 geometry, its rate, and a label (a zone name)."""

_DPI = 110
_FIGURE_WIDTH_IN = 8.0
_MAP_WIDTH_IN = 6.0  # what is left beside the colour bar
_INDEX_CMAP = "RdYlGn"  # low red, high green: the reading of vegetation indices
_RATE_CMAP = "YlGnBu"
_M2_PER_HA = 10_000.0


@dataclass(frozen=True, kw_only=True, slots=True)
class _Frame:
    """The field's local CRS, with metres counted from the field's south-west corner."""

    crs: LocalCrs
    x0: float
    y0: float
    outline: BaseGeometry
    """The field in the frame."""

    @classmethod
    def of(cls, field: FieldShape) -> Self:
        centroid = field.geometry.centroid
        crs = local_crs_for(centroid.x, centroid.y)
        local = to_local(field.geometry, crs)
        x0, y0 = local.bounds[0], local.bounds[1]
        return cls(crs=crs, x0=x0, y0=y0, outline=translate(local, -x0, -y0))

    def place(self, wgs84: BaseGeometry) -> BaseGeometry:
        """A WGS84 geometry in the frame."""
        return translate(to_local(wgs84, self.crs), -self.x0, -self.y0)


def index_map_png(
    index_raster: Path, field: FieldShape, out_path: Path, *, index: str = "NDVI"
) -> Path:
    """Draw an index raster over a field, with a colour bar and the field outline.

    Pixels around the field are drawn faded for context. The colour scale runs from the 2nd
    to the 98th percentile of the field's pixels, so the differences within it show.

    Parameters
    ----------
    index_raster
        A single-band index GeoTIFF, north up, in any CRS.
    field
        The field outline, WGS84.
    out_path
        Where to write the PNG; its folder is created if missing.
    index
        Name of the index, for the title and the colour bar.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    BadRaster
        The file cannot be read, has more than one band, or is not georeferenced north up.
    FieldOutsideImage
        The field does not overlap the image, or every pixel over it is masked.
    """
    window = read_field_window(index_raster, field)
    frame = _Frame.of(field)
    values, extent = _resample(window, frame)
    in_field = window.values[window.inside & np.isfinite(window.values)]
    low, high = (float(v) for v in np.percentile(in_field, (2, 98)))
    if high - low < 1e-6:
        low, high = low - 0.05, high + 0.05
    fig, ax = _figure(frame)
    norm = Normalize(vmin=low, vmax=high)
    clip = ax.add_patch(PathPatch(_rings_path(frame.outline), facecolor="none", edgecolor="none"))
    for alpha in (0.35, 1.0):  # faded context, then the field itself
        image = ax.imshow(
            np.ma.masked_invalid(values),
            cmap=_INDEX_CMAP,
            norm=norm,
            extent=extent,
            alpha=alpha,
            interpolation="nearest",
        )
    image.set_clip_path(clip)
    fig.colorbar(image, ax=ax, shrink=0.8, label=index)
    _outline(ax, frame)
    _finish(ax, frame, _title(field.id, f"{index}", window.image_date))
    return _save(fig, out_path)


def zones_map_png(zone_map: ZoneMap, out_path: Path, *, field: FieldShape) -> Path:
    """Draw the management zones of a field, coloured from the lowest index to the highest.

    Parameters
    ----------
    zone_map
        The zones, as ``management_zones`` returns them.
    out_path
        Where to write the PNG; its folder is created if missing.
    field
        The field the zones are of, for the outline and the frame.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    NotEnoughData
        The zone map has no zones.
    ValueError
        ``field`` is not the field of ``zone_map``.
    """
    if not zone_map.zones:
        raise NotEnoughData(f"field {zone_map.field_id}: the zone map has no zones to draw")
    if zone_map.field_id != field.id:
        raise ValueError(f"zones of field {zone_map.field_id} drawn over field {field.id}")
    frame = _Frame.of(field)
    cmap = colormaps[_INDEX_CMAP]
    n = len(zone_map.zones)
    fig, ax = _figure(frame)
    handles = []
    for zone in zone_map.zones:
        colour = cmap(0.5 if n == 1 else 0.1 + 0.8 * (zone.zone - 1) / (n - 1))
        _fill(ax, frame.place(zone.geometry), colour)
        label = (
            f"Zone {zone.zone}: {zone_map.index} {zone.stats.mean:.2f}, {_hectares(zone.area_m2)}"
        )
        handles.append(Patch(facecolor=colour, edgecolor="black", label=label))
    _outline(ax, frame)
    _legend(fig, handles)
    _finish(ax, frame, _title(field.id, f"{zone_map.index} zones", zone_map.image_date))
    return _save(fig, out_path)


def prescription_map_png(
    zones_with_rates: Sequence[PrescriptionArea],
    out_path: Path,
    *,
    field: FieldShape,
    unit: str,
    product: str,
) -> Path:
    """Draw a prescription: each area coloured by its rate, with a colour bar and a legend.

    Parameters
    ----------
    zones_with_rates
        ``(WGS84 geometry, rate, label)`` for each area, e.g. one per management zone.
    out_path
        Where to write the PNG; its folder is created if missing.
    field
        The field prescribed, for the outline, the frame and the title.
    unit
        Unit of the rates, e.g. ``"kg/ha"`` or ``"L/ha"``.
    product
        What is applied, e.g. ``"urea"``.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    BadPrescription
        No areas, an area that is not a polygon, or a rate that is negative or not a number;
        the message names the area's label.
    """
    if not zones_with_rates:
        raise BadPrescription(f"field {field.id}: the prescription has no areas to draw")
    for geometry, rate, label in zones_with_rates:
        if not isinstance(geometry, Polygon | MultiPolygon) or geometry.is_empty:
            raise BadPrescription(f"field {field.id}, area {label!r}: not a polygon")
        if not math.isfinite(rate) or rate < 0:
            raise BadPrescription(f"field {field.id}, area {label!r}: rate {rate} {unit}")
    frame = _Frame.of(field)
    rates = [rate for _, rate, _ in zones_with_rates]
    norm = Normalize(
        vmin=min(rates), vmax=max(rates) if max(rates) > min(rates) else min(rates) + 1
    )
    cmap = colormaps[_RATE_CMAP]
    fig, ax = _figure(frame)
    handles = []
    for geometry, rate, label in sorted(zones_with_rates, key=lambda area: area[1]):
        colour = cmap(0.15 + 0.85 * float(norm(rate)))
        _fill(ax, frame.place(geometry), colour)
        text = f"{label}: {rate:g} {unit}, {_hectares(area_m2(geometry, frame.crs))}"
        handles.append(Patch(facecolor=colour, edgecolor="black", label=text))
    _outline(ax, frame)
    _legend(fig, handles)
    _finish(ax, frame, _title(field.id, f"{product} ({unit})", None))
    return _save(fig, out_path)


def _resample(
    window: FieldWindow, frame: _Frame
) -> tuple[npt.NDArray[np.float64], tuple[float, float, float, float]]:
    """The window's values on a grid of the frame, of about the same pixel size, and its extent."""
    left, bottom, right, top = reproject_geometry(
        shapely.box(*window.bounds), window.crs, CRS.from_epsg(frame.crs.epsg)
    ).bounds
    size_m = math.sqrt(
        area_m2(reproject_geometry(shapely.box(*window.bounds), window.crs, "EPSG:4326"), frame.crs)
        / window.values.size
    )
    width, height = math.ceil((right - left) / size_m), math.ceil((top - bottom) / size_m)
    transform = Affine(size_m, 0.0, left, 0.0, -size_m, top)
    grid = window.resampled(transform, CRS.from_epsg(frame.crs.epsg), (height, width))
    extent = (
        left - frame.x0,
        left + width * size_m - frame.x0,
        top - height * size_m - frame.y0,
        top - frame.y0,
    )
    return grid, extent


def _figure(frame: _Frame) -> tuple[Figure, Axes]:
    """A figure whose height follows the field's shape, so a long field leaves no blank band."""
    minx, miny, maxx, maxy = frame.outline.bounds
    aspect = (maxy - miny) / max(maxx - minx, 1e-9)
    height_in = min(max(_MAP_WIDTH_IN * aspect + 1.6, 3.5), 10.0)
    fig = Figure(figsize=(_FIGURE_WIDTH_IN, height_in), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _rings_path(geom: BaseGeometry) -> MplPath:
    """One matplotlib path of every ring, shells anticlockwise and holes clockwise."""
    vertices: list[tuple[float, float]] = []
    codes: list[np.uint8] = []
    for polygon in shapely.get_parts(shapely.orient_polygons(geom)):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = list(ring.coords)
            vertices += coords
            codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY]
    return MplPath(vertices, codes)


def _fill(ax: Axes, geom: BaseGeometry, colour: tuple[float, float, float, float]) -> None:
    ax.add_patch(PathPatch(_rings_path(geom), facecolor=colour, edgecolor="0.25", linewidth=0.6))


def _outline(ax: Axes, frame: _Frame) -> None:
    path = _rings_path(frame.outline)
    ax.add_patch(PathPatch(path, facecolor="none", edgecolor="black", linewidth=1.6))


def _legend(fig: Figure, handles: list[Patch]) -> None:
    """Below the map, lowest first, where the constrained layout leaves it room."""
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), fontsize=8)


def _hectares(m2: float) -> str:
    hectares = m2 / _M2_PER_HA
    return f"{hectares:.2f} ha" if hectares >= 1 else f"{hectares:.3f} ha"


def _finish(ax: Axes, frame: _Frame, title: str) -> None:
    """Equal scale, the field with a margin, axes in metres, a north arrow and the title."""
    minx, miny, maxx, maxy = frame.outline.bounds
    margin = 0.05 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - margin, maxx + margin)
    ax.set_ylim(miny - margin, maxy + margin)
    ax.set_aspect("equal")
    ax.set_xlabel(f"m east of the field's south-west corner ({frame.crs.name})", fontsize=8)
    ax.set_ylabel("m north", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.annotate(  # above the top-left corner, where it never hides the field
        "N",
        xy=(0.0, 1.12),
        xytext=(0.0, 1.02),
        xycoords="axes fraction",
        ha="center",
        va="bottom",
        fontweight="bold",
        annotation_clip=False,
        arrowprops={"arrowstyle": "-|>", "color": "black", "shrinkA": 0, "shrinkB": 0},
    )
    ax.set_title(title, fontsize=11)


def _title(field_id: str, what: str, image_date: str | None) -> str:
    return f"Field {field_id}: {what}" + (f", {image_date}" if image_date else "")


def _save(fig: Figure, out_path: Path) -> Path:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path, format="png")
    return out_path
