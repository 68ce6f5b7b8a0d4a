"""The cold `usreg score` path (``scorers.cold``): parse, index and score in one set of workers, the same rows as
loading the catalog and rebuilding the index."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import scorers.cold as cold
from registry.catalog import load_catalog
from registry.index import RegistryIndex, index_rows
from scorers.current import scoring_fingerprint, stored_fingerprint
from scorers.service import ScorersService
from tests.conftest import CatalogBuilder
from tests.scorers.helpers import BARE_DATASET, RICH_DATASET, RICH_MODEL, write_checks


def _plain(data: dict) -> dict:
    return json.loads(json.dumps(data))


@pytest.fixture
def catalog(catalog_root: CatalogBuilder, usreg_home: Path, monkeypatch: pytest.MonkeyPatch) -> CatalogBuilder:
    """Datasets and models whose scores read each other (models using a dataset, a model's training datasets and
    their data checks, relations), spread so that each worker of two scores entries the other one parsed."""
    monkeypatch.setattr(cold, "PARALLEL_THRESHOLD", 0)
    catalog_root.dataset(_plain(RICH_DATASET))
    catalog_root.dataset(_plain(BARE_DATASET) | {"relations": {"family": ["rich-set"]}})
    catalog_root.dataset(_plain(BARE_DATASET) | {"id": "other-set", "name": "Other Set", "version": "2"})
    catalog_root.model(_plain(RICH_MODEL))
    second = copy.deepcopy(_plain(RICH_MODEL)) | {"id": "second-net", "name": "Second Net"}
    second |= {"trained_on": ["other-set", "rich-set"], "evaluated_on": ["bare-set"], "metrics": []}
    catalog_root.model(second)
    write_checks(usreg_home, "rich-set", "1", {"loader_runs": "pass", "subject_leakage": "pass"})
    return catalog_root


def _tables(index: RegistryIndex) -> dict[str, list[tuple]]:
    return {
        table: index.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
        for table in ("entry", "facet", "score")
    }


def _usual(root: Path, path: Path) -> RegistryIndex:
    index = RegistryIndex(root, path=path, scoring=ScorersService())
    index.rebuild(load_catalog(root, duplicates=False, prepare=index_rows))
    return index


def test_cold_rows_equal_the_usual_rebuild(catalog: CatalogBuilder, tmp_path: Path) -> None:
    index = RegistryIndex(catalog.root, path=tmp_path / "cold.db", scoring=ScorersService())
    outcome = cold.cold_score(index, workers=2)
    assert outcome == cold.Outcome(["bare-set", "other-set", "rich-set"], ["rich-net", "second-net"])
    tables = _tables(index)
    assert tables == _tables(_usual(catalog.root, tmp_path / "usual.db"))
    assert len(tables["score"]) == 5
    rich = json.loads(next(row for row in tables["score"] if row[0] == "rich-set")[-1])
    assert "used by registry model(s): rich-net, second-net" in json.dumps(rich)  # models parsed by the other worker
    assert index.is_fresh() and stored_fingerprint(index) == scoring_fingerprint(index)


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_scores_streamed_in_chunks_are_stored_in_catalog_order(
    catalog: CatalogBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Workers send their scores a few at a time (a chunk of 1, 2 or 3 here: full chunks, short ones, an empty
    last one); the parent stores them as they come, in the order the usual rebuild stores them."""
    monkeypatch.setattr(cold, "CHUNK", chunk)
    index = RegistryIndex(catalog.root, path=tmp_path / "cold.db", scoring=ScorersService())
    assert cold.cold_score(index, workers=2) is not None
    usual = _usual(catalog.root, tmp_path / "usual.db")
    in_rowid_order = "SELECT entry_id, data FROM score ORDER BY rowid"
    assert index.conn.execute(in_rowid_order).fetchall() == usual.conn.execute(in_rowid_order).fetchall()
    assert _tables(index) == _tables(usual)


def test_a_worker_failing_after_its_first_chunk_stores_nothing(
    catalog: CatalogBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored = []
    real = cold.Scorer.score

    def fails_on_the_second(self, entry, rubric=None, bundle=None):
        scored.append(entry.id)
        if len(scored) > 1:
            raise RuntimeError("scoring failed")
        return real(self, entry, rubric, bundle)

    monkeypatch.setattr(cold, "CHUNK", 1)
    monkeypatch.setattr(cold.Scorer, "score", fails_on_the_second)
    index = RegistryIndex(catalog.root, path=tmp_path / "cold.db", scoring=ScorersService())
    assert cold.cold_score(index, workers=2) is None
    assert index.stored_hash() is None and _tables(index) == {"entry": [], "facet": [], "score": []}


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.raw(
            "datasets",
            "broken-set",
            "# yaml-language-server: $schema=../../schemas/dataset.schema.json\nid: broken-set\nname: [unclosed\n",
        ),
        lambda c: c.model(_plain(RICH_MODEL) | {"id": "dangling-net", "trained_on": ["no-such-set"]}),
        lambda c: c.dataset(_plain(BARE_DATASET) | {"id": "self-set", "relations": {"members": ["self-set"]}}),
        lambda c: c.model(_plain(RICH_MODEL) | {"id": "bare-set"}, name="bare-set"),
    ],
    ids=["invalid-file", "dangling-reference", "self-relation", "duplicate-id"],
)
def test_a_finding_leaves_the_index_to_the_usual_path(catalog: CatalogBuilder, tmp_path: Path, change) -> None:
    change(catalog)
    index = RegistryIndex(catalog.root, path=tmp_path / "cold.db", scoring=ScorersService())
    assert cold.cold_score(index, workers=2) is None
    assert index.stored_hash() is None and _tables(index)["score"] == []


