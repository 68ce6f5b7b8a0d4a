"""schema.org ``Dataset`` JSON-LD for dataset pages, so dataset search engines can index them."""

from __future__ import annotations

from typing import Any

from ..schema import Dataset
from ..schema.types import country_name, is_spdx
from .html import safe_url


def dataset_jsonld(entry: Dataset, score: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": entry.name,
        "identifier": [f"https://doi.org/{entry.dataset_doi}"] if entry.dataset_doi else [entry.id],
        "description": entry.description or entry.name,
        "keywords": ["ultrasound", *entry.anatomy, *entry.tasks],
        "isAccessibleForFree": entry.access == "open",
    }
    if entry.aliases:
        data["alternateName"] = list(entry.aliases)
    url = safe_url(entry.links.homepage) or next((safe_url(s.url) for s in entry.sources if safe_url(s.url)), None)
    if url:
        data["url"] = url
    if entry.license:
        data["license"] = (
            f"https://spdx.org/licenses/{entry.license}.html" if is_spdx(entry.license) else entry.license_url
        )
    if entry.version:
        data["version"] = entry.version
    if entry.year:
        data["temporalCoverage"] = str(entry.year)
    if entry.acquisition.countries:
        data["spatialCoverage"] = [country_name(c) for c in entry.acquisition.countries]
    first = next((p for p in entry.publications if p.authors), None)
    if first:
        data["creator"] = [
            {"@type": "Organization", "name": a.name}
            if a.name
            else {
                "@type": "Person",
                "name": " ".join(x for x in (a.given, a.family) if x),
                "familyName": a.family,
                **({"givenName": a.given} if a.given else {}),
                **({"sameAs": f"https://orcid.org/{a.orcid}"} if a.orcid else {}),
            }
            for a in first.authors
        ]
    cites = [f"https://doi.org/{p.doi}" for p in entry.publications if p.doi]
    if cites:
        data["citation"] = cites
    downloads = [
        {"@type": "DataDownload", "contentUrl": u, "encodingFormat": "application/octet-stream"}
        for s in entry.sources
        for u in [safe_url(f.url) for f in s.files] + [safe_url(s.url)]
        if u
    ]
    if downloads:
        data["distribution"] = downloads[:20]
    if score:
        data["additionalProperty"] = [
            {"@type": "PropertyValue", "name": "usreg tier", "value": score.get("tier")},
            {"@type": "PropertyValue", "name": "usreg verification level", "value": score.get("verification_level")},
        ]
    return data
