"""`python -m scorers.compare`: the v1/v2 table of scorers/README.md, with every move explained."""

from __future__ import annotations

import copy

from scorers.compare import compare
from tests.scorers.helpers import BARE_DATASET, RICH_DATASET, RICH_MODEL


def test_compare_prints_both_distributions_and_explains_each_move(catalog_root) -> None:
    rich = copy.deepcopy(RICH_DATASET)
    rich["release_date"] = str(rich["release_date"])
    catalog_root.dataset(rich)
    catalog_root.dataset(copy.deepcopy(BARE_DATASET))
    catalog_root.model(copy.deepcopy(RICH_MODEL))
    (catalog_root.root / "coverage").mkdir()
    (catalog_root.root / "coverage" / "paper-72-map.csv").write_text(
        "row,dataset_name,entry_id,note\n1,Rich,rich-set,\n", encoding="utf-8"
    )
    out = compare(catalog_root.root, top=3)
    for label in ("datasets (2) | v1", "datasets (2) | v2", "models (1) | v1", "paper-72 mapping (1) | v2"):
        assert label in out
    assert "Tiers limited by a gate:" in out
    moves = [line for line in out.splitlines() if line.startswith("| rich-") or line.startswith("| bare-")]
    assert len(moves) == 3 and all(line.rstrip(" |").split("|")[-1].strip() for line in moves)
