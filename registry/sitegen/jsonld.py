"""schema.org ``Dataset`` JSON-LD for dataset pages, following Google's Dataset structured-data guidelines.

- ``name`` and ``description`` (required; a description under 50 characters is completed from the entry's facts);
- ``creator``: one Person or Organization item per author of the descriptor publication;
- ``temporalCoverage``: the acquisition period as an ISO 8601 date or interval (never the publication year);
- ``identifier`` and ``sameAs``: the dataset DOI as a https://doi.org/ URL;
- ``distribution``: only files with a direct download URL, each with a real media type;
- ``isAccessibleForFree``: true (the catalog lists public data; registration or a request is not a payment);
- ``license``: the SPDX licence page, or the entry's licence URL, when known.
"""

from __future__ import annotations

import re
from typing import Any

from ..schema import Dataset
from ..schema.types import country_name, is_spdx
from .html import safe_url

MIN_DESCRIPTION = 50
MAX_DESCRIPTION = 5000
MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_DATE = re.compile(
    r"(?:\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?\b((?:19|20)\d{2})(?:-(0[1-9]|1[0-2])\b)?",
    re.I,
)
MEDIA_TYPES = [
    (".tar.gz", "application/gzip"),
    (".tgz", "application/gzip"),
    (".nii.gz", "application/gzip"),
    (".gz", "application/gzip"),
    (".zip", "application/zip"),
    (".tar", "application/x-tar"),
    (".7z", "application/x-7z-compressed"),
    (".rar", "application/vnd.rar"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".bmp", "image/bmp"),
    (".tif", "image/tiff"),
    (".tiff", "image/tiff"),
    (".dcm", "application/dicom"),
    (".csv", "text/csv"),
    (".json", "application/json"),
    (".xml", "application/xml"),
    (".h5", "application/x-hdf5"),
    (".hdf5", "application/x-hdf5"),
    (".mp4", "video/mp4"),
    (".avi", "video/x-msvideo"),
    (".pdf", "application/pdf"),
]


def temporal_coverage(period: str | None) -> str | None:
    """'October 2018 - April 2019' -> '2018-10/2019-04'; '2016-2021' -> '2016/2021'; '2019' -> '2019'."""
    if not period:
        return None
    dates = []
    for month_name, year, month_num in _DATE.findall(period):
        month = MONTHS.get(month_name[:3].lower()) if month_name else (int(month_num) if month_num else None)
        dates.append(f"{year}-{month:02d}" if month else year)
    if not dates:
        return None
    return dates[0] if len(dates) == 1 or dates[0] == dates[-1] else f"{dates[0]}/{dates[-1]}"


def media_type(name: str) -> str | None:
    lower = name.lower().split("?", 1)[0]
    return next((kind for suffix, kind in MEDIA_TYPES if lower.endswith(suffix)), None)


def creators(entry: Dataset) -> list[dict[str, Any]]:
    """The authors of the descriptor publication (else the first with authors) as Person/Organization items."""
    pubs = [p for p in entry.publications if getattr(p, "authors", None)]
    pub = next((p for p in pubs if str(p.role) == "descriptor"), pubs[0] if pubs else None)
    if pub is None:
        return []
    out = []
    for author in pub.authors:
        if author.name:
            out.append({"@type": "Organization", "name": author.name})
            continue
        person: dict[str, Any] = {
            "@type": "Person",
            "name": " ".join(x for x in (author.given, author.family) if x),
            "familyName": author.family,
        }
        if author.given:
            person["givenName"] = author.given
        if author.orcid:
            person["sameAs"] = f"https://orcid.org/{author.orcid}"
        out.append(person)
    return out


def _description(entry: Dataset) -> str:
    text = " ".join((entry.description or "").split())
    if len(text) < MIN_DESCRIPTION:
        facts = f"Ultrasound dataset ({', '.join(entry.anatomy)})"
        if entry.tasks:
            facts += f" for {', '.join(entry.tasks)}"
        text = f"{text} {entry.name}. {facts}, listed in the usreg registry of ultrasound datasets.".strip()
    return text[:MAX_DESCRIPTION]


def downloads(entry: Dataset) -> list[dict[str, Any]]:
    """Direct file downloads only (landing pages and manual hosts are not distributions)."""
    from ..fetch.hosts import MANUAL_KINDS

    out = []
    for source in entry.sources:
        if source.kind in MANUAL_KINDS:
            continue
        for item in source.files:
            url = safe_url(item.url)
            kind = media_type(item.name) or (media_type(url) if url else None)
            if url and kind:
                out.append({"@type": "DataDownload", "name": item.name, "contentUrl": url, "encodingFormat": kind})
    return out[:20]


def dataset_jsonld(entry: Dataset, score: dict[str, Any] | None = None, page_url: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": entry.name,
        "description": _description(entry),
        "keywords": ["ultrasound", *entry.anatomy, *entry.tasks],
        "isAccessibleForFree": True,
    }
    if entry.aliases:
        data["alternateName"] = list(entry.aliases)
    url = safe_url(entry.links.homepage) or next((safe_url(s.url) for s in entry.sources if safe_url(s.url)), None)
    if url:
        data["url"] = url
    elif page_url:
        data["url"] = page_url
    if entry.dataset_doi:
        doi_url = f"https://doi.org/{entry.dataset_doi}"
        data["identifier"] = doi_url
        data["sameAs"] = doi_url
    if entry.license and is_spdx(entry.license):
        data["license"] = f"https://spdx.org/licenses/{entry.license}.html"
    elif safe_url(entry.license_url):
        data["license"] = entry.license_url
    if entry.version:
        data["version"] = entry.version
    coverage = temporal_coverage(entry.acquisition.period)
    if coverage:
        data["temporalCoverage"] = coverage
    if entry.acquisition.countries:
        data["spatialCoverage"] = [{"@type": "Place", "name": country_name(c)} for c in entry.acquisition.countries]
    people = creators(entry)
    if people:
        data["creator"] = people
    cites = [f"https://doi.org/{p.doi}" for p in entry.publications if p.doi]
    if cites:
        data["citation"] = cites
    files = downloads(entry)
    if files:
        data["distribution"] = files
    if entry.modality.modes:
        data["measurementTechnique"] = [f"ultrasound ({m})" for m in entry.modality.modes]
    if score:
        data["additionalProperty"] = [
            {"@type": "PropertyValue", "name": "usreg tier", "value": score.get("tier")},
            {"@type": "PropertyValue", "name": "usreg verification level", "value": score.get("verification_level")},
        ]
    return data
