"""Errors of the field registry.

::

    TanboError                      (core)
    └── FieldsError
        ├── UnreadableFile          the file cannot be opened or parsed at all
        ├── UnsupportedFormat       no reader for this kind of file
        └── NoCoordinateSystem      the file declares no CRS and is not in degrees

A single bad feature is not an exception: it comes back as a ``Rejected`` item
of the import report, so the good features of a file are still imported.
"""

from core.errors import TanboError

__all__ = ["FieldsError", "NoCoordinateSystem", "UnreadableFile", "UnsupportedFormat"]


class FieldsError(TanboError):
    """A field or zone file, or a field operation, that Tanbo cannot use."""


class UnreadableFile(FieldsError):
    """The file cannot be opened or parsed as geographic features."""


class UnsupportedFormat(FieldsError):
    """The file's kind (by extension or content) has no reader or writer."""


class NoCoordinateSystem(FieldsError):
    """The file declares no CRS and its coordinates are not longitude/latitude degrees."""
