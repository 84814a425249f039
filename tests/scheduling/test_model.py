"""The lifecycle's rules and the request's validation, without a database."""

import itertools
from datetime import UTC, date, datetime

import pytest

from api.errors import Conflict
from api.scheduling import (
    ACTIVE,
    FINAL,
    TRANSITIONS,
    IllegalTransition,
    InvalidRequest,
    MissionStatus,
    PlanEstimate,
    check_transition,
    window_for_dates,
)
from tests.scheduling.conftest import spray_request

S = MissionStatus
LEGAL = {
    (S.REQUESTED, S.APPROVED), (S.REQUESTED, S.REJECTED), (S.REQUESTED, S.CANCELLED),
    (S.REQUESTED, S.EXPIRED),
    (S.APPROVED, S.SCHEDULED), (S.APPROVED, S.HELD), (S.APPROVED, S.CANCELLED),
    (S.APPROVED, S.EXPIRED),
    (S.SCHEDULED, S.DISPATCHED), (S.SCHEDULED, S.HELD), (S.SCHEDULED, S.APPROVED),
    (S.SCHEDULED, S.CANCELLED),
    (S.HELD, S.SCHEDULED), (S.HELD, S.CANCELLED), (S.HELD, S.EXPIRED),
    (S.DISPATCHED, S.FLYING), (S.DISPATCHED, S.FAILED), (S.DISPATCHED, S.ABORTED),
    (S.FLYING, S.COMPLETED), (S.FLYING, S.FAILED), (S.FLYING, S.ABORTED),
}  # fmt: skip
"""The lifecycle as the design states it, written out independently of the module's table."""


def test_the_transition_table_is_the_designed_lifecycle() -> None:
    assert {(a, b) for a, after in TRANSITIONS.items() for b in after} == LEGAL
    assert {S.REJECTED, S.COMPLETED, S.FAILED, S.CANCELLED, S.ABORTED, S.EXPIRED} == FINAL
    assert {S.SCHEDULED, S.DISPATCHED, S.FLYING} == ACTIVE


@pytest.mark.parametrize(("before", "after"), list(itertools.product(S, S)))
def test_every_illegal_transition_names_both_statuses(before: S, after: S) -> None:
    if (before, after) in LEGAL:
        check_transition(7, before, after)
        return
    with pytest.raises(IllegalTransition) as caught:
        check_transition(7, before, after)
    assert (caught.value.from_status, caught.value.to_status) == (before.value, after.value)
    assert isinstance(caught.value, Conflict)  # the API's 409
    assert str(caught.value) == f"mission 7 is {before.value}; it cannot become {after.value}"


def test_a_plan_estimate_reads_the_planners_stats() -> None:
    stats = {"sorties": 3, "est_time_s": 1834.5, "area_ha": 2.1, "volume_l": 21.0, "turns": 40}
    assert PlanEstimate.from_stats(stats) == PlanEstimate(
        sorties=3, flight_time_s=1834.5, area_ha=2.1, volume_l=21.0
    )
    with pytest.raises(InvalidRequest, match="sorties and est_time_s"):
        PlanEstimate.from_stats({"area_ha": 1.0})
    with pytest.raises(InvalidRequest, match="at least one sortie"):
        PlanEstimate.from_stats({"sorties": 0, "est_time_s": 10.0})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"field_ids": ()}, "at least one field"),
        ({"kind": "harvest"}, "'harvest' is not spray or survey"),
        ({"field_ids": ("a", "a")}, "named twice"),
        ({"window_start": datetime(2026, 6, 1)}, "timezone-aware"),
        ({"window_end": datetime(2026, 5, 1, tzinfo=UTC)}, "before it starts"),
        ({"note": "x" * 2001}, "longer than 2000"),
    ],
)
def test_a_request_that_breaks_a_rule_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        spray_request(**changes)


def test_the_farmers_days_are_days_in_japan() -> None:
    start, end = window_for_dates(date(2026, 6, 1), date(2026, 6, 1))
    assert (start, end) == (
        datetime(2026, 5, 31, 15, tzinfo=UTC),
        datetime(2026, 6, 1, 15, tzinfo=UTC),
    )
    with pytest.raises(InvalidRequest, match="before the first day"):
        window_for_dates(date(2026, 6, 2), date(2026, 6, 1))
