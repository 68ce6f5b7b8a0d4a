"""DICOM PHI scan: which files of a download still carry identifying header elements.

Checked elements follow the DICOM PS3.15 Basic Application Level Confidentiality Profile: identifying elements
(patient names and ids, birth date, addresses, physician and operator names, accession number) make the check fail;
quasi-identifiers (dates, institution, station, device serial) make it warn. A value that is empty or an obvious
placeholder ("ANONYMOUS", "Anonymized", "REMOVED", "*NO INFO*", ...) does not count.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .status import CheckStatus

IDENTIFYING = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthName",
    "PatientMotherBirthName",
    "OtherPatientIDs",
    "OtherPatientNames",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "MedicalRecordLocator",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "NameOfPhysiciansReadingStudy",
    "PhysiciansOfRecord",
    "RequestingPhysician",
    "InstitutionAddress",
    "AccessionNumber",
)
QUASI = (
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "InstitutionName",
    "InstitutionalDepartmentName",
    "StationName",
    "DeviceSerialNumber",
)
PLACEHOLDERS = {
    "",
    "anon",
    "anonymous",
    "anonymized",
    "anonymised",
    "anonymous patient",
    "removed",
    "deidentified",
    "de-identified",
    "none",
    "unknown",
    "n/a",
    "na",
    "noinfo",
    "no info",
    "x",
    "xx",
    "xxx",
    "xxxx",
    "0",
    "00000000",
    "19000101",
    "redacted",
}
MAX_FILES = 5000
DICOM_SUFFIXES = (".dcm", ".dicom", ".dic")


def _is_placeholder(value: object) -> bool:
    text = re.sub(r"[\^*=\s]+", " ", str(value)).strip().lower()
    return text in PLACEHOLDERS or not text


def find_dicom_files(root: Path, limit: int = 100_000) -> list[Path]:
    """DICOM files under ``root``: by suffix, or extension-less files with the 'DICM' preamble."""
    out = []
    for n, p in enumerate(sorted(root.rglob("*"))):
        if n >= limit:
            break
        if not p.is_file():
            continue
        name = p.name.lower()
        if name.endswith(DICOM_SUFFIXES):
            out.append(p)
        elif "." not in name and p.stat().st_size > 132:
            with open(p, "rb") as fh:
                fh.seek(128)
                if fh.read(4) == b"DICM":
                    out.append(p)
    return out


def scan_file(path: Path) -> dict[str, Any]:
    """PHI findings of one file: identifying and quasi-identifying elements with a real value."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception as exc:
        return {"file": path.name, "error": f"unreadable DICOM header: {exc}"}
    found = [k for k in IDENTIFYING if k in ds and not _is_placeholder(ds.get(k))]
    quasi = [k for k in QUASI if k in ds and not _is_placeholder(ds.get(k))]
    return {
        "file": path.name,
        "identifying": found,
        "quasi": quasi,
        "identity_removed": str(ds.get("PatientIdentityRemoved", "")).upper() == "YES",
        "burned_in_annotation": str(ds.get("BurnedInAnnotation", "")).upper() or None,
    }


def dicom_phi_check(files: list[Path]) -> dict[str, Any]:
    if not files:
        return {
            "name": "dicom_phi",
            "status": CheckStatus.SKIPPED,
            "summary": "the download holds no DICOM files",
            "details": {"files_with_phi": 0, "tags": [], "scanned": 0},
        }
    try:
        import pydicom  # noqa: F401
    except ImportError:
        return {
            "name": "dicom_phi",
            "status": CheckStatus.SKIPPED,
            "summary": "pydicom is not installed (pip install 'usreg[data]')",
            "details": {"files_with_phi": 0, "tags": [], "scanned": 0, "dicom_files": len(files)},
        }
    step = max(1, len(files) // MAX_FILES)
    sample = files[::step][:MAX_FILES]
    results = [scan_file(p) for p in sample]
    with_phi = [r for r in results if r.get("identifying")]
    with_quasi = [r for r in results if r.get("quasi")]
    tags = sorted({t for r in with_phi for t in r["identifying"]})
    quasi_tags = sorted({t for r in with_quasi for t in r["quasi"]})
    unreadable = [r for r in results if "error" in r]
    if with_phi:
        status = CheckStatus.FAIL
        summary = f"{len(with_phi)} of {len(results)} DICOM file(s) carry identifying elements: {', '.join(tags)}"
    elif with_quasi:
        status = CheckStatus.WARN
        summary = f"no identifying elements; {len(with_quasi)} file(s) keep quasi-identifiers: {', '.join(quasi_tags)}"
    else:
        status = CheckStatus.PASS
        summary = f"no identifying elements in {len(results)} DICOM file(s)"
    return {
        "name": "dicom_phi",
        "status": status,
        "summary": summary,
        "details": {
            "files_with_phi": len(with_phi),
            "tags": tags,
            "quasi_tags": quasi_tags,
            "scanned": len(results),
            "dicom_files": len(files),
            "unreadable": [r["file"] for r in unreadable][:50],
            "files": [
                {"file": r["file"], "identifying": r["identifying"], "quasi": r["quasi"]}
                for r in (with_phi or with_quasi)[:50]
            ],
            "burned_in_annotation_yes": sorted(r["file"] for r in results if r.get("burned_in_annotation") == "YES")[
                :50
            ],
        },
    }
