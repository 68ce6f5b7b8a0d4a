"""``fetch_dataset``: plan, download (or ingest), verify, lock, build the source tree, hand over to the loader."""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import Timeout

from ..errors import EXIT_ENVIRONMENT, EXIT_INTERRUPTED, UsageError, UsregError
from ..home import check_version, check_writable
from ..paths import usreg_home
from ..schema import Dataset, Source, SourceFile
from .cache import Layout, version_label
from .client import Cancelled, HttpClient, RetriesExhausted
from .errors import (
    ChecksumMismatch,
    DownloadError,
    FetchError,
    HostError,
    ManualDownloadRequired,
    NoCredentials,
    common_exit_code,
    redact_error,
    redact_url,
)
from .extract import Limits
from .hosts import MANUAL_KINDS, HostContext, resolver
from .hosts import manual as manual_host
from .hosts_config import HostsConfig, check_url, mirror_from_env
from .ingest import check_apart, check_outside_cache, expand, match_declared, place
from .lockfile import Lockfile
from .plan import Candidate, FetchPlan, ManualStep, RemoteFile, check_unique, safe_relpath, url_join
from .progress import Reporter
from .settings import FetchSettings
from .sourcetree import build
from .space import check_copy_space, check_download_space
from .verify import first_mismatch, hash_file

if TYPE_CHECKING:
    from ..schema import Entry

RESTRICTED_ACCESS = frozenset({"registration", "request", "challenge"})


class FetchInterrupted(UsregError):
    """Ctrl-C: the partial files stay in place; the same command resumes."""

    exit_code = EXIT_INTERRUPTED


class FileStatus(StrEnum):
    """What happened to one file (``FileOutcome.status``, the ``status`` of a file in ``usreg fetch --format json``)."""

    DOWNLOADED = "downloaded"  # transferred in full and verified
    RESUMED = "resumed"  # a kept ``.part`` was completed and the whole file verified
    CACHED = "cached"  # already downloaded and recorded in the lock file: nothing transferred
    INGESTED = "ingested"  # taken from --from-file and verified
    DOWNLOAD = "download"  # dry run: would be downloaded (a kept ``.part`` reads "resume from <bytes>")


@dataclass
class FileOutcome:
    name: str
    path: Path
    size: int | None
    status: FileStatus | str  # a FileStatus; a dry run of a kept .part: "resume from <bytes>"
    sha256: str | None = None
    trust: str | None = None  # host | entry | lock | tofu | unverified
    verified_by: list[str] = field(default_factory=list)
    bytes_transferred: int = 0
    url: str | None = None
    host: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "size": self.size,
            "status": self.status,
            "sha256": self.sha256,
            "trust": self.trust,
            "verified_by": self.verified_by,
            "bytes_transferred": self.bytes_transferred,
            "url": self.url,
            "host": self.host,
        }


@dataclass
class FetchResult:
    dataset_id: str
    version: str
    download_dir: Path
    source_dir: Path | None
    plan: FetchPlan
    files: list[FileOutcome] = field(default_factory=list)
    manual: list[ManualStep] = field(default_factory=list)
    converted_dir: Path | None = None
    message: str = ""
    dry_run: bool = False

    @property
    def bytes_transferred(self) -> int:
        return sum(f.bytes_transferred for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_id,
            "version": self.version,
            "dry_run": self.dry_run,
            "download_dir": str(self.download_dir),
            "source_dir": str(self.source_dir) if self.source_dir else None,
            "converted_dir": str(self.converted_dir) if self.converted_dir else None,
            "files": [f.as_dict() for f in self.files],
            "bytes_transferred": self.bytes_transferred,
            "manual": [m.as_dict() for m in self.manual],
            "message": self.message,
        }


def pick_version(entry: Entry, version: str | None) -> str:
    """--version (checked as given), else the entry's version, else the first source's version (both made
    directory-safe), else 'latest'."""
    if version:
        return _known_version(entry, check_version(str(version)))
    if getattr(entry, "version", None):
        return version_label(str(entry.version))
    for source in _sources_of(entry):
        if source.version:
            return version_label(str(source.version))
    return "latest"


#: hosts that keep several versions of one record and are asked for the one --version names (they say when it
#: does not exist); every other host serves the same files whatever the label
VERSIONED_HOSTS = ("mendeley", "figshare", "kaggle")


