"""Safe extraction of zip, tar, tar.gz, tar.bz2 and tar.xz archives.

Rejected, each with a message naming the member:

- absolute paths (``/etc/x``, ``C:\\x``) and ``..`` components;
- symbolic links whose target is absolute or resolves outside the target; hard links to outside or missing members;
- device files, FIFOs and sockets;
- archives that unpack to more than ``max_bytes`` or to more than ``max_ratio`` times their own size
  (decompression bombs); zip members whose data exceeds the size their header declares.

Files are written with ``O_NOFOLLOW`` into directories whose real path is checked to lie inside the target, and
symbolic links are created only after all regular files of the archive, then checked with ``realpath`` (so a chain
of links cannot escape either). Callers extract into a fresh temporary directory and rename it when everything
succeeded; on any error the temporary directory is removed, so nothing half-extracted is left behind.
"""

from __future__ import annotations

import gzip
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import FetchError, UnsafeArchive
from .settings import CHUNK_SIZE

_SUFFIXES = (
    (".tar.gz", "tar"),
    (".tar.bz2", "tar"),
    (".tar.xz", "tar"),
    (".tgz", "tar"),
    (".tbz2", "tar"),
    (".tbz", "tar"),
    (".txz", "tar"),
    (".tar", "tar"),
    (".zip", "zip"),
)


def archive_kind(name: str) -> str | None:
    """'zip', 'tar' or None, from the file name."""
    lower = name.lower()
    for suffix, kind in _SUFFIXES:
        if lower.endswith(suffix):
            return kind
    return None


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 1 << 40
    max_ratio: float = 200.0


def member_relpath(archive: Path, name: str) -> str | None:
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


class _Writer:
    """Writes members below ``root`` and never outside it."""

    def __init__(self, archive: Path, root: Path, limits: Limits, archive_size: int) -> None:
        self.archive = archive
        self.root = root
        self.real_root = os.path.realpath(root)
        self.limits = limits
        self.archive_size = max(1, archive_size)
        self.total = 0
        self.links: list[tuple[str, str]] = []
        self.written: list[str] = []

    def account(self, member: str, size: int) -> None:
        """Add ``size`` unpacked bytes and enforce the size and ratio limits."""
        self.total += size
        if self.total > self.limits.max_bytes:
            raise UnsafeArchive(
                self.archive,
                member,
                f"takes the unpacked size past the limit of {self.limits.max_bytes:,} bytes (USREG_EXTRACT_MAX_BYTES)",
                limit=True,
            )
        ratio = self.total / self.archive_size
        if ratio > self.limits.max_ratio:
            raise UnsafeArchive(
                self.archive,
                member,
                f"makes the archive a decompression bomb: it unpacks to at least {self.total:,} bytes from "
                f"{self.archive_size:,} (ratio {ratio:.0f}, limit {self.limits.max_ratio:g}, USREG_EXTRACT_MAX_RATIO)",
                limit=True,
            )

    def _inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.real_root or real.startswith(self.real_root + os.sep)

    def directory(self, member: str, rel: str) -> Path:
        path = self.root / rel
        current = self.root
        for part in PurePosixPath(rel).parts:
            current = current / part
            if current.is_symlink() or (current.exists() and not current.is_dir()):
                if current.is_symlink() and self._inside(str(current)) and current.is_dir():
                    continue
                raise UnsafeArchive(self.archive, member, f"needs directory {part!r}, but a file or link is there")
            if not current.exists():
                current.mkdir(mode=0o755)
        if not self._inside(str(path)):
            raise UnsafeArchive(self.archive, member, "would be written outside the target through a link")
        return path

    def file(self, member: str, rel: str, source, declared: int | None, mode: int) -> None:
        parent_rel = str(PurePosixPath(rel).parent)
        parent = self.directory(member, parent_rel) if parent_rel != "." else self.root
        path = parent / PurePosixPath(rel).name
        if path.is_dir() and not path.is_symlink():
            raise UnsafeArchive(self.archive, member, "would replace a directory with a file")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o755 if mode & 0o111 else 0o644)
        except OSError as exc:
            raise UnsafeArchive(self.archive, member, f"cannot be written safely ({exc.strerror})") from None
        written = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK_SIZE):
                written += len(chunk)
                if declared is not None and written > declared:
                    raise UnsafeArchive(
                        self.archive, member, f"holds more data than its header declares ({declared:,} bytes)"
                    )
                if declared is None:
                    self.account(member, len(chunk))
                out.write(chunk)
        self.written.append(rel)

    def hardlink(self, member: str, rel: str, target_rel: str) -> None:
        source = self.root / target_rel
        if source.is_symlink() or not source.is_file() or not self._inside(str(source)):
            raise UnsafeArchive(
                self.archive,
                member,
                f"is a hard link to {target_rel!r}, which is not a file extracted from this archive",
            )
        parent_rel = str(PurePosixPath(rel).parent)
        parent = self.directory(member, parent_rel) if parent_rel != "." else self.root
        path = parent / PurePosixPath(rel).name
        if path.exists() or path.is_symlink():
            path.unlink()
        try:
            os.link(source, path)
        except OSError:
            import shutil

            shutil.copyfile(source, path)
        self.written.append(rel)

    def finish_links(self) -> None:
        """Create the deferred symlinks, then check that each really resolves inside the root."""
        for rel, target in self.links:
            parent_rel = str(PurePosixPath(rel).parent)
            parent = self.directory(rel, parent_rel) if parent_rel != "." else self.root
            path = parent / PurePosixPath(rel).name
            if path.exists() or path.is_symlink():
                raise UnsafeArchive(self.archive, rel, "is a link that would replace an extracted file or directory")
            os.symlink(target, path)
            self.written.append(rel)
        for rel, target in self.links:
            if not self._inside(str(self.root / rel)):
                raise UnsafeArchive(
                    self.archive,
                    rel,
                    f"is a symbolic link that resolves outside the target (-> {target}) through other links",
                )


