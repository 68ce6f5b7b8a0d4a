"""Response bodies in the shapes the real APIs return (trimmed to the fields usreg reads, plus some it ignores).

Shapes follow the public API documentation of each host: DataCite REST API ``/dois/{doi}`` (JSON:API with
``data.attributes``), Crossref ``/works/{doi}`` (``message``), Zenodo ``/api/records/{id}`` (``metadata`` +
``files[].key/checksum``), figshare v2 ``/articles/{id}`` (``files[].computed_md5``, ``license.name``), Mendeley Data
``/public-api/datasets/{id}`` (``name``, ``description``, ``data_licence.short_name``, ``files[].content_details``),
and GitHub ``/repos/{owner}/{repo}`` (``license.spdx_id``, ``topics``).
"""

DATACITE_BUSBRA = {
    "data": {
        "id": "10.5281/zenodo.7730709",
        "type": "dois",
        "attributes": {
            "doi": "10.5281/zenodo.7730709",
            "titles": [{"title": "BUS-BRA: A Breast Ultrasound Dataset for Assessing CAD Systems"}],
            "creators": [
                {"name": "Gómez-Flores, Wilfrido", "nameType": "Personal"},
                {"name": "Gregorio-Calas, Maria Julia", "nameType": "Personal"},
            ],
            "publisher": "Zenodo",
            "publicationYear": 2023,
            "types": {"resourceTypeGeneral": "Dataset"},
            "descriptions": [
                {"description": "<p>The BUS-BRA dataset contains 1875 images.</p>", "descriptionType": "Abstract"}
            ],
            "rightsList": [
                {
                    "rights": "Creative Commons Attribution 4.0 International",
                    "rightsUri": "https://creativecommons.org/licenses/by/4.0/legalcode",
                    "rightsIdentifier": "cc-by-4.0",
                    "rightsIdentifierScheme": "SPDX",
                }
            ],
            "url": "https://zenodo.org/doi/10.5281/zenodo.7730709",
        },
    }
}

CROSSREF_PAPER = {
    "status": "ok",
    "message-type": "work",
    "message": {
        "DOI": "10.1038/s41597-026-06952-7",
        "title": ["An open B-mode ultrasound database for deep learning-based atherosclerotic plaque segmentation"],
        "author": [
            {"given": "V. S.", "family": "Rulloni", "sequence": "first"},
            {"given": "H. A.", "family": "Perez", "sequence": "additional"},
        ],
        "container-title": ["Scientific Data"],
        "issued": {"date-parts": [[2026, 5, 12]]},
        "type": "journal-article",
        "abstract": "<jats:p>We present 541 carotid images.</jats:p>",
    },
}

ZENODO_RECORD = {
    "id": 8231412,
    "doi": "10.5281/zenodo.8231412",
    "conceptrecid": "7730709",
    "metadata": {
        "title": "BUS-BRA: A Breast Ultrasound Dataset for Assessing CAD Systems",
        "doi": "10.5281/zenodo.8231412",
        "publication_date": "2023-08-09",
        "description": "<p>1875 <b>breast</b> ultrasound images &amp; masks.</p>",
        "access_right": "open",
        "creators": [{"name": "Gómez-Flores, Wilfrido", "affiliation": "Cinvestav"}],
        "license": {"id": "cc-by-4.0"},
        "version": "1.0",
        "resource_type": {"type": "dataset", "title": "Dataset"},
    },
    "files": [
        {
            "id": "c0ffee",
            "key": "BUSBRA.zip",
            "size": 133917740,
            "checksum": "md5:1f8b2be6476d58fc97bfb5e5a1ea9bab",
            "links": {"self": "https://zenodo.org/api/records/8231412/files/BUSBRA.zip/content"},
        }
    ],
    "links": {"self": "https://zenodo.org/api/records/8231412"},
}

FIGSHARE_ARTICLE = {
    "id": 14763051,
    "title": "Lung ultrasound frames",
    "doi": "10.6084/m9.figshare.14763051.v2",
    "version": 2,
    "published_date": "2021-06-10T08:00:00Z",
    "description": "<div>Frames from lung ultrasound videos.</div>",
    "license": {"value": 1, "name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
    "url_public_html": "https://figshare.com/articles/dataset/Lung_ultrasound_frames/14763051",
    "files": [
        {
            "id": 1,
            "name": "frames.zip",
            "size": 2048,
            "is_link_only": False,
            "download_url": "https://ndownloader.figshare.com/files/1",
            "supplied_md5": "",
            "computed_md5": "0123456789abcdef0123456789abcdef",
            "mimetype": "application/zip",
        }
    ],
}

MENDELEY_DATASET = {
    "id": "8srkpz52dy",
    "version": 1,
    "name": "Ar-PlaqSegm1",
    "description": "Carotid plaque images with masks.",
    "doi": {"id": "10.17632/8srkpz52dy.1"},
    "publish_date": "2026-01-20T10:00:00.000Z",
    "data_licence": {"short_name": "CC BY 4.0", "full_name": "Creative Commons Attribution 4.0"},
    "files": [
        {
            "filename": "1.png",
            "id": "a1",
            "size": 1234,
            "status": "COMPLETED",
            "content_details": {
                "size": 1234,
                "content_type": "image/png",
                "sha256_hash": "ab" * 32,
                "download_url": "https://data.mendeley.com/public-files/datasets/8srkpz52dy/files/a1/file_downloaded",
            },
        }
    ],
}

GITHUB_REPO = {
    "id": 1,
    "name": "UltraSam",
    "full_name": "CAMMA-public/UltraSam",
    "html_url": "https://github.com/CAMMA-public/UltraSam",
    "description": "UltraSam: a foundation model for ultrasound",
    "homepage": "",
    "created_at": "2024-11-20T10:00:00Z",
    "license": {"key": "other", "name": "Other", "spdx_id": "NOASSERTION"},
    "topics": ["ultrasound", "segment-anything"],
}

GITHUB_REPO_MIT = {
    **GITHUB_REPO,
    "name": "tool",
    "full_name": "lab/tool",
    "html_url": "https://github.com/lab/tool",
    "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
}
