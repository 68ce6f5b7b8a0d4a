"""What every host module shares: the context it resolves in, its declaration, and checks on host answers.

Host modules import from here, never from the package that registers them, so the registry (``registry/hosts.py``)
and the package can import any host module without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, overload

from ...schema import Source
from ..client import HttpClient
from ..errors import HostError
from ..plan import RemoteFile

if TYPE_CHECKING:
    from ...contrib.importer import Draft, Importer
    from ..hosts_config import HostsConfig


@dataclass
class HostContext:
    client: HttpClient
    config: HostsConfig
    dataset_id: str
    version: str | None = None  # --version, for hosts with versioned records (Mendeley, figshare, Kaggle)
    entry_kind: str = "dataset"  # "model" for weights (Hugging Face model repos)
    warn: Callable[[str], None] = field(default=lambda message: None)


Resolver = Callable[[Source, int, HostContext], list[RemoteFile]]
#: drafts an entry for ``usreg import`` from the host's metadata API: (importer, record id, version, entry kind)
Drafter = Callable[["Importer", str, str | None, str], "Draft"]


# -- checking host answers ------------------------------------------------------------------------------------------
# A host API answer is untrusted input: every field used is checked, and a wrong shape is a HostError that names the
# host, the field and what was expected, never a KeyError or TypeError.


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def malformed(what: str, url: str, field: str, expected: str, got: object) -> HostError:
    """The error for a host answer whose ``field`` is not ``expected``."""
    return HostError(
        f"{what}: {url} answered a malformed '{field}': expected {expected}, got {_kind(got)}",
        hint="the host's API changed shape or answered in error; try again later, and report it if it persists",
        url=url,
    )


def need_object(value: object, what: str, url: str, field: str) -> dict:
    if not isinstance(value, dict):
        raise malformed(what, url, field, "a JSON object", value)
    return value


def need_list(value: object, what: str, url: str, field: str) -> list:
    if not isinstance(value, list):
        raise malformed(what, url, field, "a list", value)
    return value


@overload
def need_text(value: object, what: str, url: str, field: str, optional: Literal[False] = False) -> str: ...
@overload
def need_text(value: object, what: str, url: str, field: str, optional: Literal[True]) -> str | None: ...
def need_text(value: object, what: str, url: str, field: str, optional: bool = False) -> str | None:
    """A non-empty string (or None when ``optional`` and absent)."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise malformed(what, url, field, "a non-empty string", value)
    return value


def need_size(value: object, what: str, url: str, field: str) -> int | None:
    """A byte count: a non-negative integer, or None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise malformed(what, url, field, "a non-negative integer (bytes)", value)
    return value


@dataclass(frozen=True)
class Host:
    """What a host module declares as its module-level ``HOST``; the planner, ``usreg import`` and the link checker
    read it from there (through ``registry.fetch.hosts.host(kind)``), so adding a host is its module plus its line in
    ``registry/hosts.py``.

    - ``resolve``: turns a source into concrete files; None for sources a person downloads by hand;
    - ``urls`` / ``dois``: regular expressions that recognise the host's landing pages and DOIs for ``usreg import``;
      group 1 is the record id, an optional group 2 its version;
    - ``draft``: fills a draft entry from the host's metadata API for ``usreg import``; without it, a recognised
      reference drafts the source alone;
    - ``env``: the environment variables that move the host's base URLs (tests point them at a local server), each
      with its real default; resolvers read them as ``ctx.config.base(VARIABLE)``;
    - ``domains``: the host names (and their subdomains) whose links belong to this host, for the link checker;
    - ``browser_agent``: the host refuses or degrades non-browser clients: the link checker sends it
      ``BROWSER_USER_AGENT``, as the module's own requests must (``http.BROWSER_USER_AGENT`` in their headers).
    """

    resolve: Resolver | None = None
    draft: Drafter | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    urls: tuple[str, ...] = ()
    dois: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    browser_agent: bool = False
