"""Publishing Tanbo's data to the city data platform as NGSI-LD entities of the FIWARE
Smart Data Models: fields (AgriParcel, AgriCrop), paddy water (AgriParcelRecord), paddy
sensors, gates and drones (Device), readings (DeviceMeasurement) and drone deliveries
(FleetVehicleOperation); checked offline against the models' schemas, sent through a
:class:`ContextBroker`, personal data only with its owner's consent.
"""

from api.city_platform.broker import MAX_BATCH, ContextBroker, HttpContextBroker, batches
from api.city_platform.errors import (
    BrokerError,
    BrokerRefused,
    BrokerUnavailable,
    CityPlatformError,
    InvalidEntity,
    Problem,
    UnknownDataModel,
)
from api.city_platform.ngsi import CORE_CONTEXT, Entity, EntityIds, key_values
from api.city_platform.outcomes import (
    Candidate,
    PublishReport,
    Refused,
    Removed,
    Skipped,
    SkipReason,
)
from api.city_platform.publish import build_candidates, digest, publish, publish_data
from api.city_platform.recording import RecordingBroker
from api.city_platform.schemas import PUBLISHED_MODELS, DataModel, ModelSchema, model_schema
from api.city_platform.sources import CityData, read_city_data
from api.city_platform.validate import check_entity, entity_problems

__all__ = [
    "CORE_CONTEXT",
    "MAX_BATCH",
    "PUBLISHED_MODELS",
    "BrokerError",
    "BrokerRefused",
    "BrokerUnavailable",
    "Candidate",
    "CityData",
    "CityPlatformError",
    "ContextBroker",
    "DataModel",
    "Entity",
    "EntityIds",
    "HttpContextBroker",
    "InvalidEntity",
    "ModelSchema",
    "Problem",
    "PublishReport",
    "RecordingBroker",
    "Refused",
    "Removed",
    "SkipReason",
    "Skipped",
    "UnknownDataModel",
    "batches",
    "build_candidates",
    "check_entity",
    "digest",
    "entity_problems",
    "key_values",
    "model_schema",
    "publish",
    "publish_data",
    "read_city_data",
]
