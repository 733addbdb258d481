"""Fixtures for the TUI tests (see helpers.py for the fake Reverb)."""

from __future__ import annotations

import pytest
from textual.app import App

from reverb_tui.services.factory import Services
from tests.conftest import fast_client_factory
from tests.fakes.reverb import FakeReverb
from tests.ui.helpers import FIXED_NOW, record_notifications


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


@pytest.fixture(autouse=True)
def _notifications_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app a UI test runs records its notifications, for ``helpers.notifications``.

    Through Textual's public ``run_test(message_hook=…)``, chained before a test's own hook,
    instead of reading the app's private notification set, which drops a notification once
    its timeout has passed, so a slow run could miss one before the test looked.
    """
    run_test = App.run_test

    def recording_run_test(self: App, *, message_hook=None, **kw):
        return run_test(self, message_hook=record_notifications(self, message_hook), **kw)

    monkeypatch.setattr(App, "run_test", recording_run_test)
