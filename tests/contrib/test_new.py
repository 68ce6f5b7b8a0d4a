"""`usreg new` writes a skeleton with every field that validates once the required fields are filled."""

from __future__ import annotations

import yaml

from registry.catalog import load_catalog
from registry.schema import Dataset, Model


def test_new_dataset_with_flags_validates(catalog_root, run_cli):
    result = run_cli(
        "new",
        "dataset",
        "my-set",
        "--name",
        "My set",
        "--anatomy",
        "breast",
        "--task",
        "segmentation",
        "--license",
        "CC-BY-4.0",
        "--access",
        "open",
        "--no-interactive",
        root=catalog_root.root,
    )
    assert result.exit_code == 0, result.output
    path = catalog_root.root / "entries" / "datasets" / "my-set.yaml"
    text = path.read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../../schemas/dataset.schema.json"
    data = yaml.safe_load(text)
    assert set(Dataset.model_fields) <= set(data)  # every field is present
    assert data["evidence"] == []
    assert "# an SPDX id" in text  # hints
    assert run_cli("validate", root=catalog_root.root).exit_code == 0


def test_new_model_skeleton_needs_required_fields_then_validates(catalog_root, run_cli):
    result = run_cli("new", "model", "my-model", "--no-interactive", root=catalog_root.root)
    assert result.exit_code == 0
    assert "still to fill" in result.output and "[name]" in result.output and "[tasks]" in result.output
    path = catalog_root.root / "entries" / "models" / "my-model.yaml"
    assert set(Model.model_fields) <= set(yaml.safe_load(path.read_text()))
    assert run_cli("validate", root=catalog_root.root).exit_code == 1
    text = path.read_text().replace("name: null", 'name: "My model"').replace("tasks: []", "tasks: [segmentation]")
    path.write_text(text)
    catalog = load_catalog(catalog_root.root)
    assert not catalog.errors, [e.render() for e in catalog.errors]
    assert catalog.models["my-model"].name == "My model"


def test_new_asks_questions_interactively(catalog_root, run_cli):
    answers = "Echo set\nheart\nsegmentation, classification\nMIT\nopen\nhttps://example.org/echo\n"
    result = run_cli("new", "dataset", "echo-set", "--interactive", root=catalog_root.root, input=answers)
    assert result.exit_code == 0, result.output
    catalog = load_catalog(catalog_root.root)
    entry = catalog.datasets["echo-set"]
    assert (entry.name, entry.anatomy, entry.tasks, entry.license, entry.access) == (
        "Echo set",
        ["heart"],
        ["segmentation", "classification"],
        "MIT",
        "open",
    )
    assert entry.links.homepage == "https://example.org/echo"


def test_new_refuses_to_overwrite_and_bad_ids(catalog_root, run_cli):
    assert run_cli("new", "dataset", "dup", "--no-interactive", root=catalog_root.root).exit_code == 0
    result = run_cli("new", "dataset", "dup", "--no-interactive", root=catalog_root.root)
    assert result.exit_code == 1 and "already exists" in result.output
    result = run_cli("new", "dataset", "Bad_Id", "--no-interactive", root=catalog_root.root)
    assert result.exit_code == 1 and "kebab-case" in result.output
