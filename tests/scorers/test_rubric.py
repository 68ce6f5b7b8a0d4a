"""Rubric files: the shipped ones load and add up; a rubric with an error is refused with a clear message."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest
import yaml

from scorers import RubricError, load_rubric
from scorers.rubric import RUBRIC_DIR, available_versions, rubric_summary

# A released rubric never changes: a change is a new version file. Pin each released file's content here.
RELEASED = {
    "dataset-v1.yaml": "221ff10d5a1f6702629e6447976217e907e5e0a80fc3d6c9234aeb5e821bc18d",
    "model-v1.yaml": "985fc2bfba6b3759211b73f80ad3e72a75fa392fa4fe3998b9b4b4cf9634ff20",
    "dataset-v2.yaml": "d672c20c1dbb30c755217ff4ee27a2d8517435feb089f002f270c44b6127f36c",
    "model-v2.yaml": "2b783cd64f55a58c999a43f40b4bff28c89e285d2ea4541ae9dbf0b842af5b63",
}


def _raw(name: str) -> dict:
    return yaml.safe_load((RUBRIC_DIR / name).read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str | None = None) -> Path:
    path = tmp_path / (name or f"{data['rubric']}-{data['version']}.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: dict, *fragments: str, name: str | None = None) -> str:
    with pytest.raises(RubricError) as info:
        load_rubric(path=_write(tmp_path, data, name))
    message = info.value.message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize("kind", ["dataset", "model"])
def test_shipped_rubrics_load_and_add_up(kind: str) -> None:
    rubric = load_rubric(kind, "v1")
    assert rubric.id == f"{kind}-v1"
    assert sum(c.points for c in rubric.criteria) == rubric.total == 100
    for group in rubric.groups:
        assert sum(c.points for c in rubric.criteria if c.group == group.id) == group.points
    assert [name for name, _ in rubric.thresholds] == ["diamond", "platinum", "gold", "silver", "bronze", "steel"]
    assert [rubric.to_points(u) for _, u in rubric.thresholds] == [85, 75, 60, 45, 30, 0]
    for c in rubric.criteria:
        assert c.why_it_matters and c.how_to_earn
    assert available_versions(kind) == ["v1", "v2"]
    summary = rubric_summary(rubric)
    assert summary["id"] == f"{kind}-v1" and len(summary["criteria"]) == len(rubric.criteria)


@pytest.mark.parametrize("kind", ["dataset", "model"])
def test_v2_is_the_default_and_grades_form_below_verification(kind: str) -> None:
    rubric = load_rubric(kind)
    assert rubric.id == f"{kind}-v2" and rubric.grades_form
    assert sum(c.points for c in rubric.criteria) == rubric.total == 100
    credit = rubric.credit
    assert credit["self-reported"] < credit["self-reported-with-evidence"] <= credit["well-formed"] < credit["verified"]
    # verification outweighs completeness: a stated fact earns less than half of what v1 gave a syntax check
    assert credit["self-reported"] < load_rubric(kind, "v1").credit["self-reported"]
    assert rubric_summary(rubric)["credit"]["well-formed"] == float(credit["well-formed"])
    assert "well-formed" not in rubric_summary(load_rubric(kind, "v1"))["credit"]


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_rubrics_are_frozen(name: str) -> None:
    digest = hashlib.sha256((RUBRIC_DIR / name).read_bytes()).hexdigest()
    assert digest == RELEASED[name], (
        f"{name} changed; a released rubric is never edited: save the change as a new version file"
    )


def test_every_rubric_file_is_pinned() -> None:
    assert sorted(p.name for p in RUBRIC_DIR.glob("*.yaml")) == sorted(RELEASED)


def test_unknown_criterion_in_a_gate(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    data["gates"][0]["when"] = {"criterion": "no-such-criterion", "min_evidence": "self-reported"}
    _refused(tmp_path, data, "gate access-stated: unknown criterion 'no-such-criterion'")


def test_unknown_field_and_verification_key_and_claim(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    data["criteria"][0]["fields"] = ["dataset_doy"]
    data["criteria"][1]["verify"] = ["offline:telepathy"]
    data["criteria"][2] = {**data["criteria"][2], "fields": [], "claim": "vibes"}
    message = _refused(
        tmp_path,
        data,
        "'dataset_doy' is not a field of a dataset entry",
        "unknown verification key 'offline:telepathy'",
        "unknown claim 'vibes'",
    )
    assert message.startswith("rubric ") and "is invalid" in message


def test_thresholds_out_of_order(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    data["tiers"][1]["min_points"] = 90  # platinum above diamond
    _refused(tmp_path, data, "thresholds out of order")


def test_tiers_must_all_be_listed_in_order(tmp_path: Path) -> None:
    data = _raw("model-v1.yaml")
    data["tiers"] = [t for t in data["tiers"] if t["name"] != "bronze"]
    _refused(tmp_path, data, "list each tier once, highest first")


def test_points_that_do_not_add_up(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    data["criteria"][0]["points"] += 1
    _refused(
        tmp_path,
        data,
        "criterion points add up to 101, not the declared total 100",
        "group A: its criteria add up to 21 points, not 20",
    )


def test_duplicate_criterion_and_unknown_group(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    data["criteria"].append(copy.deepcopy(data["criteria"][0]) | {"group": "Z", "points": 1})
    data["total"] = 101
    _refused(tmp_path, data, "duplicate criterion id 'dataset-doi'", "unknown group 'Z'")


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    data = _raw("model-v1.yaml")
    data["criteria"][0]["weight"] = 2
    _refused(tmp_path, data, "criteria.0.weight: unknown key")


def test_credit_table_must_not_decrease(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    data["credit"]["self-reported"] = 0.9
    _refused(tmp_path, data, "credit: must not decrease")


def test_file_name_must_match_rubric_and_version(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    _refused(tmp_path, data, "the file name must be dataset-v1.yaml", name="dataset-v1-tweaked.yaml")


def test_verified_only_needs_a_verification_key(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    crit = next(c for c in data["criteria"] if c["id"] == "near-duplicates")
    crit["verify"] = []
    _refused(tmp_path, data, "verified_only needs at least one verification key")


def test_condition_patterns_must_match_known_keys(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    data["caps"][0]["when"] = {"contradicted_any": ["chekcs:*"]}
    _refused(tmp_path, data, "'chekcs:*' matches no known verification key")


def test_malformed_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dataset-v9.yaml"
    path.write_text("rubric: dataset\nversion: v9\ntiers: [\n", encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubric(path=path)
    assert "is not valid YAML" in info.value.message and str(path) in info.value.message


def test_unknown_version_names_the_available_ones() -> None:
    with pytest.raises(RubricError) as info:
        load_rubric("dataset", version="v7")
    assert "no dataset rubric version 'v7'" in info.value.message and "v1" in info.value.hint


def test_a_new_version_is_picked_up_and_recorded(tmp_path: Path) -> None:
    data = _raw("dataset-v1.yaml")
    data["version"] = "v2"
    data["tiers"][0]["min_points"] = 90
    rubric = load_rubric(path=_write(tmp_path, data))
    assert rubric.id == "dataset-v2" and rubric.threshold("diamond") == 90 * rubric.scale
