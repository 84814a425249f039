"""Route order: which swath next, and which way round.

>>> from mission_planner.coverage.stages import Swath
>>> rows = [Swath(start=(0, y), end=(90, y), strip=i) for i, y in enumerate((2.5, 7.5, 12.5))]
>>> [(s.start, s.end) for s in NearestEndOrder().order(rows, start=(0, 0))]
[((0, 2.5), (90, 2.5)), ((90, 7.5), (0, 7.5)), ((0, 12.5), (90, 12.5))]
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mission_planner.coverage.stages import Swath
from mission_planner.plan import Point

__all__ = ["NearestEndOrder"]


@dataclass(frozen=True, kw_only=True, slots=True)
class NearestEndOrder:
    """Greedy: from where the drone is, fly the swath whose nearer end is closest.

    The first swath is taken from the first or last strip (whichever end is
    nearest the start), so the route sweeps across the field instead of starting
    in the middle and coming back. On a convex field this is the boustrophedon;
    on concave ones it finishes a lobe before crossing to the next, since the
    neighbouring strip's end is nearer than a far lobe.
    """

    def order(self, swaths: Sequence[Swath], start: Point) -> list[Swath]:
        """The swaths in flight order, each oriented as flown."""
        if not swaths:
            return []
        starts = np.array([s.start for s in swaths], dtype=float)
        ends = np.array([s.end for s in swaths], dtype=float)
        left = np.ones(len(swaths), dtype=bool)
        here = np.array(start, dtype=float)
        ordered: list[Swath] = []
        strips = np.array([s.strip for s in swaths])
        edge = (strips == strips.min()) | (strips == strips.max())
        for step in range(len(swaths)):
            allowed = left & edge if step == 0 else left
            to_start = np.where(allowed, np.hypot(*(starts - here).T), np.inf)
            to_end = np.where(allowed, np.hypot(*(ends - here).T), np.inf)
            i_start, i_end = int(np.argmin(to_start)), int(np.argmin(to_end))
            if to_start[i_start] <= to_end[i_end]:
                chosen = swaths[i_start]
                left[i_start] = False
            else:
                chosen = swaths[i_end].reversed()
                left[i_end] = False
            ordered.append(chosen)
            here = np.array(chosen.end, dtype=float)
        return ordered
