"""``croissant.json``: the converted dataset described as Croissant 1.0 JSON-LD (validated by mlcroissant in the tests).

Distribution: ``manifest.parquet`` (a FileObject with its sha256), the image PNGs and each target's mask PNGs
(FileSets). Record sets: ``samples`` (the manifest's scalar columns: id, split, subject, paths, label, size, hashes),
``images`` (image content and file name) and ``masks_<target>`` (mask content and file name). All three can be
iterated with ``mlcroissant.Dataset(jsonld=...).records(...)``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

SAMPLE_FIELDS: list[tuple[str, str, str]] = [
    ("sample_id", "sc:Text", "Sample id; the image is images/<sample_id>.png."),
    ("split", "sc:Text", "Split name (the split kind is in metadata.json)."),
    ("subject_id", "sc:Text", "Subject (patient, animal) id where the source gives one."),
    ("image", "sc:Text", "Image path relative to the dataset directory."),
    ("label", "sc:Text", "Image-level class label, if any."),
    ("frame", "sc:Integer", "Frame index within a sequence, if any."),
    ("width", "sc:Integer", "Image width in pixels."),
    ("height", "sc:Integer", "Image height in pixels."),
    ("channels", "sc:Integer", "1 for grey, 3 for colour."),
    ("source_file", "sc:Text", "The file in the download this sample came from."),
    ("image_sha256", "sc:Text", "sha256 of the PNG file."),
    ("phash", "sc:Text", "64-bit perceptual hash (hex) used for the near-duplicate check."),
    ("extra", "sc:Text", "Per-sample facts from the source, as a JSON object."),
]


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def semver(version: str | None) -> str:
    """Croissant wants MAJOR.MINOR.PATCH; '1' becomes '1.0.0', anything unparseable '0.0.0'."""
    nums = re.findall(r"\d+", version or "")
    return ".".join((nums + ["0", "0", "0"])[:3]) if nums else "0.0.0"


def build_croissant(metadata: dict[str, Any], manifest_sha256: str, targets: list[str]) -> dict[str, Any]:
    entry = metadata.get("entry", {})
    dataset_id = metadata["id"]
    license_id = entry.get("license")
    spdx = license_id and not license_id.startswith("LicenseRef-")
    license_url = entry.get("license_url") or (f"https://spdx.org/licenses/{license_id}.html" if spdx else None)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": _safe_id(dataset_id),
        "alternateName": entry.get("name") or dataset_id,
        "description": entry.get("description") or entry.get("name") or dataset_id,
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": _cite_as(entry, dataset_id),
        "url": _landing_url(entry, dataset_id),
        "version": semver(metadata.get("version")),
        "distribution": _distribution(manifest_sha256, targets),
        "recordSet": _record_sets(targets),
    }
    creators = _creators(entry)
    if creators:
        doc["creator"] = creators
    if license_url:
        doc["license"] = license_url
    published = _date(entry)
    if published:
        doc["datePublished"] = published
    if entry.get("dataset_doi"):
        doc["sameAs"] = f"https://doi.org/{entry['dataset_doi']}"
    return doc


def _distribution(manifest_sha256: str, targets: list[str]) -> list[dict[str, Any]]:
    dist: list[dict[str, Any]] = [
        {
            "@type": "cr:FileObject",
            "@id": "manifest.parquet",
            "name": "manifest.parquet",
            "description": "One typed row per sample.",
            "contentUrl": "manifest.parquet",
            "encodingFormat": "application/x-parquet",
            "sha256": manifest_sha256,
        },
        {
            "@type": "cr:FileSet",
            "@id": "image-files",
            "name": "image-files",
            "description": "Images as lossless PNG.",
            "encodingFormat": "image/png",
            "includes": "images/*.png",
        },
    ]
    for target in targets:
        dist.append(
            {
                "@type": "cr:FileSet",
                "@id": f"mask-files-{_safe_id(target)}",
                "name": f"mask-files-{_safe_id(target)}",
                "description": f"Label maps of target '{target}' (uint8, 0 = background; classes in metadata.json).",
                "encodingFormat": "image/png",
                "includes": f"masks/{target}/*.png",
            }
        )
    return dist


def _field(rs: str, name: str, dtype: str, description: str, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "@type": "cr:Field",
        "@id": f"{rs}/{name}",
        "name": name,
        "description": description,
        "dataType": dtype,
        "source": source,
    }


def _record_sets(targets: list[str]) -> list[dict[str, Any]]:
    manifest = {"fileObject": {"@id": "manifest.parquet"}}
    samples: dict[str, Any] = {
        "@type": "cr:RecordSet",
        "@id": "samples",
        "name": "samples",
        "description": "One record per sample, from manifest.parquet.",
        "key": {"@id": "samples/sample_id"},
        "field": [
            _field("samples", name, dtype, desc, {**manifest, "extract": {"column": name}})
            for name, dtype, desc in SAMPLE_FIELDS
        ],
    }
    samples["field"].append(_link_field("image_file", "images", "The sample's image in the `images` record set."))
    sets = [samples, _files_record_set("images", "image-files", "Image pixels and file names.")]
    for target in targets:
        rs = f"masks_{_safe_id(target)}"
        sets.append(_files_record_set(rs, f"mask-files-{_safe_id(target)}", f"Label maps of target '{target}'."))
        samples["field"].append(
            _link_field(f"{rs}_file", rs, f"The sample's label map of target '{target}' in `{rs}` (if any).")
        )
    return sets


def _link_field(name: str, record_set: str, description: str) -> dict[str, Any]:
    """A samples field that joins a sample to its file record by ``sample_id`` (a Croissant foreign key)."""
    field = _field(
        "samples",
        name,
        "sc:Text",
        description,
        {"fileObject": {"@id": "manifest.parquet"}, "extract": {"column": "sample_id"}},
    )
    field["references"] = {"field": {"@id": f"{record_set}/sample_id"}}
    return field


def _files_record_set(rs: str, fileset: str, description: str) -> dict[str, Any]:
    src = {"fileSet": {"@id": fileset}}
    sample_id = _field(
        rs,
        "sample_id",
        "sc:Text",
        "The sample id (the file name without .png); samples link here.",
        {**src, "extract": {"fileProperty": "filename"}, "transform": {"regex": "^(.+)\\.png$"}},
    )
    return {
        "@type": "cr:RecordSet",
        "@id": rs,
        "name": rs,
        "description": description,
        "key": {"@id": f"{rs}/sample_id"},
        "field": [
            _field(rs, "content", "sc:ImageObject", "The PNG.", {**src, "extract": {"fileProperty": "content"}}),
            _field(rs, "filename", "sc:Text", "<sample_id>.png", {**src, "extract": {"fileProperty": "filename"}}),
            sample_id,
        ],
    }


def _creators(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The descriptor publication's authors as ``sc:Person`` items (with ORCID where the entry gives one), and group
    authors as ``sc:Organization``."""
    pubs = entry.get("publications") or []
    descriptor = next((p for p in pubs if p.get("role", "descriptor") == "descriptor"), pubs[0] if pubs else None)
    people = []
    for author in (descriptor or {}).get("authors") or []:
        family, given = author.get("family"), author.get("given")
        name = author.get("name") or " ".join(x for x in (given, family) if x)
        if not name:
            continue
        if not family:  # a consortium or group author
            people.append({"@type": "sc:Organization", "name": name})
            continue
        person: dict[str, Any] = {"@type": "sc:Person", "name": name}
        if family:
            person["familyName"] = family
        if given:
            person["givenName"] = given
        if author.get("orcid"):
            person["identifier"] = f"https://orcid.org/{author['orcid']}"
        people.append(person)
    return people


