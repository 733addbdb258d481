"""What every screen of the app shares: worker routing (see ``ui_workers``) and leaving.

A screen that wants a failed worker's error shown inline (under a form) overrides
``show_worker_error`` and returns True; otherwise the App notifies.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input
from textual.worker import Worker

from ..ui_workers import (  # re-exported: the screens' one import for routing
    GROUP_DB,
    GROUP_PROVIDERS,
    GROUP_SEARCH,
    GROUP_SYNC,
    GROUP_TABLE,
    GROUP_VERIFY,
    WorkerName,
    WorkerRouting,
)
from ..widgets.form_error import FormError

__all__ = [
    "GROUP_DB",
    "GROUP_PROVIDERS",
    "GROUP_SEARCH",
    "GROUP_SYNC",
    "GROUP_TABLE",
    "GROUP_VERIFY",
    "NARROW_BELOW",
    "SHORT_BELOW",
    "FormModal",
    "ReverbModal",
    "ReverbScreen",
    "WorkerName",
    "WorkerRouting",
]

# Screens narrower (columns) or shorter (rows) than this fit themselves in (ReverbScreen).
NARROW_BELOW = 100
SHORT_BELOW = 32


class _Leaving:
    app: Any

    def leave(self, result: Any = None) -> None:
        """Close this screen, and anything opened over it (a palette, a modal)."""
        screen: Any = self
        if screen not in self.app.screen_stack:
            return
        if not screen.is_active:
            screen.pop_until_active()
        screen.dismiss(result)


class ReverbScreen(WorkerRouting, _Leaving, Screen[Any]):
    """A full screen of the app. Below 100 columns it has the ``-narrow`` class, below 32
    rows ``-short`` (an SSH session's 80×24 has both): the stylesheets fit it in."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_BELOW, "-tall")]


class ReverbModal(WorkerRouting, _Leaving, ModalScreen[Any]):
    """A modal dialog of the app."""


class FormModal(ReverbModal):
    """A dialog with one form and one ``FormError``. Its ``SUBMIT_BUTTON`` or Enter in a field
    submits (the error is cleared, then ``run_form`` starts the work); its ``CANCEL_BUTTON``
    and Escape (``action_cancel``) dismiss with None; other buttons are the subclass's. The
    worker posts ``Done(result)`` and the dialog dismisses with that result; a worker's
    failure shows in the dialog."""

    SUBMIT_BUTTON: ClassVar[str] = ""
    CANCEL_BUTTON: ClassVar[str] = ""

    class Done(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    def run_form(self) -> None:
        """Read the fields and start the worker that posts ``Done``."""
        raise NotImplementedError

    def submit(self) -> None:
        self.query_one(FormError).clear()
        self.run_form()

    @on(Button.Pressed)
    def _form_button(self, event: Button.Pressed) -> None:
        if event.button.id == self.SUBMIT_BUTTON:
            event.stop()
            self.submit()
        elif event.button.id == self.CANCEL_BUTTON:
            event.stop()
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def on_form_modal_done(self, message: FormModal.Done) -> None:
        message.stop()
        self.dismiss(message.result)

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        self.query_one(FormError).show(message)
        return True

    def action_cancel(self) -> None:
        self.dismiss(None)
