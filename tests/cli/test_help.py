"""`usreg --help` and the commands' help as read in a terminal: laid out at its width, no command summary cut with
"...", no line past the width, every option explained."""

from __future__ import annotations

import click
import pytest

from registry.cli import main


def _section(output: str, title: str) -> list[str]:
    lines = output.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
    return [line for line in lines.splitlines() if line.strip()]


@pytest.mark.parametrize("columns", [80, 120])
def test_command_summaries_are_whole_and_fit(run_cli, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    result = run_cli("--help")
    assert result.exit_code == 0
    rows = _section(result.stdout, "Commands")
    assert len(rows) == len(main.commands)  # one line each: nothing wrapped onto a second line
    assert not [row for row in rows if row.rstrip().endswith("...") or len(row) > columns]
    for name, command in main.commands.items():
        summary = command.get_short_help_str(limit=10_000)
        assert f"  {name.ljust(11)}  {summary}" in rows, name


@pytest.mark.parametrize("columns", [80, 120])
def test_every_command_help_fits_the_terminal(run_cli, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    for name in main.commands:
        result = run_cli(name, "--help")
        assert result.exit_code == 0, name
        assert not [line for line in result.stdout.splitlines() if len(line) > columns], name


def test_help_uses_the_width_of_a_wide_terminal(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    wide = run_cli("bench", "--help").stdout
    assert max(len(line) for line in wide.splitlines() if line.startswith("  --")) > 80


def test_every_bench_option_has_help():
    bench = main.commands["bench"]
    unexplained = [p.name for p in bench.params if isinstance(p, click.Option) and not p.help]
    assert not unexplained
