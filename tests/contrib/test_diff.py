"""`usreg diff BASE_REF` reports validation, tier before/after and new warnings for the changed entries."""

from __future__ import annotations

import json
import subprocess

import pytest

from registry.catalog import load_catalog
from tests.conftest import minimal_dataset

pytest.importorskip("scorers")

THIN = minimal_dataset("plaque-set", name="Plaque set", anatomy=["carotid"])
RICH = minimal_dataset(
    "plaque-set",
    name="Plaque set",
    anatomy=["carotid"],
    species=["human"],
    access="open",
    license="CC-BY-4.0",
    year=2024,
    dataset_doi="10.17632/abcdefghij.1",
    counts={"images": 541, "subjects": 100},
    modality={"modes": ["b-mode"], "dimensionality": ["2d"], "probes": ["linear"]},
    acquisition={"countries": ["AR"], "devices": ["Scanner X"], "period": "2019-2021"},
    annotation={
        "label_types": ["mask"],
        "classes": [{"id": 0, "name": "background"}, {"id": 1, "name": "plaque"}],
        "annotators": [{"count": 2, "expertise": "physicians"}],
        "protocol": "manual delineation",
    },
    splits={"official": True, "subject_level": True, "subject_ids": True},
    sources=[
        {"kind": "mendeley", "id": "abcdefghij", "version": "1", "files": [{"name": "a.zip", "sha256": "a" * 64}]}
    ],
    publications=[{"title": "Paper", "doi": "10.1000/paper.1", "year": 2024}],
    formats=["png"],
    contact="someone@example.org",
    evidence=[{"url": "https://data.mendeley.com/datasets/abcdefghij/1", "fields": ["*"]}],
)


def git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(catalog_root):
    root = catalog_root.root
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.org")
    git(root, "config", "user.name", "Test")
    catalog_root.dataset(THIN)
    catalog_root.dataset(minimal_dataset("other-set", name="Other", anatomy=["liver"]))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    catalog_root.dataset(RICH)
    catalog_root.dataset(
        minimal_dataset("new-set", name="Plaque set copy", anatomy=["carotid"], dataset_doi="10.17632/abcdefghij.1")
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "second")
    return catalog_root


def _tier_at(root, entry_id):
    from scorers import score_catalog

    return score_catalog(load_catalog(root))[entry_id].to_dict()["tier"]


def test_diff_reports_tier_change(repo, run_cli, tmp_path):
    root = repo.root
    after = _tier_at(root, "plaque-set")
    result = run_cli("diff", "HEAD~1", "--format", "json", root=root)
    assert result.exit_code == 0, result.output
    report = {item["id"]: item for item in json.loads(result.output)}
    assert set(report) == {"plaque-set", "new-set"}  # other-set did not change
    changed = report["plaque-set"]
    assert changed["change"] == "modified" and changed["errors"] == []
    assert changed["after"]["tier"] == after
    assert changed["before"]["tier"] == "steel"
    assert after != "steel" and changed["tier_change"] == f"steel → {after}"
    assert changed["after"]["points"] > changed["before"]["points"]
    added = report["new-set"]
    assert added["change"] == "added" and added["before"] is None
    assert any("possible duplicate of 'plaque-set'" in w for w in added["new_warnings"])


def test_diff_markdown_for_a_pr_comment(repo, run_cli):
    result = run_cli("diff", "HEAD~1", "--format", "markdown", root=repo.root)
    assert result.exit_code == 0
    assert result.output.startswith("### usreg catalog diff against `HEAD~1`")
    assert "| `plaque-set` (dataset) | modified | ✅ | steel → " in result.output
    assert "possible duplicate" in result.output


def test_diff_flags_invalid_changes(repo, run_cli):
    path = repo.root / "entries" / "datasets" / "other-set.yaml"
    path.write_text(path.read_text().replace("liver", "elbow"))
    result = run_cli("diff", "HEAD", "--format", "markdown", root=repo.root)
    assert result.exit_code == 1
    assert "| `other-set` (dataset) | modified | ❌ |" in result.output


def test_diff_unknown_ref(repo, run_cli):
    result = run_cli("diff", "no-such-ref", root=repo.root)
    assert result.exit_code == 2 and "BASE_REF" in result.output
