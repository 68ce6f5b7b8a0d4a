"""Sources a person must download by hand: grand-challenge, TCIA, PhysioNet, registration and request-only data.

usreg prints exactly where to go and what to download, then ingests the result with ``--from-file``, which runs
the same verify, extract and convert path as a download.
"""

from __future__ import annotations

from ...schema import Source
from ..plan import ManualStep
from .base import Host

_GUIDANCE = {
    "grand-challenge": "sign in at grand-challenge.org, join the challenge, accept its rules, then download the "
    "data from the challenge's Data page",
    "tcia": "download the collection with the NBIA Data Retriever (the .tcia manifest on the collection page), "
    "or the collection's direct download links",
    "physionet": "sign in to PhysioNet, complete the required training and sign the data use agreement, then "
    "download the files (e.g. with wget as the project page shows)",
    "registration": "register or sign in on the host's site and accept the terms, then download the files",
    "request": "request access from the dataset's authors (see the entry's contact), then download the files "
    "they share",
    "challenge": "join the challenge and accept its rules, then download the data from the challenge site",
}

_DEFAULT_URLS = {
    "tcia": "https://www.cancerimagingarchive.net/collection/{id}/",
    "physionet": "https://physionet.org/content/{id}/",
    "grand-challenge": "https://{id}.grand-challenge.org/",
}


def step(source: Source, index: int, reason: str, access: str | None = None) -> ManualStep:
    url = source.url
    if not url and source.id and source.kind in _DEFAULT_URLS:
        url = _DEFAULT_URLS[source.kind].format(id=source.id)
    guidance = source.instructions or _GUIDANCE.get(source.kind) or _GUIDANCE.get(access or "")
    files = [{"name": f.name, "size": f.size, "md5": f.md5, "sha256": f.sha256} for f in source.files]
    return ManualStep(source_index=index, kind=source.kind, url=url, instructions=guidance, files=files, reason=reason)


def _describe_file(f: dict) -> str:
    bits = [f"{f['size']:,} bytes"] if f.get("size") else []
    if f.get("sha256"):
        bits.append(f"sha256 {f['sha256']}")
    elif f.get("md5"):
        bits.append(f"md5 {f['md5']}")
    return f["name"] + (f" ({', '.join(bits)})" if bits else "")


def render(dataset_id: str, steps: list[ManualStep]) -> str:
    """The instructions, as printed by ``usreg fetch``."""
    lines = []
    for s in steps:
        lines.append(f"source {s.source_index + 1} ({s.kind}) must be downloaded by hand: {s.reason}")
        if s.url:
            lines.append(f"  where: {s.url}")
        if s.instructions:
            lines.append(f"  how:   {s.instructions}")
        if s.files:
            lines.append("  what:  " + "; ".join(_describe_file(f) for f in s.files))
        else:
            lines.append("  what:  every file of the dataset (the entry lists no file names)")
    lines.append(f"then run: usreg fetch {dataset_id} --from-file PATH [--from-file PATH ...]   (files or a folder)")
    return "\n".join(lines)


#: no resolver: these sources are downloaded by hand, then handed to usreg with --from-file
HOST = Host(domains=("grand-challenge.org", "cancerimagingarchive.net", "physionet.org"))
