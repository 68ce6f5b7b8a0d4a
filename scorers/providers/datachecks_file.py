"""Data-derived evidence: the ``checks.json`` written when a dataset is fetched and converted (verification level V2).

The file lives at ``$USREG_HOME/datasets/<id>/<version>/checks.json`` and follows
``registry/formats/checks_contract.md``. A check with status ``pass`` verifies the claims it covers, ``fail``
contradicts them (and the rubric caps the tier at silver); ``warn``, ``info`` and ``skipped`` neither verify nor
contradict. A few verifications are derived from the checks (subject ids present, official split used, Croissant
metadata written) and, for models, from the checks of the datasets they were trained and evaluated on.

Checks run on unverified bytes never count: when the conversion's ``metadata.json`` beside ``checks.json`` shows that
the source files were not verified against a host's or the entry's checksum (trust on first use, ``--skip-verify``,
``--from-file`` without a checksum, or no fetch lock at all), the file yields no verification.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from registry.checks.status import CheckStatus
from registry.schema import Dataset, Entry, Model

from ..evidence import EvidenceContext, EvidenceError, Outcome, Verification

SCHEMA_PREFIX = "usreg-checks/"
STATUSES = frozenset(CheckStatus)
CONTRACT_CHECKS = {
    "loader_runs": "the converter ran over the fetched data",
    "counts_match": "the declared counts match the fetched data",
    "sizes_agree": "images and masks have the same sizes",
    "mask_values_in_class_map": "every mask value is a declared class",
    "subject_leakage": "no subject appears in two splits",
    "near_duplicates": "few exact or near duplicates across splits (perceptual hashes)",
    "dicom_phi": "no patient identifiers in DICOM headers",
    "burned_in_annotations": "no burned-in calipers or annotations flagged",
}


@dataclass(frozen=True)
class ChecksFile:
    path: Path
    created: str
    checks: dict[str, dict[str, Any]]
    trust: str | None = None  # the fetch lock's weakest trust level; None: no conversion record beside the file

    def status(self, name: str) -> str | None:
        check = self.checks.get(name)
        return check["status"] if check else None

    def summary(self, name: str) -> str:
        check = self.checks.get(name) or {}
        return str(check.get("summary") or "").strip()


def read_checks_file(path: Path, dataset_id: str) -> ChecksFile:
    """Parse and validate one checks.json; raises EvidenceError saying what is wrong and where."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); re-run the data checks") from None
    if not isinstance(data, dict):
        raise EvidenceError(f"{path}: expected a JSON object")
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        raise EvidenceError(f"{path}: 'schema' is {schema!r}, expected '{SCHEMA_PREFIX}1'")
    if data.get("dataset") not in (None, dataset_id):
        raise EvidenceError(f"{path}: written for dataset {data.get('dataset')!r}, not {dataset_id!r}")
    items = data.get("checks")
    if not isinstance(items, list):
        raise EvidenceError(f"{path}: 'checks' must be a list")
    checks: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise EvidenceError(f"{path}: checks[{i}] needs a 'name'")
        if item.get("status") not in STATUSES:
            raise EvidenceError(
                f"{path}: checks[{i}] ({item['name']}) has status {item.get('status')!r}; "
                f"expected one of {', '.join(sorted(STATUSES))}"
            )
        checks[item["name"]] = item
    return ChecksFile(
        path=path, created=str(data.get("created") or ""), checks=checks, trust=_source_trust(path.parent)
    )


def _source_trust(directory: Path) -> str | None:
    """The trust level of the bytes a conversion read, from its metadata.json (None when there is none)."""
    path = directory / "metadata.json"
    if not path.is_file():
        return None
    # deferred: importing the fetch package brings its HTTP stack, which scoring needs only when data was fetched
    from registry.fetch.lockfile import UNVERIFIED, lock_trust

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return UNVERIFIED
    source = data.get("source") if isinstance(data, dict) else None
    return lock_trust(source.get("lock") if isinstance(source, dict) else None)


