"""--from-file with the data in another form than the host's files (an unpacked copy, another mirror's packaging):
the given files are converted and the host's files are not downloaded as well (the data would be converted twice)."""

from __future__ import annotations

from pathlib import Path

from registry.fetch import fetch_dataset
from tests.fetch.conftest import dataset
from tests.fetch.test_resilience import Recorder
from tests.fixtures.archives import make_zip


def _unpacked(root: Path) -> Path:
    (root / "train").mkdir(parents=True)
    (root / "train" / "1.png").write_bytes(b"one")
    return root


def test_an_unpacked_copy_is_not_downloaded_again(server, usreg_home: Path, tmp_path: Path) -> None:
    paths = server.add_zenodo_record(603, {"data.zip": make_zip({"train/1.png": b"one"})})
    entry = dataset("unpacked", [{"kind": "zenodo", "id": "603"}])
    recorder = Recorder()
    result = fetch_dataset(entry, from_files=[_unpacked(tmp_path / "copy")], reporter=recorder)
    assert server.hits(paths["data.zip"]) == 0
    assert [f.name for f in result.files] == ["train/1.png"]
    assert (result.source_dir / "train/1.png").read_bytes() == b"one"
    warnings = [t for level, t in recorder.messages if level == "warning"]
    assert any("not downloading data.zip" in t and "usreg cache clean unpacked" in t for t in warnings), warnings


def test_a_declared_archive_given_unpacked_is_not_downloaded(server, usreg_home: Path, tmp_path: Path) -> None:
    """camus: the entry lists CAMUS.zip on an HTTP host; a user who unpacked it gives the folder."""
    server.add_route("/camus/CAMUS.zip", server._file_route(make_zip({"train/1.png": b"one"})))
    url = server.url_for("/camus/CAMUS.zip")
    entry = dataset("declared", [{"kind": "http", "url": url, "files": [{"name": "CAMUS.zip", "url": url}]}])
    result = fetch_dataset(entry, from_files=[_unpacked(tmp_path / "CAMUS")])
    assert server.hits("/camus/CAMUS.zip") == 0
    assert (result.source_dir / "train/1.png").read_bytes() == b"one"


def test_given_host_files_still_leave_the_others_to_download(server, usreg_home: Path, tmp_path: Path) -> None:
    paths = server.add_zenodo_record(604, {"images.zip": make_zip({"1.png": b"i"}), "labels.csv": b"id\n1\n"})
    entry = dataset("part", [{"kind": "zenodo", "id": "604"}])
    given = tmp_path / "labels.csv"
    given.write_bytes(b"id\n1\n")
    result = fetch_dataset(entry, from_files=[given])
    assert server.hits(paths["images.zip"]) == 1 and server.hits(paths["labels.csv"]) == 0
    assert sorted(f.name for f in result.files) == ["images.zip", "labels.csv"]


def test_a_declared_table_in_a_subfolder_keeps_its_place_beside_its_images(usreg_home: Path, tmp_path: Path) -> None:
    """unitylv-multix: the entry declares two JSON files; a user gives the folder that holds the package
    (UnityLV-MultiX/ with Images/ and the two JSON files). The JSON files were moved to the top of the source tree
    under their bare names, away from Images/, so the loader found no images beside its labels."""
    package = tmp_path / "given" / "UnityLV-MultiX"
    (package / "Images").mkdir(parents=True)
    (package / "Images" / "1.png").write_bytes(b"one")
    (package / "labels.json").write_bytes(b"{}")
    entry = dataset("tree", [{"kind": "manual", "url": "https://example.org/form", "files": [{"name": "labels.json"}]}])
    result = fetch_dataset(entry, from_files=[tmp_path / "given"])
    assert sorted(f.name for f in result.files) == ["UnityLV-MultiX/Images/1.png", "UnityLV-MultiX/labels.json"]
    assert (result.source_dir / "UnityLV-MultiX" / "labels.json").read_bytes() == b"{}"
    assert not (result.source_dir / "labels.json").exists()


def test_a_host_file_given_in_a_subfolder_is_not_downloaded_again(server, usreg_home: Path, tmp_path: Path) -> None:
    paths = server.add_zenodo_record(605, {"images.zip": make_zip({"1.png": b"i"}), "labels.csv": b"id\n1\n"})
    entry = dataset("sub", [{"kind": "zenodo", "id": "605"}])
    (tmp_path / "given" / "meta").mkdir(parents=True)
    (tmp_path / "given" / "meta" / "labels.csv").write_bytes(b"id\n1\n")
    result = fetch_dataset(entry, from_files=[tmp_path / "given"])
    assert server.hits(paths["labels.csv"]) == 0 and server.hits(paths["images.zip"]) == 1
    assert sorted(f.name for f in result.files) == ["images.zip", "meta/labels.csv"]
