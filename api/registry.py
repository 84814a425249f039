"""The field and zone registry: imports in one transaction, queries, exports.

Each import reads the file, loads the stored fields it could touch, lets
:func:`fields.plan_field_import` decide, and writes the plan in one transaction:
a failure half-way (a database error, Ctrl-C) leaves the stored data as it was.
"""

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, insert, or_, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, col, select

from api.errors import NotFound, StorageError
from api.models import FieldRow, ZoneRow, field_record, field_row, zone_record, zone_row
from core.clock import Clock, SystemClock
from core.ids import FieldId
from fields import (
    FieldImportPlan,
    FieldRecord,
    ImportOptions,
    Problem,
    Restriction,
    ZoneImportPlan,
    ZoneKind,
    ZoneRecord,
    ZoneTouch,
    identify,
    plan_field_import,
    plan_zone_import,
    read_features,
    zones_touching,
)

__all__ = [
    "ImportReport",
    "Progress",
    "delete_fields",
    "get_field",
    "import_fields",
    "import_zones",
    "list_fields",
    "list_zones",
    "store_field_plan",
    "update_field",
    "zones_for_field",
]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while rows are written."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    source: str
    format: str
    crs: str
    features: int
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    replaced: dict[str, tuple[str, ...]] = field(default_factory=dict)
    repaired: tuple[Problem, ...] = ()
    rejected: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def imported(self) -> int:
        """Fields or zones written (new plus updated)."""
        return len(self.created) + len(self.updated)


def _storage_errors(exc: DBAPIError) -> StorageError:
    orig = getattr(exc, "orig", None)
    detail = str(orig if orig is not None else exc).strip().splitlines()[0]
    if isinstance(exc, OperationalError | InterfaceError):
        return StorageError(f"cannot reach the database: {detail}")
    return StorageError(f"the database refused the change: {detail}")


def _existing_fields(
    session: Session, ids: Collection[str], owners: Collection[str]
) -> list[FieldRecord]:
    if not ids and not owners:
        return []
    query = select(FieldRow).where(
        or_(col(FieldRow.id).in_(list(ids)), col(FieldRow.owner).in_(list(owners)))
    )
    return [field_record(row) for row in session.exec(query)]


