"""Errors of the agronomy layer: images, indices, zones, prescriptions and forecasts.

::

    TanboError                      (core)
    └── FieldsError                 (fields)
        └── AgronomyError
            ├── BadRaster           the image cannot be read, or is not a usable image
            ├── BandProblem         a band is missing, mixed up, or not reflectance
            ├── FieldOutsideImage   a field has no valid pixel in the image
            ├── BadPrescription     a prescription rule or file that cannot be used
            └── NotEnoughData       too few pixels, dates or past yields for the request

Each message names the item (the file, the band, the field) so a batch can report
it in one line and go on with the other items.
"""

from fields.errors import FieldsError

__all__ = [
    "AgronomyError",
    "BadPrescription",
    "BadRaster",
    "BandProblem",
    "FieldOutsideImage",
    "NotEnoughData",
]


class AgronomyError(FieldsError):
    """An image, index, zone, prescription or forecast request Tanbo cannot serve."""


class BadRaster(AgronomyError):
    """The raster cannot be opened, has no georeference, or is not an image Tanbo reads."""


class BandProblem(AgronomyError):
    """A band an index needs is missing, mapped twice, or holds raw counts, not reflectance."""


class FieldOutsideImage(AgronomyError):
    """A field does not overlap the image, or every pixel over it is masked."""


class BadPrescription(AgronomyError):
    """A prescription rule, budget or file that cannot give a usable rate map."""


class NotEnoughData(AgronomyError):
    """Too few pixels, image dates or past yields for what was asked."""
