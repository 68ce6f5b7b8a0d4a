"""Safe extraction of zip, tar (plain, gz, bz2, xz, zst), 7z and RAR archives into one tree per dataset.

All archives of a dataset, the archives nested inside them and its plain files go into one :class:`Tree`. The tree
keeps a model of every path it made (directory, file or symbolic link), and that model, not the disk, decides where a
member goes:

- every member path is resolved against the model, following the links the model holds (archives made earlier
  included), before anything is written; a path that would leave the root is refused;
- symbolic links are created on disk only after every archive of the dataset was unpacked, and only when each one,
  resolved against the final tree, stays inside it; until then the disk holds no link that a write could follow;
- a directory never becomes a link and a link never changes its target, so what was resolved stays true;
- each file is written to a new temporary file and renamed into place, so a file with other hard links (a cached
  download, the user's own file) is never written into;
- writes walk the tree one directory descriptor at a time with ``O_NOFOLLOW``, so no depth is too deep to create and
  a link appearing on disk is never followed.

Refused, each with a message naming the archive and the member: absolute paths and ``..`` components; links whose
target leaves the tree (directly, through other links, or through links from other archives); hard links to anything
but a file of the tree; device files, FIFOs and sockets; more than ``max_members`` members in one archive or
``max_inodes`` paths in the tree; paths longer than the system can open (``PATH_MAX``); archives that unpack to more
than ``max_bytes`` or to more than ``max_ratio`` times the download they came from, nested archives included
(decompression bombs); zip members holding more data than their header declares; archives nested deeper than
``max_nesting``. Encrypted archives and archive formats usreg does not read are clear errors, with what to do.

7z and RAR go through libarchive (the C library behind bsdtar, Debian package ``libarchive13``) with its Python
binding ``libarchive-c``. It was chosen over ``py7zr`` + ``rarfile``: one maintained library reads both formats
(RAR 4 and RAR 5, 7z with LZMA/LZMA2/PPMd/BCJ) in C, streaming each member with its type, link target and size
before its data, so the same writer applies the same rules as for zip and tar; ``rarfile`` only drives an external
``unrar``/``unar`` program (Debian's ``unrar-free`` cannot read RAR 5) and ``py7zr`` is pure Python and slow on large
LZMA2 archives. libarchive is only ever asked for the formats the file name (or its magic bytes) says, never "all"
(libarchive's mtree reader would read files named in the archive from the local disk).

Callers extract into a fresh temporary directory and rename it into place only when everything succeeded; on any
error the temporary directory is removed, so nothing half-extracted is left behind.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import lzma
import os
import re
import stat
import tarfile
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from . import fstree
from .errors import FetchError, UnsafeArchive
from .settings import CHUNK_SIZE

_SUFFIXES = (
    (".tar.gz", "tar"),
    (".tar.bz2", "tar"),
    (".tar.xz", "tar"),
    (".tar.zst", "tar.zst"),
    (".tgz", "tar"),
    (".tbz2", "tar"),
    (".tbz", "tar"),
    (".txz", "tar"),
    (".tzst", "tar.zst"),
    (".tar", "tar"),
    (".zip", "zip"),
    (".7z", "7z"),
    (".rar", "rar"),
)
SUPPORTED = ".zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz, .tar.zst, .7z, .rar"
_BY_HAND = "extract it yourself (7-Zip: `7z x FILE`, or `unar FILE`) and pass the extracted folder with --from-file"
_UNSUPPORTED = (
    (re.compile(r"\.(zip|7z|rar|tar(\.\w+)?)\.\d{3}$"), "is one volume of a multi-volume archive"),
    (re.compile(r"\.(z|r)\d{2}$"), "is one volume of a multi-volume archive"),
    (re.compile(r"\.part\d+\.rar$"), "is one volume of a multi-volume RAR archive"),
    (
        re.compile(r"\.(zipx|cab|arj|lzh|lha|ace|sit|sitx|tar\.lz|tlz|tar\.lzma|tar\.z|taz|tar\.lz4)$"),
        "is an archive format usreg does not extract",
    ),
)
_MAGIC = ((b"Rar!\x1a\x07", "rar"), (b"7z\xbc\xaf\x27\x1c", "7z"))
_TMP_PREFIX = ".usreg-"
_MAX_LINK_HOPS = 40
PATH_MAX = 4096


class ArchiveNotSupported(FetchError):
    """An archive usreg cannot unpack: encrypted, a format it does not read, or one volume of several."""


def archive_kind(name: str) -> str | None:
    """'zip', 'tar', 'tar.zst', '7z', 'rar' or None, from the file name (a multi-volume part is None)."""
    lower = name.lower()
    if unsupported_reason(name):
        return None
    for suffix, kind in _SUFFIXES:
        if lower.endswith(suffix):
            return kind
    return None


def unsupported_reason(name: str) -> str | None:
    """Why a file named ``name`` is an archive usreg will not unpack, or None."""
    lower = name.lower()
    for pattern, reason in _UNSUPPORTED:
        if pattern.search(lower):
            return reason
    return None


def check_supported(name: str) -> None:
    """Raise ``ArchiveNotSupported`` for an archive usreg will not unpack (a multi-volume part, .cab, ...)."""
    reason = unsupported_reason(name)
    if reason:
        raise ArchiveNotSupported(
            f"{name} {reason}; usreg extracts {SUPPORTED}",
            hint=f"{_BY_HAND} (for volumes, give all parts to the tool together)",
        )


def _from_env(name: str):
    """The default of a limit: ``FetchSettings`` read from the environment (USREG_EXTRACT_*)."""

    def read():
        from .settings import FetchSettings

        return getattr(FetchSettings.from_env(), name)

    return field(default_factory=read)


@dataclass(frozen=True)
class Limits:
    """Extraction limits. Those not given come from the environment (see ``settings``)."""

    max_bytes: int = 1 << 40
    max_ratio: float = 200.0
    max_members: int = _from_env("extract_max_members")
    max_inodes: int = _from_env("extract_max_inodes")
    max_nesting: int = _from_env("extract_max_nesting")

    @classmethod
    def from_settings(cls, settings) -> Limits:
        d = cls()
        return cls(
            max_bytes=getattr(settings, "extract_max_bytes", d.max_bytes),
            max_ratio=getattr(settings, "extract_max_ratio", d.max_ratio),
            max_members=getattr(settings, "extract_max_members", d.max_members),
            max_inodes=getattr(settings, "extract_max_inodes", d.max_inodes),
            max_nesting=getattr(settings, "extract_max_nesting", d.max_nesting),
        )


def _limit_error(archive: str, member: str, reason: str, variable: str, now: int | float) -> UnsafeArchive:
    exc = UnsafeArchive(archive, member, reason, limit=True)
    exc.hint = f"raise {variable} (now {now:,}) only if you trust this archive"
    return exc


def member_relpath(archive: Path | str, name: str) -> str | None:
    """The safe relative path of a member, None for the archive root itself; raises for unsafe names."""
    if "\x00" in name:
        raise UnsafeArchive(archive, name, "has a NUL byte in its name")
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) >= 2 and text[1] == ":" and text[0].isalpha()):
        raise UnsafeArchive(archive, name, "has an absolute path")
    parts = text.split("/")
    if ".." in parts:
        raise UnsafeArchive(archive, name, "has a '..' component that would leave the target directory")
    parts = [p for p in parts if p not in ("", ".")]
    return "/".join(parts) if parts else None


def _link_target_inside(member: str, link: str) -> bool:
    """Whether a symlink at ``member`` pointing to ``link`` stays inside the root, read lexically."""
    if link.startswith("/") or (len(link) >= 2 and link[1] == ":"):
        return False
    depth = 0
    for part in (PurePosixPath(member).parent / link.replace("\\", "/")).parts:
        if part in ("", "."):
            continue
        depth = depth - 1 if part == ".." else depth + 1
        if depth < 0:
            return False
    return True


class Budget:
    """Unpacked bytes charged to one download, everything unpacked from archives nested in it included."""

    def __init__(self, name: str, size: int, limits: Limits) -> None:
        self.name = name
        self.size = max(1, size)
        self.limits = limits
        self.total = 0

    def charge(self, archive: str, member: str, size: int) -> None:
        self.total += size
        if self.total > self.limits.max_bytes:
            raise UnsafeArchive(
                archive,
                member,
                f"takes the unpacked size past the limit of {self.limits.max_bytes:,} bytes (USREG_EXTRACT_MAX_BYTES)",
                limit=True,
            )
        ratio = self.total / self.size
        if ratio > self.limits.max_ratio:
            raise UnsafeArchive(
                archive,
                member,
                f"makes the archive a decompression bomb: it unpacks to at least {self.total:,} bytes from "
                f"{self.size:,} (ratio {ratio:.0f}, limit {self.limits.max_ratio:g}, USREG_EXTRACT_MAX_RATIO)",
                limit=True,
            )


class _Escape(Exception):
    """A path resolved against the tree leaves its root."""


class Tree:
    """One target directory, filled from any number of archives and files; see the module docstring."""

    def __init__(self, root: Path, limits: Limits | None = None) -> None:
        self.root = Path(root)
        self.limits = limits or Limits()
        self.root_fd = fstree.open_dir(self.root)
        self.root_len = len(os.fsencode(os.path.abspath(self.root)))
        self.nodes: dict[str, str] = {}  # canonical relative path -> "d" | "f" | "l"
        self.links: dict[str, tuple[str, str, str]] = {}  # link path -> (target, archive, member)
        self.written: list[str] = []
        self._cached: tuple[str, int] | None = None

    def close(self) -> None:
        if self._cached:
            os.close(self._cached[1])
            self._cached = None
        if self.root_fd >= 0:
            os.close(self.root_fd)
            self.root_fd = -1

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the model -----------------------------------------------------------------------------------------------
    def _resolve(self, parts: Iterable[str], touched: list[str] | None = None) -> list[str]:
        """The canonical components of ``parts`` (links of the model followed); raises ``_Escape``."""
        out: list[str] = []
        stack = list(reversed(list(parts)))
        hops = 0
        while stack:
            comp = stack.pop()
            if comp in ("", "."):
                continue
            if comp == "..":
                if not out:
                    raise _Escape()
                out.pop()
                continue
            key = "/".join([*out, comp])
            kind = self.nodes.get(key)
            if kind == "l":
                hops += 1
                if hops > _MAX_LINK_HOPS:
                    raise _Escape("loop")
                target = self.links[key][0].replace("\\", "/")
                if target.startswith("/"):
                    raise _Escape()
                stack.extend(reversed(target.split("/")))
                continue
            if kind == "f" and stack:
                raise NotADirectoryError(key)
            out.append(comp)
            if touched is not None:
                touched.append(key)
        return out

    def _place(self, archive: str, member: str, rel: str) -> tuple[list[str], str]:
        """(canonical parent, name) for a new entry at ``rel``; parents are made (model and disk)."""
        parts = rel.split("/")
        touched: list[str] = []
        try:
            parent = self._resolve(parts[:-1], touched)
        except _Escape:
            raise UnsafeArchive(archive, member, "would be written outside the target through a link") from None
        except NotADirectoryError as exc:
            raise UnsafeArchive(archive, member, f"needs directory {str(exc)!r}, but a file is there") from None
        key = "/".join([*parent, parts[-1]])
        length = self.root_len + 1 + len(os.fsencode(key))
        if length + 24 >= PATH_MAX:
            raise UnsafeArchive(
                archive,
                member,
                f"is {key.count('/') + 1:,} levels deep: its path would be {length:,} bytes long, over the system's "
                f"limit of {PATH_MAX:,} bytes (PATH_MAX), so no program could open it",
            )
        for path in touched:
            if path not in self.nodes:
                self._add_node(archive, member, path, "d")
        return parent, parts[-1]

    def _add_node(self, archive: str, member: str, key: str, kind: str) -> None:
        if key not in self.nodes and len(self.nodes) >= self.limits.max_inodes:
            raise _limit_error(
                archive,
                member,
                f"takes the unpacked tree past {self.limits.max_inodes:,} files, directories and links",
                "USREG_EXTRACT_MAX_INODES",
                self.limits.max_inodes,
            )
        self.nodes[key] = kind

    def _check_free(self, archive: str, member: str, key: str, what: str) -> None:
        kind = self.nodes.get(key)
        if kind == "d":
            raise UnsafeArchive(archive, member, f"would replace a directory with {what}")
        if kind == "l":
            raise UnsafeArchive(archive, member, f"would replace the symbolic link {key!r} with {what}")

    # -- the disk ------------------------------------------------------------------------------------------------
    def _dir_fd(self, archive: str, member: str, parent: list[str]) -> int:
        """A descriptor of the canonical directory ``parent`` (made if missing), walked without following links."""
        key = "/".join(parent)
        if self._cached and self._cached[0] == key:
            return self._cached[1]
        start, rest = self.root_fd, parent
        if self._cached and (self._cached[0] == "" or key.startswith(self._cached[0] + "/")):
            start = self._cached[1]
            rest = parent[len(self._cached[0].split("/")) if self._cached[0] else 0 :]
        fd = os.dup(start)
        try:
            for comp in rest:
                try:
                    child = fstree.open_dir(comp, dir_fd=fd)
                except FileNotFoundError:
                    os.mkdir(comp, 0o755, dir_fd=fd)
                    child = fstree.open_dir(comp, dir_fd=fd)
                except OSError:
                    raise UnsafeArchive(
                        archive, member, f"needs directory {comp!r}, but a file or link is there"
                    ) from None
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        if self._cached:
            os.close(self._cached[1])
        self._cached = (key, fd)
        return fd

    def _commit(self, fd: int, tmp: str, name: str, archive: str, member: str) -> None:
        try:
            os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise UnsafeArchive(archive, member, f"cannot be put in place ({exc.strerror})") from None

    @staticmethod
    def _new_tmp(fd: int, mode: int) -> tuple[str, int]:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        for _ in range(100):
            tmp = f"{_TMP_PREFIX}{uuid.uuid4().hex[:12]}.tmp"
            try:
                return tmp, os.open(tmp, flags, mode, dir_fd=fd)
            except FileExistsError:
                continue
        raise FetchError("cannot create a temporary file in the source tree")  # pragma: no cover

    # -- entries -------------------------------------------------------------------------------------------------
    def add_dir(self, archive: str, member: str, rel: str) -> None:
        parent, name = self._place(archive, member, rel)
        key = "/".join([*parent, name])
        if self.nodes.get(key) == "f":
            raise UnsafeArchive(archive, member, "would replace a file with a directory")
        if self.nodes.get(key) == "l":
            try:
                target = self._resolve(key.split("/"))
            except (_Escape, NotADirectoryError):
                raise UnsafeArchive(archive, member, "is a directory behind a link that leaves the target") from None
            self._dir_fd(archive, member, target)
            return
        self._add_node(archive, member, key, "d")
        self._dir_fd(archive, member, [*parent, name])

    def add_file(
        self,
        archive: str,
        member: str,
        rel: str,
        chunks: Iterable[bytes],
        declared: int | None,
        mode: int,
        budget: Budget | None,
    ) -> str:
        """Write a member's bytes to a new file and rename it to ``rel``; returns the canonical path."""
        parent, name = self._place(archive, member, rel)
        key = "/".join([*parent, name])
        self._check_free(archive, member, key, "a file")
        fd = self._dir_fd(archive, member, parent)
        try:
            tmp, out_fd = self._new_tmp(fd, 0o755 if mode & 0o111 else 0o644)
        except OSError as exc:
            raise UnsafeArchive(archive, member, f"cannot be written safely ({exc.strerror})") from None
        written = 0
        try:
            with os.fdopen(out_fd, "wb") as out:
                for chunk in chunks:
                    written += len(chunk)
                    if declared is not None and written > declared:
                        raise UnsafeArchive(
                            archive, member, f"holds more data than its header declares ({declared:,} bytes)"
                        )
                    if declared is None and budget is not None:
                        budget.charge(archive, member, len(chunk))
                    out.write(chunk)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise
        self._add_node(archive, member, key, "f")
        self._commit(fd, tmp, name, archive, member)
        self.written.append(key)
        return key

    def add_path(self, source: Path, rel: str) -> str:
        """Put the plain file ``source`` (a verified download) at ``rel``: a new hard link, else a copy."""
        parent, name = self._place(rel, "", rel)
        key = "/".join([*parent, name])
        self._check_free(rel, "", key, "a downloaded file")
        fd = self._dir_fd(rel, "", parent)
        tmp = f"{_TMP_PREFIX}{uuid.uuid4().hex[:12]}.tmp"
        try:
            os.link(source, tmp, dst_dir_fd=fd)
        except OSError:
            with open(source, "rb") as src:
                self.add_file(rel, "", rel, iter(lambda: src.read(CHUNK_SIZE), b""), None, 0o644, None)
            return key
        self._add_node(rel, "", key, "f")
        self._commit(fd, tmp, name, rel, "")
        self.written.append(key)
        return key

    def add_hardlink(self, archive: str, member: str, rel: str, target_rel: str) -> None:
        refused = f"is a hard link to {target_rel!r}, which is not a file extracted from this archive"
        tparts = target_rel.split("/")
        try:
            tparent = self._resolve(tparts[:-1])
        except (_Escape, NotADirectoryError):
            raise UnsafeArchive(archive, member, refused) from None
        tkey = "/".join([*tparent, tparts[-1]])
        if self.nodes.get(tkey) != "f":
            raise UnsafeArchive(archive, member, refused)
        parent, name = self._place(archive, member, rel)
        key = "/".join([*parent, name])
        self._check_free(archive, member, key, "a hard link")
        tfd = os.dup(self._dir_fd(archive, member, tparent))
        try:
            fd = self._dir_fd(archive, member, parent)
            tmp = f"{_TMP_PREFIX}{uuid.uuid4().hex[:12]}.tmp"
            try:
                os.link(tparts[-1], tmp, src_dir_fd=tfd, dst_dir_fd=fd, follow_symlinks=False)
            except OSError:
                src_fd = os.open(tparts[-1], os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0), dir_fd=tfd)
                with os.fdopen(src_fd, "rb") as src:
                    self.add_file(archive, member, key, iter(lambda: src.read(CHUNK_SIZE), b""), None, 0o644, None)
                return
        finally:
            os.close(tfd)
        self._add_node(archive, member, key, "f")
        self._commit(fd, tmp, name, archive, member)
        self.written.append(key)

    def add_symlink(self, archive: str, member: str, rel: str, target: str) -> None:
        """Record a symbolic link; it is created by :meth:`finish`, after every archive, if it stays inside."""
        if not _link_target_inside(rel, target):
            raise UnsafeArchive(archive, member, f"is a symbolic link pointing outside the target (-> {target})")
        parent, name = self._place(archive, member, rel)
        key = "/".join([*parent, name])
        if key in self.nodes:
            if self.nodes[key] == "l" and self.links[key][0] == target:
                return
            raise UnsafeArchive(archive, member, "is a link that would replace an extracted file or directory")
        self._add_node(archive, member, key, "l")
        self.links[key] = (target, archive, member)

    def remove(self, key: str) -> None:
        """Remove the file ``key`` (an unpacked nested archive) from the tree."""
        parts = key.split("/")
        fd = self._dir_fd(key, "", parts[:-1])
        os.unlink(parts[-1], dir_fd=fd)
        self.nodes.pop(key, None)

    def finish(self) -> None:
        """Check every recorded link against the final tree, then create them all."""
        for key in sorted(self.links):
            target, archive, member = self.links[key]
            parent = key.split("/")[:-1]
            try:
                self._resolve([*parent, *target.replace("\\", "/").split("/")])
            except NotADirectoryError:
                continue  # it passes through a file, so it can never be followed: dangling, and harmless
            except _Escape as exc:
                reason = (
                    f"is part of a loop of symbolic links (-> {target})"
                    if exc.args == ("loop",)
                    else f"is a symbolic link that resolves outside the target (-> {target}) through other links"
                )
                raise UnsafeArchive(archive, member, reason) from None
        for key in sorted(self.links, key=lambda k: (k.count("/"), k)):
            target, archive, member = self.links[key]
            parts = key.split("/")
            fd = self._dir_fd(archive, member, parts[:-1])
            try:
                os.symlink(target, parts[-1], dir_fd=fd)
            except OSError as exc:
                raise UnsafeArchive(archive, member, f"cannot be created ({exc.strerror})") from None
            self.written.append(key)
        real_root = os.path.realpath(self.root)
        for key in self.links:
            real = os.path.realpath(self.root / key)
            if real != real_root and not real.startswith(real_root + os.sep):  # pragma: no cover - belt and braces
                target, archive, member = self.links[key]
                raise UnsafeArchive(
                    archive, member, f"is a symbolic link that resolves outside the target (-> {target})"
                )

    # -- archives ------------------------------------------------------------------------------------------------
    def unpack(
        self, path: Path, name: str | None = None, budget: Budget | None = None, prefix: str = "", shown: str = ""
    ) -> list[str]:
        """Unpack the archive at ``path`` (file name ``name``, shown in errors as ``shown``) into the directory
        ``prefix`` of the tree; returns the paths written."""
        name = name or path.name
        check_supported(name)
        kind = archive_kind(name)
        if kind is None:
            raise ArchiveNotSupported(f"{name} is not an archive usreg can extract", hint=f"supported: {SUPPORTED}")
        name = shown or name
        start = len(self.written)
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            budget = budget or Budget(name, size, self.limits)
            magic = handle.read(8)
            handle.seek(0)
            for head, real in _MAGIC:
                if magic.startswith(head):
                    kind = real
            try:
                if kind == "zip":
                    _unpack_zip(handle, name, self, prefix, budget)
                elif kind == "tar":
                    _unpack_tar(handle, name, self, prefix, budget)
                else:
                    _unpack_libarchive(handle, name, kind, self, prefix, budget)
            except NotImplementedError as exc:
                raise ArchiveNotSupported(
                    f"{name} uses a compression method Python cannot read ({exc})",
                    hint="extract it with another tool (e.g. 7-Zip for Deflate64) and pass the folder with --from-file",
                ) from None
            except (
                zipfile.BadZipFile,
                tarfile.TarError,
                EOFError,
                gzip.BadGzipFile,
                zlib.error,
                lzma.LZMAError,
            ) as exc:
                raise FetchError(
                    f"{name} is not a readable {kind} archive ({exc})",
                    hint=f"the download may be truncated or the host served something else: delete {path} and "
                    "fetch again",
                ) from None
        return self.written[start:]

    def unpack_nested(self, path: Path, name: str, on_archive=None) -> list[str]:
        """Unpack a download, then every archive found inside it (into the folder holding it), up to
        ``max_nesting`` levels, all charged to the download's size budget; returns the paths written."""
        budget = Budget(name, path.stat().st_size, self.limits)
        written = self.unpack(path, name, budget)
        queue = [(key, 1) for key in dict.fromkeys(written) if self.nodes.get(key) == "f" and _is_archive(key)]
        while queue:
            key, depth = queue.pop(0)
            if self.nodes.get(key) != "f":  # replaced or already unpacked
                continue
            if depth > self.limits.max_nesting:
                raise _limit_error(
                    name,
                    key,
                    f"is an archive nested {depth} levels deep (limit {self.limits.max_nesting})",
                    "USREG_EXTRACT_MAX_NESTING",
                    self.limits.max_nesting,
                )
            if on_archive:
                on_archive(f"{key} (inside {name})")
            parent = key.rsplit("/", 1)[0] if "/" in key else ""
            shown = f"{key.rsplit('/', 1)[-1]} (inside {Path(name).name})"  # errors name both archives
            inner = self.unpack(self.root / key, key, budget, prefix=parent, shown=shown)
            self.remove(key)
            written = [k for k in written if k != key] + inner
            queue += [(k, depth + 1) for k in dict.fromkeys(inner) if self.nodes.get(k) == "f" and _is_archive(k)]
        return written