def _known_version(entry: Entry, label: str) -> str:
    """``label`` (--version) when the entry lists it or a host of the entry keeps versions of its record, else a
    usage error: a host without versions would serve the listed version's files, filed under a label they are not."""
    listed = [pick_version(entry, None)]
    listed += [version_label(str(s.version)) for s in _sources_of(entry) if s.version]
    kinds = sorted({str(s.kind) for s in _sources_of(entry)})
    if label in listed or any(kind in VERSIONED_HOSTS for kind in kinds):
        return label
    shown = ", ".join(dict.fromkeys(listed))
    raise UsageError(
        f"{entry.id} has no version {label!r}: it lists {shown}, and its "
        f"{'hosts' if len(kinds) > 1 else 'host'} ({', '.join(kinds) or 'none'}) "
        f"{'keep' if len(kinds) > 1 else 'keeps'} no other versions, so the files fetched would be those of "
        f"{listed[0]} filed under {label!r}",
        hint=f"leave --version out (or give --version {listed[0]}); for another release, add an entry or a source "
        "for it",
    )


def _sources_of(entry: Entry) -> list[Source]:
    if isinstance(entry, Dataset) or hasattr(entry, "sources"):
        return list(entry.sources)
    out = []
    for weights in getattr(entry, "weights", []):  # a model: its weights' sources
        source = weights.source
        if weights.file and not source.files:
            source = source.model_copy(
                update={"files": [SourceFile(name=weights.file, sha256=weights.sha256, size=weights.size)]}
            )
        if getattr(weights, "revision", None):  # Hub weights pinned to a commit: fetch that commit, not main
            source = source.model_copy(update={"tag": weights.revision})
        out.append(source)
    return out


def _is_manual(source: Source, access: str | None) -> str | None:
    """Why this source needs a person, or None when usreg can download it."""
    if source.kind in MANUAL_KINDS:
        return f"{source.kind} data cannot be downloaded automatically"
    if access in RESTRICTED_ACCESS and source.kind != "kaggle":  # kaggle handles its own terms with a token
        return f"the dataset's access is '{access}'"
    return None


