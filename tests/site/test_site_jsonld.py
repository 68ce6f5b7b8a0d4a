"""schema.org Dataset JSON-LD against Google's Dataset structured-data guidelines: required and recommended fields,
each with the type Google expects, on every dataset page of the built site and for every entry of the catalog."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from registry.schema import Dataset
from registry.sitegen.jsonld import dataset_jsonld, media_type, temporal_coverage

REPO = Path(__file__).resolve().parents[2]
ISO_8601 = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?$")
URL = re.compile(r"^https?://[^\s<>\"]+$")


def google_dataset_problems(data: dict[str, Any]) -> list[str]:
    """What Google's Dataset guidelines would reject or warn about (types of required and recommended fields)."""
    problems = []
    if data.get("@context") not in ("https://schema.org/", "https://schema.org") or data.get("@type") != "Dataset":
        problems.append("not a schema.org Dataset")
    if not isinstance(data.get("name"), str) or not data["name"]:
        problems.append("name: required text")
    description = data.get("description")
    if not isinstance(description, str) or not 50 <= len(description) <= 5000:
        problems.append("description: required text of 50 to 5000 characters")
    for key in ("url", "sameAs", "identifier", "license"):
        if key in data and not (isinstance(data[key], str) and URL.match(data[key])):
            problems.append(f"{key}: a URL")
    if "isAccessibleForFree" in data and not isinstance(data["isAccessibleForFree"], bool):
        problems.append("isAccessibleForFree: a boolean")
    if "keywords" in data and not all(isinstance(k, str) for k in data["keywords"]):
        problems.append("keywords: text")
    if "alternateName" in data and not all(isinstance(k, str) for k in data["alternateName"]):
        problems.append("alternateName: text")
    if "temporalCoverage" in data and not ISO_8601.match(str(data["temporalCoverage"])):
        problems.append(f"temporalCoverage: ISO 8601 date or interval, got {data['temporalCoverage']!r}")
    for person in data.get("creator", []):
        if person.get("@type") not in ("Person", "Organization") or not isinstance(person.get("name"), str):
            problems.append(f"creator: Person or Organization with a name, got {person!r}")
        if person.get("@type") == "Person" and not person.get("familyName"):
            problems.append("creator: a Person has a familyName")
        if isinstance(person.get("name"), str) and (" and " in person["name"] or "," in person["name"]):
            problems.append(f"creator: one person per item, got {person['name']!r}")
    for place in data.get("spatialCoverage", []):
        if not (isinstance(place, dict) and place.get("@type") == "Place" and isinstance(place.get("name"), str)):
            problems.append("spatialCoverage: Place items")
    for item in data.get("distribution", []):
        if item.get("@type") != "DataDownload" or not URL.match(str(item.get("contentUrl", ""))):
            problems.append("distribution: DataDownload with a contentUrl")
        if (
            not re.match(r"^[a-z]+/[a-z0-9.+-]+$", str(item.get("encodingFormat", "")))
            or item.get("encodingFormat") == "application/octet-stream"
        ):
            problems.append(f"distribution: a real media type, got {item.get('encodingFormat')!r}")
    for cite in data.get("citation", []):
        if not isinstance(cite, str):
            problems.append("citation: text or URL")
    return problems


def _scripts(html: str) -> list[dict[str, Any]]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(text) for text in found]


def test_every_dataset_page_of_the_site_passes(built_site: Path):
    pages = [p for p in (built_site / "datasets").glob("*.html") if p.name != "index.html"]
    assert len(pages) == 4
    for page in pages:
        scripts = _scripts(page.read_text(encoding="utf-8"))
        assert len(scripts) == 1, page
        assert google_dataset_problems(scripts[0]) == [], page


def test_every_catalog_entry_passes():
    from registry.catalog import load_catalog

    catalog = load_catalog(REPO)
    if catalog.errors:
        pytest.skip("the working catalog has validation errors (other tests report them)")
    problems = {d.id: google_dataset_problems(dataset_jsonld(d)) for d in catalog.datasets.values()}
    assert {k: v for k, v in problems.items() if v} == {}


def _entry(**extra: Any) -> Dataset:
    data = {"id": "x", "name": "X", "anatomy": ["thyroid"], "tasks": ["segmentation"], **extra}
    return Dataset.model_validate(data)


def test_fields_follow_the_guidelines():
    entry = _entry(
        description="Thyroid nodule images with masks drawn by two radiologists, from three hospitals.",
        access="registration",
        license="CC-BY-4.0",
        dataset_doi="10.5281/zenodo.123456",
        acquisition={"period": "October 2018 - April 2019", "countries": ["CN"]},
        publications=[
            {
                "title": "A paper",
                "doi": "10.1000/xyz",
                "authors": [
                    {"family": "Rulloni", "given": "V. S.", "orcid": "0000-0002-1825-0097"},
                    {"family": "Perez", "given": "H. A."},
                    {"name": "The Thyroid Consortium"},
                ],
            }
        ],
        sources=[
            {
                "kind": "http",
                "url": "https://example.org/data",
                "files": [
                    {"name": "images.zip", "url": "https://example.org/data/images.zip"},
                    {"name": "labels.tar.gz", "url": "https://example.org/data/labels.tar.gz"},
                ],
            },
            {"kind": "zenodo", "id": "123456", "url": "https://zenodo.org/records/123456"},  # a landing page
        ],
    )
    data = dataset_jsonld(entry)
    assert google_dataset_problems(data) == []
    assert data["creator"] == [
        {
            "@type": "Person",
            "name": "V. S. Rulloni",
            "familyName": "Rulloni",
            "givenName": "V. S.",
            "sameAs": "https://orcid.org/0000-0002-1825-0097",
        },
        {"@type": "Person", "name": "H. A. Perez", "familyName": "Perez", "givenName": "H. A."},
        {"@type": "Organization", "name": "The Thyroid Consortium"},
    ]
    assert data["temporalCoverage"] == "2018-10/2019-04"  # the acquisition period, not the publication year
    assert data["identifier"] == data["sameAs"] == "https://doi.org/10.5281/zenodo.123456"
    assert data["isAccessibleForFree"] is True  # free after registration is still free
    assert data["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert [(d["contentUrl"], d["encodingFormat"]) for d in data["distribution"]] == [
        ("https://example.org/data/images.zip", "application/zip"),
        ("https://example.org/data/labels.tar.gz", "application/gzip"),
    ]


def test_no_distribution_from_landing_pages_or_unknown_formats_and_no_year_as_coverage():
    entry = _entry(
        year=2020,
        sources=[
            {"kind": "zenodo", "id": "1", "url": "https://zenodo.org/records/1"},
            {"kind": "http", "files": [{"name": "weird.bin", "url": "https://example.org/weird.bin"}]},
        ],
    )
    data = dataset_jsonld(entry)
    assert "distribution" not in data
    assert "temporalCoverage" not in data
    assert "license" not in data and "sameAs" not in data
    assert len(data["description"]) >= 50  # a short description is completed from the entry's facts


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2016-2021", "2016/2021"),
        ("2019 - early 2020", "2019/2020"),
        ("2016-01 to 2020-08", "2016-01/2020-08"),
        ("May 2014 - May 2015", "2014-05/2015-05"),
        ("2019", "2019"),
        ("2008 - 2022 (measurements)", "2008/2022"),
        ("unknown", None),
        (None, None),
    ],
)
def test_temporal_coverage(period, expected):
    assert temporal_coverage(period) == expected


def test_media_types():
    assert media_type("a.nii.gz") == "application/gzip"
    assert media_type("scan.DCM") == "application/dicom"
    assert media_type("x.unknown") is None
