"""The usreg command line: thin click commands that parse, call the library and print."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import click
from rich.markup import escape

from .. import __version__
from ..errors import EXIT_ENVIRONMENT, EXIT_INTERRUPTED, UsregError
from ..settings import settings
from .context import AppContext
from .output import console, terminal_width, wrap_width

COMMAND_MODULES = [
    "validate_cmd",
    "catalog_cmd",
    "score_cmd",
    "fetch_cmd",
    "data_cmd",
    "site_cmd",
    "bench_cmd",
    "contrib_cmd",
    "up_cmd",
]


#: the widest help text, however wide the terminal (piped help included): lines longer than this read badly
HELP_MAX_WIDTH = 120

#: each command's line in ``usreg --help``: whole at 80 columns (click cuts a longer first sentence with "...")
SHORT_HELP = {
    "bench": "Evaluate models on a fetched dataset; store the results.",
    "check": "Run the data checks on a converted dataset (exit 1 on a fail).",
    "check-links": "Check every URL of the entries (or of IDS); record the result.",
    "convert": "Convert a downloaded dataset to the common format again.",
    "diff": "Entries changed since BASE_REF: validation, tiers, duplicates.",
    "fetch": "Download datasets, verify, unpack safely and convert them.",
    "import": "Draft an entry from a DOI, Zenodo, figshare, Mendeley, GitHub.",
    "index": "Build the SQLite index (automatic when entries change).",
    "leaderboard": "Benchmark results on DATASET, best first, with intervals.",
    "new": "Write a skeleton entry with every field and hints.",
    "score": "Score entries (all, or IDS): tier, points, what limits it.",
    "show": "Every fact of one entry, its sources, citation and score.",
    "site": "Build and serve the static catalog site (fully offline).",
    "stats": "Counts of datasets and models by tier, anatomy, task and more.",
    "up": "Validate, index and score, then build and serve the site.",
    # the subcommands of a group, as `usreg cache --help` and `usreg site --help` list them
    "cache list": "Cached datasets: size of downloads, source trees and data.",
    "cache size": "Disk used by the cache, per area and in total.",
    "site build": "Generate the pages and build them with mkdocs.",
    "site serve": "Serve a built site on http://127.0.0.1:PORT/.",
}


#: stands for a hyphen inside a word while help is wrapped (a non-breaking hyphen), so that no line ends at it
_WORD_HYPHEN = "\u2011"
_INNER_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


class HelpFormatter(click.HelpFormatter):
    """Click's help layout, wrapped between words only: a hyphenated word (--skip-verify, intensity-threshold,
    ground-truth) is never broken at its hyphen (click's text wrapper breaks there)."""

    def write_text(self, text: str) -> None:
        super().write_text(_INNER_HYPHEN.sub(_WORD_HYPHEN, text))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(a, _INNER_HYPHEN.sub(_WORD_HYPHEN, b)) for a, b in rows], col_max, col_spacing)

    def getvalue(self) -> str:
        return super().getvalue().replace(_WORD_HYPHEN, "-")


class UsregContext(click.Context):
    formatter_class = HelpFormatter


class UsregGroup(click.Group):
    """Turns UsregError into a clear message and its exit code instead of a traceback; help is laid out at the
    terminal's width as the other commands' output reads it (``COLUMNS``, else the terminal), up to
    ``HELP_MAX_WIDTH``."""

    context_class = UsregContext

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None and "terminal_width" not in extra:
            settings.cache_clear()  # the environment as this invocation starts (CliRunner(env=...) included)
            extra["terminal_width"] = max(min(terminal_width(), HELP_MAX_WIDTH) - 2, 50)
            extra.setdefault("max_content_width", HELP_MAX_WIDTH)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UsregError as exc:
            _print_error(exc.message, exc.hint)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:  # click would print "Aborted!" and exit 1
            _print_error("interrupted", "run the same command again to continue (verified files are kept)")
            ctx.exit(EXIT_INTERRUPTED)
        except OSError as exc:  # the disk or the system refused (a path that cannot be written): environment, exit 2
            from ..wrapping import visible

            where = f" ({visible(exc.filename)})" if exc.filename else ""
            _print_error(f"{exc.strerror or exc}{where}", _os_error_hint(exc))
            ctx.exit(EXIT_ENVIRONMENT)


def _os_error_hint(exc: OSError) -> str:
    """What to do when the disk refuses a write: a full disk or quota, a read-only or forbidden folder."""
    import errno

    from ..home import usreg_home

    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        where = Path(str(exc.filename)).parent if exc.filename else usreg_home()
        return f"free some space on the disk of {where} (or set USREG_HOME to a larger disk) and run the command again"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "make that folder writable, or set USREG_HOME to a folder you can write, and run the command again"
    return ""


def _print_error(message: str, hint: str | None) -> None:
    """``error: message`` (red label) and ``  hint: ...`` on stderr, wrapped between words at the terminal's width;
    a control character in them (a user-given path's escape) is shown, never sent to the terminal."""
    from ..wrapping import visible, wrap_text

    width = wrap_width(stderr=True)
    text = wrap_text(f"error: {visible(message, keep_lines=True)}", width)
    err = console(stderr=True)
    err.print("[red]error:[/red]" + escape(text[len("error:") :]), markup=True, highlight=False)
    if hint:
        err.print(wrap_text(f"  hint: {visible(hint, keep_lines=True)}", width), markup=False, highlight=False)


@click.group(cls=UsregGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="usreg")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), help="Catalog root (default: found upward).")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, root: Path | None, verbose: int) -> None:
    """usreg: the open registry of public medical ultrasound datasets and models."""
    settings.cache_clear()  # each command reads the environment once, as it starts (CliRunner(env=...) included)
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = AppContext(root_option=root)


def _register() -> None:
    """Each command module lists its click commands in ``COMMANDS``; modules not written yet are skipped."""
    import importlib

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        for command in module.COMMANDS:
            named = [(command.name, command)]
            if isinstance(command, click.Group):
                named += [(f"{command.name} {name}", sub) for name, sub in command.commands.items()]
            for name, each in named:
                if each.short_help is None and name in SHORT_HELP:
                    each.short_help = SHORT_HELP[name]
                each.context_class = UsregContext
            main.add_command(command)


_register()
