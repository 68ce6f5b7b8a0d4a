"""Kaggle datasets (``owner/slug``) and competitions (``competitions/<name>``) through the public API v1.

Credentials: ``KAGGLE_USERNAME`` + ``KAGGLE_KEY``, else ``kaggle.json`` in ``$KAGGLE_CONFIG_DIR``, ``~/.kaggle`` or
``~/.config/kaggle``. A 403 means the dataset's terms or the competition's rules were not accepted on the website.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from ...schema import Source
from ...settings import settings
from ..errors import HostError, NoCredentials
from ..http import USER_AGENT
from ..plan import Candidate, RemoteFile, safe_relpath
from .base import Host, HostContext, need_list


def credential_files() -> list[Path]:
    config_dir = settings().kaggle_config_dir
    if config_dir is not None:
        return [config_dir / "kaggle.json"]
    home = Path.home()
    return [home / ".kaggle" / "kaggle.json", home / ".config" / "kaggle" / "kaggle.json"]


def credentials(warn: Callable[[str], None] = lambda message: None) -> tuple[str, str]:
    """KAGGLE_USERNAME + KAGGLE_KEY, else the first kaggle.json found; ``warn`` is told when that file can be read by
    other users (the Kaggle tool warns the same way: anyone on the machine could download as you)."""
    user, key = settings().kaggle_username, settings().kaggle_key
    if user and key:
        return user, key
    for path in credential_files():
        if path.is_file():
            if os.name == "posix" and path.stat().st_mode & 0o077:
                warn(
                    f"your Kaggle API key {path} can be read by other users on this system; "
                    f"run chmod 600 {path} to fix it"
                )
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                return str(data["username"]), str(data["key"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise HostError(
                    f"cannot read Kaggle credentials from {path} ({exc})",
                    hint='it must be JSON like {"username": "...", "key": "..."}',
                ) from None
    where = " or ".join(str(p) for p in credential_files())
    raise NoCredentials(
        "Kaggle needs an API token and none was found",
        hint="create one at https://www.kaggle.com/settings (API > Create New Token) and save kaggle.json as "
        f"{where}, or set KAGGLE_USERNAME and KAGGLE_KEY",
    )


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    ref = source.id or ""
    api, site = ctx.config.base("USREG_KAGGLE_API"), ctx.config.base("USREG_KAGGLE_URL")
    version = ctx.version or source.version
    if ref.startswith("competitions/"):
        name = ref.split("/", 1)[1]
        page = f"{site}/competitions/{name}/rules"
        label = f"kaggle competition {name}"
        list_url = f"{api}/competitions/data/list/{quote(name)}"
        all_url, all_name = f"{api}/competitions/data/download-all/{quote(name)}", f"{name}.zip"
        file_base = f"{api}/competitions/data/download/{quote(name)}"
        refusal = f"Kaggle refused {label} (HTTP 403): the competition's rules have not been accepted with this account"
    else:
        owner, slug = ref.split("/", 1)
        page = f"{site}/datasets/{ref}"
        label = f"kaggle dataset {ref}"
        list_url = f"{api}/datasets/list/{quote(owner)}/{quote(slug)}"
        all_url, all_name = f"{api}/datasets/download/{quote(owner)}/{quote(slug)}", f"{slug}.zip"
        if version:
            all_url += f"?datasetVersionNumber={quote(str(version))}"
        file_base = all_url.split("?")[0]
        refusal = f"Kaggle refused {label} (HTTP 403): its terms have not been accepted with this account"
    auth = credentials(ctx.warn)
    headers = (("User-Agent", USER_AGENT),)
    listing = ctx.client.get_json(
        list_url,
        what=label,
        headers=dict(headers),
        auth=auth,
        statuses={
            401: (
                f"Kaggle rejected the API token for user {auth[0]!r} (HTTP 401)",
                "create a new token at https://www.kaggle.com/settings and replace kaggle.json",
            ),
            403: (
                refusal,
                f"open {page} while logged in as {auth[0]!r}, accept the rules/terms, then run the fetch again",
            ),
            404: (f"{label} does not exist ({list_url} answered 404)", "check the id in the entry's sources"),
        },
    )
    items = listing.get("datasetFiles", listing.get("files", [])) if isinstance(listing, dict) else listing
    items = need_list(items or [], label, list_url, "datasetFiles")
    sizes = {
        str(i.get("name") or i.get("ref")): i["totalBytes"]
        for i in items
        if isinstance(i, dict) and isinstance(i.get("totalBytes"), int) and not isinstance(i.get("totalBytes"), bool)
    }
    if source.files:
        return [
            RemoteFile(
                name=safe_relpath(f.name),
                candidates=[Candidate(f"{file_base}/{quote(f.name)}", "host", headers, auth)],
                host="kaggle",
                source_index=index,
                size=sizes.get(f.name),
            )
            for f in source.files
        ]
    return [
        RemoteFile(
            name=safe_relpath(all_name),
            candidates=[Candidate(all_url, "host", headers, auth)],
            host="kaggle",
            source_index=index,
        )
    ]


HOST = Host(
    resolve=resolve,
    env={"USREG_KAGGLE_API": "https://www.kaggle.com/api/v1", "USREG_KAGGLE_URL": "https://www.kaggle.com"},
    domains=("kaggle.com",),
)
