"""Hostile input, round 9: settings from the environment and credentials.

Fetch limits (USREG_RETRIES, USREG_EXTRACT_MAX_*, timeouts, USREG_LOCK_TIMEOUT) given NaN, an infinity, 1e308, a
negative or a fraction for a whole number stop the fetch with a clear error that names the variable and its range: no
traceback, no silent clamp, and never a safety limit switched off (NaN compares false with everything, so a NaN
USREG_EXTRACT_MAX_RATIO let every archive bomb through). USREG_HOME that is the filesystem root (itself or through a
link), holds a newline or lies inside the catalog's entries folder is refused before anything is written; a relative
one is made absolute. Credentials, checked against the project's real 127.0.0.1 host server: a Hugging Face token is
not sent on to another host a download redirects to, nor to a lab mirror, nor printed by ``fetch -vv``; a kaggle.json
that others can read gets the Kaggle tool's warning.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registry.errors import EXIT_ENVIRONMENT, UsageError
from registry.fetch import fetch_dataset
from registry.fetch.extract import Limits
from registry.fetch.settings import FetchSettings
from registry.home import usreg_home as home_of
from tests.conftest import minimal_dataset
from tests.fetch.conftest import dataset, kaggle_token
from tests.fixtures.server import Response

HF_TOKEN = "hf_round9SECRETtokenvalue"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("USREG_EXTRACT_MAX_RATIO", "nan"),  # was accepted: `ratio > nan` is never true, the bomb check was off
        ("USREG_EXTRACT_MAX_RATIO", "inf"),
        ("USREG_EXTRACT_MAX_RATIO", "-1"),
        ("USREG_EXTRACT_MAX_BYTES", "0"),
        ("USREG_EXTRACT_MAX_BYTES", "nan"),  # was a ValueError traceback
        ("USREG_EXTRACT_MAX_MEMBERS", "-inf"),  # was an OverflowError traceback
        ("USREG_EXTRACT_MAX_INODES", "2.5"),  # was silently 2
        ("USREG_EXTRACT_MAX_NESTING", "1e308"),
        ("USREG_RETRIES", "1e9"),  # a billion attempts: a hang against a host that is down
        ("USREG_MAX_ATTEMPTS", "0"),  # was silently 1
        ("USREG_RETRY_MAX_WAIT", "nan"),
        ("USREG_CONNECT_TIMEOUT", "-1"),
        ("USREG_READ_TIMEOUT", "nan"),
        ("USREG_REQUEST_DEADLINE", "inf"),
        ("USREG_MIN_RATE", "-5"),
        ("USREG_LOCK_TIMEOUT", "nan"),
        ("USREG_LOCK_TIMEOUT", "-2"),  # only -1 means "wait forever"
    ],
)
def test_a_limit_out_of_range_is_a_clear_error(variable: str, value: str, monkeypatch, usreg_home: Path) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(UsageError) as caught:
        FetchSettings.from_env()
    message = str(caught.value)
    assert f"{variable}={value!r} is out of range" in message and " from " in message and " to " in message
    assert f"unset {variable} for its default" in message


def test_the_documented_values_still_work(monkeypatch, usreg_home: Path) -> None:
    for variable, value in {
        "USREG_LOCK_TIMEOUT": "-1",
        "USREG_RETRY_BASE_DELAY": "0",
        "USREG_MIN_RATE": "0",
        "USREG_EXTRACT_MAX_NESTING": "0",
        "USREG_EXTRACT_MAX_BYTES": "1e9",
    }.items():
        monkeypatch.setenv(variable, value)
    got = FetchSettings.from_env()
    assert (got.lock_timeout, got.base_delay, got.min_rate, got.extract_max_nesting) == (-1, 0, 0, 0)
    assert got.extract_max_bytes == 1_000_000_000 and isinstance(got.extract_max_bytes, int)


def test_a_nan_extraction_limit_never_reaches_the_extractor(monkeypatch, usreg_home: Path) -> None:
    monkeypatch.setenv("USREG_EXTRACT_MAX_MEMBERS", "nan")
    with pytest.raises(UsageError, match="USREG_EXTRACT_MAX_MEMBERS='nan' is out of range"):
        Limits()


def test_the_cli_names_the_variable_and_exits_2(monkeypatch, run_cli, catalog_root, server, usreg_home) -> None:
    server.add_zenodo_record(91, {"a.csv": b"x\n"})
    catalog_root.dataset(minimal_dataset("env-set", version="1", sources=[{"kind": "zenodo", "id": "91"}]))
    monkeypatch.setenv("USREG_RETRIES", "nan")  # was: ValueError: cannot convert float NaN to integer
    result = run_cli("fetch", "env-set", root=catalog_root.root)
    assert result.exit_code == EXIT_ENVIRONMENT
    assert "USREG_RETRIES='nan' is out of range: it takes a whole number from 1 to 1,000" in result.output
    assert "Traceback" not in result.output
    assert not (usreg_home / "downloads/env-set").exists()


# -- USREG_HOME --------------------------------------------------------------------------------------------------


def test_a_home_linked_to_the_filesystem_root_is_refused(monkeypatch, tmp_path: Path) -> None:
    link = tmp_path / "home-link"
    link.symlink_to("/")
    monkeypatch.setenv("USREG_HOME", str(link))  # was: index/ made at /
    with pytest.raises(UsageError, match="is the filesystem root \\(through a link\\)"):
        home_of()
    monkeypatch.setenv("USREG_HOME", "/")
    with pytest.raises(UsageError, match="USREG_HOME / is the filesystem root"):
        home_of()


def test_a_home_with_a_newline_is_refused(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("USREG_HOME", f"{tmp_path}/a\nb")  # was: a folder named "a\nb" made
    with pytest.raises(UsageError, match="holds a control character"):
        home_of()


def test_a_home_inside_the_entries_folder_is_refused(monkeypatch, run_cli, catalog_root) -> None:
    catalog_root.dataset(minimal_dataset("env-set", version="1"))
    inside = catalog_root.root / "entries/datasets/cache"
    monkeypatch.setenv("USREG_HOME", str(inside))  # was: cache/index/ made among the entries
    result = run_cli("list", root=catalog_root.root)
    assert result.exit_code == EXIT_ENVIRONMENT
    assert "lies inside the catalog's entries folder" in result.output
    assert not inside.exists()


def test_a_relative_home_is_made_absolute(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("USREG_HOME", "rel/home")
    assert home_of() == tmp_path / "rel/home"


# -- credentials -----------------------------------------------------------------------------------------------


def _hf_entry(server, redirect_to: str | None = None) -> tuple[dict[str, str], object]:
    paths = server.add_hf_dataset("org/r9", {"data.csv": b"a,b\n1,2\n"})
    if redirect_to is not None:  # the Hub's resolve answers a redirect to its CDN, as huggingface.co does
        cdn = "/cdn/data.csv"
        server.add_route(cdn, lambda request: Response(200, {}, b"a,b\n1,2\n"))
        server.add_route(paths["data.csv"], lambda request: Response.redirect(f"{redirect_to}{cdn}"))
        paths["cdn"] = cdn
    return paths, dataset("hf-r9", [{"kind": "huggingface", "id": "org/r9", "files": [{"name": "data.csv"}]}])


def test_hf_token_goes_to_the_hub_only_not_to_the_host_it_redirects_to(server, monkeypatch, usreg_home) -> None:
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    other = server.url.replace("127.0.0.1", "localhost")  # another origin, same test server
    paths, entry = _hf_entry(server, redirect_to=other)
    fetch_dataset(entry)
    hub = server.requests("/hf/api/datasets/org/r9/tree/main")
    assert hub and hub[0].headers.get("authorization", "") == f"Bearer {HF_TOKEN}"
    cdn = server.requests(paths["cdn"])
    assert cdn and cdn[0].headers.get("host", "").startswith("localhost")
    assert cdn[0].headers.get("authorization", "") == ""


def test_hf_token_is_not_sent_to_a_mirror_nor_printed(server, monkeypatch, run_cli, catalog_root, usreg_home) -> None:
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    server.add_hf_dataset("org/r9", {"data.csv": b"a,b\n1,2\n"})
    mirrored = "/mirror/hf-r9/data.csv"
    server.add_route(mirrored, lambda request: Response(200, {}, b"a,b\n1,2\n"))
    catalog_root.dataset(
        minimal_dataset(
            "hf-r9", version="1", sources=[{"kind": "huggingface", "id": "org/r9", "files": [{"name": "data.csv"}]}]
        )
    )
    result = run_cli("-vv", "fetch", "hf-r9", "--mirror", server.url_for("/mirror"), root=catalog_root.root)
    assert result.exit_code == 0, result.output
    mirror_requests = server.requests(mirrored)
    assert mirror_requests and all(r.headers.get("authorization", "") == "" for r in mirror_requests)
    assert HF_TOKEN not in result.output
    for path in usreg_home.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".lock", ".sqlite", ".csv"):
            assert HF_TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_kaggle_json_others_can_read_is_warned_about(server, run_cli, catalog_root, tmp_path, usreg_home) -> None:
    config = tmp_path / "kaggle-config"
    kaggle_token(server, config)
    (config / "kaggle.json").chmod(0o644)  # was: used without a word
    server.add_kaggle_dataset("owner/r9", b"", files={"a.csv": b"x\n"})
    catalog_root.dataset(
        minimal_dataset(
            "k-r9", version="1", sources=[{"kind": "kaggle", "id": "owner/r9", "files": [{"name": "a.csv"}]}]
        )
    )
    result = run_cli("fetch", "k-r9", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert "can be read by other users" in result.output and f"chmod 600 {config / 'kaggle.json'}" in result.output
    assert server.kaggle_credentials[1] not in result.output

    (config / "kaggle.json").chmod(0o600)
    again = run_cli("fetch", "k-r9", "--force", root=catalog_root.root)
    assert "can be read by other users" not in again.output


# -- host and mirror URLs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("javascript:alert(1)", "is not an http(s) URL (scheme 'javascript')"),  # was: retried as unreachable
        ("file:///etc", "is not an http(s) URL (scheme 'file')"),
        ("http://a\nb", "holds a space or a control character"),  # was: httpx.InvalidURL traceback
        ("http://user:pw-r9@[::1", "cannot be read as a URL"),  # was: RecursionError in the redaction
        ("http://h:99999", "cannot be read as a URL"),
    ],
)
def test_a_broken_host_url_names_the_variable(value: str, said: str, server, monkeypatch, usreg_home) -> None:
    server.add_zenodo_record(77, {"a.csv": b"x\n"})
    monkeypatch.setenv("USREG_ZENODO_URL", value)
    with pytest.raises(UsageError) as caught:
        fetch_dataset(dataset("url-r9", [{"kind": "zenodo", "id": "77"}]))
    assert str(caught.value).startswith("USREG_ZENODO_URL=") and said in str(caught.value)
    assert "pw-r9" not in str(caught.value)
    assert server.requests() == []


def test_a_mirror_that_is_not_http_is_refused(server, usreg_home) -> None:
    server.add_zenodo_record(78, {"a.csv": b"x\n"})
    with pytest.raises(UsageError, match="--mirror \\(USREG_MIRROR\\)='file:///etc' is not an http\\(s\\) URL"):
        fetch_dataset(dataset("mir-r9", [{"kind": "zenodo", "id": "78"}]), mirror="file:///etc")


def test_redacting_an_unreadable_url_terminates() -> None:
    from registry.fetch.errors import redact_text, redact_url

    assert redact_url("http://u:secret@[::1/x") == "http://***@[::1/x"  # was: RecursionError
    assert "secret" not in redact_text("from http://u:secret@[::1/x")


def test_mirror_credentials_are_not_printed_nor_stored(server, run_cli, catalog_root, usreg_home) -> None:
    mirrored = "/mirror/cred-r9/a.csv"
    server.add_route(mirrored, lambda request: Response(200, {}, b"x\n"))
    catalog_root.dataset(
        minimal_dataset("cred-r9", version="1", sources=[{"kind": "zenodo", "id": "79", "files": [{"name": "a.csv"}]}])
    )
    mirror = server.url.replace("http://", "http://lab:mirror-pw-r9@") + "/mirror"
    result = run_cli("-vv", "fetch", "cred-r9", "--mirror", mirror, root=catalog_root.root)
    assert result.exit_code == 0, result.output
    assert server.requests(mirrored)[0].headers.get("authorization", "").startswith("Basic ")  # the mirror's own
    assert "mirror-pw-r9" not in result.output
    stored = [p for p in usreg_home.rglob("*") if p.is_file() and b"mirror-pw-r9" in p.read_bytes()]
    assert stored == []


def test_a_site_url_with_credentials_is_refused(monkeypatch, usreg_home) -> None:
    from registry.sitegen.build import resolve_site_url

    monkeypatch.setenv("USREG_SITE_URL", "https://lab:site-pw-r9@example.org/usreg")
    with pytest.raises(UsageError) as caught:  # was: the password written into 336 pages and sitemap.xml
        resolve_site_url(None, {})
    assert "holds a user name or password (***@example.org)" in str(caught.value)
    assert "site-pw-r9" not in str(caught.value)
    monkeypatch.setenv("USREG_SITE_URL", "https://example.org/usreg")
    assert resolve_site_url(None, {}) == "https://example.org/usreg/"
