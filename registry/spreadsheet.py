"""CSV cells that a spreadsheet opens as text: shared by ``usreg export --format csv`` and every ``--format csv``."""

from __future__ import annotations

from typing import Any

#: what makes a spreadsheet read a CSV cell as a formula (=HYPERLINK(...), +cmd|..., -2+3, @SUM(...)), tab and CR
#: included, since some spreadsheets drop them before looking
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, quoted with a leading apostrophe (the OWASP rule), so
    that opening the CSV shows the text; numbers and other text are unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value
