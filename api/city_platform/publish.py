"""Publishing Tanbo's city data: read the database, build every entity, leave out what
may not go, check the rest against its Smart Data Model, upsert it, and delete from the
broker what Tanbo published before and may no longer (consent withdrawn) or no longer has
(a field deleted, a drone retired).

Consent is opt-in and per person: personal entities (a farmer's fields and paddy
records, measurements on a farmer's paddy, a resident's deliveries) are published only
for accounts with a consent time; devices, drones and crops always. The broker is the
memory of what was published: the ids under Tanbo's prefix of each type Tanbo publishes.
Entity contents come from the database alone (no "now"), so publishing unchanged data
again sends the same entities with the same ids — the report says how many were already
there and gives a digest of what was sent.
"""

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

from sqlalchemy import Engine

from api.city_platform.agri import agri_crop, agri_parcel, agri_parcel_record
from api.city_platform.broker import ContextBroker
from api.city_platform.deliveries import delivery_operation
from api.city_platform.devices import device_measurement, drone_device, water_device
from api.city_platform.errors import InvalidEntity
from api.city_platform.ngsi import Entity, EntityIds
from api.city_platform.outcomes import (
    Candidate,
    PublishReport,
    Refused,
    Removed,
    Skipped,
    SkipReason,
)
from api.city_platform.schemas import AGRI_CROP, AGRI_PARCEL, PUBLISHED_MODELS, model_schema
from api.city_platform.sources import CityData, read_city_data
from api.city_platform.validate import check_entity
from irrigation import Reading

__all__ = ["build_candidates", "digest", "publish", "publish_data"]


def build_candidates(data: CityData, ids: EntityIds) -> Iterator[Candidate | Skipped]:
    """Every entity the data makes, in a stable order, before consent and validation (a
    crop for every field's crop: :func:`publish_data` keeps those a published field names)."""
    fields_by_id = {str(f.record.id): f for f in data.fields}
    crops = sorted({c.record.crop for c in data.fields if c.record.crop})
    for stored in data.fields:
        yield agri_parcel(ids, stored)
    yield from (agri_crop(ids, crop) for crop in crops)
    readings: dict[str, list[Reading]] = defaultdict(list)
    for reading in data.newest_readings:
        readings[reading.device_id].append(reading)
    by_paddy: dict[str, list[str]] = defaultdict(list)
    for device in data.water_devices:
        if device.paddy_id is not None:
            by_paddy[device.paddy_id].append(device.id)
    for paddy in data.paddies:
        mine = by_paddy.get(paddy.paddy.id, [])
        yield agri_parcel_record(
            ids, paddy, fields_by_id=fields_by_id, device_ids=mine,
            readings=[r for d in mine for r in readings.get(d, [])],
        )  # fmt: skip
    owners = {p.paddy.id: p.owner for p in data.paddies}
    for device in data.water_devices:
        yield water_device(ids, device, readings.get(device.id, []))
        for reading in readings.get(device.id, []):
            measured = device_measurement(ids, reading, paddy_owners=owners, device=device)
            if measured is not None:
                yield measured
    for vehicle in data.vehicles:
        depot_id = data.stationed_at.get(vehicle.registration)
        yield drone_device(ids, vehicle, depot=data.depots.get(depot_id) if depot_id else None)
    for delivery in data.deliveries:
        yield delivery_operation(ids, delivery, depots=data.depots, drop_points=data.drop_points)


def _consented(candidate: Candidate, data: CityData) -> SkipReason | None:
    if not candidate.personal:
        return None
    subject = candidate.data_subject
    if subject is None or subject not in data.consents:
        return SkipReason.NOT_AN_ACCOUNT
    return None if data.consents[subject] is not None else SkipReason.NO_CONSENT


