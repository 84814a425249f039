"""Which cells of a published table are left blank, so that no person and no single farm
can be picked out: values in, values out.

**Primary suppression.** A cell is blank when any of its figures is made from at least one
but fewer than ``min_group`` distinct parties (farmers, recipients, pilots): two farmers of a
district would each learn the other's work from its total.

**Complementary suppression.** A blank cell could be worked out again as a total (of a
month over the city, or of a district over the period, published here or elsewhere) less
the cells shown beside it. So no month and no district of the table is left with exactly
one blank cell: where one is, the cell beside it built from the fewest parties (one with
figures before an empty one, then by name) is blanked too, and this is repeated until
every month and every district has none or at least two.

>>> from api.city_stats.model import Cell, Group
>>> from api.city_stats.months import Month
>>> june = Month(year=2026, month=6)
>>> def cell(district, *farmers):
...     return Cell(month=june, district=district, parties={Group.SPRAY: frozenset(farmers)})
>>> cells = [cell("北条", "a", "b"), cell("富合", "c", "d", "e"), cell("九会", "f", "g", "h", "i")]
>>> sorted(suppressed(cells, groups=[Group.SPRAY], min_group=3))
[(Month(year=2026, month=6), '北条'), (Month(year=2026, month=6), '富合')]
"""

from collections.abc import Callable, Hashable, Sequence

from api.city_stats.model import Cell, Group
from api.city_stats.months import Month

__all__ = ["Key", "is_too_few", "suppressed"]

Key = tuple[Month, str]
"""A cell's month and district."""


def is_too_few(cell: Cell, groups: Sequence[Group], min_group: int) -> bool:
    """Whether a figure of ``groups`` in the cell is made from 1 to ``min_group - 1`` parties."""
    return any(0 < len(cell.parties_of(g)) < min_group for g in groups)


def _weight(cell: Cell, groups: Sequence[Group]) -> tuple[int, int]:
    """Which cell to blank first beside a blank one: with figures, then fewest parties."""
    parties = len(frozenset().union(*(cell.parties_of(g) for g in groups)))
    return (0 if parties else 1, parties)


def suppressed(cells: Sequence[Cell], *, groups: Sequence[Group], min_group: int) -> set[Key]:
    """The cells (month, district) to leave blank among ``cells`` for the figures of
    ``groups``: primary, then complementary suppression (see the module)."""
    by_key = {(c.month, c.district): c for c in cells}
    blank = {k for k, c in by_key.items() if is_too_few(c, groups, min_group)}
    lines: list[Callable[[Key], Hashable]] = [lambda k: k[0], lambda k: k[1]]
    changed = True
    while changed:
        changed = False
        for line_of in lines:
            members: dict[Hashable, list[Key]] = {}
            for key in sorted(by_key):
                members.setdefault(line_of(key), []).append(key)
            for keys in members.values():
                hidden = [k for k in keys if k in blank]
                shown = [k for k in keys if k not in blank]
                if len(hidden) != 1 or not shown:
                    continue
                pick = min(shown, key=lambda k: (*_weight(by_key[k], groups), k[1], k[0]))
                blank.add(pick)
                changed = True
    return blank
