"""A host is one module plus one line in registry/hosts.py: the schema, the fetch planner, `usreg import` and the
link checker all read the host modules' declarations. A toy host registered in the test is used by all of them."""

from __future__ import annotations

import asyncio
import hashlib
import sys
import types
from pathlib import Path

import pytest

from registry import hosts as registered
from registry.contrib.importer import Importer, recognise
from registry.contrib.links import LinkChecker
from registry.fetch import fetch_dataset
from registry.fetch.errors import FetchError
from registry.fetch.hosts import MANUAL_KINDS, declared, host, is_manual, resolver
from registry.fetch.hosts.base import Host, HostContext
from registry.fetch.hosts_config import HostsConfig
from registry.fetch.http import BROWSER_USER_AGENT
from registry.fetch.plan import Candidate, RemoteFile
from registry.schema.vocab import HostKind
from tests.fetch.conftest import dataset
from tests.fixtures.server import Response

TOY_MODULE = "usreg_test_toy_host"
PAYLOAD = b"toy bytes\n"


def _toy_resolve(source, index: int, ctx: HostContext) -> list[RemoteFile]:
    api = f"{ctx.config.base('USREG_TOY_URL')}/api/{source.id}"
    listing = ctx.client.get_json(api, what=f"toy record {source.id}")
    return [
        RemoteFile(
            name=item["name"],
            candidates=[Candidate(item["url"], "host")],
            host="toy",
            source_index=index,
            size=item["size"],
            checksums={"sha256": item["sha256"]},
            checksum_origin=f"toy record {source.id}",
        )
        for item in listing["files"]
    ]


@pytest.fixture
def toy(server, monkeypatch: pytest.MonkeyPatch):
    """Register the toy host: its module (built here), and its one line in registry/hosts.py."""
    module = types.ModuleType(TOY_MODULE)
    module.HOST = Host(  # type: ignore[attr-defined]
        resolve=_toy_resolve,
        env={"USREG_TOY_URL": "https://toy.invalid"},
        urls=(r"https?://toy\.invalid/records/(\d+)(?:/v(\d+))?",),
        dois=(r"10\.99999/toy\.(\d+)$",),
        domains=("127.0.0.1",),
        browser_agent=True,
    )
    monkeypatch.setitem(sys.modules, TOY_MODULE, module)
    monkeypatch.setitem(registered.HOSTS, "toy", TOY_MODULE)  # the one line
    monkeypatch.setenv("USREG_TOY_URL", f"{server.url}/toy")
    return server


def test_schema_kinds_and_by_hand_kinds_are_derived_from_the_registry() -> None:
    assert [k.value for k in HostKind] == list(registered.HOSTS)
    assert {"manual", "grand-challenge", "tcia", "physionet"} == MANUAL_KINDS
    assert all(is_manual(k) == (h.resolve is None) for k, h in declared())
    with pytest.raises(FetchError, match="no host is registered for source kind 'nope'"):
        host("nope")
    with pytest.raises(FetchError, match="downloaded by hand"):
        resolver("tcia")


def test_every_registered_module_declares_its_host() -> None:
    for kind, module in registered.HOSTS.items():
        assert module.startswith("registry.fetch.hosts."), kind
        assert isinstance(host(kind), Host)
    config = HostsConfig.from_env()
    assert set(config.urls) >= {"USREG_ZENODO_URL", "USREG_FIGSHARE_API"}


def test_a_toy_host_is_planned_and_fetched(toy, usreg_home: Path) -> None:
    file_url = toy.add_route("/toy/files/data.csv", lambda r: Response(200, {}, PAYLOAD))
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    listing = {"files": [{"name": "data.csv", "url": file_url, "size": len(PAYLOAD), "sha256": sha}]}
    toy.add_route("/toy/api/7", lambda r: Response.json(listing))
    entry = dataset("toy-data", [{"kind": "zenodo", "id": "7", "version": "1"}])
    entry = entry.model_copy(update={"sources": [entry.sources[0].model_copy(update={"kind": "toy"})]})

    assert HostsConfig.from_env().base("USREG_TOY_URL") == f"{toy.url}/toy"
    plan = fetch_dataset(entry, dry_run=True).plan
    assert plan is not None and [(f.name, f.host, f.checksums["sha256"]) for f in plan.files] == [
        ("data.csv", "toy", sha)
    ]
    result = fetch_dataset(entry)
    assert (usreg_home / "downloads/toy-data/1/data.csv").read_bytes() == PAYLOAD
    assert result.files[0].trust == "host"


def test_a_toy_host_is_recognised_by_import(toy) -> None:
    assert recognise("https://toy.invalid/records/42/v3") == ("toy", "42", "3")
    assert recognise("doi:10.99999/toy.42") == ("toy", "42", None)
    importer = Importer()
    try:
        draft = importer.draft("https://toy.invalid/records/42/v3")
    finally:
        importer.close()
    source = {"kind": "toy", "id": "42", "version": "3", "url": "https://toy.invalid/records/42/v3"}
    assert draft.values["sources"] == [source]
    assert draft.evidence == [{"url": "https://toy.invalid/records/42/v3", "fields": ["sources"]}]


def test_a_toy_host_rule_is_applied_by_the_link_checker(toy) -> None:
    def browser_only(request):
        return Response(200 if "Mozilla/" in request.header("user-agent") else 403, {}, b"page")

    url = toy.add_route("/toy/landing", browser_only)
    assert asyncio.run(LinkChecker(timeout=5).check_all([url]))[url].status == "alive"
    assert BROWSER_USER_AGENT.startswith("Mozilla/")


def test_without_the_toy_host_the_same_link_is_refused(server) -> None:
    url = server.add_route("/toy/landing", lambda r: Response(200 if "Mozilla/" in r.header("user-agent") else 403))
    assert asyncio.run(LinkChecker(timeout=5).check_all([url]))[url].status == "login"
