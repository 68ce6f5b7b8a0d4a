"""`usreg score IDS --explain` reads only what scoring IDS needs from the index: the same explanations as scoring
the whole catalog gives."""

from __future__ import annotations

import copy
import json

from registry.index import RegistryIndex
from tests.conftest import CatalogBuilder
from tests.scorers.helpers import BARE_DATASET, RICH_DATASET, RICH_MODEL


def _friendly(data: dict) -> dict:
    return json.loads(json.dumps(data))


def test_explain_of_some_ids_equals_their_explain_in_the_whole_catalog(run_cli, catalog_root: CatalogBuilder) -> None:
    catalog_root.dataset(_friendly(RICH_DATASET))
    catalog_root.dataset(_friendly(BARE_DATASET))
    member = copy.deepcopy(BARE_DATASET) | {"id": "member-set", "name": "Member Set", "anatomy": ["breast"]}
    catalog_root.dataset(member)
    collection = copy.deepcopy(BARE_DATASET) | {
        "id": "family-set",
        "name": "Family Set",
        "relations": {"members": ["member-set"], "derived_from": ["rich-set"]},
    }
    catalog_root.dataset(collection)
    catalog_root.model(_friendly(RICH_MODEL))
    other = _friendly(RICH_MODEL) | {"id": "other-net", "name": "Other Net", "trained_on": ["member-set"]}
    catalog_root.model(other)
    root = catalog_root.root
    whole = {s["entry_id"]: s for s in json.loads(run_cli("score", "--explain", "--format", "json", root=root).stdout)}
    assert len(whole) == 6
    loaded = RegistryIndex(root).stored_catalog(["family-set"])
    assert loaded is not None and set(loaded.datasets) == {"family-set", "member-set", "rich-set"}  # + referenced
    assert set(loaded.models) == {"rich-net", "other-net"}  # every model: the reverse links
    for entry_id in whole:
        one = json.loads(run_cli("score", entry_id, "--explain", "--format", "json", root=root).stdout)
        assert one == [whole[entry_id]], entry_id
