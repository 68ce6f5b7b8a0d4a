"""The published JSON Schemas agree with the pydantic models and with every real entry."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from registry.catalog import entry_files, kind_for_path
from registry.schema_export import schema_documents
from registry.yamlsafe import load_file
from tests.conftest import REPO_ROOT


def test_schema_files_are_up_to_date():
    for name, text in schema_documents().items():
        path = REPO_ROOT / "schemas" / name
        assert path.exists(), f"{path} missing: run `usreg schema --write`"
        assert path.read_text() == text, f"{name} is out of date: run `usreg schema --write`"


ENTRY_FILES = entry_files(REPO_ROOT)


@pytest.mark.parametrize("kind,path", ENTRY_FILES, ids=[p.stem for _, p in ENTRY_FILES])
def test_entry_validates_against_published_schema(kind, path):
    schema = json.loads((REPO_ROOT / "schemas" / f"{kind}.schema.json").read_text())
    data = json.loads(json.dumps(load_file(path).data, default=str))
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_every_entry_names_its_schema_on_line_one():
    for kind, path in ENTRY_FILES:
        assert kind_for_path(path) == kind
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first == f"# yaml-language-server: $schema=../../schemas/{kind}.schema.json", path


def test_jsonschema_rejects_what_pydantic_rejects():
    schema = json.loads((REPO_ROOT / "schemas" / "dataset.schema.json").read_text())
    validator = Draft202012Validator(schema)
    base = {"id": "x", "name": "X", "anatomy": ["breast"]}
    assert not list(validator.iter_errors(base))
    assert list(validator.iter_errors({**base, "unknown": 1}))
    assert list(validator.iter_errors({**base, "counts": {"images": -1}}))
    assert list(validator.iter_errors({**base, "anatomy": ["elbow"]}))
    assert list(validator.iter_errors({**base, "id": "Not Kebab"}))
