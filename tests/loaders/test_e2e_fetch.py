"""End to end: `usreg fetch ID` against the local host server, then `registry.load(ID)`.

The fixture builders make the files in each dataset's real layout; the server speaks the host's API (Mendeley,
Google Drive with the virus-scan form, Zenodo); fetch downloads, verifies, extracts and calls the converter.
"""

from __future__ import annotations

import io
import zipfile

import pytest

import registry
from tests.conftest import minimal_dataset
from tests.fetch.conftest import server  # noqa: F401  (the HostServer fixture)
from tests.fixtures.builders import bus_bra, porcine_spinal_cord
from tests.fixtures.catalogs import add_carotid_plaque_on_mendeley

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_fetch_carotid_plaque_from_mendeley(server, catalog_root, run_cli, tmp_path, usreg_home):  # noqa: F811
    add_carotid_plaque_on_mendeley(server, catalog_root, tmp_path / "files", size=160, counts={"images": 3})
    result = run_cli("fetch", "carotid-plaque", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    ds = registry.load("carotid-plaque")
    assert sorted(s.sample_id for s in ds) == ["1", "2", "544"]
    assert ds.metadata["source"]["lock"] is not None  # the fetch layer's checksums are recorded
    checks = run_cli("check", "carotid-plaque", root=catalog_root.root)
    assert checks.exit_code == 0, checks.output


def test_fetch_porcine_spinal_cord_from_drive(server, catalog_root, run_cli, tmp_path):  # noqa: F811
    fx = porcine_spinal_cord.build_segmentation(tmp_path / "files")
    server.add_gdrive_file(
        "1JUKakYg10ZsHVDORsv9XvDkx86WVKaFO",
        "SegmentationDataset.zip",
        fx.files["SegmentationDataset.zip"],
        confirm_page=True,
    )
    catalog_root.dataset(
        minimal_dataset(
            "porcine-spinal-cord",
            anatomy=["spinal-cord"],
            sources=[{"kind": "gdrive", "id": "1JUKakYg10ZsHVDORsv9XvDkx86WVKaFO"}],
            loader={"name": "porcine-spinal-cord"},
        )
    )
    result = run_cli("fetch", "porcine-spinal-cord", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    ds = registry.load("porcine-spinal-cord", split="train")
    assert len(ds) == 2 and ds.classes["anatomy"][6] == "hematoma"


def test_fetch_bus_bra_from_zenodo(server, catalog_root, run_cli, tmp_path):  # noqa: F811
    fx = bus_bra.build(tmp_path / "files")
    server.add_zenodo_record(8231412, fx.files)
    catalog_root.dataset(
        minimal_dataset(
            "bus-bra",
            version="1.0",
            sources=[{"kind": "zenodo", "id": "8231412", "version": "1.0"}],
            loader={"name": "bus-bra"},
        )
    )
    result = run_cli("fetch", "bus-bra", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    test = registry.load("bus-bra", split="test")
    assert sorted(s.sample_id for s in test) == fx.expected["test_ids"]


def test_fetch_of_an_empty_archive_names_it(server, catalog_root, run_cli):  # noqa: F811
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w"):
        pass
    server.add_zenodo_record(999, {"BUSBRA.zip": buf.getvalue()})
    catalog_root.dataset(
        minimal_dataset("bus-bra", sources=[{"kind": "zenodo", "id": "999"}], loader={"name": "bus-bra"})
    )
    result = run_cli("fetch", "bus-bra", root=catalog_root.root)
    assert result.exit_code == 1
    assert "BUSBRA.zip are empty" in result.output