def _is_archive(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    if unsupported_reason(name):
        check_supported(key)
    return archive_kind(name) is not None


def extract(archive: Path, target: Path, limits: Limits | None = None) -> list[str]:
    """Extract ``archive`` into the existing directory ``target``; returns the relative paths written."""
    with Tree(target, limits) as tree:
        written = tree.unpack(archive)
        tree.finish()
    return written


def _join(prefix: str, rel: str) -> str:
    return f"{prefix}/{rel}" if prefix else rel


def _count(archive: str, member: str, count: int, limits: Limits) -> None:
    if count > limits.max_members:
        raise _limit_error(
            archive,
            member,
            f"is more than {limits.max_members:,} members in one archive",
            "USREG_EXTRACT_MAX_MEMBERS",
            limits.max_members,
        )


def _encrypted(archive: str, member: str) -> ArchiveNotSupported:
    return ArchiveNotSupported(
        f"{archive} is encrypted (member {member!r} needs a password); usreg does not unpack password-protected "
        "archives",
        hint="get the password from the dataset's page, " + _BY_HAND,
    )


# -- zip -------------------------------------------------------------------------------------------------------
def _zip_mode(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0xFFFF if info.create_system == 3 else 0


def _unpack_zip(handle: BinaryIO, archive: str, tree: Tree, prefix: str, budget: Budget) -> None:
    with zipfile.ZipFile(handle) as zf:
        infos = zf.infolist()
        if len(infos) > tree.limits.max_members:
            _count(archive, infos[tree.limits.max_members].filename, len(infos), tree.limits)
        plan: list[tuple[zipfile.ZipInfo, str, str]] = []
        declared_total = 0
        for info in infos:
            rel = member_relpath(archive, info.filename)
            if info.flag_bits & 0x1:
                raise _encrypted(archive, info.filename)
            if rel is None:
                continue
            mode = _zip_mode(info)
            if stat.S_ISLNK(mode):
                if info.file_size > 4096:
                    raise UnsafeArchive(archive, info.filename, "is a symbolic link with an oversized target")
                target = zf.read(info).decode("utf-8", "replace")
                if not _link_target_inside(rel, target):
                    raise UnsafeArchive(
                        archive, info.filename, f"is a symbolic link pointing outside the target (-> {target})"
                    )
                plan.append((info, rel, "link:" + target))
            elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                raise UnsafeArchive(archive, info.filename, "is a device file")
            elif stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
                raise UnsafeArchive(archive, info.filename, "is a FIFO or socket, not a regular file")
            elif info.is_dir():
                plan.append((info, rel, "dir"))
            else:
                declared_total += info.file_size
                plan.append((info, rel, "file"))
        # every limit is checked on the declared sizes before a byte is written ...
        for info, _rel, what in plan:
            if what == "file":
                budget.charge(archive, info.filename, info.file_size)
        _check_space(tree.root, declared_total, archive)
        for info, rel, what in plan:
            if what == "dir":
                tree.add_dir(archive, info.filename, _join(prefix, rel))
            elif what == "file":
                # ... and each member's real size is held to its declaration while writing
                with zf.open(info) as source:
                    tree.add_file(
                        archive,
                        info.filename,
                        _join(prefix, rel),
                        iter(functools.partial(source.read, CHUNK_SIZE), b""),
                        info.file_size,
                        _zip_mode(info),
                        budget,
                    )
            else:
                tree.add_symlink(archive, info.filename, _join(prefix, rel), what[len("link:") :])


def _check_space(target: Path, needed: int, archive: str) -> None:
    import shutil

    free = shutil.disk_usage(target).free
    if needed > free:
        raise FetchError(
            f"not enough disk space to extract {archive}: it needs {needed:,} bytes, {free:,} are free",
            hint=f"free some space or set USREG_HOME to a larger disk (now {target})",
        )


# -- tar -------------------------------------------------------------------------------------------------------
def _prescan_tar(handle: BinaryIO, archive: str, limits: Limits) -> None:
    """Count the members of a tar by walking its 512-byte headers (``tarfile`` parses 100,000 headers in seconds,
    this in a fraction of that); extension headers (pax ``x``/``g``, GNU ``L``/``K``) belong to the next member."""
    import bz2

    magic = handle.read(6)
    handle.seek(0)
    opened: contextlib.AbstractContextManager[io.BufferedIOBase | BinaryIO]
    if magic.startswith(b"\x1f\x8b"):
        opened = gzip.GzipFile(fileobj=handle, mode="rb")
    elif magic.startswith(b"BZh"):
        opened = bz2.BZ2File(handle)
    elif magic.startswith(b"\xfd7zXZ\x00"):
        opened = lzma.LZMAFile(handle)  # noqa: SIM115 - entered just below
    else:
        opened = contextlib.nullcontext(handle)
    with opened as stream:  # closing a decompressor leaves ``handle`` open
        count = 0
        while True:
            block = stream.read(512)
            if len(block) < 512 or block == bytes(512):
                return
            field = block[124:136]
            size = int.from_bytes(field[1:], "big") if field[0] & 0x80 else int(field.rstrip(b"\0 ").strip() or b"0", 8)
            if block[156:157] not in (b"x", b"g", b"L", b"K"):
                count += 1
                if count > limits.max_members:
                    _count(archive, block[:100].split(b"\0")[0].decode("utf-8", "replace"), count, limits)
            skip = (size + 511) // 512 * 512
            while skip > 0:
                chunk = stream.read(min(skip, CHUNK_SIZE))
                if not chunk:
                    return
                skip -= len(chunk)


_PRESCAN_MAX = 256 << 20  # bytes: tar archives up to this size have their members counted before any is written


def _unpack_tar(handle: BinaryIO, archive: str, tree: Tree, prefix: str, budget: Budget) -> None:
    if os.fstat(handle.fileno()).st_size <= _PRESCAN_MAX:
        # a small archive is read twice so that too many members are refused before anything is written
        # (200,000 empty files fit in a few hundred KB of tar.xz); larger ones are counted while they unpack
        with contextlib.suppress(EOFError, OSError, ValueError, lzma.LZMAError, zlib.error):
            _prescan_tar(handle, archive, tree.limits)  # a damaged archive: the real pass below reports it
        handle.seek(0)
    with tarfile.open(fileobj=handle, mode="r:*") as tf:
        count = 0
        for member in tf:
            count += 1
            _count(archive, member.name, count, tree.limits)
            rel = member_relpath(archive, member.name)
            if member.ischr() or member.isblk():
                raise UnsafeArchive(archive, member.name, "is a device file")
            if member.isfifo():
                raise UnsafeArchive(archive, member.name, "is a FIFO, not a regular file")
            if rel is None:
                continue
            if member.isdir():
                tree.add_dir(archive, member.name, _join(prefix, rel))
            elif member.issym():
                tree.add_symlink(archive, member.name, _join(prefix, rel), member.linkname)
            elif member.islnk():
                try:
                    target_rel = member_relpath(archive, member.linkname)
                except UnsafeArchive:
                    target_rel = None
                if target_rel is None:
                    raise UnsafeArchive(
                        archive, member.name, f"is a hard link pointing outside the target (-> {member.linkname})"
                    )
                tree.add_hardlink(archive, member.name, _join(prefix, rel), _join(prefix, target_rel))
            elif member.isfile():
                budget.charge(archive, member.name, member.size)
                source = tf.extractfile(member)
                if source is None:  # pragma: no cover - isfile() members always have data
                    continue
                tree.add_file(
                    archive,
                    member.name,
                    _join(prefix, rel),
                    iter(functools.partial(source.read, CHUNK_SIZE), b""),
                    member.size,
                    member.mode,
                    budget,
                )
            else:
                raise UnsafeArchive(archive, member.name, f"has an unsupported member type {member.type!r}")


# -- 7z, RAR, tar.zst: libarchive ----------------------------------------------------------------------------
_LIBARCHIVE = {"7z": (["7zip"], ["none"]), "rar": (["rar", "rar5"], ["none"]), "tar.zst": (["tar"], ["zstd"])}


@contextlib.contextmanager
def _libarchive_reader(fd: int, kind: str) -> Iterator:
    try:
        from libarchive import ffi
        from libarchive.read import ArchiveRead
    except (ImportError, OSError) as exc:
        raise ArchiveNotSupported(
            f"reading {kind} archives needs libarchive, which is not available ({exc})",
            hint="install it: `apt-get install libarchive13` (Debian/Ubuntu) and `pip install libarchive-c`; "
            "or " + _BY_HAND,
        ) from None
    formats, filters = _LIBARCHIVE[kind]
    pointer = ffi.read_new()
    try:
        for name in filters:
            ffi.get_read_filter_function(name)(pointer)
        for name in formats:
            ffi.get_read_format_function(name)(pointer)
        os.lseek(fd, 0, os.SEEK_SET)  # the Python handle's buffer may have moved the descriptor on
        ffi.read_open_fd(pointer, fd, CHUNK_SIZE)
        yield ArchiveRead(pointer)
    finally:
        ffi.read_free(pointer)


def _unpack_libarchive(handle: BinaryIO, archive: str, kind: str, tree: Tree, prefix: str, budget: Budget) -> None:
    from libarchive.exception import ArchiveError

    member = ""
    try:
        with _libarchive_reader(handle.fileno(), kind) as reader:
            count = 0
            for entry in reader:
                count += 1
                member = entry.pathname or ""
                _count(archive, member, count, tree.limits)
                if not member:
                    raise UnsafeArchive(archive, "", "has a member without a readable name")
                rel = member_relpath(archive, member)
                if entry.ischr or entry.isblk:
                    raise UnsafeArchive(archive, member, "is a device file")
                if entry.isfifo or entry.issock:
                    raise UnsafeArchive(archive, member, "is a FIFO or socket, not a regular file")
                if rel is None:
                    continue
                if entry.isdir:
                    tree.add_dir(archive, member, _join(prefix, rel))
                elif entry.issym:
                    tree.add_symlink(archive, member, _join(prefix, rel), entry.linkpath or "")
                elif entry.islnk:
                    try:
                        target_rel = member_relpath(archive, entry.linkpath or "")
                    except UnsafeArchive:
                        target_rel = None
                    if target_rel is None:
                        raise UnsafeArchive(
                            archive, member, f"is a hard link pointing outside the target (-> {entry.linkpath})"
                        )
                    tree.add_hardlink(archive, member, _join(prefix, rel), _join(prefix, target_rel))
                else:
                    declared = entry.size if entry.size else None
                    if declared:
                        budget.charge(archive, member, declared)
                    tree.add_file(
                        archive,
                        member,
                        _join(prefix, rel),
                        entry.get_blocks(CHUNK_SIZE),
                        declared,
                        entry.mode,
                        budget,
                    )
    except ArchiveError as exc:
        text = str(getattr(exc, "msg", exc))
        if "ncrypt" in text or "assphrase" in text:
            raise _encrypted(archive, member) from None
        raise FetchError(
            f"{archive} is not a readable {kind} archive ({text})",
            hint="the download may be truncated or the host served something else: delete it and fetch again; "
            "if the archive needs a password (older libarchive does not report encrypted RAR 5 files as such), "
            + _BY_HAND,
        ) from None
