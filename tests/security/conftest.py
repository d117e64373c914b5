"""The security suite attacks the same processes the rooms test: a providers process
(tests/providers) and a staging stack on loopback (tests/run), each started once here."""

from tests.providers.conftest import _clean_mock, mock
from tests.run.conftest import staging, staging_stack

__all__ = ["_clean_mock", "mock", "staging", "staging_stack"]
