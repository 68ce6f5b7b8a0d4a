"""Robustness gaps left open by the last round: user-given names with control characters are shown, not sent to the
terminal; `bench --weights` names what a path that is not a file is; a home or an index that cannot be written is an
environment error (exit 2) that names the folder and what to do, and a fresh index that cannot be written is read."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests.conftest import minimal_dataset, minimal_model

ESCAPE = "\x1b[31mred"
OVERRIDE = "\u202e"


# -- one sanitiser: control and bidi characters made visible ---------------------------------------------------------
def test_visible_writes_control_and_bidi_characters_as_escapes() -> None:
    from registry.wrapping import visible

    assert visible(f"x{ESCAPE}.pth") == "x\\x1b[31mred.pth"
    assert visible(f"a{OVERRIDE}b\u2066c\x9bd\x7f") == "a\\u202eb\\u2066c\\x9bd\\x7f"
    assert visible("one\ntwo\ttab\r") == "one\\ntwo\\ttab\\r"
    assert visible("one\ntwo", keep_lines=True) == "one\ntwo"
    assert visible("Échographie 超声 /data/ok-file_1.onnx") == "Échographie 超声 /data/ok-file_1.onnx"


@pytest.fixture()
def bench_catalog(catalog_root):
    catalog_root.dataset(minimal_dataset("breast-a"))
    catalog_root.model(minimal_model("seg-net"))
    return catalog_root


def _no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and OVERRIDE not in text, text


def test_weights_path_with_an_escape_is_shown_not_sent(bench_catalog, run_cli, tmp_path: Path) -> None:
    """`usreg bench ... --weights $'x\\e[31mred.pth'` wrote the escape to the terminal (turning it red)."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("pycocotools")
    given = tmp_path / f"x{ESCAPE}{OVERRIDE}.pth"
    result = run_cli("bench", "breast-a", "--weights", f"seg-net={given}", root=bench_catalog.root)
    assert result.exit_code == 2, result.output
    _no_raw_controls(result.output)
    assert "x\\x1b[31mred\\u202e.pth: does not exist" in result.stderr


def test_export_output_name_with_an_escape_is_shown_not_sent(bench_catalog, run_cli, tmp_path: Path) -> None:
    written = tmp_path / f"out{ESCAPE}\n.csv"
    result = run_cli("export", "--format", "csv", "-o", written, root=bench_catalog.root)
    assert result.exit_code == 0, result.output
    assert written.is_file()
    _no_raw_controls(result.output)
    assert result.stderr.strip() == f"wrote {tmp_path}/out\\x1b[31mred\\n.csv"
    refused = run_cli("export", "--format", "csv", "-o", tmp_path / f"no{ESCAPE}" / "x.csv", root=bench_catalog.root)
    assert refused.exit_code == 2
    _no_raw_controls(refused.output)
    assert "no\\x1b[31mred/x.csv" in refused.stderr


def test_errors_show_the_escapes_of_a_from_file_name(catalog_root, run_cli, tmp_path: Path) -> None:
    """An error naming a --from-file path (here a FIFO in the given folder) goes through the one error printer."""
    catalog_root.dataset(minimal_dataset("m1", sources=[{"kind": "manual", "url": "https://example.org/"}]))
    folder = tmp_path / f"given{ESCAPE}"
    folder.mkdir()
    os.mkfifo(folder / f"pipe{OVERRIDE}")
    result = run_cli("fetch", "m1", "--from-file", folder, root=catalog_root.root)
    assert result.exit_code == 2, result.output
    _no_raw_controls(result.output)
    assert "given\\x1b[31mred/pipe\\u202e is a FIFO, not a file" in result.stderr