class _Run:
    """One fetch of one entry."""

    def __init__(
        self,
        entry: Entry,
        home: Path,
        version: str,
        dest: Path | None,
        jobs: int,
        mirror: str | None,
        skip_verify: bool,
        reporter: Reporter,
        settings: FetchSettings,
    ) -> None:
        self.entry = entry
        self.id = entry.id
        self.version = version
        self.layout = Layout(home)
        self.home = home
        self.dest = dest
        self.jobs = max(1, jobs)
        self.mirror = mirror
        self.skip_verify = skip_verify
        self.reporter = reporter
        self.settings = settings
        self.downloads = self.layout.downloads(self.id, version)
        self.cancel = threading.Event()
        self.kind = "model" if hasattr(entry, "weights") and not hasattr(entry, "sources") else "dataset"

    # -- planning ----------------------------------------------------------------------------------------------
    def plan(
        self, client: HttpClient | None, cached: Lockfile | None = None, lenient: bool = False, dry_run: bool = False
    ) -> FetchPlan:
        """Resolve every automatic source against its host. A host that cannot be reached is not fatal when the
        cache already holds that source's complete file list (an offline re-run), when ``lenient`` (files given
        with --from-file may stand in for it), or for a dry run (planned from the entry, and said so).

        With --mirror, a source whose entry lists its files is planned from the entry alone: the origin host is not
        asked unless the mirror lacks a file."""
        plan = FetchPlan(self.id, self.version)
        access = getattr(self.entry, "access", None)
        sources = _sources_of(self.entry)
        if not sources:
            raise FetchError(
                f"{self.id} lists no sources, so there is nothing to fetch",
                hint="add a 'sources' list to the entry (see CONTRIBUTING.md)",
            )
        for index, source in enumerate(sources):
            reason = _is_manual(source, access)
            if reason:
                plan.manual.append(manual_host.step(source, index, reason, access))
                if self.mirror:  # a lab mirror may hold what others download by hand
                    plan.files += [self._mirror_only(f, index) for f in source.files]
                continue
            if self.mirror and source.files:
                plan.files += self._from_entry(source, index, mirror_first=True)
                continue
            if client is None:
                continue
            try:
                plan.files += self._resolve(client, source, index)
            except (HostError, DownloadError) as exc:
                complete = cached is not None and cached.source_complete(index, source.kind, source.id)
                if dry_run and isinstance(exc, RetriesExhausted | NoCredentials) and not complete:
                    plan.files += self._from_entry(source, index, mirror_first=False)
                    if not source.files:
                        plan.unlisted.append(f"{source.kind} {source.id}")
                    listed = (
                        f"planned from the {len(source.files)} file(s) the entry lists"
                        if source.files
                        else "the entry lists no files, so the whole record would be fetched from "
                        + (redact_url(source.url) if source.url else f"{source.kind} {source.id}")
                    )
                    asked = "needs your credentials" if isinstance(exc, NoCredentials) else "could not be reached"
                    plan.notes.append(
                        f"source {index + 1} ({source.kind} {source.id}): the host {asked}; {listed}"
                        f" (why: {exc.message})"
                    )
                    continue
                if not (complete or lenient):
                    raise
                what = "using the verified files already in the cache" if complete else "continuing with --from-file"
                self.reporter.message(f"source {index + 1} ({source.kind}): {exc.message}; {what}", "warning")
        check_unique(plan.files)
        return plan

    def _resolve(self, client: HttpClient, source: Source, index: int, with_mirror: bool = True) -> list[RemoteFile]:
        """Ask the source's host for its files, then keep the entry's, add checksums and mirrors."""
        ctx = HostContext(
            client=client,
            config=HostsConfig.from_env(),
            dataset_id=self.id,
            version=self._host_version(source),
            entry_kind=self.kind,
            warn=lambda text: self.reporter.message(text, "warning"),
        )
        files = resolver(source.kind)(source, index, ctx)
        return self._apply_entry(source, index, files, with_mirror=with_mirror)

    def _from_entry(self, source: Source, index: int, mirror_first: bool) -> list[RemoteFile]:
        """The files the entry lists, without asking the host: from --mirror first (then the source's mirrors), or,
        for an offline dry run, as the entry describes them."""
        out = []
        for f in source.files:
            name = safe_relpath(f.name)
            extra = [Candidate(url_join(m, f.name), "mirror") for m in source.mirrors]
            if mirror_first:
                candidates = [Candidate(url_join(f"{self.mirror}/{self.id}", f.name), "--mirror"), *extra]
            else:
                candidates = extra or [Candidate(source.url or f"{source.kind}:{source.id}", "entry")]
            out.append(
                RemoteFile(
                    name=name,
                    candidates=candidates,
                    host="mirror" if mirror_first else source.kind,
                    source_index=index,
                    size=f.size,
                    declared={alg: value for alg, value in (("md5", f.md5), ("sha256", f.sha256)) if value},
                    mirror_first=mirror_first,
                )
            )
        return out

    def _mirror_only(self, f: SourceFile, index: int) -> RemoteFile:
        url = url_join(f"{self.mirror}/{self.id}", f.name)
        declared = {alg: value for alg, value in (("md5", f.md5), ("sha256", f.sha256)) if value}
        return RemoteFile(
            name=safe_relpath(f.name),
            candidates=[Candidate(url, "--mirror")],
            host="mirror",
            source_index=index,
            size=f.size,
            declared=declared,
            by_hand=True,
        )

    def _host_version(self, source: Source) -> str | None:
        """--version applies to hosts with versioned records, when it differs from the entry's own label."""
        own = getattr(self.entry, "version", None)
        if self.version == "latest" or (own and self.version == version_label(str(own))):
            return None
        return self.version

    def _apply_entry(
        self, source: Source, index: int, files: list[RemoteFile], with_mirror: bool = True
    ) -> list[RemoteFile]:
        """Keep the files the entry lists (if it lists any), add its checksums, and add the mirrors."""
        declared = {f.name: f for f in source.files}
        if declared:
            names = {f.name for f in files}
            missing = sorted(set(declared) - names)
            if missing:
                raise HostError(
                    f"{self.id}: source {index + 1} ({source.kind} {source.id}) has no file named {missing[0]!r}; "
                    f"it has: {', '.join(sorted(names)[:20])}",
                    hint="fix the file names under the source's 'files' in the entry",
                )
            files = [f for f in files if f.name in declared]
        for f in files:
            d = declared.get(f.name)
            if d is not None:
                f.declared = {alg: value for alg, value in (("md5", d.md5), ("sha256", d.sha256)) if value}
                if f.size is None and d.size is not None:
                    f.size = d.size
            extra = [Candidate(url_join(m, f.name), "mirror") for m in source.mirrors]
            if self.mirror and with_mirror:
                f.candidates = [
                    Candidate(url_join(f"{self.mirror}/{self.id}", f.name), "--mirror"),
                    *f.candidates,
                    *extra,
                ]
            else:
                f.candidates = [*f.candidates, *extra]
        return files

    # -- downloading -------------------------------------------------------------------------------------------
    def download_all(self, client: HttpClient, plan: FetchPlan, lock: Lockfile) -> list[FileOutcome]:
        outcomes: dict[str, FileOutcome] = {}
        errors: list[BaseException] = []
        not_on_mirror: list[tuple[RemoteFile, BaseException]] = []
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="usreg-fetch") as pool:
            futures: dict[Future, RemoteFile] = {
                pool.submit(self.download_one, client, rf, lock): rf for rf in plan.files
            }
            try:
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
                    for future in done:
                        exc = future.exception()
                        if exc is None:
                            outcome = future.result()
                            outcomes[outcome.name] = outcome
                        elif futures[future].mirror_first and isinstance(exc, HostError | DownloadError):
                            not_on_mirror.append((futures[future], exc))
                        elif futures[future].by_hand and isinstance(exc, HostError | DownloadError):
                            self.reporter.message(
                                f"{futures[future].name} is not on the mirror; it must be downloaded by hand", "warning"
                            )
                        elif not isinstance(exc, Cancelled):
                            errors.append(exc)
            except KeyboardInterrupt:
                self.cancel.set()
                for future in futures:
                    future.cancel()
                wait(list(futures))
                parts = sorted(p.name for p in self.downloads.rglob("*.part")) if self.downloads.exists() else []
                raise FetchInterrupted(
                    f"interrupted; {len(parts)} partial file(s) kept in {self.downloads}",
                    hint=f"run `usreg fetch {self.id}` again to resume where it stopped",
                ) from None
        if not_on_mirror and not errors:
            for outcome in self._from_host(client, not_on_mirror, lock):
                outcomes[outcome.name] = outcome
        if errors:
            if len(errors) == 1:
                raise errors[0]
            first = errors[0]
            text = "; ".join(getattr(e, "message", str(e)).splitlines()[0] for e in errors)
            raise DownloadError(
                f"{len(errors)} files failed: {text}",
                hint=getattr(first, "hint", ""),
                exit_code=common_exit_code(errors),
            )
        return [outcomes[f.name] for f in plan.files if f.name in outcomes]

    def _from_host(
        self, client: HttpClient, failed: list[tuple[RemoteFile, BaseException]], lock: Lockfile
    ) -> list[FileOutcome]:
        """Files the mirror could not deliver, from their origin host after all (asked only now)."""
        sources = _sources_of(self.entry)
        out = []
        for index in sorted({rf.source_index for rf, _ in failed}):
            source = sources[index]
            names = [rf.name for rf, _ in failed if rf.source_index == index]
            self.reporter.message(
                f"{len(names)} file(s) could not be fetched from the mirror; asking the {source.kind} host", "warning"
            )
            mirror_errors = "; ".join(
                getattr(exc, "message", str(exc)).splitlines()[-1].strip()
                for rf, exc in failed
                if rf.source_index == index
            )
            try:
                resolved = {f.name: f for f in self._resolve(client, source, index, with_mirror=False)}
                for rf, _exc in failed:
                    if rf.source_index == index:
                        out.append(self.download_one(client, resolved[rf.name], lock))
            except (HostError, DownloadError) as exc:
                raise DownloadError(
                    f"{', '.join(names)}: not on the mirror ({mirror_errors}), and the {source.kind} host could not "
                    f"supply them either: {exc.message}",
                    hint=exc.hint,
                    exit_code=exc.exit_code,
                ) from None
        return out

    def download_one(self, client: HttpClient, rf: RemoteFile, lock: Lockfile) -> FileOutcome:
        final = self.downloads / rf.name
        record = lock.get(rf.name)
        cached = self._cached(rf, final, record, lock)
        if cached is not None:
            self.reporter.file_done(rf.name, FileStatus.CACHED, {"size": cached.size})
            return cached
        part = final.with_name(final.name + ".part")
        algorithms = {alg for alg, _, _ in rf.expected()}
        failures: list[str] = []
        errors: list[BaseException] = []
        last_hint = ""
        info = None
        for candidate in rf.candidates:
            if self.cancel.is_set():
                raise Cancelled()
            try:
                info = client.download(
                    candidate,
                    part,
                    expected_size=rf.size,
                    algorithms=algorithms,
                    name=rf.name,
                    on_progress=lambda n: self.reporter.advance(rf.name, n),
                    on_start=lambda have, total: self.reporter.file_started(rf.name, total, have),
                    cancel=self.cancel,
                )
                break
            except (HostError, RetriesExhausted, DownloadError) as exc:
                failures.append(f"{candidate.label} {candidate.url}: {exc.message}")
                errors.append(exc)
                last_hint = exc.hint
                if candidate is not rf.candidates[-1]:
                    self.reporter.message(
                        f"{rf.name}: {candidate.label} failed ({exc.message}); trying the next URL", "warning"
                    )
        if info is None:
            hint = (
                last_hint
                if len(rf.candidates) == 1 and last_hint
                else "run the same command again later to resume, pass --mirror URL, or download the file yourself "
                "and pass it with --from-file"
            )
            raise DownloadError(
                f"could not download {rf.name} from any of {len(rf.candidates)} URL(s):\n  " + "\n  ".join(failures),
                hint=hint or "",
                exit_code=common_exit_code(errors),
            )
        trust, verified_by = self._verify(rf, part, info.size, info.digests, record)
        os.replace(part, final)
        stored_url = _stored_url(candidate.url, info.url)
        lock.record(
            rf.name,
            sha256=info.digests["sha256"],
            size=info.size,
            trust=trust,
            verified_by=verified_by,
            host=rf.host,
            url=stored_url,
            origin="download",
            md5=info.digests.get("md5"),
        )
        status = FileStatus.RESUMED if info.resumed_from else FileStatus.DOWNLOADED
        outcome = FileOutcome(
            rf.name,
            final,
            info.size,
            status,
            info.digests["sha256"],
            trust,
            verified_by,
            info.bytes_transferred,
            stored_url,
            rf.host,
        )
        self.reporter.file_done(
            rf.name,
            status,
            {
                "size": info.size,
                "sha256": info.digests["sha256"],
                "trust": trust,
                "bytes_transferred": info.bytes_transferred,
            },
        )
        return outcome

    def _cached(self, rf: RemoteFile, final: Path, record: dict | None, lock: Lockfile) -> FileOutcome | None:
        """A verified file already in the cache, or None. A file with no record is hashed and verified now."""
        if not final.is_file():
            return None
        size = final.stat().st_size
        if (
            record
            and record.get("size") == size
            and (rf.size is None or rf.size == size)
            and all(record.get(alg) in (None, value) for alg, value, _ in rf.expected())
        ):
            return FileOutcome(
                rf.name,
                final,
                size,
                FileStatus.CACHED,
                record.get("sha256"),
                record.get("trust"),
                record.get("verified_by", []),
                0,
                record.get("url"),
                rf.host,
            )
        digests = hash_file(final, {alg for alg, _, _ in rf.expected()})
        try:
            trust, verified_by = self._verify(rf, final, size, digests, record)
        except ChecksumMismatch as exc:
            self.reporter.message(
                f"{rf.name}: the cached copy does not verify ({exc.algorithm}); downloading again", "warning"
            )
            return None
        lock.record(
            rf.name,
            sha256=digests["sha256"],
            size=size,
            trust=trust,
            verified_by=verified_by,
            host=rf.host,
            url=(record or {}).get("url"),
            origin="cache",
            md5=digests.get("md5"),
        )
        return FileOutcome(
            rf.name, final, size, FileStatus.CACHED, digests["sha256"], trust, verified_by, 0, None, rf.host
        )

    def _verify(
        self,
        rf: RemoteFile | None,
        path: Path,
        size: int,
        digests: dict[str, str],
        record: dict | None,
        name: str | None = None,
        declared: dict[str, str] | None = None,
        given: Path | None = None,
    ) -> tuple[str, list[str]]:
        """Check ``path`` against every known checksum; returns (trust, what verified it). On a mismatch the file is
        moved to ``rejected/`` and ``ChecksumMismatch`` is raised (unless --skip-verify)."""
        name = name or (rf.name if rf else path.name)
        expected = (
            list(rf.expected())
            if rf
            else [(a, v, "the entry's declared checksum") for a, v in (declared or {}).items()]
        )
        if record and record.get("sha256") and not record.get("unverified"):
            expected.append(("sha256", record["sha256"], f"the lock file, recorded {record.get('first_seen', '')}"))
        if self.skip_verify:
            self.reporter.message(f"{name}: verification skipped (--skip-verify); recorded as unverified", "warning")
            return "unverified", []
        mismatch = first_mismatch(digests, expected)
        if mismatch is None and rf is not None and rf.size is not None and rf.size != size:
            mismatch = ("size", str(rf.size), rf.checksum_origin or f"{rf.host} api", str(size))
        if mismatch is not None:
            alg, want, origin, got = mismatch
            kept = self._reject(path, name)
            raise ChecksumMismatch(name, alg, want, got, origin, kept, given)
        verified_by = sorted({f"{alg} ({origin})" for alg, _, origin in expected})
        if rf and rf.checksums:
            trust = "host"
        elif (rf and rf.declared) or declared:
            trust = "entry"
        elif record and record.get("sha256") and not record.get("unverified"):
            trust = "lock"
        else:
            trust = "tofu"
            verified_by = ["sha256 recorded on first download (trust on first use)"]
        return trust, verified_by

    def _reject(self, path: Path, name: str) -> Path:
        rejected = self.layout.rejected(self.id, self.version) / name
        rejected.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, rejected)
        return rejected

    # -- --from-file -------------------------------------------------------------------------------------------
    def ingest(self, paths: list[Path], lock: Lockfile) -> list[FileOutcome]:
        declared: dict[str, dict[str, str]] = {}
        for source in _sources_of(self.entry):
            for f in source.files:
                sums = {alg: v for alg, v in (("md5", f.md5), ("sha256", f.sha256)) if v}
                declared[f.name] = sums
                declared.setdefault(Path(f.name).name, sums)
        outcomes = []
        files = [f for s in _sources_of(self.entry) for f in s.files]
        given = match_declared(expand(paths), files, self.reporter.message)
        check_copy_space([src for src, _ in given], self.downloads)
        for src, name in given:
            final = self.downloads / name
            part = final.with_name(final.name + ".part")
            place(src, part)
            sums = declared.get(name) or declared.get(Path(name).name) or {}
            digests = hash_file(part, sums)
            size = part.stat().st_size
            trust, verified_by = self._verify(
                None, part, size, digests, lock.get(name), name=name, declared=sums, given=src
            )
            os.replace(part, final)
            lock.record(
                name,
                sha256=digests["sha256"],
                size=size,
                trust=trust,
                verified_by=verified_by,
                host="from-file",
                url=None,
                origin=f"from-file:{src}",
                md5=digests.get("md5"),
                save=False,
            )
            outcomes.append(
                FileOutcome(
                    name, final, size, FileStatus.INGESTED, digests["sha256"], trust, verified_by, 0, None, "from-file"
                )
            )
            self.reporter.file_done(
                name, FileStatus.INGESTED, {"size": size, "sha256": digests["sha256"], "trust": trust}
            )
        lock.save()
        return outcomes

    # -- after the transfer ------------------------------------------------------------------------------------
    def source_tree(self, lock: Lockfile) -> Path | None:
        files = {name: rec["sha256"] for name, rec in lock.files.items() if (self.downloads / name).is_file()}
        if not files:
            return None
        target = self.dest or self.layout.sources(self.id, self.version)
        state = target.parent / f".{target.name}.state.json"
        limits = Limits(self.settings.extract_max_bytes, self.settings.extract_max_ratio)
        tree, rebuilt = build(
            self.downloads,
            files,
            target,
            state,
            limits,
            on_archive=lambda name: self.reporter.message(f"extracting {name}"),
        )
        if not rebuilt:
            self.reporter.message(f"source tree up to date: {tree}")
        return tree


