"""Offline verification: every claim that can be checked from the entry and the catalog, without the network."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import ClassVar

from registry.schema import Dataset, Entry, Model, Source
from registry.schema.types import ARXIV_PATTERN, DOI_PATTERN, is_spdx
from registry.schema.vocab import OPEN_FORMATS

from ..evidence import EvidenceContext, Outcome, Verification

CHECKSUM_HOSTS = {
    "zenodo": "Zenodo publishes an md5 per file",
    "figshare": "figshare publishes computed_md5 per file",
    "mendeley": "Mendeley Data publishes sha256_hash per file",
    "huggingface": "Hugging Face publishes the sha256 of each LFS file",
}
DATA_REPOSITORY_PREFIXES = {
    "10.13026": "PhysioNet",
    "10.17632": "Mendeley Data",
    "10.5281": "Zenodo",
    "10.6084": "figshare",
    "10.5061": "Dryad",
    "10.7910": "Harvard Dataverse",
    "10.7937": "The Cancer Imaging Archive",
    "10.34740": "Kaggle",
    "10.57967": "Hugging Face",
    "10.17605": "OSF",
}
"""DOI registrant prefixes of data repositories (each prefix is the repository's own, as its DOIs show)."""
_DOI = re.compile(DOI_PATTERN)
_ARXIV = re.compile(ARXIV_PATTERN)


class OfflineProvider:
    """Checks that need nothing but the entry and the catalog."""

    name = "offline"
    keys: ClassVar[dict[str, str]] = {
        "offline:dataset-doi": "the dataset DOI is a well-formed DOI and is not the paper's DOI",
        "offline:citation": "a publication carries a well-formed DOI or arXiv id",
        "offline:spdx": "a stated licence is a valid SPDX licence id",
        "offline:checksums": "file checksums are declared in the entry or published by the host",
        "offline:open-formats": "every declared file format is an open format",
        "offline:used-by-model": "a registry model is trained or evaluated on the dataset",
        "offline:cross-references": "every related entry the dataset names is in the registry",
        "offline:archive-doi": "the archived release DOI is well-formed and is not the paper's DOI",
        "offline:trained-on-registry": "every training dataset the model names is a registry entry",
        "offline:evaluated-on-registry": "every evaluation dataset the model names is a registry entry",
        "offline:external-validation": "the model is evaluated on a registry dataset it was not trained on",
    }
    form_keys: ClassVar[frozenset[str]] = frozenset(
        {"offline:dataset-doi", "offline:citation", "offline:checksums", "offline:open-formats", "offline:archive-doi"}
    )

    def verify(self, entry: Entry, kind: str, context: EvidenceContext) -> Iterable[Verification]:
        results = (
            [check(entry, context) for check in _DATASET_CHECKS]
            if isinstance(entry, Dataset)
            else [check(entry, context) for check in _MODEL_CHECKS]
        )
        for result in results:
            if result is not None:
                key, outcome, detail = result
                yield Verification(key=key, outcome=outcome, detail=detail, source=self.name)


Result = tuple[str, Outcome, str] | None


def _paper_dois(entry: Entry) -> set[str]:
    return {p.doi.lower() for p in entry.publications if p.doi}


def is_data_record_doi(doi: str) -> bool:
    """Whether ``doi`` was minted by a data repository (its registrant prefix), so it names a data record."""
    return doi.lower().split("/", 1)[0] in DATA_REPOSITORY_PREFIXES


def _doi_check(key: str, doi: str | None, entry: Entry, what: str) -> Result:
    """Only the form of a DOI can be checked offline: a good one is well-formed, never verified."""
    if not doi:
        return None
    if not _DOI.match(doi):
        return key, "contradicted", f"{doi!r} is not a DOI (10.<prefix>/<suffix>)"
    if doi.lower() in _paper_dois(entry):
        if is_data_record_doi(doi):
            # PhysioNet, Mendeley Data, Zenodo ... ask users to cite the data record itself: the "publication" that
            # carries this DOI is the record, not a paper, so the two agree rather than conflict
            return key, "well-formed", f"{doi} is a data repository's DOI; the publication listed is the data record"
        return key, "contradicted", f"the {what} DOI {doi} is the DOI of a publication, not of the {what} itself"
    return key, "well-formed", f"{doi} is a well-formed DOI, distinct from the paper DOIs (its metadata not fetched)"


def dataset_doi(entry: Dataset, context: EvidenceContext) -> Result:
    return _doi_check("offline:dataset-doi", entry.dataset_doi, entry, "data")


def archive_doi(entry: Model, context: EvidenceContext) -> Result:
    return _doi_check("offline:archive-doi", entry.archive_doi, entry, "archived release")


def citation(entry: Entry, context: EvidenceContext) -> Result:
    for pub in entry.publications:
        if pub.doi and _DOI.match(pub.doi):
            return "offline:citation", "well-formed", f"citable publication: doi {pub.doi} (syntax checked)"
        if pub.arxiv and _ARXIV.match(pub.arxiv):
            return "offline:citation", "well-formed", f"citable publication: arXiv {pub.arxiv} (syntax checked)"
    return None


def _licences(entry: Entry, kind: str) -> list[str]:
    if isinstance(entry, Dataset):
        return [entry.license] if entry.license else []
    found = [entry.weights_license] if entry.weights_license else []
    if entry.code and entry.code.license:
        found.append(entry.code.license)
    return found


def spdx(entry: Entry, context: EvidenceContext, kind: str) -> Result:
    stated = _licences(entry, kind)
    valid = [lic for lic in stated if is_spdx(lic)]
    if valid:
        return "offline:spdx", "verified", "SPDX licence id: " + ", ".join(valid)
    return None


def dataset_spdx(entry: Entry, context: EvidenceContext) -> Result:
    return spdx(entry, context, "dataset")


def model_spdx(entry: Entry, context: EvidenceContext) -> Result:
    return spdx(entry, context, "model")


def _source_checksums(sources: list[Source]) -> str | None:
    """Why the files of one of ``sources`` can be verified on download, or None."""
    for source in sources:
        if source.kind in CHECKSUM_HOSTS:
            return CHECKSUM_HOSTS[source.kind]
        if source.files and all(f.md5 or f.sha256 for f in source.files):
            return f"every file of the {source.kind} source declares a checksum"
    return None


def _checksum_conflicts(sources: list[Source]) -> list[str]:
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    conflicts = []
    for source in sources:
        for f in source.files:
            for algo in ("md5", "sha256"):
                value = getattr(f, algo)
                if not value:
                    continue
                earlier = seen.setdefault((f.name, algo), (value, source.kind))
                if earlier[0] != value:
                    conflicts.append(f"{f.name}: two different {algo} values ({earlier[1]} and {source.kind} sources)")
    return conflicts


def dataset_checksums(entry: Dataset, context: EvidenceContext) -> Result:
    conflicts = _checksum_conflicts(entry.sources)
    if conflicts:
        return "offline:checksums", "contradicted", "; ".join(conflicts)
    why = _source_checksums(entry.sources)
    return ("offline:checksums", "well-formed", why + " (not yet compared with downloaded bytes)") if why else None


def model_checksums(entry: Model, context: EvidenceContext) -> Result:
    """A declared sha256 is a claim about bytes nobody has hashed here: well-formed, never verified."""
    for w in entry.weights:
        if w.sha256:
            return "offline:checksums", "well-formed", f"the {w.format} weights declare a sha256 (not compared)"
    why = _source_checksums([w.source for w in entry.weights])
    return ("offline:checksums", "well-formed", why + " (not yet compared with downloaded bytes)") if why else None


def open_formats(entry: Dataset, context: EvidenceContext) -> Result:
    if entry.formats and all(f in OPEN_FORMATS for f in entry.formats):
        return "offline:open-formats", "well-formed", "declared open formats: " + ", ".join(entry.formats)
    return None


def used_by_model(entry: Dataset, context: EvidenceContext) -> Result:
    users = context.view.models_by_dataset.get(entry.id, [])
    if users:
        names = ", ".join(sorted(m.id for m in users)[:5])
        return "offline:used-by-model", "verified", f"used by registry model(s): {names}"
    return None


def cross_references(entry: Dataset, context: EvidenceContext) -> Result:
    rel = entry.relations
    refs = [*rel.family, *rel.derived_from, *rel.members]
    if not refs:
        return None
    known = context.view.datasets()
    missing = [r for r in refs if r not in known or r == entry.id]
    if missing:
        return "offline:cross-references", "contradicted", "not registry datasets: " + ", ".join(missing)
    return "offline:cross-references", "verified", f"{len(refs)} related entr{'y' if len(refs) == 1 else 'ies'} found"


def _registry_refs(key: str, ids: list[str], context: EvidenceContext, what: str) -> Result:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return None
    known = context.view.datasets()
    missing = [i for i in ids if i not in known]
    if missing:
        return key, "contradicted", f"{what} dataset(s) not in the registry: " + ", ".join(missing)
    return key, "verified", f"{what} on registry dataset(s): " + ", ".join(ids)


def trained_on_registry(entry: Model, context: EvidenceContext) -> Result:
    return _registry_refs("offline:trained-on-registry", entry.trained_on, context, "trained")


def evaluated_on_registry(entry: Model, context: EvidenceContext) -> Result:
    ids = [*entry.evaluated_on, *(m.dataset for m in entry.metrics if m.dataset)]
    return _registry_refs("offline:evaluated-on-registry", ids, context, "evaluated")


def external_validation(entry: Model, context: EvidenceContext) -> Result:
    known = context.view.datasets()
    evaluated = {*entry.evaluated_on, *(m.dataset for m in entry.metrics if m.dataset)}
    external = sorted(d for d in evaluated - set(entry.trained_on) if d in known)
    if entry.trained_on and external:
        return (
            "offline:external-validation",
            "verified",
            "evaluated on datasets not used in training: " + ", ".join(external),
        )
    return None


_DATASET_CHECKS: tuple[Callable[[Dataset, EvidenceContext], Result], ...] = (
    dataset_doi,
    citation,
    dataset_spdx,
    dataset_checksums,
    open_formats,
    used_by_model,
    cross_references,
)
_MODEL_CHECKS: tuple[Callable[[Model, EvidenceContext], Result], ...] = (
    archive_doi,
    citation,
    model_spdx,
    model_checksums,
    trained_on_registry,
    evaluated_on_registry,
    external_validation,
)
