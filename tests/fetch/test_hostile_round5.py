"""Hostile input, round 5: cases a fresh audit found getting through, each with the fix's behaviour.

Hosts are the real local server (``tests/fixtures/server.py``) on 127.0.0.1; archives and folders are real files.
"""

from __future__ import annotations

import tracemalloc
import urllib.request
import zlib
from pathlib import Path

import pytest

from registry.fetch import FetchError, HostError, fetch_dataset
from tests.fetch.conftest import dataset
from tests.fixtures.server import Response

RECORD = "/zenodo/api/records/42"


def _zenodo_answer(server, response: Response) -> None:
    server.add_route(RECORD, lambda request: response)


def _fetch_record() -> HostError:
    with pytest.raises(HostError) as caught:
        fetch_dataset(dataset("api-x", [{"kind": "zenodo", "id": "42"}]))
    return caught.value


# -- an API answer is read whole: it is bounded in size, inflated a chunk at a time, and may nest too deep ------------
def test_api_answer_nested_too_deep_is_a_host_error(server, usreg_home: Path) -> None:
    body = b"[" * 100_000 + b"]" * 100_000  # json.loads raises RecursionError on it
    _zenodo_answer(server, Response(200, {"Content-Type": "application/json"}, body))
    error = _fetch_record()
    assert "answered JSON nested too deeply to read" in error.message
    assert RECORD in error.message