def _admit(
    built: Candidate | Skipped,
    data: CityData,
    accepted: list[Entity],
    refused: list[Refused],
    skipped: list[Skipped],
) -> None:
    """Sort one built entity into accepted, refused (its model says no) or skipped."""
    if isinstance(built, Skipped):
        skipped.append(built)
        return
    lacking = _consented(built, data)
    if lacking is not None:
        skipped.append(Skipped(entity_id=built.id, entity_type=built.model.name,
                               reason=lacking, data_subject=built.data_subject))  # fmt: skip
        return
    try:
        check_entity(built.entity, built.model, borrowed=built.borrowed)
    except InvalidEntity as exc:
        refused.append(Refused(entity_id=built.id, entity_type=built.model.name,
                               reason="; ".join(map(str, exc.problems))))  # fmt: skip
        return
    accepted.append(built.entity)


def _target(relationship: object) -> str | None:
    return str(relationship["object"]) if isinstance(relationship, dict) else None


def digest(entities: Sequence[Entity]) -> str:
    """SHA-256 of entities as canonical JSON, in id order: equal for equal content."""
    canonical = json.dumps(sorted(entities, key=lambda e: str(e["id"])), sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


def publish_data(
    data: CityData, broker: ContextBroker, *, ids: EntityIds, dry_run: bool = False
) -> PublishReport:
    """Publish what ``data`` holds through ``broker`` (a record-only one for a dry run).

    Raises
    ------
    api.city_platform.errors.BrokerError
        The broker could not be reached, or refused entities (naming them).
    """
    accepted: list[Entity] = []
    refused: list[Refused] = []
    skipped: list[Skipped] = []
    crops: list[Candidate] = []
    for built in build_candidates(data, ids):
        if isinstance(built, Candidate) and built.model == AGRI_CROP:
            crops.append(built)  # published only where a published parcel names it
            continue
        _admit(built, data, accepted, refused, skipped)
    named = {_target(e.get("hasAgriCrop")) for e in accepted if e["type"] == AGRI_PARCEL.name}
    for crop in crops:
        if crop.id in named:
            _admit(crop, data, accepted, refused, skipped)
    held: set[str] = set()
    for model in PUBLISHED_MODELS:
        held |= broker.published_ids(
            entity_type=model.name, context=model_schema(model).context,
            id_prefix=ids.type_prefix(model.name),
        )  # fmt: skip
    sent = sorted(str(e["id"]) for e in accepted)
    kept = set(sent) | {r.entity_id for r in refused}
    why = {c.id: "no published field grows it" for c in crops if c.id not in named}
    why |= {s.entity_id: _removal_reason(s.reason) for s in skipped}
    removed = [
        Removed(entity_id=i, reason=why.get(i, "no longer in Tanbo")) for i in sorted(held - kept)
    ]
    # Deletions first: a withdrawn consent is honoured even if the broker refuses an upsert.
    broker.delete([r.entity_id for r in removed])
    broker.upsert(accepted)
    return PublishReport(
        dry_run=dry_run,
        sent=tuple(sent),
        sent_types=dict(sorted(Counter(str(e["type"]) for e in accepted).items())),
        new=tuple(i for i in sent if i not in held),
        refused=tuple(refused),
        skipped=tuple(skipped),
        removed=tuple(removed),
        digest=digest(accepted),
    )


def _removal_reason(skipped: SkipReason) -> str:
    if skipped is SkipReason.NO_CONSENT:
        return "consent withdrawn"
    if skipped is SkipReason.NOT_AN_ACCOUNT:
        return "no account to consent"
    return f"no longer published ({skipped.value})"


def publish(
    engine: Engine, broker: ContextBroker, *, ids: EntityIds, dry_run: bool = False
) -> PublishReport:
    """Read the database and publish it (see :func:`publish_data`).

    Raises
    ------
    api.errors.StorageError
        The database could not be read.
    api.city_platform.errors.BrokerError
        The broker could not be reached, or refused entities (naming them).
    """
    return publish_data(read_city_data(engine), broker, ids=ids, dry_run=dry_run)