def _cite_as(entry: dict[str, Any], dataset_id: str) -> str:
    for pub in entry.get("publications") or []:
        if pub.get("bibtex"):
            return pub["bibtex"]
    for pub in entry.get("publications") or []:
        if pub.get("role", "descriptor") == "descriptor":
            authors = ", ".join(
                a.get("name") or " ".join(x for x in (a.get("family"), a.get("given")) if x)
                for a in pub.get("authors") or []
            ) + (" et al." if pub.get("authors_truncated") else "")
            venue = pub.get("journal") or pub.get("venue")
            parts = [authors.strip(), pub.get("title"), venue, str(pub.get("year") or "")]
            text = ". ".join(p for p in parts if p)
            if pub.get("doi"):
                text += f". https://doi.org/{pub['doi']}"
            return text
    if entry.get("dataset_doi"):
        return f"{entry.get('name', dataset_id)}. https://doi.org/{entry['dataset_doi']}"
    return entry.get("name") or dataset_id


def _landing_url(entry: dict[str, Any], dataset_id: str) -> str:
    links = entry.get("links") or {}
    if links.get("homepage"):
        return links["homepage"]
    if entry.get("dataset_doi"):
        return f"https://doi.org/{entry['dataset_doi']}"
    for source in entry.get("sources") or []:
        if source.get("url"):
            return source["url"]
    return f"https://github.com/search?q={dataset_id}"


def _date(entry: dict[str, Any]) -> str | None:
    if entry.get("release_date"):
        return str(entry["release_date"])
    if entry.get("year"):
        return f"{entry['year']}-01-01"
    return None


def write_croissant(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
