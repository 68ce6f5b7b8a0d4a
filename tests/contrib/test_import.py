"""`usreg import` drafts entries from each API's recorded response shape, served by the local test server."""

from __future__ import annotations

import yaml

from registry.catalog import load_catalog
from tests.contrib import responses
from tests.fixtures.server import Response


def _serve(server, path, body, status=200, browser_only=False):
    def handler(request):
        if browser_only and "Mozilla/" not in request.header("user-agent"):
            return Response.html("<h1>403</h1>", status=403)
        return Response.json(body, status=status)

    server.add_route(path, handler)


def _draft(run_cli, root, *args):
    result = run_cli("import", *args, "--dry-run", root=root)
    assert result.exit_code == 0, result.output
    return yaml.safe_load(result.output), result.output


def test_import_datacite_doi(catalog_root, run_cli, host_server):
    _serve(host_server, "/datacite/dois/10.1234/data.set.1", responses.DATACITE_BUSBRA)
    data, _ = _draft(run_cli, catalog_root.root, "doi:10.1234/data.set.1")
    assert data["name"] == "BUS-BRA: A Breast Ultrasound Dataset for Assessing CAD Systems"
    assert data["license"] == "CC-BY-4.0"
    assert data["year"] == 2023 and data["dataset_doi"] == "10.1234/data.set.1"
    assert data["description"] == "The BUS-BRA dataset contains 1875 images."
    assert data["anatomy"] == [] and data["counts"]["images"] is None  # not in the metadata: left empty
    api = f"{host_server.url}/datacite/dois/10.1234/data.set.1"
    assert {"license", "name", "year"} <= set(next(e for e in data["evidence"] if e["url"] == api)["fields"])


def test_import_falls_back_to_crossref(catalog_root, run_cli, host_server):
    _serve(host_server, "/datacite/dois/10.1038/s41597-026-06952-7", {"errors": [{"status": "404"}]}, status=404)
    _serve(host_server, "/crossref/works/10.1038/s41597-026-06952-7", responses.CROSSREF_PAPER)
    data, _ = _draft(run_cli, catalog_root.root, "https://doi.org/10.1038/s41597-026-06952-7")
    assert data["name"].startswith("An open B-mode ultrasound database")
    pub = data["publications"][0]
    assert pub["doi"] == "10.1038/s41597-026-06952-7" and pub["journal"] == "Scientific Data" and pub["year"] == 2026
    assert pub["authors"][:2] == [{"family": "Rulloni", "given": "V. S."}, {"family": "Perez", "given": "H. A."}]
    assert data["license"] is None and "licence still need" in data["notes"]


def test_import_zenodo_record_with_files(catalog_root, run_cli, host_server):
    _serve(host_server, "/zenodo/api/records/8231412", responses.ZENODO_RECORD)
    result = run_cli("import", "https://zenodo.org/records/8231412", "--id", "bus-bra-draft", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    path = catalog_root.root / "entries" / "datasets" / "bus-bra-draft.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["sources"] == [
        {
            "kind": "zenodo",
            "id": "8231412",
            "files": [{"name": "BUSBRA.zip", "size": 133917740, "md5": "1f8b2be6476d58fc97bfb5e5a1ea9bab"}],
            "url": "https://zenodo.org/records/8231412",
        }
    ]
    assert data["license"] == "CC-BY-4.0" and data["release_date"] == "2023-08-09" and data["version"] == "1.0"
    assert data["description"] == "1875 breast ultrasound images & masks."
    # The draft validates once the author adds the anatomy.
    path.write_text(path.read_text().replace("anatomy: []", "anatomy: [breast]"))
    assert not load_catalog(catalog_root.root).errors


def test_import_zenodo_doi_goes_to_the_records_api(catalog_root, run_cli, host_server):
    _serve(host_server, "/zenodo/api/records/8231412", responses.ZENODO_RECORD)
    data, _ = _draft(run_cli, catalog_root.root, "10.5281/zenodo.8231412")
    assert data["sources"][0]["id"] == "8231412"


def test_import_figshare_article(catalog_root, run_cli, host_server):
    _serve(host_server, "/figshare/v2/articles/14763051/versions/2", responses.FIGSHARE_ARTICLE)
    data, _ = _draft(run_cli, catalog_root.root, "10.6084/m9.figshare.14763051.v2")
    assert data["name"] == "Lung ultrasound frames" and data["license"] == "CC-BY-4.0" and data["year"] == 2021
    source = data["sources"][0]
    assert source["kind"] == "figshare" and source["id"] == "14763051" and source["version"] == "2"
    assert source["files"][0]["md5"] == "0123456789abcdef0123456789abcdef"


def test_import_mendeley_needs_a_browser_user_agent(catalog_root, run_cli, host_server):
    _serve(host_server, "/mendeley/public-api/datasets/8srkpz52dy", responses.MENDELEY_DATASET, browser_only=True)
    data, _ = _draft(run_cli, catalog_root.root, "https://data.mendeley.com/datasets/8srkpz52dy/1")
    assert data["name"] == "Ar-PlaqSegm1" and data["license"] == "CC-BY-4.0"
    assert data["dataset_doi"] == "10.17632/8srkpz52dy.1"
    source = data["sources"][0]
    assert (source["kind"], source["id"], source["version"]) == ("mendeley", "8srkpz52dy", "1")
    assert source["files"][0]["sha256"] == "ab" * 32


def test_import_mendeley_html_answer_is_a_clear_error(catalog_root, run_cli, host_server):
    host_server.add_route(
        "/mendeley/public-api/datasets/zzzzzzzzzz", lambda r: Response.html("<html><body>Loading...</body></html>")
    )
    result = run_cli("import", "https://data.mendeley.com/datasets/zzzzzzzzzz", "--dry-run", root=catalog_root.root)
    assert result.exit_code == 1 and "not JSON" in result.output


def test_import_github_repository(catalog_root, run_cli, host_server):
    _serve(host_server, "/github-api/repos/CAMMA-public/UltraSam", responses.GITHUB_REPO)
    _serve(host_server, "/github-api/repos/lab/tool", responses.GITHUB_REPO_MIT)
    model, _ = _draft(run_cli, catalog_root.root, "https://github.com/CAMMA-public/UltraSam", "--kind", "model")
    assert model["code"] == {"url": "https://github.com/CAMMA-public/UltraSam"}  # NOASSERTION: no licence claimed
    assert "ultrasound" in model["notes"]
    dataset, _ = _draft(run_cli, catalog_root.root, "https://github.com/lab/tool")
    assert dataset["license"] == "MIT" and dataset["sources"][0] == {
        "kind": "github",
        "id": "lab/tool",
        "url": "https://github.com/lab/tool",
    }


def test_import_unknown_reference(catalog_root, run_cli):
    result = run_cli("import", "https://example.org/some/page", root=catalog_root.root)
    assert result.exit_code == 1 and "cannot import" in result.output


def test_import_not_found(catalog_root, run_cli, host_server):
    result = run_cli("import", "https://zenodo.org/records/999", "--dry-run", root=catalog_root.root)
    assert result.exit_code == 1 and "404" in result.output
