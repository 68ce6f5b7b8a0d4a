"""Printing rows as a rich table, JSON or CSV; shared by every listing command."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from ..settings import settings
from ..spreadsheet import inert_cell

if TYPE_CHECKING:
    from ..errors import Finding

FORMATS = ("table", "json", "csv")


PIPED_WIDTH = 200

#: a table cell this short is never wrapped ("342.9 KiB", "bronze → silver"); a longer one wraps between words
WRAP_FROM = 10


def terminal_width(stderr: bool = False) -> int:
    """The width to print at: ``COLUMNS`` when set, else the terminal's (also when stdout is piped but a terminal is
    attached to another stream), else a wide default so piped tables stay readable."""
    streams = (sys.stderr, sys.stdout, sys.stdin) if stderr else (sys.stdout, sys.stderr, sys.stdin)
    return _columns(streams) or PIPED_WIDTH


def wrap_width(stderr: bool = False) -> int | None:
    """The width to wrap line-oriented output at (findings): ``COLUMNS`` when set, else the width of a terminal the
    output goes to; None when it is piped, so that each finding stays one line for grep and editors."""
    return _columns((sys.stderr,) if stderr else (sys.stdout,))


def _columns(streams: Sequence[Any]) -> int | None:
    """``COLUMNS`` when set, else the width of the first of ``streams`` that is a terminal, else None."""
    columns = settings().columns
    if columns is not None:
        return columns
    for stream in streams:
        try:
            if stream is not None and stream.isatty():
                return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):
            continue
    return None


def render_finding(finding: Finding, width: int | None, indent: str = "") -> str:
    """``finding.render()`` wrapped between words at ``width`` (None: as it is): the ``file:line:col`` head stays at
    the start of the first line, where editors and terminals pick it up, and continuation lines are indented."""
    if width is None or "\n" in finding.message or "\n" in finding.hint:
        return indent + finding.render().replace("\n", "\n" + indent)
    from ..wrapping import wrap_words

    first, _, _ = finding.render().partition("\n")
    lines = wrap_words(first, width, indent, indent + "    ")
    if finding.hint:
        lines += wrap_words(f"hint: {finding.hint}", width, indent + "    ", indent + "          ")
    return "\n".join(lines)


def console(stderr: bool = False) -> Console:
    """A rich console honouring NO_COLOR and the terminal width (see :func:`terminal_width`)."""
    return Console(
        stderr=stderr,
        no_color=settings().no_color,
        highlight=False,
        soft_wrap=True,
        width=terminal_width(stderr),
    )


def format_option(*extra: str, default: str = "table"):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice([*FORMATS, *extra]),
        default=default,
        show_default=True,
        help="Output format.",
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _shown_cell(value: object) -> str:
    """A table cell for the terminal: a control character in it (a cache folder's name with an escape) is shown as its
    escape, never sent to the terminal; line breaks stay."""
    from ..wrapping import visible

    return visible(_cell(value), keep_lines=True)


def _csv_cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted (numbers, negative ones too, are not)."""
    cell = _cell(value)
    return cell if isinstance(value, int | float) else inert_cell(cell)


def emit_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    title: str | None = None,
    spill: str | None = None,
) -> None:
    """Print ``rows`` restricted to ``columns`` in the chosen format. A table keeps every word whole: the columns
    that do not fit the terminal side by side are left out from the last one on, and a line on stderr names them;
    the ``spill`` column (a URL) is printed after the table instead, one ``first-cell  value`` line per row."""
    if fmt == "json":
        click.echo(json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2, default=str))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_csv_cell(r.get(c)) for c in columns])
        sys.stdout.write(buf.getvalue())
    else:
        if rows:  # a column that no row has (a count that does not apply) is left out, not shown empty
            columns = [c for c in columns if any(c in r for r in rows)]
        width = terminal_width()
        texts = [{c: _shown_cell(r.get(c)) for c in columns} for r in rows]
        natural = {c: max([len(c), *(len(t[c]) for t in texts)]) for c in columns}
        # the narrowest a column gets: its longest word (an id, a URL, a header), and a short value never wraps
        floor = {
            c: min(natural[c], max([WRAP_FROM, len(c), *(len(w) for t in texts for w in t[c].split())]))
            for c in columns
        }
        shown = list(columns)
        while len(shown) > 1 and sum(floor[c] for c in shown) + 3 * len(shown) + 1 > width:  # borders and padding
            shown.pop()
        widths = _shrink(
            {c: natural[c] for c in shown}, floor, sum(natural[c] for c in shown) + 3 * len(shown) + 1 - width
        )
        table = Table(title=title, show_lines=False)
        for c in shown:
            table.add_column(c, overflow="fold", width=widths[c], justify="right" if _numeric(rows, c) else "left")
        for r in rows:
            table.add_row(*(_escape(_shown_cell(r.get(c))) for c in shown))
        out = console()
        out.print(table)
        if spill is not None and spill in columns and spill not in shown:
            out.print(f"{spill}:", markup=False, highlight=False)
            first = max(len(_shown_cell(r.get(shown[0]))) for r in rows) if rows else 0
            for r in rows:
                out.print(
                    f"  {_shown_cell(r.get(shown[0])).ljust(first)}  {_shown_cell(r.get(spill))}",
                    markup=False,
                    highlight=False,
                )
        note_left_out([c for c in columns if c not in shown and c != spill], width)


