"""Host refusals become clear errors: what happened, where, and what to do; nothing half-written is left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.fetch import HostError, fetch_dataset
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