def fetch_dataset(
    entry: Entry,
    *,
    home: Path | None = None,
    version: str | None = None,
    dest: Path | None = None,
    jobs: int = 4,
    mirror: str | None = None,
    from_files: list[Path] | None = None,
    skip_verify: bool = False,
    dry_run: bool = False,
    reporter: Reporter | None = None,
    settings: FetchSettings | None = None,
) -> FetchResult:
    """Fetch one dataset (or a model's weights): download or ingest, verify, and build the source tree. It never
    converts: ``registry.pipeline.fetch_and_convert`` does that once this returns and the fetch lock is released.

    Raises ``ManualDownloadRequired`` (with instructions) when a source needs a person and no ``from_files`` were
    given, ``ChecksumMismatch`` when bytes do not verify, ``UnsafeArchive`` for hostile archives, and other
    ``FetchError``s with what to do next.
    """
    home = Path(home) if home else usreg_home()
    if not dry_run:  # a home that cannot be written is said before any download, not as a failed write after it
        check_writable(home)
    version = pick_version(entry, version)
    reporter = reporter or Reporter()
    settings = settings or FetchSettings.from_env()
    mirror = (mirror or mirror_from_env() or "").rstrip("/") or None
    if mirror:
        check_url("--mirror (USREG_MIRROR)", mirror)
    run = _Run(entry, home, version, Path(dest) if dest else None, jobs, mirror, skip_verify, reporter, settings)
    paths = [Path(p) for p in from_files or []]
    try:
        return _fetch(run, paths, dry_run, jobs)
    except UsregError as exc:  # credentials in --mirror URLs and signed URLs never reach the terminal or a log
        raise redact_error(exc) from exc.__cause__
    except OSError as exc:  # disk full, permissions: say where, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        error = FetchError(
            f"{run.id}: cannot write the fetched data: {exc.strerror or exc}{where}",
            hint=f"check free space and permissions under {run.dest or home}, or "
            + ("give another --dest" if run.dest else "set USREG_HOME elsewhere"),
        )
        error.exit_code = EXIT_ENVIRONMENT  # the disk refused (full, read-only, forbidden): not a finding
        raise error from None


