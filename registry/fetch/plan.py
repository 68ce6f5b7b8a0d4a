"""What a fetch will do: the concrete files, where each comes from, and what each must hash to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

from ..home import relative_parts
from .errors import FetchError, redact_url


@dataclass(frozen=True)
class Candidate:
    """One URL a file can be downloaded from. Headers and auth belong to this URL only (never sent to mirrors)."""

    url: str
    label: str  # "host", "mirror", "--mirror"
    headers: tuple[tuple[str, str], ...] = ()
    auth: tuple[str, str] | None = None

    def header_dict(self) -> dict[str, str]:
        return dict(self.headers)


@dataclass
class RemoteFile:
    """A file of a source, resolved against its host."""

    name: str  # relative POSIX path inside downloads/<id>/<version>/
    candidates: list[Candidate]
    host: str
    source_index: int = 0
    size: int | None = None
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> hex, from the host's API
    checksum_origin: str = ""  # e.g. "zenodo api"
    declared: dict[str, str] = field(default_factory=dict)  # algorithm -> hex, from the entry's sources[].files
    by_hand: bool = False  # a manual source's file tried on --mirror only; missing there, the person fetches it
    mirror_first: bool = False  # planned from the entry for --mirror, without asking the host; the host is the fallback

    def expected(self) -> list[tuple[str, str, str]]:
        """Every (algorithm, hex, origin) the bytes must match."""
        out = [(alg, value, self.checksum_origin or f"{self.host} api") for alg, value in self.checksums.items()]
        out += [(alg, value, "the entry's declared checksum") for alg, value in self.declared.items()]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "source": self.source_index,
            "size": self.size,
            "urls": [redact_url(c.url) for c in self.candidates],
            "checksums": {**self.declared, **self.checksums},
        }


@dataclass
class ManualStep:
    """A source the user must download by hand: where to go, what to get, and how to hand it to usreg."""

    source_index: int
    kind: str
    url: str | None
    instructions: str | None
    files: list[dict[str, Any]]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FetchPlan:
    dataset_id: str
    version: str
    files: list[RemoteFile] = field(default_factory=list)
    manual: list[ManualStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the plan was made when a host could not be asked
    unlisted: list[str] = field(default_factory=list)  # offline dry run: sources fetched whole, files unknown

    @property
    def total_size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if self.unlisted or any(s is None for s in sizes) else sum(s for s in sizes if s is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_id,
            "version": self.version,
            "files": [f.as_dict() for f in self.files],
            "total_size": self.total_size,
            "manual": [m.as_dict() for m in self.manual],
            "notes": list(self.notes),
            "unlisted": list(self.unlisted),
        }


def safe_relpath(name: str, what: str = "file name") -> str:
    """Normalise a host-supplied file name to a safe relative POSIX path, or raise.

    Hosts choose file names; a hostile or broken one (``../x``, ``/etc/x``, ``C:\\x``) must never place a download
    outside the dataset's directory.
    """
    parts = relative_parts(name)
    if parts is None:
        raise FetchError(
            f"unsafe {what} {name!r}: it would leave the dataset's directory",
            hint="the host or the entry gives a file name with '..', an absolute path or a drive letter; report it",
        )
    return "/".join(parts)


def url_join(base: str, name: str) -> str:
    """``base`` + '/' + ``name`` with each path component percent-encoded."""
    return base.rstrip("/") + "/" + "/".join(quote(part) for part in name.split("/"))


def check_unique(files: list[RemoteFile]) -> None:
    """Two sources may not put different files at the same name, nor take a name usreg keeps for itself."""
    from .names import check_reserved

    for f in files:
        check_reserved([f.name], f"source {f.source_index + 1} ({f.host})")
    seen: dict[str, RemoteFile] = {}
    for f in files:
        other = seen.get(f.name)
        if other is not None:
            raise FetchError(
                f"two sources give a file named {f.name!r} (sources {other.source_index + 1} and {f.source_index + 1})",
                hint="list distinct 'files' for each source in the entry, or split the entry",
            )
        seen[f.name] = f
