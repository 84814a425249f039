"""The OpenAPI document is complete: every operation summarised and described, its
problems documented as problem+json, every JSON body with an example."""

from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.config import load_settings


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("openapi")
    settings = load_settings(data_dir=folder, database_url=f"sqlite:///{folder / 'db.sqlite'}")
    return create_app(settings).openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]]  # type: ignore[no-any-return]


def test_every_operation_is_summarised_and_described(document: dict[str, Any]) -> None:
    bare = [name for name, op in _operations(document) if not op.get("summary")]
    undescribed = [name for name, op in _operations(document) if not op.get("description")]
    assert bare == []
    assert undescribed == []
    assert len(_operations(document)) >= 35


def test_every_operation_documents_its_problems(document: dict[str, Any]) -> None:
    for name, operation in _operations(document):
        problems = {
            code: answer
            for code, answer in operation["responses"].items()
            if code.startswith("4") and "application/problem+json" in answer.get("content", {})
        }
        assert problems, f"{name} documents no 4xx problem"


def test_every_json_body_has_an_example(document: dict[str, Any]) -> None:
    missing = []
    for name, operation in _operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        media = content["application/json"]
        schema = _schema(document, media["schema"])
        given = media["schema"].get("examples") or schema.get("examples")
        if not (media.get("examples") or media.get("example") or given):
            missing.append(name)
    assert missing == []
