"""What the delivery service refuses, as typed errors::

core.TanboError
└── LogisticsError              anything logistics/ refuses
    ├── BadRequest              a delivery request, drop point, depot or vehicle that cannot be
    ├── DropPointRefused        a drop point failing its checks (``problems`` lists them all)
    └── IllegalTransition       a lifecycle step the delivery's state does not allow
"""

from core.errors import TanboError

__all__ = ["BadRequest", "DropPointRefused", "IllegalTransition", "LogisticsError"]


class LogisticsError(TanboError):
    """Something the delivery service refuses."""


class BadRequest(LogisticsError):
    """A request, drop point, depot or vehicle whose values cannot be."""


class DropPointRefused(LogisticsError):
    """A drop point that fails its checks; ``problems`` names each, in words."""

    def __init__(self, drop_point_id: str, problems: tuple[str, ...]) -> None:
        super().__init__(f"drop point {drop_point_id}: " + "; ".join(problems))
        self.drop_point_id = drop_point_id
        self.problems = problems


class IllegalTransition(LogisticsError):
    """A lifecycle step that the delivery's current state does not allow."""

    def __init__(self, delivery_id: str, current: str, wanted: str) -> None:
        super().__init__(f"delivery {delivery_id} is {current}: it cannot become {wanted}")
        self.delivery_id = delivery_id
        self.current = current
        self.wanted = wanted
