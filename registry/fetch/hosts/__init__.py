"""One module per host, registered by one line in ``registry/hosts.py``.

Each host module declares ``HOST = Host(...)`` (see ``base.py``): how its sources resolve into concrete files, and
the rules ``usreg import`` and the link checker use for it. This package looks those declarations up by kind.

Hosts return ``RemoteFile`` objects with the host's own URL as the only candidate; the fetch layer adds mirrors.
Sources that cannot be downloaded automatically are declared without a resolver (``manual``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from ... import hosts as registered
from ..errors import FetchError
from .base import Host, HostContext, Resolver

__all__ = ["Host", "HostContext", "Resolver", "declared", "host", "is_manual", "resolver"]


def host(kind: str) -> Host:
    """The declaration of the host that serves ``kind``; a ``FetchError`` for a kind no line registers."""
    module_name = registered.HOSTS.get(kind)
    if module_name is None:
        raise FetchError(
            f"no host is registered for source kind {kind!r}",
            hint="known kinds: " + ", ".join(registered.HOSTS) + "; a new host is a module plus a line in "
            "registry/hosts.py",
        )
    declaration = getattr(importlib.import_module(module_name), "HOST", None)
    if not isinstance(declaration, Host):
        raise FetchError(
            f"the host module {module_name} (kind {kind!r}) declares no HOST = Host(...)",
            hint="declare the host in its module; see registry/fetch/hosts/base.py",
        )
    return declaration


def declared() -> Iterator[tuple[str, Host]]:
    """Every registered kind with its host's declaration, in registry order."""
    for kind in registered.HOSTS:
        yield kind, host(kind)


def is_manual(kind: str) -> bool:
    """Whether a person must download this kind's files by hand (then ``usreg fetch ID --from-file PATH``)."""
    return kind in registered.HOSTS and host(kind).resolve is None


def resolver(kind: str) -> Resolver:
    resolve = host(kind).resolve
    if resolve is None:
        raise FetchError(f"{kind} sources are downloaded by hand", hint="use `usreg fetch ID --from-file PATH`")
    return resolve


def __getattr__(name: str) -> frozenset[str]:
    if name == "MANUAL_KINDS":  # the kinds a person downloads by hand, derived from the declarations
        return frozenset(kind for kind, declaration in declared() if declaration.resolve is None)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
