"""Each host's happy path against the local server: files on disk, verified, locked, and the source tree built."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from registry import __version__
from registry.fetch import fetch_dataset
from tests.fetch.conftest import dataset, kaggle_token
from tests.fixtures import archives

GDRIVE_ID = "1r-r0dcXePMyXiXuVEUhtUgARw-Ktp_O1"  # the real spinal-cord detection file id (shape matters: 25+ chars)


def _lock(home: Path, entry_id: str, version: str) -> dict:
    return json.loads((home / "downloads" / entry_id / version / "usreg.lock.json").read_text())["files"]


def test_zenodo_key_shape(server, usreg_home: Path) -> None:
    zipped = archives.make_zip({"imgs/1.png": b"one", "imgs/2.png": b"two"})
    server.add_zenodo_record(8231412, {"BUS-BRA.zip": zipped, "bus_data.csv": b"ID,Pathology\n1,benign\n"})
    entry = dataset("bus-bra", [{"kind": "zenodo", "id": "8231412", "version": "1"}])
    result = fetch_dataset(entry)
    downloads = usreg_home / "downloads/bus-bra/1"
    assert (downloads / "BUS-BRA.zip").read_bytes() == zipped
    assert result.source_dir == usreg_home / "sources/bus-bra/1"
    assert (result.source_dir / "imgs/1.png").read_bytes() == b"one"
    assert (result.source_dir / "bus_data.csv").read_bytes().startswith(b"ID,Pathology")
    # plain files are hard links to the verified download, not copies
    assert (result.source_dir / "bus_data.csv").stat().st_ino == (downloads / "bus_data.csv").stat().st_ino
    lock = _lock(usreg_home, "bus-bra", "1")
    assert lock["BUS-BRA.zip"]["trust"] == "host"
    assert lock["BUS-BRA.zip"]["md5"] == hashlib.md5(zipped).hexdigest()
    assert lock["BUS-BRA.zip"]["sha256"] == hashlib.sha256(zipped).hexdigest()
    agents = {r.headers.get("user-agent") for r in server.requests() if r.path.startswith("/zenodo")}
    assert agents == {f"usreg/{__version__} (+https://github.com/usreg/usreg)"}
    content = [r.path for r in server.requests() if r.path.endswith("/content")]
    assert sorted(content) == [
        "/zenodo/api/records/8231412/files/BUS-BRA.zip/content",
        "/zenodo/api/records/8231412/files/bus_data.csv/content",
    ]
    # fetching never converts: that is registry.pipeline's next step
    assert result.message == f"bus-bra is fetched and verified; its files are in {result.source_dir}"
    assert result.converted_dir is None


def test_zenodo_filename_shape_and_concept_redirect(server, usreg_home: Path) -> None:
    server.add_zenodo_record(200, {"a.txt": b"alpha"}, shape="filename", concept_id=199)
    result = fetch_dataset(dataset("zen-new", [{"kind": "zenodo", "id": "199"}]))
    assert (usreg_home / "downloads/zen-new/latest/a.txt").read_bytes() == b"alpha"
    assert result.files[0].trust == "host"
    assert server.hits("/zenodo/api/records/200/files/a.txt/content") == 1


def test_zenodo_entry_file_filter(server, usreg_home: Path) -> None:
    server.add_zenodo_record(300, {"wanted.txt": b"w", "other.bin": b"o" * 100})
    entry = dataset("zen-filter", [{"kind": "zenodo", "id": "300", "files": [{"name": "wanted.txt"}]}])
    fetch_dataset(entry)
    assert sorted(p.name for p in (usreg_home / "downloads/zen-filter/latest").iterdir()) == [
        "usreg.lock.json",
        "wanted.txt",
    ]


def test_figshare_versioned_article(server, usreg_home: Path) -> None:
    server.add_figshare_article(14763051, {"tiny-data.txt": b"v1 data"}, version=1)
    server.add_figshare_article(14763051, {"tiny-data.txt": b"v2 data, newer"}, version=2)
    entry = dataset("fig", [{"kind": "figshare", "id": "14763051", "version": "1"}], version="1")
    fetch_dataset(entry)
    assert (usreg_home / "downloads/fig/1/tiny-data.txt").read_bytes() == b"v1 data"
    assert server.hits("/figshare/v2/articles/14763051/versions/1") == 1
    result = fetch_dataset(entry, version="2")  # --version picks the host's version
    assert (usreg_home / "downloads/fig/2/tiny-data.txt").read_bytes() == b"v2 data, newer"
    assert result.files[0].verified_by == ["md5 (figshare article 14763051 version 2)"]


def test_mendeley_dataset_with_browser_agent(server, usreg_home: Path) -> None:
    files = {"1.png": b"img1", "1_labeled.png": b"mask1", "544 .png": b"img544", "544_labeled.png": b"mask544"}
    server.add_mendeley_dataset("8srkpz52dy", 1, files)
    entry = dataset("carotid", [{"kind": "mendeley", "id": "8srkpz52dy", "version": "1"}], version="1")
    result = fetch_dataset(entry)
    source = usreg_home / "sources/carotid/1"
    assert result.source_dir == source
    assert {p.name: p.read_bytes() for p in source.iterdir() if not p.name.startswith(".")} == files
    api = server.requests("/mendeley/public-api/datasets/8srkpz52dy")
    assert api[0].query == {"folder_id": "", "dataset_version": "1"}
    assert "Mozilla/5.0" in api[0].headers["user-agent"]
    assert all(f.trust == "host" for f in result.files)
    assert _lock(usreg_home, "carotid", "1")["544 .png"]["sha256"] == hashlib.sha256(b"img544").hexdigest()


@pytest.mark.parametrize("confirm", [False, True])
def test_gdrive_file_direct_and_virus_scan_form(server, usreg_home: Path, confirm: bool) -> None:
    data = archives.make_zip({"train/p01_a.png": b"png", "train/p01_a.xml": b"<annotation/>"})
    serving = server.add_gdrive_file(GDRIVE_ID, "detection.zip", data, confirm_page=confirm)
    result = fetch_dataset(dataset("spine", [{"kind": "gdrive", "id": GDRIVE_ID}]))
    assert (usreg_home / "downloads/spine/latest/detection.zip").read_bytes() == data
    assert (result.source_dir / "train/p01_a.xml").read_bytes() == b"<annotation/>"
    assert result.files[0].trust == "tofu"
    if confirm:  # the hidden inputs of #download-form reached drive.usercontent
        downloads = server.requests(serving)
        assert downloads and all(r.query["confirm"] == "t" and r.query["uuid"] for r in downloads)
    # plan time asks for one byte (name and size from the headers); the download then takes the whole file once
    assert server.bytes_sent(serving) == 1 + len(data)
    assert [r.headers.get("range") for r in server.requests(serving)][-2:] == ["bytes=0-0", None]


def test_gdrive_folder_recursive(server, usreg_home: Path) -> None:
    ids = [f"{c}" * 28 for c in "abcde"]
    server.add_gdrive_file(ids[0], "1.png", b"one")
    server.add_gdrive_file(ids[1], "1_mask.png", b"mask", confirm_page=True)
    server.add_gdrive_file(ids[2], "train.txt", b"1\n")
    server.add_gdrive_folder(ids[3], "masks", [ids[1]])
    server.add_gdrive_folder(ids[4], "MMOTU", [ids[0], ids[3], ids[2]])
    result = fetch_dataset(dataset("mmotu", [{"kind": "gdrive", "id": ids[4], "folder": True}]))
    names = sorted(f.name for f in result.files)
    assert names == ["1.png", "masks/1_mask.png", "train.txt"]
    assert (result.source_dir / "masks/1_mask.png").read_bytes() == b"mask"


def test_github_release_assets_with_digest(server, usreg_home: Path) -> None:
    weights = os.urandom(5000)
    server.add_github_release("usreg/demo", "v1.0", {"model.onnx": weights, "notes.txt": b"n"})
    entry = dataset("gh", [{"kind": "github", "id": "usreg/demo", "tag": "v1.0", "files": [{"name": "model.onnx"}]}])
    result = fetch_dataset(entry)
    assert (usreg_home / "downloads/gh/latest/model.onnx").read_bytes() == weights
    assert [f.name for f in result.files] == ["model.onnx"]
    assert result.files[0].verified_by == ["sha256 (github release v1.0 of usreg/demo)"]
    assert server.hits("/github/usreg/demo/releases/download/v1.0/model.onnx") == 1  # then the redirect
    assert server.bytes_sent("/github-objects/usreg/demo/v1.0/model.onnx") == 5000


def test_github_tagged_archive(server, usreg_home: Path) -> None:
    tarball = archives.make_tar({"demo-v2/data/x.csv": b"a,b\n"}, "tar.gz")
    server.add_github_release("usreg/demo", "v2", {}, archive=tarball)
    server.fail("/github-api/repos/usreg/demo/releases/tags/v2", 404, times=5)
    result = fetch_dataset(dataset("gh-archive", [{"kind": "github", "id": "usreg/demo", "tag": "v2"}]))
    assert result.files[0].name == "demo-v2.tar.gz"
    assert result.files[0].trust == "tofu"  # chunked, no Content-Length, no published checksum
    assert (result.source_dir / "demo-v2/data/x.csv").read_bytes() == b"a,b\n"


def test_kaggle_dataset_and_competition(server, usreg_home: Path, tmp_path: Path) -> None:
    kaggle_token(server, tmp_path / "kaggle-config")
    zipped = archives.make_zip({"images/a.png": b"a"})
    server.add_kaggle_dataset("aryashah2k/breast-ultrasound-images-dataset", zipped)
    result = fetch_dataset(dataset("busi", [{"kind": "kaggle", "id": "aryashah2k/breast-ultrasound-images-dataset"}]))
    assert result.files[0].name == "breast-ultrasound-images-dataset.zip"
    assert (result.source_dir / "images/a.png").read_bytes() == b"a"
    auth = server.requests("/kaggle/api/v1/datasets/download/aryashah2k/breast-ultrasound-images-dataset")
    assert auth[0].headers["authorization"].startswith("Basic ")

    comp = archives.make_zip({"train.csv": b"id\n1\n"})
    server.add_kaggle_dataset("competitions/ultrasound-nerve-segmentation", comp)
    result = fetch_dataset(
        dataset("nerve", [{"kind": "kaggle", "id": "competitions/ultrasound-nerve-segmentation"}], access="challenge")
    )
    assert (result.source_dir / "train.csv").read_bytes() == b"id\n1\n"


def test_kaggle_token_from_environment(server, usreg_home: Path, monkeypatch) -> None:
    user, key = server.kaggle_credentials
    monkeypatch.setenv("KAGGLE_USERNAME", user)
    monkeypatch.setenv("KAGGLE_KEY", key)
    server.add_kaggle_dataset("owner/files-ds", b"", files={"a.csv": b"x\n"})
    entry = dataset("kfiles", [{"kind": "kaggle", "id": "owner/files-ds", "files": [{"name": "a.csv"}]}])
    fetch_dataset(entry)
    assert (usreg_home / "downloads/kfiles/latest/a.csv").read_bytes() == b"x\n"


def test_plain_http_with_declared_checksum(server, usreg_home: Path) -> None:
    data = os.urandom(10_000)
    url = server.add_http_file("/lab/us-set.tar.xz", archives.make_tar({"u/1.bin": data}, "tar.xz"))
    blob = archives.make_tar({"u/1.bin": data}, "tar.xz")
    server.add_http_file("/lab/us-set.tar.xz", blob)
    entry = dataset(
        "lab",
        [
            {
                "kind": "http",
                "url": url,
                "files": [{"name": "us-set.tar.xz", "sha256": hashlib.sha256(blob).hexdigest()}],
            }
        ],
    )
    result = fetch_dataset(entry)
    assert result.files[0].trust == "entry"
    assert (result.source_dir / "u/1.bin").read_bytes() == data


def test_huggingface_dataset_repo(server, usreg_home: Path) -> None:
    server.add_hf_dataset("org/us-demo", {"data/train.parquet": b"PAR1 fake", "README.md": b"# demo"})
    result = fetch_dataset(dataset("hf", [{"kind": "huggingface", "id": "org/us-demo"}]))
    assert sorted(f.name for f in result.files) == ["README.md", "data/train.parquet"]
    assert all(f.trust == "host" for f in result.files)


def test_second_run_uses_the_cache(server, usreg_home: Path) -> None:
    paths = server.add_zenodo_record(400, {"a.bin": b"a" * 1000})
    entry = dataset("again", [{"kind": "zenodo", "id": "400"}])
    fetch_dataset(entry)
    second = fetch_dataset(entry)
    assert second.files[0].status == "cached" and second.bytes_transferred == 0
    assert server.hits(paths["a.bin"]) == 1