def test_small_catalogs_take_the_usual_path(catalog: CatalogBuilder, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cold, "PARALLEL_THRESHOLD", 6)
    index = RegistryIndex(catalog.root, path=tmp_path / "cold.db", scoring=ScorersService())
    assert cold.cold_score(index, workers=2) is None
    assert cold.cold_score(index, workers=1) is None


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> list[cold.Outcome | None]:
    """What each call of the cold path returned (run with two workers), in order."""
    seen: list[cold.Outcome | None] = []
    real = cold.cold_score

    def spy(index: RegistryIndex) -> cold.Outcome | None:
        seen.append(real(index, workers=2))
        return seen[-1]

    monkeypatch.setattr(cold, "cold_score", spy)
    return seen


def test_cold_cli_output_equals_the_usual_path(
    run_cli, catalog: CatalogBuilder, usreg_home: Path, monkeypatch, outcomes: list[cold.Outcome | None]
) -> None:
    fast = run_cli("score", "--format", "json", root=catalog.root)
    assert fast.exit_code == 0, fast.output
    assert outcomes and outcomes[0] is not None  # the cold path indexed and scored
    index = RegistryIndex(catalog.root, scoring=ScorersService())
    assert index.is_fresh() and stored_fingerprint(index) == scoring_fingerprint(index)
    _forget(index)
    monkeypatch.setattr(cold, "PARALLEL_THRESHOLD", 10**9)
    usual = run_cli("score", "--format", "json", root=catalog.root)
    assert json.loads(fast.stdout) == json.loads(usual.stdout)
    _forget(index)
    monkeypatch.setattr(cold, "PARALLEL_THRESHOLD", 0)
    missing = run_cli("score", "rich-sett", root=catalog.root)
    assert missing.exit_code == 1 and "did you mean rich-set" in missing.output
    assert len(outcomes) == 3 and outcomes[1] is None and outcomes[2] is not None


def _forget(index: RegistryIndex) -> None:
    """Make the index stale, so that the next command rebuilds it."""
    index.conn.execute("DELETE FROM meta")
    index.conn.commit()


def test_a_worker_failing_while_scoring_stores_nothing(catalog: CatalogBuilder, tmp_path: Path, monkeypatch) -> None:
    def broken(self, entry, rubric=None, bundle=None):
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(cold.Scorer, "score", broken)  # the forked workers inherit it
    index = RegistryIndex(catalog.root, path=tmp_path / "cold.db", scoring=ScorersService())
    assert cold.cold_score(index, workers=2) is None
    assert index.stored_hash() is None and _tables(index) == {"entry": [], "facet": [], "score": []}


def test_a_cold_score_looks_at_the_entry_files_stats_once(run_cli, catalog: CatalogBuilder, monkeypatch) -> None:
    import registry.catalog as catalog_module

    calls = []
    real = catalog_module.stat_fingerprint

    def counted(root: Path) -> tuple[str, bool]:
        calls.append(root)
        return real(root)

    monkeypatch.setattr(catalog_module, "stat_fingerprint", counted)
    done = run_cli("score", "--format", "csv", root=catalog.root)
    assert done.exit_code == 0, done.output
    assert len(calls) == 1
    calls.clear()
    again = run_cli("score", "--format", "csv", root=catalog.root)  # warm: the stored scores, one look again
    assert again.stdout == done.stdout and len(calls) == 1


@pytest.mark.parametrize(
    "command",
    [
        ("list", "--format", "csv"),
        ("stats", "--format", "json"),
        ("score", "rich-set", "--explain", "--format", "json"),
    ],
    ids=["list", "stats", "explain"],
)
def test_other_commands_on_a_stale_index_take_the_cold_path(
    run_cli, catalog: CatalogBuilder, monkeypatch, outcomes: list[cold.Outcome | None], command: tuple[str, ...]
) -> None:
    """`list`, `stats` and `score --explain` on a catalog without a fresh index index and score it in one set of
    workers too, and print what the usual path prints."""
    fast = run_cli(*command, root=catalog.root)
    assert fast.exit_code == 0, fast.output
    assert len(outcomes) == 1 and outcomes[0] is not None
    _forget(RegistryIndex(catalog.root, scoring=ScorersService()))
    monkeypatch.setattr(cold, "PARALLEL_THRESHOLD", 10**9)
    usual = run_cli(*command, root=catalog.root)
    assert usual.exit_code == 0 and fast.stdout == usual.stdout
    assert len(outcomes) == 2 and outcomes[1] is None
