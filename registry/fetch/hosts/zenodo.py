"""Zenodo records API: ``GET /api/records/{id}``; md5 from the API; URLs built from the file key."""

from __future__ import annotations

from urllib.parse import quote

from ...schema import Source
from ..client import USER_AGENT
from ..errors import HostError
from ..plan import Candidate, RemoteFile, safe_relpath
from ..verify import parse_checksum
from . import HostContext

HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    base = ctx.config.zenodo
    record_url = f"{base}/api/records/{source.id}"
    landing = f"{base}/records/{source.id}"
    record = ctx.client.get_json(
        record_url,
        what=f"zenodo record {source.id}",
        headers=HEADERS,
        statuses={
            404: (
                f"zenodo record {source.id} does not exist ({record_url} answered 404)",
                "check the record id in the entry's sources",
            ),
            410: (
                f"zenodo record {source.id} was deleted ({record_url} answered 410)",
                "look for a newer version of the record, or a mirror, and update the entry",
            ),
        },
    )
    files = record.get("files") or []
    if isinstance(files, dict):  # the InvenioRDM /files shape: {"entries": [...]}
        files = files.get("entries") or []
    if not files:
        access = (record.get("metadata") or {}).get("access_right") or (record.get("access") or {}).get("files")
        raise HostError(
            f"zenodo record {source.id} lists no downloadable files" + (f" (access: {access})" if access else ""),
            hint=f"the files may be restricted: request access at {landing}, download them, then run "
            f"`usreg fetch {ctx.dataset_id} --from-file PATH`",
            url=record_url,
        )
    record_id = record.get("id") or source.id  # a concept id redirects to the latest version's record
    out = []
    for item in files:
        name = item.get("key") or item.get("filename")
        if not name:
            raise HostError(
                f"zenodo record {source.id} has a file with neither 'key' nor 'filename'",
                hint="the Zenodo API changed shape; report it",
                url=record_url,
            )
        checksum = parse_checksum(str(item.get("checksum") or ""), default="md5")
        url = f"{base}/api/records/{record_id}/files/{quote(name)}/content"
        out.append(
            RemoteFile(
                name=safe_relpath(name),
                candidates=[Candidate(url, "host", headers=tuple(HEADERS.items()))],
                host="zenodo",
                source_index=index,
                size=item.get("size"),
                checksums=dict([checksum]) if checksum else {},
                checksum_origin=f"zenodo record {record_id}",
            )
        )
    return out
