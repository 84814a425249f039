"""The guards no mode overrides: an outlet gate opens near the levee, whoever holds it shut."""

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from irrigation.model import ControlMode, GateAction, GateRole, Override
from tests.irrigation.test_controller import GATED, OUTLET, T0, Loop, only

NEAR_LEVEE_CM = GATED.max_safe_depth_cm - Loop().settings.near_levee_cm


def test_an_override_cannot_keep_the_outlet_shut_over_the_levee() -> None:
    loop = Loop(paddy=GATED)
    hand = Override(paddy_id="p1", role=OUTLET, action=GateAction.CLOSE,
                    until=T0 + timedelta(hours=5), by="tanaka", reason="holding water")  # fmt: skip
    for depth_cm in [round(22.0 + 0.2 * i, 1) for i in range(10)]:
        assert loop.tick(depth_cm, overrides=(hand,)).state.mode is ControlMode.OVERRIDE
    assert NEAR_LEVEE_CM == 24.0
    assert loop.sent(OUTLET) == [GateAction.CLOSE]
    opened = only(loop.tick(24.0, overrides=(hand,)), OUTLET)
    assert opened.action is GateAction.OPEN
    assert opened.reason.startswith("safety:")
    loop.ticks(24.3, 3, overrides=(hand,))
    loop.ticks(23.2, 3, overrides=(hand,))  # held open until the water is well below
    assert loop.sent(OUTLET) == [GateAction.CLOSE, GateAction.OPEN]
    closed = only(loop.tick(22.9, overrides=(hand,)), OUTLET)
    assert closed.action is GateAction.CLOSE
    assert closed.reason == "override by tanaka: holding water"


HAND = st.sampled_from(["", "open-inlet", "close-inlet", "open-outlet", "close-outlet"])


STEP = st.tuples(
    st.floats(min_value=-1.0, max_value=1.0),
    st.integers(min_value=30, max_value=600),
    HAND,
    st.booleans(),
    st.sampled_from(["ok", "no", "silent"]),
)


@settings(max_examples=80, deadline=None)
@given(
    start=st.floats(min_value=18.0, max_value=30.0), steps=st.lists(STEP, min_size=1, max_size=40)
)
def test_an_outlet_gate_is_never_left_closed_at_or_above_the_safe_depth_in_any_mode(
    start: float, steps: list[tuple[float, int, str, bool, str]]
) -> None:
    loop = Loop(paddy=GATED)
    depth_cm = start
    for change_cm, dt_s, hand, warning, answer in steps:
        depth_cm = min(max(depth_cm + change_cm, -5.0), 34.0)
        overrides: tuple[Override, ...] = ()
        if hand:
            action, role = hand.split("-")
            overrides = (Override(paddy_id="p1", role=GateRole(role), action=GateAction(action),
                                  until=loop.now + timedelta(hours=1), by="x"),)  # fmt: skip
        decision = loop.tick(round(depth_cm, 1), dt_s=dt_s, answer=answer, overrides=overrides,
                             heavy_rain_warning=warning)  # fmt: skip
        believed_cm = decision.state.depth_cm
        if believed_cm is not None and believed_cm >= GATED.max_safe_depth_cm:
            assert (decision.state.outlet.opening_pct or 0.0) > 0.0, decision.state.mode
            assert all(c.action is GateAction.OPEN for c in decision.commands if c.role is OUTLET)
