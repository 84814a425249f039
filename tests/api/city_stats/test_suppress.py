"""Open data names no person and no single farm: cells of too few parties are blank, and
no blank can be worked out from a total less the cells shown beside it."""

from hypothesis import given, settings
from hypothesis import strategies as st

from api.city_stats import (
    DATASETS,
    Cell,
    DeliveryDone,
    DeliveryOutcome,
    Facts,
    FlightDone,
    Group,
    Month,
    WorkDone,
    WorkKind,
    aggregate,
    dataset,
    describe,
    suppressed,
    to_csv,
)

JUNE, JULY = Month(year=2026, month=6), Month(year=2026, month=7)
ACTIVITY = dataset(DATASETS[0].id)


def _sprays(month: Month, district: str, *farmers: str, area_ha: float = 0.3) -> list[WorkDone]:
    return [
        WorkDone(month=month, district=district, kind=WorkKind.SPRAY, area_ha=area_ha, party=f)
        for f in farmers
    ]


def _blank(facts: Facts, months: list[Month], districts: list[str]) -> set[tuple[str, str]]:
    cells = aggregate(facts, months, districts, fill=True)
    keys = suppressed(cells, groups=ACTIVITY.groups, min_group=3)
    return {(str(m), d) for m, d in keys}


def test_a_district_of_two_farmers_is_blank_and_one_of_three_is_shown() -> None:
    facts = Facts(
        work=[
            *_sprays(JUNE, "北条", "a", "b"),
            *_sprays(JUNE, "下里", "x"),
            *_sprays(JUNE, "富合", "c", "d", "e"),
        ]
    )
    assert _blank(facts, [JUNE], ["北条", "富合", "下里"]) == {
        ("2026-06", "北条"),
        ("2026-06", "下里"),
    }


def test_a_lone_blank_takes_the_cell_beside_it_even_of_three_farmers() -> None:
    facts = Facts(work=[*_sprays(JUNE, "北条", "a", "b"), *_sprays(JUNE, "富合", "c", "d", "e")])
    # The city's June total less 富合 would be 北条: 富合 goes too.
    assert _blank(facts, [JUNE], ["北条", "富合"]) == {("2026-06", "北条"), ("2026-06", "富合")}
    facts = Facts(
        work=[*_sprays(JUNE, "北条", "a", "b", "c"), *_sprays(JUNE, "富合", "d", "e", "f")]
    )
    assert _blank(facts, [JUNE], ["北条", "富合"]) == set()


def test_one_blank_in_a_month_takes_the_smallest_cell_with_figures_beside_it() -> None:
    facts = Facts(
        work=[
            *_sprays(JUNE, "北条", "a"),
            *_sprays(JUNE, "富合", *"bcdefg"),
            *_sprays(JUNE, "九会", "h", "i", "j"),  # fewest parties among those with figures
        ]
    )
    districts = ["北条", "富合", "九会", "下里"]  # 下里: nothing, so no protection
    assert _blank(facts, [JUNE], districts) == {("2026-06", "北条"), ("2026-06", "九会")}


def test_a_blank_alone_in_its_district_over_the_months_takes_another_month() -> None:
    facts = Facts(
        work=[
            *_sprays(JUNE, "北条", "a", "b"),
            *_sprays(JUNE, "富合", "c"),
            *_sprays(JULY, "北条", "d", "e", "f"),
            *_sprays(JULY, "富合", "g", "h", "i"),
            *_sprays(JULY, "九会", "j", "k", "l"),
        ]
    )
    blank = _blank(facts, [JUNE, JULY], ["北条", "富合", "九会"])
    # June: 北条 and 富合 are too few. Their districts would then each have one blank over
    # the two months, so July's cells of 北条 and 富合 go too; July has two blanks then.
    assert blank == {
        ("2026-06", "北条"), ("2026-06", "富合"), ("2026-07", "北条"), ("2026-07", "富合"),
    }  # fmt: skip


def test_every_figure_of_a_cell_needs_enough_parties() -> None:
    many = _sprays(JUNE, "北条", *"abcde")
    pilot = FlightDone(month=JUNE, district="北条", flight_h=1.0, party="pilot:加西 太郎")
    other = _sprays(JUNE, "富合", *"fghij")
    third = _sprays(JUNE, "九会", *"klmno")
    blank = _blank(Facts(work=[*many, *other, *third], flights=[pilot]), [JUNE],
                   ["北条", "富合", "九会"])  # fmt: skip
    assert ("2026-06", "北条") in blank  # one pilot's hours would show


def test_one_recipient_of_three_deliveries_is_still_one_person() -> None:
    deliveries = Facts(deliveries=[
        DeliveryDone(month=JUNE, district="北条", outcome=DeliveryOutcome.MADE, party="r1")
        for _ in range(3)
    ])  # fmt: skip
    data = dataset(DATASETS[1].id)
    cells = aggregate(deliveries, [JUNE], ["北条"], fill=True)
    assert suppressed(cells, groups=data.groups, min_group=3) == {(JUNE, "北条")}


def test_a_blank_cell_is_empty_in_the_csv_and_marked() -> None:
    facts = Facts(work=[*_sprays(JUNE, "北条", "a"), *_sprays(JUNE, "富合", *"bcd")])
    cells = aggregate(facts, [JUNE], ["北条", "富合", "九会"], fill=True)
    blank = suppressed(cells, groups=ACTIVITY.groups, min_group=3)
    lines = to_csv(ACTIVITY, cells, blank).splitlines()
    assert lines == [
        "month,district,sprayed_ha,surveyed_ha,flights,flight_h,suppressed",
        "2026-06,北条,,,,,true",
        "2026-06,富合,,,,,true",
        "2026-06,九会,0.0,0.0,0,0.0,false",
    ]


def test_each_dataset_documents_its_columns_licence_and_rule() -> None:
    for data in DATASETS:
        text = describe(data, 3)
        assert "CC BY 4.0" in text
        assert "fewer than 3 distinct parties" in text
        for column in data.columns:
            assert f"`{column.name}` ({column.unit}:" in text


_DISTRICTS = ["北条", "富合", "九会", "下里", "賀茂"]


@st.composite
def _tables(draw: st.DrawFn) -> list[Cell]:
    months = [JUNE, JULY, Month(year=2026, month=8)]
    work = []
    for month in months:
        for district in _DISTRICTS:
            farmers = draw(st.integers(min_value=0, max_value=5))
            work += _sprays(month, district, *(f"{district}-{n}" for n in range(farmers)))
    return aggregate(Facts(work=work), months, _DISTRICTS, fill=True)


@settings(max_examples=150, deadline=None)
@given(_tables())
def test_no_month_or_district_is_left_with_exactly_one_blank(cells: list[Cell]) -> None:
    blank = suppressed(cells, groups=[Group.SPRAY], min_group=3)
    for cell in cells:
        if 0 < len(cell.parties_of(Group.SPRAY)) < 3:
            assert (cell.month, cell.district) in blank
    for line in (lambda c: c.month, lambda c: c.district):
        groups: dict[object, list[Cell]] = {}
        for cell in cells:
            groups.setdefault(line(cell), []).append(cell)
        for members in groups.values():
            hidden = sum((c.month, c.district) in blank for c in members)
            assert hidden != 1 or len(members) == 1
