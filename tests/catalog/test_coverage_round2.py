"""The round-2 coverage maps (issue 17): every row of the NIDUS, ultatron, HAIC, OpenUS-46 and MedSegBench lists names
a catalog dataset or says why it has none, and the maps stay complete and consistent with the rest of the catalog."""

from __future__ import annotations

import csv
import re

import pytest

from registry.catalog import Catalog, load_catalog
from tests.conftest import REPO_ROOT

COVERAGE = REPO_ROOT / "coverage"
REASONS = ("out of scope:", "no entry:", "pending:")

#: file -> (header, key column, number of rows of the source list, most rows still 'pending:'); the caps only go down
MAPS = {
    "nidus-map.csv": (["row", "name", "link", "entry_id", "note"], "row", 96, 8),
    "ultatron-map.csv": (["dataset_id", "entry_id", "note"], "dataset_id", 119, 3),
    "haic-map.csv": (["row", "resource_name", "entry_id", "note"], "row", 96, 3),
    "openus-46-map.csv": (["row", "name", "link", "entry_id", "note"], "row", 46, 0),
    "medsegbench-map.csv": (["dataset_key", "reference", "entry_id", "note"], "dataset_key", 35, 1),
}

#: a path that leaves the repository (the shared research folder, an absolute path on the build machine, a parent dir)
OUTSIDE_PATH = re.compile(r"(\.\./|\.\.\\|/work/|(^|[\s,(])shared/|file://)")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(REPO_ROOT)


def read_map(name: str) -> list[dict[str, str]]:
    header = MAPS[name][0]
    with (COVERAGE / name).open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == header, f"{name}: header {reader.fieldnames} != {header}"
        return list(reader)


def map_problems(catalog: Catalog, name: str, rows: list[dict[str, str]]) -> list[str]:
    """Rows that name no catalog dataset and give no reason, or give a reason with nothing after it."""
    problems = []
    for i, row in enumerate(rows, start=2):
        entry_id, note = row["entry_id"].strip(), row["note"].strip()
        if entry_id:
            if entry_id not in catalog.datasets:
                problems.append(f"{name}:{i}: {entry_id!r} is not a dataset in the catalog")
            continue
        prefix = next((p for p in REASONS if note.startswith(p)), None)
        if prefix is None:
            problems.append(f"{name}:{i}: no entry_id and no 'out of scope:'/'no entry:'/'pending:' note")
        elif len(note) - len(prefix) < 15:
            problems.append(f"{name}:{i}: the note does not say why ({note!r})")
    return problems


@pytest.mark.parametrize("name", sorted(MAPS))
def test_every_row_names_an_entry_or_a_reason(catalog: Catalog, name: str):
    rows = read_map(name)
    assert not map_problems(catalog, name, rows), "\n".join(map_problems(catalog, name, rows))


@pytest.mark.parametrize("name", sorted(MAPS))
def test_map_covers_the_whole_list_once(name: str):
    _, key, size, _ = MAPS[name]
    keys = [r[key].strip() for r in read_map(name)]
    assert len(keys) == size, f"{name}: {len(keys)} rows, the source list has {size}"
    assert len(set(keys)) == len(keys), f"{name}: a row of the source list is mapped twice"
    assert all(keys), f"{name}: a row without its {key}"
    if key == "row":
        assert keys == [str(n) for n in range(1, size + 1)], f"{name}: rows are not numbered 1..{size} in order"


@pytest.mark.parametrize("name", sorted(MAPS))
def test_pending_rows_only_go_down(name: str):
    ceiling = MAPS[name][3]
    pending = [r for r in read_map(name) if not r["entry_id"].strip() and r["note"].startswith("pending:")]
    assert len(pending) <= ceiling, f"{name}: {len(pending)} pending rows, at most {ceiling} allowed"


@pytest.mark.parametrize("name", sorted(MAPS))
def test_maps_do_not_point_outside_the_repository(name: str):
    text = (COVERAGE / name).read_text(encoding="utf-8")
    hits = [line for line in text.splitlines() if OUTSIDE_PATH.search(line)]
    assert not hits, f"{name} refers to a path outside the repository: {hits[:3]}"


def test_map_checker_rejects_bad_rows(catalog: Catalog):
    """The row check itself: an unknown id, a missing reason and an empty reason are each reported."""
    rows = [
        {"entry_id": "no-such-dataset-xyz", "note": ""},
        {"entry_id": "", "note": "looks like a duplicate"},
        {"entry_id": "", "note": "out of scope:"},
        {"entry_id": "", "note": "out of scope: not ultrasound (retinal fundus photographs)"},
        {"entry_id": next(iter(catalog.datasets)), "note": ""},
    ]
    problems = map_problems(catalog, "x.csv", rows)
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4"], problems


def test_outside_path_pattern():
    assert OUTSIDE_PATH.search("see ../sibling-checkout/x.csv")
    assert OUTSIDE_PATH.search("copied from /work/elsewhere/notes")
    assert OUTSIDE_PATH.search("as in shared/notes.md")
    assert not OUTSIDE_PATH.search("https://github.com/tbrokowski/ultatron/blob/main/data/adapters/x.py")


def test_openus_46_map_matches_the_collection(catalog: Catalog):
    """The OpenUS-46 rows and the openus-46 collection's members name the same datasets."""
    members = set(catalog.datasets["openus-46"].relations.members)
    mapped = {r["entry_id"] for r in read_map("openus-46-map.csv") if r["entry_id"]}
    assert members <= mapped, f"collection members missing from the map: {sorted(members - mapped)}"
    # the one row that is not a member ('Thyroid Dataset', the TRFE-Net repository) says which dataset it stands for
    extra = {r["entry_id"]: r["note"] for r in read_map("openus-46-map.csv") if r["entry_id"] not in members}
    assert set(extra) <= {"tn3k"}, extra
    assert all("TRFE-Net" in note for note in extra.values()), extra


def test_haic_rows_repeating_the_paper_table_map_alike():
    """HAIC rows 1-72 are the catalog paper's table; they map to the entries paper-72-map.csv names."""
    with (COVERAGE / "paper-72-map.csv").open(newline="", encoding="utf-8") as f:
        paper = {r["row"]: r for r in csv.DictReader(f)}
    for row in read_map("haic-map.csv")[:72]:
        expected = paper[row["row"]]
        assert row["resource_name"] == expected["dataset_name"], row
        assert row["entry_id"] == expected["entry_id"], row


def test_medsegbench_ultrasound_rows_are_mapped(catalog: Catalog):
    """MedSegBench's ultrasound datasets map to entries (or wait with a reason); every other row is out of scope."""
    rows = {r["dataset_key"]: r for r in read_map("medsegbench-map.csv")}
    ultrasound = {"busi", "ultrasoundnerve", "usforkidney", "abdomenus", "fhpsaop"}
    assert ultrasound <= set(rows)
    for key, row in rows.items():
        if key in ultrasound:
            assert row["entry_id"] or row["note"].startswith("pending:"), row
        else:
            assert not row["entry_id"] and row["note"].startswith("out of scope: not ultrasound"), row


def test_readme_documents_each_map():
    readme = (COVERAGE / "README.md").read_text(encoding="utf-8")
    for name in MAPS:
        assert f"`{name}`" in readme, f"coverage/README.md does not describe {name}"