def _fetch(run: _Run, paths: list[Path], dry_run: bool, jobs: int) -> FetchResult:
    entry, version, reporter, settings = run.entry, run.version, run.reporter, run.settings
    if paths and dry_run:
        return _dry_run_files(run, paths)
    if run.dest:
        check_outside_cache(run.dest, run.layout.home)
    if paths:
        expand(paths)  # bad paths are a usage error before any network traffic
        if run.dest:
            check_apart(paths, run.dest)
    with HttpClient(settings, max_connections=max(4, 2 * jobs + 2)) as client:
        cached = Lockfile.load(run.downloads, run.id, version) if run.downloads.exists() else None
        plan = run.plan(client, cached, lenient=bool(paths), dry_run=dry_run)
        reporter.plan(plan)
        if dry_run:
            return _dry_run(run, plan, client)
        if not plan.files and not paths and not (cached and _satisfied(plan.manual, cached)):
            raise ManualDownloadRequired(
                f"{run.id} must be downloaded by hand\n" + manual_host.render(run.id, plan.manual)
            )
        with _dataset_lock(run):
            lock = Lockfile.load(run.downloads, run.id, version)
            ingested = run.ingest(paths, lock) if paths else []
            if ingested and plan.files:
                plan.files = _left_to_download(run, plan.files, ingested, lock)
            if plan.files:
                check_download_space(plan.files, run.downloads)
            outcomes = run.download_all(client, plan, lock) if plan.files else []
            for index in sorted({f.source_index for f in plan.files}):
                source = _sources_of(entry)[index]
                lock.record_source(
                    index, source.kind, source.id, [f.name for f in plan.files if f.source_index == index]
                )
            if paths:
                for missing in _missing(plan.manual, lock):
                    reporter.message(
                        f"the entry lists {missing!r} for a manual source, but it was not given with "
                        "--from-file; the loader may need it",
                        "warning",
                    )
            elif plan.manual and not _satisfied(plan.manual, lock):
                raise ManualDownloadRequired(
                    f"{run.id}: {len(outcomes)} file(s) downloaded to {run.downloads}, but other sources must be "
                    "downloaded by hand\n" + manual_host.render(run.id, plan.manual)
                )
            files = ingested + outcomes
            known = {f.name for f in files}
            earlier = [
                FileOutcome(
                    name,
                    run.downloads / name,
                    rec.get("size"),
                    FileStatus.CACHED,
                    rec.get("sha256"),
                    rec.get("trust"),
                    rec.get("verified_by", []),
                    0,
                    rec.get("url"),
                    rec.get("host"),
                )
                for name, rec in sorted(lock.present().items())
                if name not in known
            ]
            if earlier and not files:
                reporter.message(f"using {len(earlier)} file(s) already in the cache")
            result = FetchResult(run.id, version, run.downloads, None, plan, files + earlier, plan.manual)
            return _finish(run, lock, result)


