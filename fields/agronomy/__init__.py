"""Agronomy: from multispectral images to indices, management zones, prescriptions and yields.

Pure values and file I/O, as the rest of ``fields``; the database and the routes live in
``api``. Rasters are read with rasterio window by window, zonal statistics come from
exactextract, index formulas from the Awesome Spectral Indices catalogue (spyndex), zones
from scikit-learn's k-means, season yields from FAO's AquaCrop (the ``aquacrop`` package).
"""

from fields.agronomy.errors import (
    AgronomyError,
    BadPrescription,
    BadRaster,
    BandProblem,
    FieldOutsideImage,
    NotEnoughData,
)

__all__ = [
    "AgronomyError",
    "BadPrescription",
    "BadRaster",
    "BandProblem",
    "FieldOutsideImage",
    "NotEnoughData",
]
