"""Agronomy: from multispectral images to indices, management zones, prescriptions and yields.

Pure values and file I/O, as the rest of ``fields``; the database and the routes live in
``api``. Rasters are read with rasterio window by window, zonal statistics come from
exactextract, index formulas from the Awesome Spectral Indices catalogue (spyndex), zones
from scikit-learn's k-means, season yields from FAO's AquaCrop (the ``aquacrop`` package).

The package root re-exports the light modules: images, indices, statistics, prescriptions
and their files. The modules that pull in scikit-learn, matplotlib or aquacrop (about a
second each to import) are imported by their path, so that ``tanbo plan spray
--prescription`` does not pay for them::

    from fields.agronomy.mgmt_zones import management_zones      # scikit-learn
    from fields.agronomy.maps import index_map_png              # matplotlib
    from fields.agronomy.forecast import forecast_yield         # aquacrop
    from fields.agronomy.yield_model import train_yield_model   # scikit-learn

``exact``, ``field_window`` and ``weighted`` are internal machinery of ``zonal`` and
``mgmt_zones``.
"""

from fields.agronomy.bands import (
    PROFILES,
    SYMBOLS,
    BandMap,
    SensorProfile,
    band_map_matches,
    detect_sensor,
    get_profile,
    parse_band_map,
)
from fields.agronomy.errors import (
    AgronomyError,
    BadPrescription,
    BadRaster,
    BandProblem,
    FieldOutsideImage,
    NotEnoughData,
)
from fields.agronomy.imagefiles import (
    Assignment,
    BandSource,
    RasterFile,
    assign_bands,
    image_date,
    scan_files,
    translating_errors,
)
from fields.agronomy.index_grid import IndexGrid, index_grid
from fields.agronomy.indices import (
    INDEX_NAMES,
    IndexInfo,
    bands_for,
    compute_index,
    index_info,
    write_index_rasters,
)
from fields.agronomy.isoxml import (
    DDI_SETPOINT_MASS_PER_AREA,
    DDI_SETPOINT_VOLUME_PER_AREA,
    GRID_FILENAME,
    IsoxmlLayout,
    setpoint,
    write_taskdata,
)
from fields.agronomy.model import (
    FieldShape,
    IndexStats,
    ManagementZone,
    ZoneMap,
)
from fields.agronomy.prescription import (
    NITROGEN_RULES,
    Budget,
    NitrogenRule,
    Prescription,
    ZonePrescription,
    nitrogen_rule_named,
    prescribe,
)
from fields.agronomy.prescription_io import (
    RATE_COLUMNS,
    WRITE_SUFFIXES,
    read_prescription,
    write_prescription,
)
from fields.agronomy.products import (
    PRODUCTS,
    Product,
    ProductForm,
    product_named,
)
from fields.agronomy.rasters import (
    Bounds,
    Image,
    open_image,
    split_window,
    window_bounds,
    window_for_bounds,
    windows,
)
from fields.agronomy.rate_grid import (
    NODATA,
    GridCrs,
    grid_crs_for,
    read_rate_grid,
    write_rate_grid,
)
from fields.agronomy.rate_map import (
    RATE_UNITS,
    RateMap,
    RateZone,
    normal_unit,
)
from fields.agronomy.reading import (
    RAW_COUNT_LIMIT,
    ImageReader,
    Masked,
    read_bands,
)
from fields.agronomy.sentinel2 import (
    BASELINE_WITH_OFFSET,
    SCL_CLASSES,
    SCL_MASKED,
    L2aOffset,
    band_files,
    l2a_offset,
    product_date,
    safe_root,
)
from fields.agronomy.zonal import (
    FieldProblem,
    FieldStats,
    FieldStatsResult,
    ProblemReason,
    index_time_series,
    zonal_stats,
    zone_stats,
)
from fields.agronomy.zones_io import (
    read_zone_maps,
    write_zone_map,
    zone_map_document,
)

__all__ = [
    "BASELINE_WITH_OFFSET",
    "DDI_SETPOINT_MASS_PER_AREA",
    "DDI_SETPOINT_VOLUME_PER_AREA",
    "GRID_FILENAME",
    "INDEX_NAMES",
    "NITROGEN_RULES",
    "NODATA",
    "PRODUCTS",
    "PROFILES",
    "RATE_COLUMNS",
    "RATE_UNITS",
    "RAW_COUNT_LIMIT",
    "SCL_CLASSES",
    "SCL_MASKED",
    "SYMBOLS",
    "WRITE_SUFFIXES",
    "AgronomyError",
    "Assignment",
    "BadPrescription",
    "BadRaster",
    "BandMap",
    "BandProblem",
    "BandSource",
    "Bounds",
    "Budget",
    "FieldOutsideImage",
    "FieldProblem",
    "FieldShape",
    "FieldStats",
    "FieldStatsResult",
    "GridCrs",
    "Image",
    "ImageReader",
    "IndexGrid",
    "IndexInfo",
    "IndexStats",
    "IsoxmlLayout",
    "L2aOffset",
    "ManagementZone",
    "Masked",
    "NitrogenRule",
    "NotEnoughData",
    "Prescription",
    "ProblemReason",
    "Product",
    "ProductForm",
    "RasterFile",
    "RateMap",
    "RateZone",
    "SensorProfile",
    "ZoneMap",
    "ZonePrescription",
    "assign_bands",
    "band_files",
    "band_map_matches",
    "bands_for",
    "compute_index",
    "detect_sensor",
    "get_profile",
    "grid_crs_for",
    "image_date",
    "index_grid",
    "index_info",
    "index_time_series",
    "l2a_offset",
    "nitrogen_rule_named",
    "normal_unit",
    "open_image",
    "parse_band_map",
    "prescribe",
    "product_date",
    "product_named",
    "read_bands",
    "read_prescription",
    "read_rate_grid",
    "read_zone_maps",
    "safe_root",
    "scan_files",
    "setpoint",
    "split_window",
    "translating_errors",
    "window_bounds",
    "window_for_bounds",
    "windows",
    "write_index_rasters",
    "write_prescription",
    "write_rate_grid",
    "write_taskdata",
    "write_zone_map",
    "zonal_stats",
    "zone_map_document",
    "zone_stats",
]
