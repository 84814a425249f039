"""What the simulator refuses or cannot do.

::

    core.TanboError
    └── SimError
        ├── EndpointError               the TCP endpoint cannot start (port taken, bad address)
        │   ├── PortUnavailable         a fleet vehicle's port, named (sim/cluster.py)
        │   └── ControlPortUnavailable  the control API's port (sim/control.py)
        ├── ControlError                talking to a running tanbo sim (sim/control.py)
        │   ├── ControlUnreachable      nobody answers on the control port
        │   └── ControlRefused          it answered with a problem (bad spec, no vehicle)
        └── ScenarioError               a scenario file that cannot be used: names the key
                                        (sim/scenarios/model.py)

Each is defined beside the code that raises it.
"""

from core import TanboError

__all__ = ["EndpointError", "SimError"]


class SimError(TanboError):
    """Something the simulator refuses or cannot do."""


class EndpointError(SimError):
    """A vehicle's MAVLink endpoint cannot listen where it was asked to."""