def test_a_dest_that_cannot_be_written_is_named_with_its_escapes(catalog_root, run_cli, tmp_path: Path) -> None:
    """--dest under a file: the refused path is shown with its escapes, and the hint names --dest, not the cache."""
    catalog_root.dataset(minimal_dataset("m1", sources=[{"kind": "manual", "url": "https://example.org/"}]))
    given = tmp_path / "a.txt"
    given.write_text("a")
    parent = tmp_path / f"file{ESCAPE}"
    parent.write_text("a file, not a folder")
    result = run_cli("fetch", "m1", "--from-file", given, "--dest", parent / "out", root=catalog_root.root)
    assert result.exit_code == 2, result.output
    _no_raw_controls(result.output)
    message = " ".join(result.stderr.split())
    assert "cannot write the fetched data: Not a directory" in message and "file\\x1b[31mred/out" in message
    assert "or give another --dest" in message


# -- bench --weights: what the path is, never a hang ----------------------------------------------------------------
@pytest.mark.timeout(60)
def test_weights_that_are_not_a_file_say_what_they_are(bench_catalog, run_cli, tmp_path: Path) -> None:
    """A folder, a FIFO or /dev/zero was reported as "no such file"; a FIFO is never opened (it would wait for a
    writer) and /dev/zero never read."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("pycocotools")
    folder = tmp_path / "run-3"
    folder.mkdir()
    (folder / "notes.txt").write_text("not weights")
    (folder / "best.onnx").write_bytes(b"onnx")
    (folder / "last.pth").write_bytes(b"pth")
    fifo = tmp_path / "weights.fifo"
    os.mkfifo(fifo)

    def refused(path: Path | str) -> tuple[str, str]:
        result = run_cli("bench", "breast-a", "--weights", f"seg-net={path}", root=bench_catalog.root)
        assert result.exit_code == 2, result.output
        message, _, hint = result.stderr.partition("\n  hint: ")
        return " ".join(message.split()), " ".join(hint.split())

    message, hint = refused(folder)
    assert message == f"error: --weights seg-net={folder}: is a folder, not a file"
    best = folder / "best.onnx"
    assert hint == f"give the weights file itself, e.g. --weights seg-net={best} (this folder also holds last.pth)"
    message, hint = refused(fifo)
    assert message == f"error: --weights seg-net={fifo}: is a FIFO, not a file"
    assert hint == "save the weights to a regular file and give its path"
    if Path("/dev/zero").exists():
        message, hint = refused("/dev/zero")
        assert message == "error: --weights seg-net=/dev/zero: is a device, not a file"
    message, _ = refused(tmp_path / "gone.pth")
    assert message.endswith("gone.pth: does not exist")


# -- a home or an index that cannot be written ------------------------------------------------------------------------
def _read_only_runner(folder: Path):
    """A way to run the CLI with ``folder`` really read-only: as root (whom permission bits do not stop) a read-only
    bind mount in a mount namespace of its own (``unshare``), else the permission bits; None when neither works."""
    if os.geteuid() != 0:
        return "chmod"
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return "unshare" if probe.returncode == 0 else None


def _run_read_only(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    how = _read_only_runner(folder)
    if how is None:
        pytest.skip("no way to make a folder read-only here (root without unshare)")
    cli = [sys.executable, "-c", "from registry.cli import main; main()", *args]
    full_env = {**os.environ, **env, "NO_COLOR": "1", "COLUMNS": "200"}
    if how == "chmod":
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            return subprocess.run(cli, capture_output=True, text=True, env=full_env, check=False, timeout=120)
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
    mount = f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}' && exec \"$@\""
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", mount, "sh", *cli],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=120,
    )


def test_fetch_into_a_home_that_cannot_be_written_is_an_environment_error(catalog_root, tmp_path: Path) -> None:
    """It exited 1 (a finding) with "cannot write the fetched data" after the work had started."""
    catalog_root.dataset(minimal_dataset("m1", sources=[{"kind": "manual", "url": "https://example.org/"}]))
    given = tmp_path / "a.txt"
    given.write_text("a")
    home = tmp_path / "shared-home"
    home.mkdir()
    done = _run_read_only(
        home, {"USREG_HOME": str(home)}, "--root", str(catalog_root.root), "fetch", "m1", "--from-file", str(given)
    )
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())
    assert f"error: USREG_HOME {home} cannot be written:" in message
    assert "set USREG_HOME to a folder you can write" in message
    assert list(home.iterdir()) == []


def test_fetch_into_a_home_under_a_file_is_an_environment_error(catalog_root, run_cli, tmp_path: Path, monkeypatch):
    """The same with a home that cannot even be made (its parent is a file), in process: exit 2, not 1."""
    catalog_root.dataset(minimal_dataset("m1", sources=[{"kind": "manual", "url": "https://example.org/"}]))
    given = tmp_path / "a.txt"
    given.write_text("a")
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("USREG_HOME", str(tmp_path / "file" / "home"))
    result = run_cli("fetch", "m1", "--from-file", given, root=catalog_root.root)
    assert result.exit_code == 2, result.output
    assert f"USREG_HOME {tmp_path / 'file' / 'home'} cannot be written" in " ".join(result.stderr.split())


@pytest.fixture()
def shared_install(catalog_root, tmp_path: Path, run_cli, monkeypatch):
    """A catalog whose index was built in a home that is then shared read-only (a lab's install)."""
    catalog_root.dataset(minimal_dataset("breast-a", license="CC-BY-4.0", access="open"))
    catalog_root.dataset(minimal_dataset("breast-b"))
    catalog_root.model(minimal_model("seg-net"))
    home = tmp_path / "shared-home"
    monkeypatch.setenv("USREG_HOME", str(home))
    assert run_cli("list", root=catalog_root.root).exit_code == 0
    return catalog_root, home


def test_read_only_commands_read_a_fresh_index_that_cannot_be_written(shared_install) -> None:
    """`usreg list` (and show, score, stats) failed: the index was opened for writing."""
    catalog, home = shared_install
    index = next((home / "index").glob("*.sqlite"))
    before = index.stat().st_mtime_ns, sorted(p.name for p in index.parent.iterdir())
    for command in (("list",), ("show", "breast-a"), ("score", "breast-a"), ("stats",), ("list", "--kind", "model")):
        done = _run_read_only(home, {"USREG_HOME": str(home)}, "--root", str(catalog.root), *command)
        assert done.returncode == 0, (command, done.stderr)
        assert "error" not in done.stderr, done.stderr
    listed = _run_read_only(home, {"USREG_HOME": str(home)}, "--root", str(catalog.root), "list")
    assert listed.stdout.splitlines()[0] == "3 entries"
    assert (index.stat().st_mtime_ns, sorted(p.name for p in index.parent.iterdir())) == before


def test_a_stale_index_that_cannot_be_written_says_so(shared_install) -> None:
    catalog, home = shared_install
    catalog.dataset(minimal_dataset("breast-c"))  # the entries changed since the shared index was built
    for command in (("list",), ("score", "breast-a"), ("stats",)):
        done = _run_read_only(home, {"USREG_HOME": str(home)}, "--root", str(catalog.root), *command)
        assert done.returncode == 2, (command, done.stderr)
        message = " ".join(done.stderr.split())
        assert "Traceback" not in done.stderr
        assert f"is out of date with the entries and cannot be rebuilt: {home / 'index'}" in message, message
        assert "hint: set USREG_HOME to a folder you can write" in message


# -- the CLI at 80 and 120 columns ------------------------------------------------------------------------------------
LEADERBOARD_ROWS = [
    {
        "rank": rank,
        "model": model,
        "split": "test",
        "metric": "dice",
        "value": value,
        "ci": ci,
        "n": 6,
        "iou": 0.2686,
        "hd95": 34.35,
        "convention": "usreg",
        "created": "2026-12-06T17:23:47+00:00",
        "run_id": "20261206T172345Z-72436d79",
    }
    for rank, model, value, ci in (
        (1, "builtin:intensity-threshold", 0.4134, "[0.3013, 0.5586]"),
        (2, "builtin:all-background", 0.0, "[0, 0]"),
    )
]


@pytest.mark.parametrize("columns", [80, 120])
def test_a_wide_table_keeps_words_whole_and_names_the_columns_it_leaves_out(capsys, monkeypatch, columns: int):
    """`usreg leaderboard` at 80 (and 120) columns folded fifteen columns into strips: 'builtin:intensity-threshold'
    became 'bu/il/ti/n:/in/...' and a timestamp ran down fourteen lines; nothing said what was lost."""
    from registry.cli.output import _cell, emit_rows

    monkeypatch.setenv("COLUMNS", str(columns))
    emit_rows(LEADERBOARD_ROWS, list(LEADERBOARD_ROWS[0]), "table", title="leaderboard: x (by dice)")
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns, out
    header = lines[2]
    shown = [cell.strip() for cell in header.strip("┃").split("┃")]
    assert shown[:6] == ["rank", "model", "split", "metric", "value", "ci"], header
    for row in LEADERBOARD_ROWS:  # every word of every shown cell is on one line, whole
        for column in shown:
            for word in _cell(row[column]).split():
                assert any(word in line for line in lines), (word, out)
    left_out = [c for c in LEADERBOARD_ROWS[0] if c not in shown]
    assert left_out and " ".join(err.split()) == (
        f"not shown at {columns} columns: {', '.join(left_out)} (a wider terminal shows them)"
    )


def test_a_url_that_does_not_fit_is_printed_whole_after_the_table(capsys, monkeypatch):
    """`usreg fetch busi --dry-run` at 80 columns cut the download URL into three pieces inside the table."""
    from registry.cli.output import emit_rows

    url = "https://ssd.mathworks.com/supportfiles/image/data/Dataset_BUSI.zip"
    rows = [{"file": "Dataset_BUSI.zip", "host": "http", "size": "?", "status": "download", "from": url}]
    monkeypatch.setenv("COLUMNS", "80")
    emit_rows(rows, list(rows[0]), "table", title="busi latest", spill="from")
    out, err = capsys.readouterr()
    assert max(len(line) for line in out.splitlines() if line[0] in "┏┃┡│└") <= 80
    assert out.splitlines()[-2:] == ["from:", f"  Dataset_BUSI.zip  {url}"]
    assert err == ""
    monkeypatch.setenv("COLUMNS", "120")
    emit_rows(rows, list(rows[0]), "table", title="busi latest", spill="from")
    wide = capsys.readouterr().out
    assert "from:" not in wide and any(url in line and line.startswith("│") for line in wide.splitlines())


def test_list_says_which_columns_it_left_out(catalog_root, run_cli, monkeypatch):
    """`usreg list` at 80 columns dropped the tasks column silently."""
    catalog_root.dataset(
        minimal_dataset(
            "breast-ultrasound-lesions-2024",
            name="Breast ultrasound lesions with masks and BI-RADS labels",
            anatomy=["breast", "lymph-node"],
            tasks=["segmentation", "classification"],
        )
    )
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cli("list", root=catalog_root.root)
    assert result.exit_code == 0
    assert "tasks" not in result.stdout.splitlines()[1]
    assert " ".join(result.stderr.split()) == (
        "not shown at 80 columns: tasks (a wider terminal, --columns or --format json shows them)"
    )
    monkeypatch.setenv("COLUMNS", "120")
    wide = run_cli("list", root=catalog_root.root)
    assert "tasks" in wide.stdout.splitlines()[1] and wide.stderr == ""


@pytest.mark.parametrize("columns", [80, 120])
def test_group_command_summaries_are_whole(run_cli, monkeypatch, columns: int):
    """`usreg cache --help` and `usreg site --help` cut their subcommands' summaries with '...' at 80 columns."""
    from registry.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    for name, group in main.commands.items():
        if not isinstance(group, click.Group):
            continue
        result = run_cli(name, "--help")
        rows = result.stdout.split("\nCommands:\n", 1)[1].splitlines()
        assert len(rows) == len(group.commands), (name, rows)
        assert not [row for row in rows if row.rstrip().endswith("...") or len(row) > columns], (name, rows)


def test_show_wraps_bibtex_and_checksums_between_words(catalog_root, run_cli, monkeypatch):
    """`usreg show camus` at 80 columns cut BibTeX titles and author lists mid-word ('Segmentati' / 'on}') and ran a
    file's sha256 past the edge; BibTeX reads a value broken between words as the same value."""
    from registry.catalog import load_catalog
    from registry.citation import entry_bibtex

    title = "Cardiac Acquisitions for Multi-structure Ultrasound Segmentation of the left ventricle and atrium"
    digest = "43745d640db5d979332bda7f00f4746747a2591b46efc8f1966b573ce8d65655"
    catalog_root.dataset(
        minimal_dataset(
            "heart-set",
            name=title,
            sources=[
                {"kind": "http", "url": "https://example.org/h.zip", "files": [{"name": "h.zip", "sha256": digest}]}
            ],
        )
    )
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cli("show", "heart-set", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    bibtex = result.stdout.split("Citation (BibTeX)\n", 1)[1]
    assert [line for line in bibtex.splitlines() if len(line) > 80] == []
    expected = entry_bibtex(load_catalog(catalog_root.root).datasets["heart-set"])
    assert bibtex.split() == expected.split()  # the same BibTeX, only broken between words
    assert f"\n        sha256:{digest}\n" in result.stdout


def test_bench_skip_reasons_wrap_and_an_unfetched_dataset_is_said_first(catalog_root, run_cli, monkeypatch):
    """`usreg bench camus` printed five skip reasons cut mid-word by the terminal, then said the dataset was not
    fetched, which made the reasons moot."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("pycocotools")
    catalog_root.dataset(minimal_dataset("breast-a"))
    catalog_root.model(minimal_model("weightless-segmentation-net", evaluated_on=["breast-a"]))
    monkeypatch.setenv("COLUMNS", "80")
    named = ("--model", "weightless-segmentation-net", "--baseline", "all-background")
    planned = run_cli("bench", "breast-a", *named, "--dry-run", root=catalog_root.root)
    assert planned.exit_code == 0, planned.output
    reason = planned.stderr.split("skipped weightless-segmentation-net on breast-a: ", 1)[1]
    assert len(" ".join(reason.split())) > 80  # a reason longer than a line ...
    assert [line for line in planned.stderr.splitlines() if len(line) > 80] == []  # ... wrapped between words
    assert all(line.startswith("  ") for line in reason.splitlines()[1:])
    run = run_cli("bench", "breast-a", *named, root=catalog_root.root)
    assert run.exit_code == 1
    assert run.stderr.startswith("error: dataset 'breast-a' is not fetched"), run.stderr
    assert "skipped" not in run.stderr


def _help_lines(run_cli, command: click.Command, path: tuple[str, ...]):
    """Every line of the help of ``command`` and of its subcommands."""
    yield from run_cli(*path, "--help").stdout.splitlines()
    for name, sub in getattr(command, "commands", {}).items():
        yield from _help_lines(run_cli, sub, (*path, name))


@pytest.mark.parametrize("columns", [80, 120])
def test_help_never_breaks_a_hyphenated_word(run_cli, monkeypatch, columns: int):
    """Click's wrapper broke '--skip-' / 'verify' (score --help at 80), 'intensity-' / 'threshold.threshold=100' and
    'ground-' / 'truth' (bench --help at 80 and 120)."""
    from registry.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    lines = list(_help_lines(run_cli, main, ()))
    assert [line for line in lines if re.search(r"\w-$", line)] == []
    assert all("\u2011" not in line for line in lines)  # the stand-in never shows
    text = " ".join(" ".join(lines).split())
    assert "--skip-verify" in text and "intensity-threshold.threshold=100" in text and "ground-truth" in text


@pytest.fixture()
def benched(catalog_root, usreg_home: Path):
    from registry.catalog import load_catalog
    from registry.index import open_index

    catalog_root.dataset(minimal_dataset("breast-seg"))
    catalog_root.dataset(minimal_dataset("breast-other"))
    catalog_root.model(minimal_model("seg-model", evaluated_on=["breast-seg"]))
    index = open_index(catalog_root.root, load_catalog(catalog_root.root))
    index.add_bench_results(
        [
            {
                "dataset_id": "breast-seg",
                "model_id": "seg-model",
                "split": "test",
                "metric": m,
                "value": v,
                "run_id": "r1",
            }
            for m, v in (("dice", 0.81), ("hd95", 12.5))
        ]
    )
    index.close()
    return catalog_root


def test_leaderboard_filters_that_match_no_result_say_what_there_is(benched, run_cli):
    """`leaderboard carotid-plaque --split val` said 'no benchmark results for carotid-plaque yet' beside results on
    test; `--metric foo` ranked nobody 'by foo' and dropped the dice column."""
    split = run_cli("leaderboard", "breast-seg", "--split", "val", root=benched.root)
    assert split.exit_code == 2
    assert split.stderr.splitlines() == [
        "error: no benchmark results for breast-seg on split 'val'",
        "  hint: splits with results: test",
    ]
    metric = run_cli("leaderboard", "breast-seg", "--metric", "foo", root=benched.root)
    assert metric.exit_code == 2
    assert metric.stderr.splitlines() == [
        "error: no benchmark result for breast-seg has the metric 'foo'",
        "  hint: metrics: dice, hd95",
    ]
    ranked = run_cli("leaderboard", "breast-seg", "--metric", "hd95", "--split", "test", root=benched.root)
    assert ranked.exit_code == 0 and "(by hd95)" in ranked.stdout


def test_leaderboard_of_an_unfetched_dataset_says_to_fetch_it_first(benched, run_cli, usreg_home: Path):
    """'run `usreg bench camus`' for a dataset not fetched: bench would only say that it is not fetched."""
    result = run_cli("leaderboard", "breast-other", root=benched.root)
    assert result.exit_code == 0
    assert " ".join(result.stderr.split()) == (
        "no benchmark results for breast-other yet; run `usreg fetch breast-other`, then `usreg bench breast-other`"
    )


def test_cache_list_and_clean_of_an_id_not_cached_say_what_the_cache_holds(run_cli, usreg_home: Path):
    """`usreg cache list nope` said 'the cache at ... is empty' beside a cached dataset; `usreg cache clean camus`
    asked to remove 'all cached data of camus' when there was none (and, with no answer, ended 'Aborted!', exit 1)."""
    converted = usreg_home / "datasets" / "breast-a" / "1"
    converted.mkdir(parents=True)
    (converted / "metadata.json").write_text("{}")
    listed = run_cli("cache", "list", "nope")
    assert listed.exit_code == 0
    assert " ".join(listed.stdout.split()) == f"nothing of nope is cached at {usreg_home} (it holds breast-a)"
    cleaned = run_cli("cache", "clean", "camus")  # no --yes, no answer: it must not ask
    assert cleaned.exit_code == 0, cleaned.output
    assert " ".join(cleaned.stdout.split()) == (
        f"nothing of camus is cached at {usreg_home} (it holds breast-a); nothing was removed"
    )
    assert converted.is_dir()
    run_cli("cache", "clean", "breast-a", "--yes")
    assert " ".join(run_cli("cache", "list").stdout.split()) == f"the cache at {usreg_home} is empty"


def test_validate_of_a_path_that_does_not_exist_says_so(catalog_root, run_cli, tmp_path: Path):
    """`usreg validate /nonexistent` said '/nonexistent:1:1: error: not an entry file: entries live in ...'."""
    catalog_root.dataset(minimal_dataset("breast-a"))
    gone = tmp_path / "entries" / "datasets" / "gone.yaml"
    result = run_cli("validate", gone, root=catalog_root.root)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: {gone} does not exist"
    assert "not an entry file" not in result.output
