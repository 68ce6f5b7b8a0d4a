"""Host refusals become clear errors: what happened, where, and what to do; nothing half-written is left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.fetch import FetchError, HostError, fetch_dataset
from tests.fetch.conftest import dataset, kaggle_token
from tests.fixtures.server import Response

DRIVE_ID = "1JUKakYg10ZsHVDORsv9XvDkx86WVKaFO"


def _nothing_downloaded(home: Path, entry_id: str) -> None:
    downloads = home / "downloads" / entry_id
    assert not downloads.exists() or not [p for p in downloads.rglob("*") if p.is_file()]


def test_mendeley_html_answer(server, usreg_home: Path) -> None:
    server.add_mendeley_dataset("8srkpz52dy", 1, {"1.png": b"x"}, html_answer=True)
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("carotid", [{"kind": "mendeley", "id": "8srkpz52dy", "version": "1"}]))
    error = caught.value
    assert "mendeley dataset 8srkpz52dy version 1" in error.message
    assert "answered an HTML page ('Mendeley Data') instead of JSON" in error.message
    assert "/mendeley/public-api/datasets/8srkpz52dy?folder_id=&dataset_version=1" in error.message
    assert "--from-file" in error.hint
    _nothing_downloaded(usreg_home, "carotid")


def test_mendeley_refusal_403(server, usreg_home: Path) -> None:
    server.add_mendeley_dataset("abcdef1234", 2, {"a.png": b"x"})
    server.fail("/mendeley/public-api/datasets/abcdef1234", 403, times=1)
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("mdl", [{"kind": "mendeley", "id": "abcdef1234", "version": "2"}]))
    assert "Mendeley Data refused the request for mendeley dataset abcdef1234 version 2 (HTTP 403)" in str(caught.value)
    assert "usreg fetch mdl --from-file PATH" in caught.value.hint


def test_mendeley_listing_with_no_files_says_how_to_download_by_hand(server, usreg_home: Path) -> None:
    """A record whose files all sit in folders lists none at the root: the error names the 'Download All' route."""
    server.add_mendeley_dataset("fold3r5only", 1, {})
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("foldered", [{"kind": "mendeley", "id": "fold3r5only", "version": "1"}]))
    assert "mendeley dataset fold3r5only version 1: the API answer lists no files" in caught.value.message
    assert "folders" in caught.value.hint and "Download All" in caught.value.hint
    assert "usreg fetch foldered --from-file PATH" in caught.value.hint
    _nothing_downloaded(usreg_home, "foldered")


def test_drive_quota_page(server, usreg_home: Path) -> None:
    server.add_gdrive_file(DRIVE_ID, "SegmentationDataset.zip", b"zip", error="quota")
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("spine-seg", [{"kind": "gdrive", "id": DRIVE_ID}]))
    assert f"google drive refused to serve file {DRIVE_ID}: Too many users have viewed or downloaded this file" in (
        caught.value.message
    )
    assert "up to 24" in caught.value.hint and f"https://drive.google.com/file/d/{DRIVE_ID}/view" in caught.value.hint
    _nothing_downloaded(usreg_home, "spine-seg")


def test_drive_permission_page(server, usreg_home: Path) -> None:
    server.add_gdrive_file(DRIVE_ID, "x.zip", b"zip", error="permission")
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("spine-perm", [{"kind": "gdrive", "id": DRIVE_ID}]))
    assert f"cannot retrieve the public link of google drive file {DRIVE_ID}" in caught.value.message
    assert "'Anyone with the link'" in caught.value.hint
    _nothing_downloaded(usreg_home, "spine-perm")


def test_drive_missing_file(server, usreg_home: Path) -> None:
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("spine-404", [{"kind": "gdrive", "id": "z" * 30}]))
    assert "does not exist or is not shared" in caught.value.message


def test_kaggle_rules_not_accepted(server, usreg_home: Path, tmp_path: Path) -> None:
    kaggle_token(server, tmp_path / "kaggle-config")
    server.add_kaggle_dataset("competitions/ultrasound-nerve-segmentation", b"zip", forbidden=True)
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("nerve", [{"kind": "kaggle", "id": "competitions/ultrasound-nerve-segmentation"}]))
    error = caught.value
    assert "the competition's rules have not been accepted" in error.message and error.status == 403
    assert f"{server.url}/competitions/ultrasound-nerve-segmentation/rules" not in error.hint  # the site, not the API
    assert "/competitions/ultrasound-nerve-segmentation/rules" in error.hint
    _nothing_downloaded(usreg_home, "nerve")


def test_kaggle_dataset_terms_not_accepted(server, usreg_home: Path, tmp_path: Path, monkeypatch) -> None:
    kaggle_token(server, tmp_path / "kaggle-config")
    monkeypatch.setenv("USREG_KAGGLE_URL", "https://www.kaggle.com")
    server.add_kaggle_dataset("owner/gated", b"zip", forbidden=True)
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("gated", [{"kind": "kaggle", "id": "owner/gated"}]))
    assert "its terms have not been accepted" in caught.value.message
    assert "open https://www.kaggle.com/datasets/owner/gated while logged in as 'usreg-tester'" in caught.value.hint


def test_kaggle_bad_token(server, usreg_home: Path, tmp_path: Path) -> None:
    (tmp_path / "kaggle-config" / "kaggle.json").write_text(json.dumps({"username": "someone", "key": "wrong"}))
    server.add_kaggle_dataset("owner/ds", b"zip")
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("kbad", [{"kind": "kaggle", "id": "owner/ds"}]))
    assert "Kaggle rejected the API token for user 'someone' (HTTP 401)" in caught.value.message


def test_kaggle_without_a_token(server, usreg_home: Path, tmp_path: Path) -> None:
    server.add_kaggle_dataset("owner/ds", b"zip")
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("knone", [{"kind": "kaggle", "id": "owner/ds"}]))
    assert "Kaggle needs an API token and none was found" in caught.value.message
    assert str(tmp_path / "kaggle-config" / "kaggle.json") in caught.value.hint
    assert server.requests() == []  # nothing was sent without credentials


def test_zenodo_missing_and_restricted(server, usreg_home: Path) -> None:
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("zmiss", [{"kind": "zenodo", "id": "999"}]))
    assert "zenodo record 999 does not exist" in caught.value.message
    record = {"id": 1000, "files": [], "metadata": {"access_right": "restricted"}}
    server.add_route("/zenodo/api/records/1000", lambda r: Response.json(record))
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("zrestricted", [{"kind": "zenodo", "id": "1000"}]))
    assert "lists no downloadable files (access: restricted)" in caught.value.message
    assert "usreg fetch zrestricted --from-file PATH" in caught.value.hint


def test_entry_file_not_in_record(server, usreg_home: Path) -> None:
    server.add_zenodo_record(1001, {"real.zip": b"x"})
    entry = dataset("ztypo", [{"kind": "zenodo", "id": "1001", "files": [{"name": "rael.zip"}]}])
    with pytest.raises(HostError) as caught:
        fetch_dataset(entry)
    assert "has no file named 'rael.zip'; it has: real.zip" in caught.value.message


def test_github_rate_limit(server, usreg_home: Path) -> None:
    server.add_route(
        "/github-api/repos/o/r/releases/latest",
        lambda r: Response(
            403,
            {"X-RateLimit-Remaining": "0", "Content-Type": "application/json"},
            b'{"message": "API rate limit exceeded"}',
        ),
    )
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("ghrl", [{"kind": "github", "id": "o/r"}]))
    assert "rate limit is exhausted" in caught.value.message and "GITHUB_TOKEN" in caught.value.hint


def test_unresolvable_host_fails_at_once_with_what_to_do(usreg_home: Path) -> None:
    from registry.fetch import FetchError

    # .invalid never resolves (RFC 6761), so this needs no network
    entry = dataset("no-dns", [{"kind": "http", "url": "http://usreg-test.invalid/data.zip"}])
    with pytest.raises(FetchError) as caught:
        fetch_dataset(entry)
    text = str(caught.value) + (caught.value.hint or "")
    assert "cannot resolve the host name 'usreg-test.invalid'" in text and "not retried" in text
    assert "--from-file" in text
    _nothing_downloaded(usreg_home, "no-dns")


# -- malformed host answers (issue 13): a clear error naming the host, the field and what was expected ---------------
ZENODO_FILE = {"key": "a.zip", "size": 3, "checksum": "md5:900150983cd24fb0d6963f7d28e17f72"}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ([ZENODO_FILE], "answered a malformed 'record': expected a JSON object, got a list of 1"),
        ({"id": 71, "files": "a.zip"}, "answered a malformed 'files': expected a list, got a string ('a.zip')"),
        ({"id": 71, "files": [{**ZENODO_FILE, "key": 7}]}, "malformed 'files[0].key': expected a non-empty string"),
        (
            {"id": 71, "files": [{**ZENODO_FILE, "size": "3"}]},
            "malformed 'files[0].size': expected a non-negative integer (bytes), got a string ('3')",
        ),
        ({"id": 71, "files": ["a.zip"]}, "malformed 'files[0]': expected a JSON object, got a string"),
        ({"id": 71, "files": {"entries": 5}}, "malformed 'files.entries': expected a list, got a number (5)"),
    ],
)
def test_malformed_zenodo_answers(server, usreg_home: Path, answer, expected) -> None:
    server.add_route("/zenodo/api/records/71", lambda r: Response.json(answer))
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("badzen", [{"kind": "zenodo", "id": "71"}]))
    assert caught.value.message.startswith("zenodo record 71: ")
    assert expected in caught.value.message
    assert "/zenodo/api/records/71" in caught.value.message
    _nothing_downloaded(usreg_home, "badzen")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ([], "malformed 'article': expected a JSON object, got a list of 0"),
        ({"files": "x"}, "malformed 'files': expected a list, got a string ('x')"),
        ({"files": [{"name": "a", "download_url": "http://x/a", "size": "9"}]}, "malformed 'files[0].size'"),
        ({"files": [{"name": 3, "download_url": "http://x/a"}]}, "malformed 'files[0].name'"),
        ({"files": [{"name": "a"}]}, "malformed 'files[0].download_url': expected a non-empty string, got null"),
    ],
)
def test_malformed_figshare_answers(server, usreg_home: Path, answer, expected) -> None:
    server.add_route("/figshare/v2/articles/72/versions/1", lambda r: Response.json(answer))
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("badfig", [{"kind": "figshare", "id": "72", "version": "1"}]))
    assert caught.value.message.startswith("figshare article 72 version 1: ")
    assert expected in caught.value.message


def test_malformed_github_and_huggingface_answers(server, usreg_home: Path) -> None:
    server.add_route("/github-api/repos/o/r/releases/tags/v1", lambda r: Response.json({"assets": {"a": 1}}))
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("badgh", [{"kind": "github", "id": "o/r", "tag": "v1"}]))
    assert "github release of o/r: " in caught.value.message and "malformed 'assets': expected a list" in (
        caught.value.message
    )
    server.add_route("/hf/api/datasets/o/r/tree/main", lambda r: Response.json([{"type": "file", "path": None}]))
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("badhf", [{"kind": "huggingface", "id": "o/r"}]))
    assert "malformed '[0].path': expected a non-empty string, got null" in caught.value.message


def test_redirect_loop_is_a_clear_error(server, usreg_home: Path) -> None:
    server.add_route("/files/loop", lambda r: Response.redirect(server.url + "/files/loop"))
    with pytest.raises(FetchError) as caught:
        fetch_dataset(dataset("redir", [{"kind": "http", "url": server.url + "/files/loop"}]))
    assert "127.0.0.1 redirects in a loop (more than 20 redirects" in caught.value.message
    assert server.hits("/files/loop") == 21  # followed to httpx's limit once, not retried
    server.add_route("/zenodo/api/records/73", lambda r: Response.redirect(server.url + "/zenodo/api/records/73"))
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("redir-api", [{"kind": "zenodo", "id": "73"}]))
    assert caught.value.message.startswith("zenodo record 73: 127.0.0.1 redirects in a loop")
