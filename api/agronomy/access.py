"""Who may see which field, image and prescription in the agronomy routes.

A farmer sees and uses only their own; city staff everything; operators read every
prescription (they fly them). What a caller may not see answers 404, as if absent.
"""

from sqlalchemy import Engine

from api import registry
from api.accounts import Principal, Role
from api.agronomy import store
from api.agronomy.store import StoredImage, StoredPrescription
from api.errors import NotFound
from fields import FieldRecord

__all__ = ["sees_everything", "visible_field", "visible_image", "visible_prescription"]


def sees_everything(caller: Principal) -> bool:
    """Whether the caller sees every farmer's images and prescriptions (city staff)."""
    return caller.has(Role.CITY_ADMIN)


def visible_field(engine: Engine, caller: Principal, field_id: str) -> FieldRecord:
    """The field if the caller may use it (its owner, or staff).

    Raises
    ------
    NotFound
        No such field, or another farmer's.
    """
    record = registry.get_field(engine, field_id)
    if sees_everything(caller) or record.owner == caller.account_id:
        return record
    raise NotFound(f"no field with id {field_id!r}")


def visible_image(engine: Engine, caller: Principal, image_id: str) -> StoredImage:
    """The image if the caller may use it (its owner, or staff).

    Raises
    ------
    NotFound
        No such image, or another farmer's.
    """
    image = store.get_image(engine, image_id)
    if sees_everything(caller) or image.owner == caller.account_id:
        return image
    raise NotFound(f"no image {image_id}")


def visible_prescription(
    engine: Engine, caller: Principal, prescription_id: str
) -> StoredPrescription:
    """The prescription if the caller may read it (its owner, staff, or an operator).

    Raises
    ------
    NotFound
        No such prescription, or another farmer's.
    """
    stored = store.get_prescription(engine, prescription_id)
    if caller.has(Role.CITY_ADMIN, Role.OPERATOR) or stored.owner == caller.account_id:
        return stored
    raise NotFound(f"no prescription {prescription_id}")