def extract(archive: Path, target: Path, limits: Limits | None = None) -> list[str]:
    """Extract ``archive`` into the existing directory ``target``; returns the relative paths written."""
    limits = limits or Limits()
    kind = archive_kind(archive.name)
    if kind is None:
        raise FetchError(
            f"{archive.name} is not an archive usreg can extract",
            hint="supported: .zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz",
        )
    writer = _Writer(archive, target, limits, archive.stat().st_size)
    try:
        if kind == "zip":
            _extract_zip(archive, writer)
        else:
            _extract_tar(archive, writer)
    except NotImplementedError as exc:
        raise FetchError(
            f"{archive.name} uses a compression method Python cannot read ({exc})",
            hint="extract it with another tool (e.g. 7-Zip for Deflate64) and pass the folder with --from-file",
        ) from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError) as exc:
        raise FetchError(
            f"{archive.name} is not a readable {kind} archive ({exc})",
            hint=f"the download may be truncated or the host served something else: delete {archive} and fetch again",
        ) from None
    return writer.written


# -- zip -------------------------------------------------------------------------------------------------------
def _zip_mode(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0xFFFF if info.create_system == 3 else 0


def _extract_zip(archive: Path, writer: _Writer) -> None:
    with zipfile.ZipFile(archive) as zf:
        plan: list[tuple[zipfile.ZipInfo, str, str]] = []
        declared_total = 0
        for info in zf.infolist():
            rel = member_relpath(archive, info.filename)
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
                writer.account(info.filename, info.file_size)
        _check_space(writer.root, declared_total, archive)
        for info, rel, what in plan:
            if what == "dir":
                writer.directory(info.filename, rel)
            elif what == "file":
                # ... and each member's real size is held to its declaration while writing
                with zf.open(info) as source:
                    writer.file(info.filename, rel, source, info.file_size, _zip_mode(info))
            else:
                writer.links.append((rel, what[len("link:") :]))
        writer.finish_links()


def _check_space(target: Path, needed: int, archive: Path) -> None:
    import shutil

    free = shutil.disk_usage(target).free
    if needed > free:
        raise FetchError(
            f"not enough disk space to extract {archive.name}: it needs {needed:,} bytes, {free:,} are free",
            hint=f"free some space or set USREG_HOME to a larger disk (now {target})",
        )


# -- tar -------------------------------------------------------------------------------------------------------
def _extract_tar(archive: Path, writer: _Writer) -> None:
    with tarfile.open(archive, mode="r|*") as tf:
        for member in tf:
            rel = member_relpath(archive, member.name)
            if member.ischr() or member.isblk():
                raise UnsafeArchive(archive, member.name, "is a device file")
            if member.isfifo():
                raise UnsafeArchive(archive, member.name, "is a FIFO, not a regular file")
            if rel is None:
                continue
            if member.isdir():
                writer.directory(member.name, rel)
            elif member.issym():
                if not _link_target_inside(rel, member.linkname):
                    raise UnsafeArchive(
                        archive, member.name, f"is a symbolic link pointing outside the target (-> {member.linkname})"
                    )
                writer.links.append((rel, member.linkname))
            elif member.islnk():
                try:
                    target_rel = member_relpath(archive, member.linkname)
                except UnsafeArchive:
                    target_rel = None
                if target_rel is None:
                    raise UnsafeArchive(
                        archive, member.name, f"is a hard link pointing outside the target (-> {member.linkname})"
                    )
                writer.hardlink(member.name, rel, target_rel)
            elif member.isfile():
                writer.account(member.name, member.size)
                source = tf.extractfile(member)
                if source is None:  # pragma: no cover - isfile() members always have data
                    continue
                writer.file(member.name, rel, source, member.size, member.mode)
            else:
                raise UnsafeArchive(archive, member.name, f"has an unsupported member type {member.type!r}")
        writer.finish_links()