class DataChecksProvider:
    """Reads checks.json files under ``home`` (normally ``$USREG_HOME``)."""

    name = "data-checks"
    keys: ClassVar[dict[str, str]] = {
        **{f"checks:{name}": what for name, what in CONTRACT_CHECKS.items()},
        "checks:subject-ids": "the fetched data identifies the subject of each sample",
        "checks:official-split": "the conversion used the dataset's official split",
        "checks:croissant": "the conversion ran and wrote Croissant metadata",
        "checks:datasets-subject-leakage": "no subject leaks across splits in the model's registry datasets",
    }

    def __init__(self, home: Path, include_unverified: bool = False) -> None:
        """``include_unverified``: also count checks on unverified bytes (``usreg score --local`` only; such scores
        are shown as local and never stored or published)."""
        self.home = Path(home)
        self.include_unverified = include_unverified
        base = self.home / "datasets"
        self._ids = {p.name for p in base.iterdir() if p.is_dir()} if base.is_dir() else set()
        self._cache: dict[str, ChecksFile | EvidenceError | None] = {}

    def locate(self, dataset: Dataset) -> Path | None:
        """The checks.json of the dataset's version; without a version, the most recent one present."""
        if dataset.id not in self._ids:
            return None
        base = self.home / "datasets" / dataset.id
        if dataset.version:
            path = base / dataset.version / "checks.json"
            return path if path.is_file() else None
        found = sorted(base.glob("*/checks.json"))
        if len(found) <= 1:
            return found[0] if found else None
        return max(found, key=lambda p: (_created(p), p.parent.name))

    def load(self, dataset: Dataset) -> ChecksFile | None:
        if dataset.id not in self._cache:
            path = self.locate(dataset)
            try:
                self._cache[dataset.id] = read_checks_file(path, dataset.id) if path else None
            except EvidenceError as exc:
                self._cache[dataset.id] = exc
        cached = self._cache[dataset.id]
        if isinstance(cached, EvidenceError):
            raise cached
        return cached

    def verify(self, entry: Entry, kind: str, context: EvidenceContext) -> Iterable[Verification]:
        if isinstance(entry, Model):
            return self._model(entry, context)
        found = self.load(entry)
        return self._dataset(entry, found) if found and self._usable(found) else []

    def _usable(self, found: ChecksFile) -> bool:
        from registry.fetch.lockfile import UNVERIFIED

        return self.include_unverified or found.trust != UNVERIFIED

    def _dataset(self, entry: Dataset, found: ChecksFile) -> list[Verification]:
        out = []
        where = f"{found.path.parent.name}/checks.json"
        for name, check in sorted(found.checks.items()):
            status = check["status"]
            if status in (CheckStatus.PASS, CheckStatus.FAIL):
                outcome: Outcome = "verified" if status == CheckStatus.PASS else "contradicted"
                summary = found.summary(name)
                detail = f"{name}: {status}" + (f" ({summary})" if summary else "") + f" [{where}]"
                out.append(Verification(f"checks:{name}", outcome, detail, self.name))
        if found.status("subject_leakage") in (CheckStatus.PASS, CheckStatus.FAIL):
            out.append(
                Verification(
                    "checks:subject-ids", "verified", f"the converted data carries subject ids [{where}]", self.name
                )
            )
        split = found.checks.get("split_kind", {}).get("details", {}) or {}
        if isinstance(split, dict) and split.get("kind") == "official":
            out.append(
                Verification(
                    "checks:official-split", "verified", f"the conversion used the official split [{where}]", self.name
                )
            )
        if found.status("loader_runs") == CheckStatus.PASS and (found.path.parent / "croissant.json").is_file():
            out.append(
                Verification(
                    "checks:croissant", "verified", f"Croissant metadata written by the conversion [{where}]", self.name
                )
            )
        return out

    def _model(self, entry: Model, context: EvidenceContext) -> list[Verification]:
        known = context.view.datasets()
        ids = [i for i in dict.fromkeys([*entry.trained_on, *entry.evaluated_on]) if i in known]
        if not ids:
            return []
        statuses = {}
        for dataset_id in ids:
            try:
                found = self.load(known[dataset_id])
            except EvidenceError:
                found = None
            usable = found is not None and self._usable(found)
            statuses[dataset_id] = found.status("subject_leakage") if found is not None and usable else None
        leaking = sorted(i for i, s in statuses.items() if s == CheckStatus.FAIL)
        if leaking:
            return [
                Verification(
                    "checks:datasets-subject-leakage",
                    "contradicted",
                    "subject leakage across splits in: " + ", ".join(leaking),
                    self.name,
                )
            ]
        if all(s == CheckStatus.PASS for s in statuses.values()):
            return [
                Verification(
                    "checks:datasets-subject-leakage", "verified", "no subject leakage in: " + ", ".join(ids), self.name
                )
            ]
        return []


def _created(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data.get("created") or "") if isinstance(data, dict) else ""
    except (OSError, ValueError):
        return ""
