"""The catalog covers the outside lists it is measured against (coverage/*.csv), and its challenge,
collection and source records are consistent."""

from __future__ import annotations

import csv
import re
from urllib.parse import urlsplit

import pytest

from registry.catalog import Catalog, load_catalog
from tests.conftest import REPO_ROOT

COVERAGE = REPO_ROOT / "coverage"
SHARED_RESEARCH = REPO_ROOT.parent / "shared" / "research"
EXEMPT_PREFIXES = ("out of scope:", "no entry:")

#: collections whose name states how many members they have
STATED_SIZES = {"us-43d": 43, "openus-42": 42, "gdino-us-18": 18}

#: how a plain-http source URL must end to count as a direct file download
FILE_URL = re.compile(
    r"(\.(zip|tar|tgz|gz|bz2|xz|7z|rar|nii|mat|h5|hdf5|npz|npy|csv|json|pth|pt|tf|onnx|ckpt|safetensors)"
    r"|/download)$",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(REPO_ROOT)


def read_csv(name: str, columns: list[str]) -> list[dict[str, str]]:
    path = COVERAGE / name
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == columns, f"{name}: header {reader.fieldnames} != {columns}"
        rows = list(reader)
    assert rows, f"{name} is empty"
    return rows


def pool(catalog: Catalog, kind: str) -> dict:
    return {"dataset": catalog.datasets, "model": catalog.models}[kind]


def check_rows(catalog: Catalog, name: str, rows: list[dict[str, str]], kind_of, allow_exempt: bool) -> None:
    problems = []
    for i, row in enumerate(rows, start=2):
        entry_id, note = row["entry_id"].strip(), row["note"].strip()
        kind = kind_of(row)
        if not entry_id:
            if not (allow_exempt and note.startswith(EXEMPT_PREFIXES)):
                problems.append(f"{name}:{i}: no entry_id and no 'out of scope:'/'no entry:' note")
            continue
        if entry_id not in pool(catalog, kind):
            problems.append(f"{name}:{i}: {entry_id!r} is not a {kind} in the catalog")
    assert not problems, "\n".join(problems)


def test_catalog_size(catalog: Catalog):
    assert len(catalog.datasets) >= 150
    assert len(catalog.models) >= 80


def test_paper_72_map_is_complete(catalog: Catalog):
    source = read_csv("paper-72-datasets.csv", ["row", "dataset_name", "anatomy", "total_dataset_size", "access_type"])
    rows = read_csv("paper-72-map.csv", ["row", "dataset_name", "entry_id", "note"])
    mapped = [r["row"] for r in rows]
    assert len(mapped) == len(set(mapped)), "a paper row is mapped twice"
    assert set(mapped) == {r["row"] for r in source}
    assert len(source) == 72
    names = {r["row"]: r["dataset_name"] for r in source}
    assert all(r["dataset_name"] == names[r["row"]] for r in rows)
    # one row names no dataset at all ('Thyroid', 649); it may say so, and no other row may
    unnamed = [r["row"] for r in rows if not r["entry_id"].strip()]
    assert unnamed == ["38"], unnamed
    assert all(r["note"].startswith("no entry:") for r in rows if not r["entry_id"].strip())
    check_rows(catalog, "paper-72-map.csv", rows, lambda r: "dataset", allow_exempt=True)


def test_paper_72_copy_matches_research_table():
    original = SHARED_RESEARCH / "paper-72-datasets.csv"
    if not original.exists():
        pytest.skip("the shared research folder is not present")
    assert (COVERAGE / "paper-72-datasets.csv").read_bytes() == original.read_bytes()


@pytest.mark.parametrize(
    ("name", "kind"), [("research-datasets-map.csv", "dataset"), ("research-models-map.csv", "model")]
)
def test_research_maps(catalog: Catalog, name: str, kind: str):
    rows = read_csv(name, ["research_id", "entry_id", "note"])
    ids = [r["research_id"] for r in rows]
    assert len(ids) == len(set(ids)), f"{name}: a research id is mapped twice"
    check_rows(catalog, name, rows, lambda r: kind, allow_exempt=True)
    original = SHARED_RESEARCH / ("datasets.csv" if kind == "dataset" else "models.csv")
    if original.exists():
        with original.open(newline="", encoding="utf-8") as f:
            assert set(ids) == {r["id"] for r in csv.DictReader(f)}, f"{name} does not cover {original.name}"


def test_seed_mentions(catalog: Catalog):
    rows = read_csv("seed-mentions.csv", ["seed_file", "mention", "kind", "entry_id", "note"])
    assert {r["kind"] for r in rows} <= {"dataset", "model"}
    check_rows(catalog, "seed-mentions.csv", rows, lambda r: r["kind"], allow_exempt=True)
    seeds = {r["seed_file"] for r in rows}
    assert len(seeds) == 5, f"every reference document has rows: {sorted(seeds)}"


def test_challenges_have_challenge_access_or_a_reason(catalog: Catalog):
    rows = read_csv("challenges.csv", ["challenge", "entry_id", "url", "note"])
    check_rows(catalog, "challenges.csv", rows, lambda r: "dataset", allow_exempt=False)
    ids = {r["entry_id"] for r in rows}
    assert {"hc18", "camus", "tdsc-abus-2023", "fm-uia-2026", "cetus", "fh-ps-aop"} <= ids
    problems = []
    for row in rows:
        assert row["url"].startswith(("https://", "http://")), row
        access = catalog.datasets[row["entry_id"]].access
        if access != "challenge" and not row["note"].startswith(f"access {access}:"):
            problems.append(f"{row['entry_id']}: access is {access!r} and the note does not say why")
    assert not problems, "\n".join(problems)
    missing = sorted(d.id for d in catalog.datasets.values() if d.access == "challenge" and d.id not in ids)
    assert not missing, f"challenge datasets missing from challenges.csv: {missing}"


def test_collection_members_exist(catalog: Catalog):
    collections = [d for d in catalog.datasets.values() if d.kind == "collection"]
    assert collections
    for d in collections:
        members = d.relations.members
        assert members, d.id
        assert len(members) == len(set(members)), f"{d.id} lists a member twice"
        missing = [m for m in members if m not in catalog.datasets]
        assert not missing, f"{d.id}: unknown members {missing}"
        if d.id in STATED_SIZES:
            assert len(members) == STATED_SIZES[d.id], d.id


def test_http_sources_are_direct_files(catalog: Catalog):
    sources = [(d.id, s) for d in catalog.datasets.values() for s in d.sources]
    sources += [(m.id, w.source) for m in catalog.models.values() for w in m.weights if w.source is not None]
    problems = []
    for entry_id, s in sources:
        if s.kind != "http":
            continue
        urls = [f.url for f in s.files if f.url] or [s.url or ""]
        for url in urls:
            if not FILE_URL.search(urlsplit(url).path.rstrip("/")):
                problems.append(f"{entry_id}: http source {url} looks like a landing page; use kind manual")
    assert not problems, "\n".join(problems)


def test_manual_sources_say_what_to_download(catalog: Catalog):
    for d in catalog.datasets.values():
        for s in d.sources:
            if s.kind == "manual":
                assert s.url or s.instructions, d.id


def test_coverage_files_are_utf8_without_stray_whitespace():
    for path in sorted(COVERAGE.glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n"), path.name
        assert "\r" not in text, path.name


#: rows of the 2026-12 missing lists still waiting for an entry; the number may only go down
MISSING_PENDING_CEILING = 7


def test_missing_lists_map(catalog: Catalog):
    """Every row of the 2026-12 missing-datasets and missing-models lists names an entry or says why it has none."""
    rows = read_csv("missing-2026-12-map.csv", ["list", "name", "kind", "entry_id", "note"])
    problems = []
    for i, row in enumerate(rows, start=2):
        entry_id, note, kind = row["entry_id"].strip(), row["note"].strip(), row["kind"]
        if entry_id:
            if entry_id not in pool(catalog, kind):
                problems.append(f"missing-2026-12-map.csv:{i}: {entry_id!r} is not a {kind} in the catalog")
        elif not note.startswith((*EXEMPT_PREFIXES, "pending:")):
            problems.append(
                f"missing-2026-12-map.csv:{i}: no entry_id and no 'out of scope:'/'no entry:'/'pending:' note"
            )
    assert not problems, "\n".join(problems)
    assert sum(r["note"].startswith("pending:") for r in rows if not r["entry_id"]) <= MISSING_PENDING_CEILING
    for name, kind in (("missing-datasets-2026-12.csv", "dataset"), ("missing-models-2026-12.csv", "model")):
        listed = [r["name"] for r in rows if r["list"] == name.removesuffix(".csv")]
        assert all(r["kind"] == kind for r in rows if r["list"] == name.removesuffix(".csv"))
        original = SHARED_RESEARCH / name
        if original.exists():
            with original.open(newline="", encoding="utf-8") as f:
                assert listed == [r["name"] for r in csv.DictReader(f)], f"the map does not follow {name} row by row"
