"""Host base URLs, read from the environment so that tests (and labs with a proxy) can point usreg elsewhere.

Each host module declares its variables and their real defaults (``HOST.env``); this module collects them. Every
resolver asks for its base URL at call time (``ctx.config.base(VARIABLE)``) from a snapshot taken per fetch, so
changing the environment (e.g. in a test) takes effect on the next fetch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import UsageError
from ..settings import settings
from .errors import redact_text


def defaults() -> dict[str, str]:
    """Every registered host's base-URL variables with their defaults (no trailing slash)."""
    from .hosts import declared

    return {variable: default for _, host in declared() for variable, default in host.env.items()}


def base_url(variable: str, known: Mapping[str, str] | None = None) -> str:
    """The configured base URL for ``variable`` (one a host declares), without a trailing slash."""
    known = defaults() if known is None else known
    if variable not in known:
        raise UsageError(f"no host declares the base-URL variable {variable}", hint="see HOST.env in the host modules")
    return check_url(variable, settings().url(variable, known[variable]))


def check_url(name: str, url: str) -> str:
    """``url`` when it is an http(s) URL that names a host, else a usage error (exit 2) naming ``name``, the URL
    shown without its credentials. A ``javascript:``, ``file:`` or ``ftp:`` base, a newline or a broken port was
    retried as an unreachable host (or ended in a traceback) instead of being called a wrong setting."""
    problem = ""
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        problem = "holds a space or a control character"
    else:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (reading it checks it)
        except ValueError as exc:
            problem = f"cannot be read as a URL ({exc})"
        else:
            if parts.scheme.lower() not in ("http", "https"):
                problem = f"is not an http(s) URL (scheme {parts.scheme or 'none'!r})"
            elif not parts.hostname:
                problem = "names no host"
    if problem:
        raise UsageError(
            f"{name}={redact_text(url)!r} {problem}",
            hint=f"give an http:// or https:// base URL (e.g. https://mirror.example.org/usreg), or unset {name}",
        )
    return url


@dataclass(frozen=True)
class HostsConfig:
    """A snapshot of every host's base URL, by variable."""

    urls: Mapping[str, str] = field(default_factory=dict)

    def base(self, variable: str) -> str:
        if variable not in self.urls:
            raise UsageError(
                f"no host declares the base-URL variable {variable}", hint="declare it in the host's HOST.env"
            )
        return self.urls[variable]

    @classmethod
    def from_env(cls) -> HostsConfig:
        known = defaults()
        return cls({variable: base_url(variable, known) for variable in known})


def mirror_from_env() -> str | None:
    """``USREG_MIRROR``: a lab mirror serving ``<base>/<dataset-id>/<file-name>``."""
    return settings().mirror
