"""`usreg score` and `usreg stats` end to end on a temporary catalog, with a real SQLite index."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest

from registry.index import RegistryIndex
from scorers.service import ScorersService
from tests.conftest import CatalogBuilder
from tests.scorers.helpers import BARE_DATASET, RICH_DATASET, RICH_MODEL, write_checks


def _json_friendly(data: dict) -> dict:
    return json.loads(json.dumps(data))


@pytest.fixture
def catalog(catalog_root: CatalogBuilder) -> CatalogBuilder:
    catalog_root.dataset(_json_friendly(RICH_DATASET))
    catalog_root.dataset(_json_friendly(BARE_DATASET))
    prostate = copy.deepcopy(BARE_DATASET) | {
        "id": "prostate-set",
        "name": "Prostate Set",
        "anatomy": ["prostate"],
        "tasks": ["segmentation"],
        "access": "open",
        "license": "MIT",
        "species": ["human"],
        "acquisition": {"countries": ["NL"]},
    }
    catalog_root.dataset(prostate)
    fetal = copy.deepcopy(BARE_DATASET) | {
        "id": "fetal-set",
        "name": "Fetal Set",
        "anatomy": ["fetal-head"],
        "tasks": ["regression", "segmentation"],
        "access": "challenge",
        "year": 2018,
    }
    catalog_root.dataset(fetal)
    catalog_root.model(_json_friendly(RICH_MODEL))
    return catalog_root


def test_score_table_and_index(run_cli, catalog) -> None:
    result = run_cli("score", root=catalog.root)
    assert result.exit_code == 0, result.output
    for entry_id in ("rich-set", "bare-set", "rich-net"):
        assert entry_id in result.stdout
    assert "level" in result.stdout and "limited by" in result.stdout  # the table's short headers
    stored = RegistryIndex(catalog.root, scoring=ScorersService()).score("rich-set")
    assert stored is not None and stored["rubric_version"] == "dataset-v2"
    listed = run_cli("list", "--min-tier", "gold", "--format", "json", root=catalog.root)
    ids = {r["id"] for r in json.loads(listed.stdout)}
    assert "rich-set" in ids and "bare-set" not in ids


def test_fresh_and_rebuilt_index_give_the_same_scores(run_cli, catalog) -> None:
    first = run_cli("score", "--format", "json", "--explain", root=catalog.root)  # index built here
    second = run_cli("score", "--format", "json", "--explain", root=catalog.root)  # index fresh
    assert first.exit_code == second.exit_code == 0
    assert json.loads(first.stdout) == json.loads(second.stdout)


def test_score_formats(run_cli, catalog) -> None:
    summary = json.loads(run_cli("score", "rich-set", "rich-net", "--format", "json", root=catalog.root).stdout)
    assert [s["id"] for s in summary] == ["rich-set", "rich-net"]
    assert {"tier", "points", "verification", "limited_by", "rubric"} <= set(summary[0])
    full = json.loads(run_cli("score", "rich-set", "--format", "json", "--explain", root=catalog.root).stdout)
    assert full[0]["entry_id"] == "rich-set" and len(full[0]["criteria"]) == 35 and full[0]["next_tier"]
    rows = list(csv.DictReader(io.StringIO(run_cli("score", "--format", "csv", root=catalog.root).stdout)))
    assert {r["id"] for r in rows} == {"rich-set", "bare-set", "prostate-set", "fetal-set", "rich-net"}
    crit = list(
        csv.DictReader(
            io.StringIO(run_cli("score", "bare-set", "--format", "csv", "--explain", root=catalog.root).stdout)
        )
    )
    assert len(crit) == 35 and crit[0]["entry_id"] == "bare-set" and "evidence_kind" in crit[0]
    md = run_cli("score", "--format", "markdown", root=catalog.root).stdout
    assert md.startswith("| id | kind | tier |") and "| rich-set |" in md
    explained = run_cli("score", "bare-set", "--format", "markdown", "--explain", root=catalog.root).stdout
    assert "## bare-set" in explained and "Next tier: bronze" in explained


def test_explain_table_shows_breakdown_and_next_tier(run_cli, catalog) -> None:
    out = run_cli("score", "bare-set", "--explain", root=catalog.root).stdout
    assert "access-route" in out and "0/4" in out
    assert "Next tier: bronze" in out and "gate:access-stated" in out
    assert "missing" in out


def test_invalid_entry_is_reported_not_scored(run_cli, catalog) -> None:
    catalog.dataset({"id": "bad-set", "name": "Bad", "anatomy": ["breast"], "colour": "blue"})
    result = run_cli("score", root=catalog.root)
    assert result.exit_code == 1
    assert "bad-set: not scored" in result.stderr and "unknown key 'colour'" in result.stderr
    assert "rich-set" in result.stdout and "bad-set" not in result.stdout
    assert "not stored" in result.stderr
    only = run_cli("score", "bad-set", root=catalog.root)
    assert only.exit_code == 1 and "bad-set: not scored" in only.stderr
    fine = run_cli("score", "rich-set", root=catalog.root)
    assert fine.exit_code == 0


def test_unknown_id_suggests_close_ones(run_cli, catalog) -> None:
    result = run_cli("score", "rich-sett", root=catalog.root)
    assert result.exit_code == 1
    assert "no entry 'rich-sett'" in result.output and "rich-set" in result.output


def test_failed_data_check_from_checks_file(run_cli, catalog, usreg_home) -> None:
    write_checks(usreg_home, "rich-set", "1", {"loader_runs": "pass", "sizes_agree": "fail"})
    data = json.loads(run_cli("score", "rich-set", "--format", "json", root=catalog.root).stdout)[0]
    assert data["tier"] == "silver" and data["limited_by"] == "failed-data-check"
    stored = RegistryIndex(catalog.root, scoring=ScorersService()).score("rich-set")
    assert stored["limited_by"] == "failed-data-check"


def test_stats(run_cli, catalog) -> None:
    run_cli("score", root=catalog.root)
    data = json.loads(run_cli("stats", "--format", "json", root=catalog.root).stdout)
    assert data["datasets"] == 4 and data["models"] == 1
    assert set(data["facets"]) == {"tier", "anatomy", "task", "species", "country", "year", "license", "access"}
    anatomy = {r["value"]: r for r in data["facets"]["anatomy"]}
    assert anatomy["breast"] == {"value": "breast", "datasets": 1, "models": 1}
    assert sum(r["datasets"] for r in data["facets"]["tier"]) == 4
    assert sum(r["models"] for r in data["facets"]["tier"]) == 1
    table = run_cli("stats", root=catalog.root)
    assert table.exit_code == 0 and "by tier" in table.stdout and "by licence" not in table.stdout
    rows = list(csv.DictReader(io.StringIO(run_cli("stats", "--format", "csv", root=catalog.root).stdout)))
    assert {"facet", "value", "datasets", "models"} == set(rows[0])
    assert "### anatomy" in run_cli("stats", "--format", "markdown", root=catalog.root).stdout


def test_stats_gaps(run_cli, catalog) -> None:
    data = json.loads(run_cli("stats", "--gaps", "--format", "json", root=catalog.root).stdout)
    assert data["datasets"] == 4 and set(data["coverage"]) == {
        "anatomy",
        "task",
        "species",
        "country",
        "license",
        "access",
    }
    fetal = next(r for r in data["anatomies"] if r["anatomy"] == "fetal")
    assert fetal["datasets"] == 1 and fetal["tasks"]["regression"] == 1
    pairs = {(p["anatomy"], p["task"]) for p in data["thin_pairs"]}
    assert ("prostate", "segmentation") in pairs and ("fetal", "classification") in pairs
    assert "testis" in data["no_public_dataset"]
    assert any("5 public fetal and 4 public prostate" in n for n in data["notes"])
    assert any("1 fetal datasets" in n for n in data["notes"])
    table = run_cli("stats", "--gaps", root=catalog.root)
    assert table.exit_code == 0 and "Gaps" in table.stdout and "prostate" in table.stdout
    md = run_cli("stats", "--gaps", "--format", "markdown", "--few", "2", root=catalog.root).stdout
    assert "fewer than 2 public datasets" in md
    rows = list(csv.DictReader(io.StringIO(run_cli("stats", "--gaps", "--format", "csv", root=catalog.root).stdout)))
    assert any(r["section"] == "gap" and r["value"] == "prostate x classification" for r in rows)


def test_stats_skips_an_invalid_entry_and_says_so(run_cli, catalog) -> None:
    before = json.loads(run_cli("stats", "--format", "json", root=catalog.root).stdout)
    catalog.dataset({"id": "bad-set", "name": "Bad", "anatomy": ["nowhere"]})
    result = run_cli("stats", "--format", "json", root=catalog.root)
    assert result.exit_code == 0, result.output
    assert "bad-set.yaml" in result.stderr and "do not validate" in result.stderr
    assert json.loads(result.stdout) == before
    assert run_cli("validate", root=catalog.root).exit_code == 1


def test_stored_scores_are_reused_only_while_their_inputs_are_unchanged(run_cli, catalog, usreg_home) -> None:
    cold = run_cli("score", "--format", "csv", root=catalog.root)  # builds the index and scores
    warm = run_cli("score", "--format", "csv", root=catalog.root)  # nothing changed: read from the index
    assert cold.exit_code == warm.exit_code == 0 and cold.stdout == warm.stdout
    write_checks(usreg_home, "rich-set", "1", {"loader_runs": "pass", "subject_leakage": "fail"})
    changed = json.loads(run_cli("score", "rich-set", "--format", "json", root=catalog.root).stdout)[0]
    assert changed["limited_by"] == "failed-data-check"
    again = json.loads(run_cli("score", "--format", "json", root=catalog.root).stdout)
    assert next(r for r in again if r["id"] == "rich-set")["limited_by"] == "failed-data-check"
    (catalog.root / "verification").mkdir()
    (catalog.root / "verification" / "bare-set.json").write_text(
        json.dumps({"checked": "2026-11-20", "links": [{"url": "https://e.org", "status": "alive"}]})
    )
    bare = json.loads(run_cli("score", "bare-set", "--format", "json", "--explain", root=catalog.root).stdout)[0]
    links = next(c for c in bare["criteria"] if c["id"] == "links-alive")
    assert links["evidence_kind"] == "verified"


def test_stats_tiers_follow_new_evidence(run_cli, catalog, usreg_home) -> None:
    before = json.loads(run_cli("stats", "--format", "json", root=catalog.root).stdout)
    rich_tier = json.loads(run_cli("score", "rich-set", "--format", "json", root=catalog.root).stdout)[0]["tier"]
    assert rich_tier != "silver"
    write_checks(usreg_home, "rich-set", "1", {"sizes_agree": "fail"})
    after = json.loads(run_cli("stats", "--format", "json", root=catalog.root).stdout)
    count = {r["value"]: r["datasets"] for r in after["facets"]["tier"]}
    count_before = {r["value"]: r["datasets"] for r in before["facets"]["tier"]}
    assert count.get("silver", 0) == count_before.get("silver", 0) + 1
    assert count.get(rich_tier, 0) == count_before[rich_tier] - 1


def test_an_entry_with_a_dangling_reference_is_not_scored(run_cli, catalog) -> None:
    broken = copy.deepcopy(RICH_MODEL) | {"id": "ghost-net", "name": "Ghost Net", "trained_on": ["ghost-set"]}
    catalog.model(_json_friendly(broken))
    result = run_cli("score", "--format", "json", root=catalog.root)
    assert result.exit_code == 1
    ids = {r["id"] for r in json.loads(result.stdout)}
    assert "ghost-net" not in ids and "rich-net" in ids
    assert "ghost-net: not scored" in result.stderr and "ghost-set" in result.stderr


def test_score_prints_the_distribution_and_the_gate_count(run_cli, catalog) -> None:
    (catalog.root / "coverage").mkdir(exist_ok=True)
    (catalog.root / "coverage" / "paper-72-map.csv").write_text(
        "row,dataset_name,entry_id,note\n1,Rich,rich-set,\n2,Bare,bare-set,\n3,Unmapped,,\n", encoding="utf-8"
    )
    out = run_cli("score", root=catalog.root)
    assert out.exit_code == 0, out.output
    lines = [line.removeprefix("- ") for line in out.stdout.splitlines()]
    datasets = next(line for line in lines if line.startswith("Tiers of 4 datasets:"))
    assert "steel" in datasets
    assert any(line.startswith("Tiers of 1 models:") for line in lines)
    paper = next(line for line in lines if line.startswith("Tiers of 2 datasets mapped from the reference paper's 72:"))
    assert "steel 1 (50%)" in paper
    gated = next(line for line in lines if line.startswith("Tier limited by a gate:"))
    # fetal-set is open to challenge participants only: its points reach a tier its gates do not allow
    summary = {r["id"]: r for r in json.loads(run_cli("score", "--format", "json", root=catalog.root).stdout)}
    expected = sum(1 for r in summary.values() if r["limited_by"])
    assert gated.startswith(f"Tier limited by a gate: {expected} entries")
    # a subset of the catalog has no distribution lines
    assert "Tiers of" not in run_cli("score", "rich-set", root=catalog.root).stdout


def test_score_with_rubric_v1_still_works_and_is_not_stored(run_cli, catalog) -> None:
    v2 = json.loads(run_cli("score", "rich-set", "--format", "json", root=catalog.root).stdout)
    v1 = run_cli("score", "rich-set", "--rubric", "dataset-v1", "--format", "json", root=catalog.root)
    assert v1.exit_code == 0, v1.output
    assert [r["rubric"] for r in json.loads(v1.stdout)] == ["dataset-v1"]
    assert v2[0]["rubric"] == "dataset-v2" and json.loads(v1.stdout)[0]["points"] != v2[0]["points"]
    assert RegistryIndex(catalog.root, scoring=ScorersService()).score("rich-set")["rubric_version"] == "dataset-v2"
    both = json.loads(run_cli("score", "--rubric", "v1", "--format", "json", root=catalog.root).stdout)
    assert {r["rubric"] for r in both} == {"dataset-v1", "model-v1"}
    missing = run_cli("score", "--rubric", "dataset-v9", root=catalog.root)
    assert missing.exit_code == 2 and "no dataset rubric version 'v9'" in missing.output
    bad = run_cli("score", "--rubric", "latest", root=catalog.root)
    assert bad.exit_code == 2 and "dataset-v1" in bad.output


def test_show_list_and_score_agree_after_a_bench_run(run_cli, catalog) -> None:
    """`usreg bench` adds results to the index; every reader must show the new score, not the stored old one."""
    before = json.loads(run_cli("score", "rich-net", "--format", "json", root=catalog.root).stdout)[0]
    RegistryIndex(catalog.root).add_bench_results(
        [
            {
                "dataset_id": "rich-set",
                "model_id": "rich-net",
                "split": "test",
                "metric": "dice",
                "value": 0.851,
                "run_id": "r1",
            }
        ]
    )
    shown = json.loads(run_cli("show", "rich-net", "--format", "json", root=catalog.root).stdout)["score"]
    listed = {r["id"]: r for r in json.loads(run_cli("list", "--format", "json", root=catalog.root).stdout)}
    scored = json.loads(run_cli("score", "rich-net", "--format", "json", root=catalog.root).stdout)[0]
    assert scored["points"] > before["points"]  # the reproduced metric counts for the model entry
    assert shown["points"] == scored["points"] and shown["tier"] == scored["tier"]
    assert listed["rich-net"]["tier"] == scored["tier"]
    reproduced = next(c for c in shown["criteria"] if c["id"] == "metric-reproduced")
    assert reproduced["evidence_kind"] == "verified"
    ran = next(c for c in shown["criteria"] if c["id"] == "forward-pass")  # results under its id: its weights ran
    assert ran["evidence_kind"] == "verified" and "rich-set" in ran["verifications"][0]["detail"]
    assert shown["verification_level"] == "V3"


def test_a_warm_score_reads_the_stored_scores_without_the_entries(run_cli, catalog, monkeypatch) -> None:
    first = run_cli("score", "--format", "csv", root=catalog.root)
    assert first.exit_code == 0

    def forbidden(*args, **kwargs):
        raise AssertionError("nothing changed: the entries need not be read back")

    monkeypatch.setattr("scorers.current.catalog_from_index", forbidden)
    again = run_cli("score", "--format", "csv", root=catalog.root)
    assert again.exit_code == 0 and again.stdout == first.stdout
    assert run_cli("score", "rich-set", "--format", "csv", root=catalog.root).stdout.count("\n") == 2


def _long_lines(output: str, columns: int) -> list[str]:
    """Lines wider than ``columns`` that hold more than one word (a lone URL or id may stay whole)."""
    return [line for line in output.splitlines() if len(line) > columns and len(line.split()) > 1]


@pytest.mark.parametrize("columns", [80, 120])
def test_explain_fits_the_terminal_and_never_cuts_a_word(run_cli, catalog, monkeypatch, columns) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    full = json.loads(run_cli("score", "bare-set", "--format", "json", "--explain", root=catalog.root).stdout)[0]
    out = run_cli("score", "bare-set", "--explain", root=catalog.root).stdout
    assert not _long_lines(out, columns)
    words = set(out.replace("│", " ").split())
    for criterion in full["criteria"]:
        assert criterion["id"] in words and criterion["evidence_kind"] in words
        if criterion["points"] < criterion["max_points"] and not criterion.get("flag"):
            assert set(criterion["how_to_earn"].split()) <= words, criterion["id"]
    for gate in full["gates"]:
        if not gate["passed"]:
            assert set(gate["how_to_pass"].split()) <= words
    assert "Next tier: bronze" in out


@pytest.mark.parametrize("columns", [80, 120])
def test_score_table_fits_the_terminal_one_line_per_entry(run_cli, catalog, monkeypatch, columns) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    summary = json.loads(run_cli("score", "--format", "json", root=catalog.root).stdout)
    out = run_cli("score", root=catalog.root).stdout
    assert not _long_lines(out, columns)
    for row in summary:
        line = [line.split() for line in out.splitlines() if line.split()[:1] == [row["id"]]]
        assert len(line) == 1 and line[0][1:4] == [row["kind"], row["tier"], f"{row['points']:.1f}"], row["id"]
        if row["limited_by"]:
            assert line[0][-1] == row["limited_by"], row["id"]
    rubrics = sorted({row["rubric"] for row in summary})
    assert out.splitlines()[0] == f"{len(summary)} scored (rubrics {' and '.join(rubrics)})"
    distribution = out.split("Tiers of", 1)[1]
    assert "paper-72" not in distribution or all(len(line) <= columns for line in distribution.splitlines())


def test_score_distribution_is_one_line_each_when_piped(run_cli, catalog, monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = run_cli("score", root=catalog.root).stdout
    assert [line for line in out.splitlines() if line.startswith("Tier")][-1].startswith("Tier limited by a gate:")
    assert not any(line.startswith("  ") for line in out.split("Tiers of", 1)[1].splitlines())


def test_explain_at_80_columns_puts_each_criterion_on_one_line(run_cli, catalog, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    full = json.loads(run_cli("score", "bare-set", "--format", "json", "--explain", root=catalog.root).stdout)[0]
    lines = run_cli("score", "bare-set", "--explain", root=catalog.root).stdout.splitlines()
    for criterion in full["criteria"]:
        points = f"{criterion['points']:g}/{criterion['max_points']:g}"
        row = [line.split() for line in lines if line.split()[:1] == [criterion["id"]]]
        assert row == [[criterion["id"], criterion["group"], points, criterion["evidence_kind"]]], criterion["id"]


def test_stats_show_no_model_count_for_data_only_facets(run_cli, catalog) -> None:
    """Models state no species, country or access: those rows count datasets only, in every format."""
    data = json.loads(run_cli("stats", "--format", "json", root=catalog.root).stdout)
    for facet in ("species", "country", "access"):
        assert data["facets"][facet] and all(set(r) == {"value", "datasets"} for r in data["facets"][facet])
    assert all("models" in r for r in data["facets"]["anatomy"])
    table = run_cli("stats", root=catalog.root).stdout
    species = table.split("by species\n", 1)[1].split("\nby ", 1)[0]
    anatomy = table.split("by anatomy\n", 1)[1].split("\nby ", 1)[0]
    assert "datasets" in species and "models" not in species
    assert "models" in anatomy
    markdown = run_cli("stats", "--format", "markdown", root=catalog.root).stdout
    assert "| value | datasets |\n" in markdown.split("### species", 1)[1].split("###", 1)[0]
    assert "| value | datasets | models |" in markdown.split("### anatomy", 1)[1].split("###", 1)[0]
    rows = list(csv.DictReader(io.StringIO(run_cli("stats", "--format", "csv", root=catalog.root).stdout)))
    assert all(r["models"] == "" for r in rows if r["facet"] == "species")
