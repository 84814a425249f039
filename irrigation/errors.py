"""What irrigation refuses, as one tree under :class:`core.TanboError`::

IrrigationError
├── BadReading        a sensor message that cannot be read (topic, payload, unit)
├── BadPaddy          a paddy or calendar that cannot be controlled as described
└── GateUnavailable   a gate command that could not be sent or was not acknowledged
"""

from core.errors import TanboError

__all__ = ["BadPaddy", "BadReading", "GateUnavailable", "IrrigationError"]


class IrrigationError(TanboError):
    """Something irrigation refuses or cannot do."""


class BadReading(IrrigationError):
    """A sensor message that cannot be read: its topic, payload, metric or value."""


class BadPaddy(IrrigationError):
    """A paddy, device or water calendar that cannot be controlled as described."""


class GateUnavailable(IrrigationError):
    """A gate command that could not be sent or was not acknowledged in time."""
