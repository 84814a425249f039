"""Fields and zones: reading real boundaries, validating and repairing them, measuring them.

Pure values and file I/O; the database lives in ``api``. Import from here::

    from fields import read_features, plan_field_import, ImportOptions
"""

from fields.attributes import first_value, id_text, text_or_none
from fields.crs import (
    LocalCrs,
    area_m2,
    geodesic_area_m2,
    local_crs_for,
    perimeter_m,
    to_local,
    to_wgs84,
)
from fields.errors import FieldsError, NoCoordinateSystem, UnreadableFile, UnsupportedFormat
from fields.export import WRITE_FORMATS, field_rows, write_fields, write_zones
from fields.importing import (
    MAX_ID_LENGTH,
    FieldImportPlan,
    Identity,
    ImportOptions,
    Problem,
    identify,
    plan_field_import,
    reference_point,
)
from fields.model import FieldRecord, LandUse, Restriction, ZoneKind, ZoneRecord
from fields.read import FORMATS, SourceFeature, SourceFile, read_features
from fields.validate import (
    FIELD_RULES,
    ZONE_RULES,
    PolygonVerdict,
    SizeRules,
    check_polygon,
    coordinate_problem,
    swapped,
)
from fields.zones import (
    DEFAULT_BUFFERS_M,
    DEFAULT_RESTRICTIONS,
    ZoneImportPlan,
    ZoneTouch,
    buffered_zone,
    effective_buffer_m,
    plan_zone_import,
    zones_touching,
)

__all__ = [
    "DEFAULT_BUFFERS_M",
    "DEFAULT_RESTRICTIONS",
    "FIELD_RULES",
    "FORMATS",
    "MAX_ID_LENGTH",
    "WRITE_FORMATS",
    "ZONE_RULES",
    "FieldImportPlan",
    "FieldRecord",
    "FieldsError",
    "Identity",
    "ImportOptions",
    "LandUse",
    "LocalCrs",
    "NoCoordinateSystem",
    "PolygonVerdict",
    "Problem",
    "Restriction",
    "SizeRules",
    "SourceFeature",
    "SourceFile",
    "UnreadableFile",
    "UnsupportedFormat",
    "ZoneImportPlan",
    "ZoneKind",
    "ZoneRecord",
    "ZoneTouch",
    "area_m2",
    "buffered_zone",
    "check_polygon",
    "coordinate_problem",
    "effective_buffer_m",
    "field_rows",
    "first_value",
    "geodesic_area_m2",
    "id_text",
    "identify",
    "local_crs_for",
    "perimeter_m",
    "plan_field_import",
    "plan_zone_import",
    "read_features",
    "reference_point",
    "swapped",
    "text_or_none",
    "to_local",
    "to_wgs84",
    "write_fields",
    "write_zones",
    "zones_touching",
]