def note_left_out(columns: Sequence[str], width: int) -> None:
    """One line on stderr naming the ``columns`` a table left out to fit ``width``, and how to see them (the options
    of the running command that show them: --columns, --format json)."""
    if not columns:
        return
    ctx = click.get_current_context(silent=True)
    params = ctx.params if ctx is not None else {}
    ways = ["a wider terminal"]
    if "columns_option" in params:
        ways.append("--columns")
    fmt = next((p for p in (ctx.command.params if ctx is not None else []) if p.name == "fmt"), None)
    if isinstance(getattr(fmt, "type", None), click.Choice) and "json" in fmt.type.choices:  # type: ignore[union-attr]
        ways.append("--format json")
    shown = " or ".join([", ".join(ways[:-1]), ways[-1]] if len(ways) > 1 else ways)
    print_text(f"not shown at {width} columns: {', '.join(columns)} ({shown} shows them)", stderr=True)


def fit_columns(
    cells: Sequence[dict[str, str]],
    columns: Sequence[str],
    min_widths: dict[str, int],
    droppable: Sequence[str],
    width: int,
) -> dict[str, int]:
    """Column widths that fit ``width`` (one space between columns): fixed columns (min width ``-1``) keep their
    natural width, ``droppable`` columns go first, then the others shrink towards their minimum, widest first."""
    natural = {c: max([len(c), *(len(row[c]) for row in cells)]) for c in columns}
    shown = list(columns)

    def floor(c: str) -> int:
        return natural[c] if min_widths.get(c, 6) < 0 else min(natural[c], min_widths.get(c, 6))

    for column in droppable:
        if sum(floor(c) for c in shown) + len(shown) - 1 <= width:
            break
        if column in shown and len(shown) > 1:
            shown.remove(column)
    widths = {c: natural[c] for c in shown}
    return _shrink(widths, {c: floor(c) for c in shown}, sum(widths.values()) + len(shown) - 1 - width)


def _shrink(widths: dict[str, int], floor: dict[str, int], excess: int) -> dict[str, int]:
    """``widths`` narrowed by ``excess`` characters in all, one at a time from the column furthest above its
    ``floor``, never below it."""
    while excess > 0:
        shrinkable = [c for c in widths if widths[c] > floor[c]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda c: widths[c] - floor[c])
        widths[widest] -= 1
        excess -= 1
    return widths


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _numeric(rows: Sequence[dict[str, Any]], column: str) -> bool:
    """Every value of ``column`` that is set is a number (booleans are not)."""
    values = [r.get(column) for r in rows if r.get(column) is not None]
    return bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def emit_fitted_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    min_widths: dict[str, int],
    droppable: Sequence[str] = (),
    title: str | None = None,
    decimals: dict[str, int] | None = None,
    empty: str | None = None,
) -> None:
    """One line per row at the terminal's width (see :func:`fit_columns`); ids are never cut or wrapped. Numeric
    columns are right-aligned; ``decimals`` gives a column's fixed number of decimals (``{"points": 1}``). With no
    rows, ``empty`` (when given) is printed instead of an empty table."""
    if not rows and empty:
        if title:
            click.echo(title)
        click.echo(empty)
        return
    fixed = decimals or {}

    def text(column: str, value: object) -> str:
        if column in fixed and isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:.{fixed[column]}f}"
        return " ".join(_cell(value).split())

    cells = [{c: text(c, r.get(c)) for c in columns} for r in rows]
    right = {c for c in columns if _numeric(rows, c)}
    width = terminal_width()
    widths = fit_columns(cells, columns, min_widths, droppable, width)

    def justify(column: str, value: str, width: int) -> str:
        return value.rjust(width) if column in right else value.ljust(width)

    lines = []
    if title:
        lines.append(title)
    lines.append(" ".join(justify(c, c, w) for c, w in widths.items()).rstrip())
    lines.append(" ".join("─" * w for w in widths.values()))
    for row in cells:
        lines.append(" ".join(justify(c, _clip(row[c], w), w) for c, w in widths.items()).rstrip())
    click.echo("\n".join(lines))
    note_left_out([c for c in columns if c not in widths], width)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, default=str))


def print_text(text: str, stderr: bool = False) -> None:
    """Plain text (a message, a manual download step, a note) wrapped between words at the terminal's width, one line
    per line when piped; never read as rich markup, and a control character in it is shown, not sent."""
    from ..wrapping import visible, wrap_text

    click.echo(wrap_text(visible(text, keep_lines=True), wrap_width(stderr)), err=stderr)
