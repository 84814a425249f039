"""Reading attribute values the way people write them in field files.

>>> first_value({"Name": "  ", "name": "North paddy"}, ("Name", "name"))
'North paddy'
>>> id_text(17.0), id_text(" B003 ")
('17', 'B003')
"""

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["first_value", "id_text", "text_or_none"]


def first_value(props: Mapping[str, Any], keys: Iterable[str]) -> Any:
    """The first of ``keys`` that holds a non-blank value, else None."""
    for key in keys:
        value = props.get(key)
        if value is not None and str(value).strip() != "":
            return value
    return None


def id_text(value: Any) -> str:
    """An id as text: ``17.0`` (a number column) reads as ``"17"``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def text_or_none(value: Any) -> str | None:
    """Stripped text, or None for a missing or blank value."""
    return None if value is None else str(value).strip() or None
