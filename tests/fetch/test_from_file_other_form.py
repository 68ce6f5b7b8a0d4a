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