def _left_to_download(run: _Run, planned: list, ingested: list[FileOutcome], lock: Lockfile) -> list:
    """The planned files still to download after --from-file. Given files that all stand for planned or declared
    files leave the others to download (a user gave part of the record by hand). A given file that is none of them
    means the data came in another form (an unpacked copy, another mirror's packaging): downloading the record as
    well would convert the data twice, so nothing more is downloaded and the user is told how to get the record."""
    names = {f.name for f in planned} | {f.name for s in _sources_of(run.entry) for f in s.files}
    names |= {n.rsplit("/", 1)[-1] for n in names}
    other = [o.name for o in ingested if o.name not in names and o.name.rsplit("/", 1)[-1] not in names]
    given = {o.name for o in ingested} | {o.name.rsplit("/", 1)[-1] for o in ingested}
    planned = [f for f in planned if f.name not in given]  # listed once, as ingested (also from a subfolder)
    if not other:
        return planned
    present = lock.present()
    skipped = [f.name for f in planned if f.name not in present]
    if skipped:
        shown = ", ".join(skipped[:3]) + (f" and {len(skipped) - 3} more" if len(skipped) > 3 else "")
        run.reporter.message(
            f"not downloading {shown}: the {len(other)} file(s) given with --from-file (e.g. {other[0]}) are not "
            "the files the host lists, so they are taken as the data in another form (an unpacked copy); to fetch "
            f"the host's files instead, run `usreg cache clean {run.id}`, then `usreg fetch {run.id}`",
            "warning",
        )
    return [f for f in planned if f.name in present]