def import_fields(
    engine: Engine,
    path: Path,
    options: ImportOptions,
    *,
    layer: str | None = None,
    dry_run: bool = False,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a boundary file as fields: new ids are added, known ids updated.

    Raises
    ------
    fields.FieldsError
        The file cannot be read at all (per-feature problems are in the report).
    StorageError
        The database refused the change or is unreachable; nothing was changed.
    """
    source = read_features(path, layer=layer)
    idents = [identify(f, source, options) for f in source.features]
    ids = {str(i.id) for i in idents if i.id is not None}
    owners = {str(i.owner) for i in idents}
    try:
        with Session(engine) as session:
            plan = plan_field_import(source, _existing_fields(session, ids, owners), options)
            if not dry_run:
                # Planned and written in one transaction.
                _write_fields(session, plan, (clock or SystemClock()).now(), progress)
                session.commit()
    except DBAPIError as exc:
        raise _storage_errors(exc) from exc
    return ImportReport(
        source=path.name,
        format=source.format,
        crs=source.crs,
        features=len(source.features),
        created=tuple(f.id for f in plan.fields if f.id not in plan.updated_ids),
        updated=tuple(f.id for f in plan.fields if f.id in plan.updated_ids),
        replaced={k: tuple(v) for k, v in plan.replaces.items()},
        repaired=plan.repaired,
        rejected=plan.rejected,
        notes=plan.notes,
        dry_run=dry_run,
    )


def store_field_plan(
    engine: Engine,
    plan: FieldImportPlan,
    *,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> None:
    """Write a planned import in one transaction: all of it, or (on any error) none of it.

    Raises
    ------
    StorageError
        The database refused a row or is unreachable; nothing was changed.
    """
    now = (clock or SystemClock()).now()
    try:
        with Session(engine) as session:
            _write_fields(session, plan, now, progress)
            session.commit()
    except DBAPIError as exc:
        raise _storage_errors(exc) from exc


_CHUNK = 64
"""Rows per database round trip; progress is reported after each."""


def _upsert(
    session: Session,
    table: type[FieldRow] | type[ZoneRow],
    rows: Sequence[dict[str, Any]],
    progress: Progress | None = None,
) -> set[str]:
    """Insert new ids and update known ones in batches; return the ids that were known."""
    ids = [row["id"] for row in rows]
    known = set(session.exec(select(table.id).where(col(table.id).in_(ids))))
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        new = [row for row in chunk if row["id"] not in known]
        # An update keeps when the row was first registered.
        changed = [
            {k: v for k, v in row.items() if k != "created_at"}
            for row in chunk
            if row["id"] in known
        ]
        if new:
            session.execute(insert(table), new)
        if changed:
            session.execute(update(table), changed)
        if progress is not None:
            progress(start + len(chunk), len(rows))
    return known


def _write_fields(
    session: Session, plan: FieldImportPlan, now: datetime, progress: Progress | None
) -> None:
    retired = [old for olds in plan.replaces.values() for old in olds]
    if retired:
        session.execute(delete(FieldRow).where(col(FieldRow.id).in_(retired)))
    _upsert(session, FieldRow, [field_row(f, now) for f in plan.fields], progress)


def import_zones(
    engine: Engine,
    path: Path,
    *,
    kind: ZoneKind | None,
    restriction: Restriction | None = None,
    buffer_m: float | None = None,
    buffers_m: dict[ZoneKind, float],
    layer: str | None = None,
    dry_run: bool = False,
    clock: Clock | None = None,
) -> ImportReport:
    """Import a file of no-spray or no-fly zones; known ids are updated.

    Raises
    ------
    fields.FieldsError
        The file cannot be read at all.
    StorageError
        The database refused the change; nothing was changed.
    """
    source = read_features(path, layer=layer)
    plan: ZoneImportPlan = plan_zone_import(
        source, kind=kind, restriction=restriction, buffer_m=buffer_m, default_buffers_m=buffers_m
    )
    now = (clock or SystemClock()).now()
    try:
        with Session(engine) as session:
            stored = _upsert(session, ZoneRow, [zone_row(z, now) for z in plan.zones])
            if dry_run:
                session.rollback()
            else:
                session.commit()
    except DBAPIError as exc:
        raise _storage_errors(exc) from exc
    return ImportReport(
        source=path.name,
        format=source.format,
        crs=source.crs,
        features=len(source.features),
        created=tuple(z.id for z in plan.zones if z.id not in stored),
        updated=tuple(z.id for z in plan.zones if z.id in stored),
        repaired=plan.repaired,
        rejected=plan.rejected,
        notes=plan.notes,
        dry_run=dry_run,
    )


def list_fields(
    engine: Engine, *, owner: str | None = None, ids: Sequence[str] = ()
) -> list[FieldRecord]:
    """Registered fields, by id; optionally one owner's, or just the given ids."""
    query = select(FieldRow).order_by(col(FieldRow.id))
    if owner is not None:
        query = query.where(FieldRow.owner == owner)
    if ids:
        query = query.where(col(FieldRow.id).in_(list(ids)))
    with Session(engine) as session:
        return [field_record(row) for row in session.exec(query)]


def get_field(engine: Engine, field_id: str) -> FieldRecord:
    """One field.

    Raises
    ------
    NotFound
        No field has that id.
    """
    with Session(engine) as session:
        row = session.get(FieldRow, field_id)
        if row is None:
            raise NotFound(f"no field with id {field_id!r}")
        return field_record(row)


def update_field(
    engine: Engine,
    field_id: str,
    *,
    clock: Clock | None = None,
    **changes: str | date | None,
) -> FieldRecord:
    """Change a field's name, crop, variety or transplanting date.

    Raises
    ------
    NotFound
        No field has that id.
    """
    allowed = {"name", "crop", "variety", "transplanted_on", "owner"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
    with Session(engine) as session:
        row = session.get(FieldRow, FieldId(field_id))
        if row is None:
            raise NotFound(f"no field with id {field_id!r}")
        for key, value in changes.items():
            if value is not None:
                setattr(row, key, value)
        row.updated_at = (clock or SystemClock()).now()
        session.add(row)
        session.commit()
        session.refresh(row)
        return field_record(row)


def delete_fields(engine: Engine, field_ids: Sequence[str]) -> None:
    """Delete fields; all of them or, if any id is unknown, none.

    Raises
    ------
    NotFound
        Some id is not registered (named in the message); nothing was deleted.
    """
    with Session(engine) as session:
        found = set(session.exec(select(FieldRow.id).where(col(FieldRow.id).in_(field_ids))))
        missing = [i for i in field_ids if i not in found]
        if missing:
            raise NotFound(f"no field with id {missing[0]!r}; nothing was deleted")
        session.execute(delete(FieldRow).where(col(FieldRow.id).in_(field_ids)))
        session.commit()


def list_zones(engine: Engine, *, kind: ZoneKind | None = None) -> list[ZoneRecord]:
    """Registered zones, by id; optionally of one kind."""
    query = select(ZoneRow).order_by(col(ZoneRow.id))
    if kind is not None:
        query = query.where(ZoneRow.kind == kind.value)
    with Session(engine) as session:
        return [zone_record(row) for row in session.exec(query)]


def zones_for_field(
    engine: Engine, field_id: str, buffers_m: dict[ZoneKind, float]
) -> list[ZoneTouch]:
    """The zones that touch a field once buffered, nearest first.

    The bounding-box columns narrow the candidates in the database; the exact
    test runs in the field's metric CRS.

    Raises
    ------
    NotFound
        No field has that id.
    """
    record = get_field(engine, field_id)
    min_lon, min_lat, max_lon, max_lat = record.geometry.bounds
    with Session(engine) as session:
        largest_own = session.exec(select(func.max(ZoneRow.buffer_m))).one() or 0.0
        reach_m = max(max(buffers_m.values(), default=0.0), largest_own)
        # Metres to degrees, generously: a degree of longitude shrinks with latitude.
        dlat = reach_m / 110_000.0 + 1e-5
        dlon = reach_m / (110_000.0 * max(0.05, math.cos(math.radians(max_lat)))) + 1e-5
        query = select(ZoneRow).where(
            ZoneRow.max_lon >= min_lon - dlon,
            ZoneRow.min_lon <= max_lon + dlon,
            ZoneRow.max_lat >= min_lat - dlat,
            ZoneRow.min_lat <= max_lat + dlat,
        )
        candidates = [zone_record(row) for row in session.exec(query)]
    return zones_touching(record, candidates, buffers_m)
