"""The snapshot tests use the UI tests' fake Reverb and fixed-clock services."""

from tests.ui.conftest import fake_reverb, fixed_services  # noqa: F401