def _stored_url(requested: str, final: str) -> str:
    """The URL recorded for a download: no credentials, and a redirect target (often a signed storage URL, as on
    Kaggle) without its query."""
    if final != requested:
        final = final.split("?", 1)[0]
    return redact_url(final)


def _missing(steps: list[ManualStep], lock: Lockfile) -> list[str]:
    present = lock.present()
    names = set(present) | {Path(n).name for n in present}
    return [
        f["name"] for step in steps for f in step.files if f["name"] not in names and Path(f["name"]).name not in names
    ]


def _satisfied(steps: list[ManualStep], lock: Lockfile) -> bool:
    """Whether files given with --from-file (now or in an earlier run) cover every manual step."""
    present = lock.present()
    names = set(present) | {Path(n).name for n in present}
    by_hand = any(str(r.get("origin", "")).startswith("from-file") for r in present.values())
    for step in steps:
        wanted = [f["name"] for f in step.files]
        if wanted and not all(w in names or Path(w).name in names for w in wanted):
            return False
        if not wanted and not by_hand:
            return False
    return True


def _dry_run_files(run: _Run, paths: list[Path]) -> FetchResult:
    plan = run.plan(None)
    declared = [f for s in _sources_of(run.entry) for f in s.files]
    files = [
        FileOutcome(name, run.downloads / name, src.stat().st_size, "ingest", host="from-file")
        for src, name in match_declared(expand(paths), declared, run.reporter.message)
    ]
    return FetchResult(
        run.id,
        run.version,
        run.downloads,
        None,
        plan,
        files,
        plan.manual,
        dry_run=True,
        message=f"would ingest {len(files)} file(s) into {run.downloads}",
    )


