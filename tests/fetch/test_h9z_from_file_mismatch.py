"""`usreg fetch camus --from-file ~/Downloads/CAMUS_public.zip` with a file whose checksum is not the entry's: nothing
was downloaded, so the error must not call the user's file "the downloaded file" nor blame a corrupted transfer and
say to run the fetch again (which fails the same way); it names the given file and what to do with it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from registry.fetch import fetch_dataset
from registry.fetch.errors import ChecksumMismatch
from tests.fetch.conftest import dataset
from tests.fixtures.archives import make_zip


def test_a_given_file_with_another_checksum_is_named_as_given_not_downloaded(usreg_home: Path, tmp_path: Path) -> None:
    declared = hashlib.sha256(b"the release").hexdigest()
    entry = dataset(
        "given",
        [{"kind": "manual", "url": "https://example.org/form", "files": [{"name": "CAMUS.zip", "sha256": declared}]}],
    )
    given = tmp_path / "CAMUS.zip"
    given.write_bytes(make_zip({"train/1.png": b"one"}))
    before = given.read_bytes()
    with pytest.raises(ChecksumMismatch) as caught:
        fetch_dataset(entry, from_files=[given])
    error = caught.value
    assert f"the file given with --from-file ({given})" in error.message, error.message
    assert "downloaded" not in error.message, error.message
    assert "transfer" not in error.hint and "run the fetch again" not in error.hint, error.hint
    assert "--skip-verify" in error.hint
    assert given.read_bytes() == before  # the user's file is left as it was