def test_endless_api_answer_is_cut_off(server, usreg_home: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("registry.fetch.client.MAX_ANSWER_BYTES", 1 << 20, raising=False)
    endless = tmp_path / "endless.json"  # no Content-Length: sent chunked, 16 MiB where 1 MiB is the most read
    with endless.open("wb") as f:
        f.write(b'{"files": "')
        f.truncate(16 << 20)
    _zenodo_answer(server, Response(200, {"Content-Type": "application/json"}, endless, chunked=True))
    error = _fetch_record()
    assert "answered more than 1,048,576 bytes where a short answer was expected; stopped reading" in error.message
    assert "--from-file" in error.hint


def test_gzip_bomb_api_answer_is_never_inflated_whole(server, usreg_home: Path, monkeypatch) -> None:
    monkeypatch.setattr("registry.fetch.client.MAX_ANSWER_BYTES", 1 << 20, raising=False)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = packer.compress(b'{"a": "') + packer.compress(bytes(128 << 20)) + packer.flush()  # 128 MiB in ~128 KB
    assert len(bomb) < 1 << 20
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    _zenodo_answer(server, Response(200, headers, bomb))
    tracemalloc.start()
    try:
        error = _fetch_record()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "answered more than 1,048,576 bytes (unpacked from gzip)" in error.message
    assert peak < 32 << 20, f"{peak:,} bytes held while reading a gzip bomb"


def test_gzip_api_answer_still_reads(server, usreg_home: Path) -> None:
    """The bounded reader undoes a gzip Content-Encoding as httpx did: a compressed record fetches."""
    server.add_zenodo_record(42, {"a.txt": b"a"})
    with urllib.request.urlopen(server.url_for(RECORD)) as answer:  # the record the server built ...
        record = answer.read()
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = packer.compress(record) + packer.flush()  # ... served gzip-compressed instead
    _zenodo_answer(server, Response(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, body))
    result = fetch_dataset(dataset("api-gz", [{"kind": "zenodo", "id": "42"}]))
    assert result.source_dir is not None and (result.source_dir / "a.txt").read_bytes() == b"a"


# -- converters: an image whose header declares 100,000 x 100,000 pixels ----------------------------------------------
def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_png_declaring_ten_gigapixels_is_unreadable_not_a_converter_bug(tmp_path: Path) -> None:
    """Pillow's DecompressionBombError escaped the shared decoders, so the worker reported a converter bug."""
    from registry.loaders.decode import BadData, mask_binary, read_image

    bomb = tmp_path / "s0.png"
    bomb.write_bytes(_png_header_only(100_000, 100_000))
    for decoder in (read_image, mask_binary):
        with pytest.raises(BadData) as caught:
            decoder(str(bomb))
        assert caught.value.kind == "unreadable"
        assert "refused to decode the image: Image size (10000000000 pixels) exceeds limit" in caught.value.message


# -- a download nobody gives a size for is bounded by the free disk space ---------------------------------------------
def test_endless_download_of_unknown_size_stops_before_the_disk_is_full(
    server, usreg_home: Path, tmp_path: Path, monkeypatch
) -> None:
    """No size in the entry, no Content-Length: the body was written until the disk was full (ENOSPC), the kept
    ``.part`` file then filling it. Free space is now checked as it grows; here the reserve is set above any disk's
    free space, so the first check (after 1 MiB) stops it."""
    monkeypatch.setattr("registry.fetch.client.GROWTH_CHECK_BYTES", 1 << 20, raising=False)
    monkeypatch.setattr("registry.fetch.space.RESERVE_BYTES", 1 << 62)
    endless = tmp_path / "endless.bin"
    with endless.open("wb") as f:
        f.truncate(64 << 20)
    url = server.add_route("/files/f.bin", lambda request: Response(200, {}, endless, chunked=True))
    with pytest.raises(FetchError) as caught:
        fetch_dataset(dataset("endless", [{"kind": "http", "files": [{"name": "f.bin", "url": url}]}]))
    assert "stopped downloading f.bin: the host gave no size and has sent" in caught.value.message
    assert "endless body" in caught.value.hint
    part = usreg_home / "downloads/endless/latest/f.bin.part"
    assert part.stat().st_size < 8 << 20  # stopped near the first check, not at the end of the body
    assert not (usreg_home / "downloads/endless/latest/f.bin").exists()


# -- volumes: a detached header names its data file; a header declares its size ------------------------------------
def test_volume_header_cannot_read_a_file_outside_its_folder(tmp_path: Path) -> None:
    """A .mhd/.nhdr header naming /etc/... or ../../secret was read by SimpleITK into the converted dataset."""
    from registry.loaders.decode import BadData, read_image

    secret = tmp_path / "secret.key"
    secret.write_bytes(b"PRIVATE!")
    folder = tmp_path / "data" / "case1"
    folder.mkdir(parents=True)
    meta = "ObjectType = Image\nNDims = 2\nDimSize = 8 1\nElementType = MET_UCHAR\n"
    headers = {
        "abs.mhd": f"{meta}ElementDataFile = {secret}\n",
        "up.nhdr": "NRRD0004\ntype: uint8\ndimension: 2\nsizes: 8 1\nencoding: raw\ndata file: ../../secret.key\n",
        "list.mhd": "ObjectType = Image\nNDims = 3\nDimSize = 8 1 1\nElementType = MET_UCHAR\n"
        "ElementDataFile = LIST 2D\n../../secret.key\n",
    }
    for name, text in headers.items():
        (folder / name).write_text(text)
        with pytest.raises(BadData) as caught:
            read_image(str(folder / name))
        assert "outside its folder; refused" in caught.value.message, name
    (folder / "ok.raw").write_bytes(bytes(range(8)))  # a detached header beside its data still reads
    (folder / "ok.mhd").write_text(f"{meta}ElementDataFile = ok.raw\n")
    assert read_image(str(folder / "ok.mhd")).tolist() == [list(range(8))]


def test_volume_header_declaring_ten_terapixels_is_refused_before_reading(tmp_path: Path) -> None:
    from registry.loaders.datasets._volumes import read_slice
    from registry.loaders.decode import BadData

    huge = tmp_path / "huge.mha"
    huge.write_bytes(
        b"ObjectType = Image\nNDims = 3\nDimSize = 100000 100000 1000\nElementType = MET_UCHAR\n"
        b"ElementDataFile = LOCAL\n" + bytes(100)
    )
    with pytest.raises(BadData) as caught:
        read_slice(str(huge), 0)
    assert "declares 100000 x 100000 x 1000 pixels (10,000,000,000,000 values), over the limit" in caught.value.message


# -- converters: a CSV table with one 10 MB field ---------------------------------------------------------------------
def test_csv_with_a_ten_megabyte_field_is_a_clear_error(tmp_path: Path, usreg_home: Path) -> None:
    """csv.Error ('field larger than field limit') escaped from a converter's planning: a traceback."""
    from registry.errors import UsregError
    from registry.loaders.pipeline import convert_entry
    from tests.loaders.conftest import make_entry

    src = tmp_path / "src"
    src.mkdir()
    (src / "echo-record-list.csv").write_text('subject_id,study_id,dicom_filepath\n1,2,"' + "x" * (10 << 20) + '"\n')
    with pytest.raises(UsregError) as caught:
        convert_entry(make_entry("mimic-x", "mimic-iv-echo"), src, usreg_home, "1", workers=1)
    assert (
        "mimic-x: converter 'mimic-iv-echo' stopped at a CSV table it cannot read (echo-record-list.csv, row 2: a "
        "value longer than the csv module's limit of 131,072 characters)" in (caught.value.message)
    )
    assert "usreg cache clean mimic-x" in caught.value.hint


# -- HDF5: data kept outside the file --------------------------------------------------------------------------------
def test_hdf5_reading_outside_itself_is_refused(tmp_path: Path) -> None:
    """h5py reads a dataset's external raw storage, a virtual dataset's sources and external links: a hostile .h5 in
    a download put any file of this computer (here secret.key) into the converted dataset."""
    import h5py
    import numpy as np

    from registry.loaders.datasets._hdf5 import open_hdf5
    from registry.loaders.datasets.stanford_thyroid_cineclip import h5_frame
    from registry.loaders.decode import BadData

    secret = tmp_path / "secret.key"
    secret.write_bytes(bytes(range(64)))
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(4)
    files = {
        "raw.h5": lambda f: f.create_dataset("image", shape=(1, 8, 8), dtype="u1", external=[(str(secret), 0, 64)]),
        "link.h5": lambda f: f.__setitem__("image", h5py.ExternalLink(str(other), "/x")),
        "virtual.h5": lambda f: f.create_virtual_dataset("image", _virtual_layout(h5py, other)),
    }
    for name, make in files.items():
        with h5py.File(tmp_path / name, "w") as f:
            make(f)
        with pytest.raises(ValueError, match="outside this file; refused"):
            open_hdf5(tmp_path / name)
    with pytest.raises(BadData) as caught:  # a converter reading frames from such a file reports it unreadable
        h5_frame(str(tmp_path / "raw.h5"), "image", 0)
    assert f"keeps its data in {str(secret)!r}" in caught.value.message
    with h5py.File(tmp_path / "plain.h5", "w") as f:  # groups, soft links and a hard-link cycle read as before
        f["a/b/x"] = np.arange(3)
        f["soft"] = h5py.SoftLink("/a")
        f["a/b/loop"] = f["a"]
    with open_hdf5(tmp_path / "plain.h5") as f:
        assert f["soft/b/x"][()].tolist() == [0, 1, 2]


def _virtual_layout(h5py, source: Path):
    layout = h5py.VirtualLayout(shape=(4,), dtype="i8")
    layout[:] = h5py.VirtualSource(str(source), "x", shape=(4,))
    return layout


# -- MATLAB: a compressed variable inflating to gigabytes ----------------------------------------------------------
def test_mat_file_bomb_is_refused_before_scipy_inflates_it(tmp_path: Path, monkeypatch) -> None:
    """scipy inflates each compressed variable whole: a 190 KB .mat took 488 MB (10 MB would take 10 GB)."""
    import numpy as np
    import scipy.io

    from registry.errors import UsregError
    from registry.loaders.datasets._matlab import struct_records

    monkeypatch.setattr("registry.loaders.datasets._matlab.MAX_UNPACKED_BYTES", 1 << 20, raising=False)
    scipy.io.savemat(tmp_path / "ok.mat", {"data": {"img": np.arange(100).reshape(10, 10)}}, do_compression=True)
    assert len(struct_records("oasbud", tmp_path / "ok.mat", "data.mat")) == 1
    bomb = tmp_path / "bomb.mat"
    scipy.io.savemat(bomb, {"data": {"img": np.zeros((4000, 1000), np.uint8)}}, do_compression=True)
    assert bomb.stat().st_size < 16_000
    with pytest.raises(UsregError) as caught:
        struct_records("oasbud", bomb, "data.mat")
    assert "bomb.mat unpacks to more than 1,048,576 bytes" in caught.value.message
    assert "decompression bomb" in caught.value.message
