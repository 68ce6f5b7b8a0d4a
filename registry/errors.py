"""Findings: validation errors and warnings that name a file, a position, a field and a fix."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

#: The exit codes of every command, in one place (README, "Exit codes"):
EXIT_OK = 0  # done
EXIT_FINDINGS = 1  # findings: an invalid entry, a failed check, a checksum mismatch, no such entry
EXIT_ENVIRONMENT = 2  # usage or environment: bad arguments, network or DNS failure, a missing tool, an unwritable disk
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it: nothing half-written is kept as done


class UsregError(Exception):
    """A user-facing failure: what went wrong and what to do. A finding (exit 1) unless ``exit_code`` says otherwise."""

    exit_code = EXIT_FINDINGS

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(UsregError):
    """Bad usage or a broken environment (exit code 2)."""

    exit_code = EXIT_ENVIRONMENT


class NoSuchEntry(UsregError):
    """No entry with the id given: a finding (exit code 1) in every command."""


@dataclass(frozen=True)
class Finding:
    file: str
    message: str
    line: int = 1
    column: int = 1
    field: str = ""
    hint: str = ""
    severity: str = "error"
    entry: str = ""

    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def render(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        text = f"{self.location()}: {self.severity}{where}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def github(self) -> str:
        """A GitHub Actions workflow command, shown as an annotation on the pull request."""
        level = "error" if self.severity == "error" else "warning"
        msg = self.message + (f" (hint: {self.hint})" if self.hint else "")
        msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        title = f"usreg {self.field}" if self.field else "usreg"
        return f"::{level} file={self.file},line={self.line},col={self.column},title={title}::{msg}"

    def as_dict(self) -> dict:
        return asdict(self)


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it lies inside it (cheap lexical check first, then resolved paths)."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        pass
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def hint_instead(hint: str | None, way_round: str) -> str:
    """A download hint with fetch's own ways round (``--mirror``, ``--from-file``) replaced by ``way_round``, for a
    command that downloads through the fetch layer but has other options (``usreg bench``, ``usreg import``)."""
    first = re.split(r"[;,] or (?:use --mirror|download)", hint or "")[0].strip()
    return f"{first}; or {way_round}" if first else way_round
