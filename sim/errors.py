"""What the simulator refuses or cannot do.

::

    core.TanboError
    └── SimError
        └── EndpointError       the TCP endpoint cannot start (port taken, bad address)
"""

from core import TanboError

__all__ = ["EndpointError", "SimError"]


class SimError(TanboError):
    """Something the simulator refuses or cannot do."""


class EndpointError(SimError):
    """A vehicle's MAVLink endpoint cannot listen where it was asked to."""
