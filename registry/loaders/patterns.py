"""Path patterns for the generic converters: ``images/{split}/{stem}.{ext}``, ``masks/{stem}_mask.png`` and so on.

A pattern is a relative path with placeholders. ``{name}`` matches one path segment or part of one (no '/');
``{ext}`` matches a known image extension; ``*`` matches within a segment; ``**/`` matches any number of folders.
Placeholders named ``split``, ``label`` and ``subject`` fill those fields; the others are available to sibling
patterns (a mask pattern is filled with the groups matched by the image pattern).

A pattern matches at the source root or below any number of wrapper folders (archives often add one), unless it
starts with '/', which anchors it at the root. Every matching file is kept, whatever its wrapper folders (two sibling
hospital folders both count); the wrapper prefix matched by the image pattern is reused for its masks.

File extensions are matched without regard to case: ``{stem}.png`` matches ``a.PNG``, and a mask pattern filled for
an image finds ``a_mask.PNG`` as well as ``a_mask.png``.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsregError

IMAGE_EXTS = ("png", "jpg", "jpeg", "bmp", "tif", "tiff", "dcm", "dicom", "mha", "mhd", "nii", "nii.gz", "nrrd", "gif")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Match:
    path: Path
    prefix: str
    groups: dict[str, str]


def compile_pattern(pattern: str) -> re.Pattern[str]:
    anchored = pattern.startswith("/")
    body = pattern.lstrip("/")
    out = []
    pos = 0
    seen: set[str] = set()
    token = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|\*\*/|\*|\?")
    for m in token.finditer(body):
        out.append(re.escape(body[pos : m.start()]))
        text = m.group(0)
        if m.group(1):
            name = m.group(1)
            if name in seen:
                out.append(f"(?P={name})")
            elif name == "ext":
                alts = "|".join(re.escape(e) for e in sorted(IMAGE_EXTS, key=len, reverse=True))
                out.append(f"(?P<ext>(?i:{alts}))")
            else:
                out.append(f"(?P<{name}>[^/]+?)")
            seen.add(name)
        elif text == "**/":
            out.append("(?:[^/]+/)*")
        elif text == "*":
            out.append("[^/]*")
        else:
            out.append("[^/]")
        pos = m.end()
    out.append(_literal_tail(body[pos:]))
    prefix = "" if anchored else "(?P<_prefix>(?:[^/]+/)*?)"
    try:
        return re.compile(f"^{prefix}{''.join(out)}$")
    except re.error as exc:
        raise UsregError(f"invalid path pattern {pattern!r}: {exc}", hint="see registry/loaders/patterns.py") from None


_EXT_TAIL = re.compile(r"(\.[A-Za-z][A-Za-z0-9]{0,5}(?:\.[A-Za-z0-9]{1,4})?)$")


def _literal_tail(text: str) -> str:
    """The escaped last literal of a pattern, its file extension (if any) matched without regard to case."""
    m = _EXT_TAIL.search(text)
    if not m:
        return re.escape(text)
    return re.escape(text[: m.start()]) + f"(?i:{re.escape(m.group(1))})"


def _glob_ext(text: str) -> str:
    """A glob whose trailing extension matches any case: ``a.png`` -> ``a.[pP][nN][gG]``."""
    m = _EXT_TAIL.search(text)
    if not m:
        return text
    ext = "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in m.group(1))
    return text[: m.start()] + ext


def match_files(pattern: str, files: list[Path], root: Path) -> list[Match]:
    """Every file under ``root`` matching ``pattern``, under any wrapper folders (none is dropped)."""
    rx = compile_pattern(pattern)
    found: list[Match] = []
    for f in files:
        rel = f.relative_to(root).as_posix()
        m = rx.match(rel)
        if m:
            groups = {k: v for k, v in m.groupdict().items() if k != "_prefix" and v is not None}
            found.append(Match(f, m.groupdict().get("_prefix") or "", groups))
    return found


def fill(pattern: str, match: Match) -> str:
    """A sibling pattern filled with ``match``'s groups, under the same wrapper prefix (a relative path)."""
    missing = [n for n in _PLACEHOLDER.findall(pattern) if n not in match.groups]
    if missing:
        raise UsregError(
            f"pattern {pattern!r} uses {{{missing[0]}}}, which the image pattern does not capture",
            hint="use only placeholders that also appear in the image pattern",
        )
    wild = any(c in _PLACEHOLDER.sub("", pattern) for c in "*?[")
    esc = glob.escape if wild else (lambda v: v)
    body = _PLACEHOLDER.sub(lambda m: esc(match.groups[m.group(1)]), pattern.lstrip("/"))
    return body if pattern.startswith("/") else esc(match.prefix) + body


def resolve(root: Path, relative: str, wild: bool | None = None) -> list[Path]:
    """Existing files for a filled pattern (globs allowed when the pattern had wildcards), sorted."""
    if wild is None:
        wild = any(c in relative for c in "*?[")
    if wild:
        return sorted(Path(p) for p in glob.glob(str(root / relative)) if Path(p).is_file())
    path = root / relative
    return [path] if path.is_file() else []


def is_wild(pattern: str) -> bool:
    return any(c in _PLACEHOLDER.sub("", pattern) for c in "*?[")


def siblings(root: Path, pattern: str, match: Match) -> list[Path]:
    """Files named by a sibling pattern (e.g. a mask pattern) for an image match; the extension's case may differ."""
    wild = is_wild(pattern)
    relative = fill(pattern, match)
    found = resolve(root, relative, wild=wild)
    if found:
        return found
    if not wild:
        relative = glob.escape(relative)
    return resolve(root, _glob_ext(relative), wild=True)
