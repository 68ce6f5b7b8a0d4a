"""`usreg bench --all` says what it skipped in a line or two, not one line per dataset."""

from __future__ import annotations

from registry.cli.bench_cmd import summarise_skips


def test_datasets_that_are_not_fetched_fit_one_line():
    skipped = [
        {"dataset": f"set-{i:03d}", "model": "*", "reason": f"not fetched (run `usreg fetch set-{i:03d}`)"}
        for i in range(175)
    ]
    lines = summarise_skips(skipped)
    assert len(lines) == 1
    assert "175 dataset(s)" in lines[0] and "set-000" in lines[0] and "172 more" in lines[0]


def test_few_other_skips_are_listed_and_many_are_counted_by_reason():
    few = [{"dataset": "d", "model": "m", "reason": "needs a mask target"}]
    assert summarise_skips(few) == ["skipped m on d: needs a mask target"]
    many = [{"dataset": f"d{i}", "model": "m", "reason": "task mismatch"} for i in range(9)]
    many.append({"dataset": "x", "model": "y", "reason": "no weights"})
    assert summarise_skips(many) == [
        "skipped 9 model/dataset pair(s): task mismatch",
        "skipped 1 model/dataset pair(s): no weights",
    ]