def _finish(run: _Run, lock: Lockfile, result: FetchResult) -> FetchResult:
    source_dir = run.source_tree(lock)
    result.source_dir = source_dir
    if source_dir is None:
        result.message = f"nothing was downloaded for {run.id}"
        return result
    result.message = f"{run.id} is fetched and verified; its files are in {source_dir}"
    return result


def _dry_run(run: _Run, plan: FetchPlan, client: HttpClient) -> FetchResult:
    lock = Lockfile.load(run.downloads, run.id, run.version) if run.downloads.exists() else None
    files = []
    for rf in plan.files:
        if rf.size is None and rf.candidates[0].label != "entry":  # "entry": the host could not be reached
            host_urls = [c for c in rf.candidates if c.label == "host"] or rf.candidates
            rf.size = client.probe_size(host_urls[0])
        final = run.downloads / rf.name
        part = final.with_name(final.name + ".part")
        status: FileStatus | str
        if final.is_file() and lock and lock.get(rf.name):
            status = FileStatus.CACHED
        elif part.is_file():
            status = f"resume from {part.stat().st_size}"
        else:
            status = FileStatus.DOWNLOAD
        files.append(FileOutcome(rf.name, final, rf.size, status, url=redact_url(rf.candidates[0].url), host=rf.host))
    total = plan.total_size
    unlisted = f" and every file of {len(plan.unlisted)} source(s) the entry does not list" if plan.unlisted else ""
    if total is not None:
        size = f"{total:,} bytes"
    else:
        size = "size unknown" if unlisted and not plan.files else "size partly unknown"
    message = f"would fetch {len(plan.files)} file(s){unlisted}, {size} into {run.downloads}"
    if plan.notes:
        message += "\nplanned from the entry: " + "\n  ".join(plan.notes)
    return FetchResult(
        run.id, run.version, run.downloads, None, plan, files, plan.manual, message=message, dry_run=True
    )


class _dataset_lock:
    """The per-dataset file lock; says so when another fetch holds it, then waits."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.lock = run.layout.dataset_lock(run.id, run.version)

    def __enter__(self) -> None:
        try:
            self.lock.acquire(timeout=0)
            return
        except Timeout:
            pass
        path = self.run.layout.lock_path(self.run.id, self.run.version)
        self.run.reporter.message(
            f"another usreg fetch of {self.run.id} {self.run.version} is running "
            f"(lock {path}); waiting for it to finish"
        )
        try:
            self.lock.acquire(timeout=self.run.settings.lock_timeout)
        except Timeout:
            raise FetchError(
                f"timed out waiting for another fetch of {self.run.id} (lock {path})",
                hint="wait for it to finish, or raise USREG_LOCK_TIMEOUT",
            ) from None

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


__all__ = ["FetchInterrupted", "FetchResult", "FileOutcome", "fetch_dataset", "pick_version"]
