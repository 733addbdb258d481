"""Fixtures for the TUI tests (see helpers.py for the fake Reverb)."""

from __future__ import annotations

import pytest

from reverb_tui.services.factory import Services
from tests.conftest import fast_client_factory
from tests.fakes.reverb import FakeReverb
from tests.ui.helpers import FIXED_NOW


@pytest.fixture
def fake_reverb() -> FakeReverb:
    return FakeReverb()


@pytest.fixture
def services(make_services, fake_reverb: FakeReverb) -> Services:
    return make_services(client_factory=fast_client_factory(fake_reverb.transport))


@pytest.fixture
def fixed_services(make_services, fake_reverb: FakeReverb) -> Services:
    """Services with a fixed clock, for pictures that must not change from run to run."""
    return make_services(
        client_factory=fast_client_factory(fake_reverb.transport), clock=lambda: FIXED_NOW
    )
