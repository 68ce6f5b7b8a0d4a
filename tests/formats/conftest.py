"""The converter test helpers are shared with tests/loaders."""

from tests.loaders.conftest import Converted, convert, make_entry  # noqa: F401
