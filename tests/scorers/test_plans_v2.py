"""Plans a curator can act on: curator steps (a missing fact with the source to read, or a check to run) apart from
owner steps (a licence, a DOI, a release); never a stated fact, a claim without a source, a fetch without a source,
or a subject-level split without subject ids. Applying the curator steps moves the points as predicted."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from registry.catalog import load_catalog
from registry.schema import Dataset, Model
from scorers import StaticEvidence, Verification, score_entry
from scorers.providers import OfflineProvider
from tests.scorers.helpers import BARE_DATASET, catalog_of, dataset

REPO = Path(__file__).resolve().parents[2]
EXPLAINED = ("carotid-plaque", "echonet-dynamic", "ultrasam")


def _plan(entry, catalog=None, verifications=()):
    providers = [OfflineProvider(), StaticEvidence({entry.id: list(verifications)})]
    catalog = catalog if catalog is not None else catalog_of(entry)
    return score_entry(entry, catalog, evidence=providers).to_dict()


@pytest.fixture(scope="module")
def real():
    catalog = load_catalog(REPO, duplicates=False)
    return catalog


def _entry(catalog, entry_id):
    entry = catalog.datasets.get(entry_id) or catalog.models.get(entry_id)
    if entry is None:
        pytest.skip(f"{entry_id} is not in the catalog")
    return entry


def _stated(entry, path: str) -> bool:
    from scorers.fields import field_stated, parse_path

    return field_stated(entry, parse_path(path))


@pytest.mark.parametrize("entry_id", EXPLAINED)
def test_plans_list_only_missing_facts_or_checks_split_by_who(real, entry_id: str) -> None:
    entry = _entry(real, entry_id)
    d = _plan(entry, real)
    plan = d["next_tier"]
    assert plan is not None and set(plan) >= {"curator", "owner", "reachable_by_curator", "points_after_curator"}
    assert plan["actions"] == plan["curator"] + plan["owner"]
    kinds = {c["id"]: c["evidence_kind"] for c in d["criteria"]}
    for step in plan["curator"]:
        assert step["who"] == "curator"
        if step["action"] == "fill":
            assert step["source"] and step["source"] in step["how"]  # the source to read
            for path in step["fields"]:
                assert path.startswith("claim:") or not _stated(entry, path), f"{path} is already stated"
        elif step["action"] == "fix":  # a stated fact a check contradicted: correct it from the source
            assert kinds[step["criterion"]] == "contradicted" and step["source"] in step["how"]
        elif step["action"] == "add-evidence":
            assert step["source"]
        elif step["action"] == "verify":
            assert kinds[step["criterion"]] in (
                "missing",
                "self-reported",
                "self-reported-with-evidence",
                "well-formed",
            )
        else:
            assert step["action"] == "run"
    for step in plan["owner"]:
        assert step["who"] == "owner" and step["how"].startswith("Needs ")


def test_no_fetch_and_no_claim_without_a_source() -> None:
    bare = dataset(BARE_DATASET, loader={"name": "bare-set"})
    plan = _plan(bare)["next_tier"]
    assert plan["curator"] == []
    assert not any("usreg fetch" in a["how"] for a in plan["actions"])
    # a source the bytes of which cannot be checked is not worth a fetch either: unverified data never counts
    manual = dataset(BARE_DATASET, loader={"name": "bare-set"}, sources=[{"kind": "manual", "url": "https://e.org/x"}])
    assert not any("usreg fetch" in a["how"] for a in _plan(manual)["next_tier"]["actions"])


def test_no_subject_level_split_without_subject_ids() -> None:
    entry = dataset(splits={"official": True}, evidence=[{"url": "https://e.org/paper", "fields": ["*"]}])
    plan = _plan(entry)["next_tier"]
    assert not any(a["criterion"] == "subject-level-split" for a in plan["actions"])
    with_ids = dataset(splits={"official": True, "subject_ids": True})
    found = [a for a in _plan(with_ids)["next_tier"]["actions"] if a["criterion"] == "subject-level-split"]
    assert all(a["action"] != "fill" or a["source"] for a in found)


def test_a_missing_licence_is_an_owner_step_priced_apart() -> None:
    entry = dataset(license=None, license_url=None, ethics={})
    plan = _plan(entry)["next_tier"]
    owner = [a for a in plan["owner"] if a["criterion"] in ("licence-stated", "licence-spdx")]
    curator_costs = [a["cost"] for a in plan["curator"] if a["action"] == "fill"]
    for step in owner:
        assert step["how"].startswith("Needs the data owner") and all(step["cost"] > c for c in curator_costs)


def _candidates() -> list:
    from enum import Enum

    from registry.schema import vocab

    found: list = [
        True,
        "stated in the cited source",
        10,
        ["stated"],
        [{"count": 1, "expertise": "sonographer"}],
        [{"id": 1, "name": "lesion"}],
        {"name": "image-mask-folders"},
    ]
    for item in vars(vocab).values():  # a value of each vocabulary, alone and as a list
        if isinstance(item, type) and issubclass(item, Enum) and item is not Enum and list(item):
            first = next(iter(item)).value
            found += [first, [first]]
    return found


_CANDIDATES = _candidates()


def _value_for(model_cls, data: dict, path: str) -> None:
    """Set ``path`` in ``data`` to a value the schema accepts (a stand-in for the fact read from the source)."""
    parts = path.split(".")
    holder = data
    for part in parts[:-1]:
        holder = holder.setdefault(part, {})
    leaf = parts[-1]
    for candidate in _CANDIDATES:
        holder[leaf] = candidate
        try:
            model_cls.model_validate(data)
            return
        except Exception:
            continue
    raise AssertionError(f"no stand-in value for {path}")


@pytest.mark.parametrize("entry_id", EXPLAINED)
def test_applying_the_curator_steps_moves_the_points_as_predicted(real, entry_id: str) -> None:
    entry = _entry(real, entry_id)
    model_cls = Model if isinstance(entry, Model) else Dataset
    before = _plan(entry, real)
    plan = before["next_tier"]
    data = entry.model_dump(mode="json", exclude_none=True)
    data = copy.deepcopy(data)
    verifications = []
    for step in plan["curator"]:
        if step["action"] in ("fill", "fix", "verify") and step.get("fields"):
            for path in step["fields"]:
                if not path.startswith("claim:"):
                    _value_for(model_cls, data, path)
                else:
                    data.setdefault("publications", []).append(
                        {"title": "Descriptor", "url": step["source"], "role": "descriptor"}
                    )
        if step["to"] == "self-reported-with-evidence" or step["action"] == "add-evidence":
            fields = [f for f in step.get("fields", []) if not f.startswith("claim:")] or ["publications"]
            data.setdefault("evidence", []).append({"url": step["source"], "fields": fields})
        if step.get("key"):
            verifications.append(
                Verification(step["key"], "well-formed" if step["to"] == "well-formed" else "verified", "simulated")
            )
    changed = model_cls.model_validate(data)
    catalog = copy.copy(real)
    catalog.datasets = dict(real.datasets)
    catalog.models = dict(real.models)
    (catalog.models if model_cls is Model else catalog.datasets)[entry.id] = changed
    offline_keys = {v.key for v in verifications if v.key.startswith("offline:")}
    after = _plan(changed, catalog, [v for v in verifications if v.key not in offline_keys])
    predicted = sum(step["points"] for step in plan["curator"])
    assert after["points"] - before["points"] == pytest.approx(predicted, abs=0.011)
    assert after["points"] == pytest.approx(plan["points_after_curator"], abs=0.011)
