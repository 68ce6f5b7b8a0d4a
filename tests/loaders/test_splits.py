"""Split assignment: official, seeded by subject (no leakage), seeded random (stratified), deterministic."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.loaders.splits import assign_splits


def rows(n, subjects=None, labels=None, split=None):
    return [
        {
            "sample_id": f"s{i:03d}",
            "subject_id": subjects[i] if subjects else None,
            "label": labels[i] if labels else None,
            "split": split,
        }
        for i in range(n)
    ]


def test_official_untouched():
    r = rows(5, split="train")
    r[0]["split"] = "test"
    res = assign_splits(r)
    assert res.kind == "official" and res.seed is None and res.counts == {"test": 1, "train": 4}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=1, max_size=80), st.integers(0, 5))
def test_subject_grouped_split_never_leaks(subject_of, seed):
    r = rows(len(subject_of), subjects=[f"p{s}" for s in subject_of])
    res = assign_splits(r, seed=seed)
    assert res.kind == "seeded-subject"
    seen = {}
    for row in r:
        assert seen.setdefault(row["subject_id"], row["split"]) == row["split"]
    again = rows(len(subject_of), subjects=[f"p{s}" for s in subject_of])
    assign_splits(again, seed=seed)
    assert [x["split"] for x in again] == [x["split"] for x in r]  # deterministic


def test_random_split_is_stratified_and_close_to_ratios():
    labels = ["a"] * 70 + ["b"] * 30
    r = rows(100, labels=labels)
    res = assign_splits(r, seed=3, ratios={"train": 0.8, "test": 0.2})
    assert res.kind == "seeded-random" and res.counts == {"test": 20, "train": 80}
    assert sum(1 for x in r if x["label"] == "b" and x["split"] == "test") == 6


def test_partial_official_split_filled():
    r = rows(10)
    r[0]["split"] = "test"
    res = assign_splits(r)
    assert res.kind == "official-partial" and all(x["split"] for x in r)


def test_seed_changes_assignment():
    a, b = rows(50), rows(50)
    assign_splits(a, seed=0)
    assign_splits(b, seed=1)
    assert [x["split"] for x in a] != [x["split"] for x in b]


def test_random_splits_spread_negative_images_in_proportion():
    """Plaque-free images are a stratum of their own: each split gets its share, not what chance gives."""
    from registry.loaders.splits import assign_splits

    for seed in range(20):
        rows = [{"sample_id": f"s{i:02d}", "split": None, "label": None, "subject_id": None} for i in range(40)]
        positive = {r["sample_id"]: i >= 10 for i, r in enumerate(rows)}  # 10 negatives, 30 positives
        result = assign_splits(rows, seed=seed, ratios={"train": 0.7, "val": 0.1, "test": 0.2}, positive=positive)
        assert result.kind == "seeded-random"
        negatives = {s: sum(1 for r in rows if r["split"] == s and not positive[r["sample_id"]]) for s in result.counts}
        assert negatives == {"train": 7, "val": 1, "test": 2}, (seed, negatives)


def test_groups_without_subjects_stay_whole_and_are_not_subjects():
    """A recording or a clip (extra.split_group) keeps its frames in one split when no subject is published."""
    rows = [
        {"sample_id": f"{g}_{i}", "split": None, "subject_id": None, "label": None, "extra": {"split_group": g}}
        for g in ("rec1", "rec2", "rec3", "rec4", "rec5")
        for i in range(4)
    ]
    result = assign_splits(rows, seed=3)
    assert result.kind == "seeded-group"
    by_group: dict[str, set[str]] = {}
    for r in rows:
        by_group.setdefault(r["extra"]["split_group"], set()).add(r["split"])
        assert r["subject_id"] is None
    assert all(len(splits) == 1 for splits in by_group.values()) and len(set().union(*by_group.values())) > 1
    rows[0]["extra"] = {}  # one sample without a group: a random split, stratified as before
    for r in rows:
        r["split"] = None
    assert assign_splits(rows, seed=3).kind == "seeded-random"


def test_group_pattern_needs_its_named_group():
    import pytest
    from pydantic import ValidationError

    from registry.loaders.base import CommonOptions

    assert CommonOptions(group_pattern=r"(?P<group>[^/]+)_slice_\d+").group_pattern
    with pytest.raises(ValidationError, match=r"needs a named group \(\?P<group>"):
        CommonOptions(group_pattern=r"(?P<subject>[^/]+)_slice")
    with pytest.raises(ValidationError, match=r"needs a named group \(\?P<subject>"):
        CommonOptions(subject_pattern=r"(?P<group>[^/]+)_slice")
