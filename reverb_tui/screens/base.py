"""What every screen of the app shares: failed workers go to the app's one handler.

``Worker.StateChanged`` does not bubble, so each screen forwards its workers' failures to
``ReverbApp.report_worker_failure``. A screen that wants a failure shown inline (under a
form) overrides ``show_worker_error`` and returns True; otherwise the app notifies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input
from textual.worker import Worker, WorkerState

from ..widgets.form_error import FormError

# Worker groups (ARCHITECTURE.md "Workers and sync"). ``exclusive=True`` only within a group.
GROUP_DB = "db"  # short database writes and reads in a thread
GROUP_TABLE = "table"  # reading the rows of a table (exclusive: the newest read wins)
GROUP_VERIFY = "verify"  # async calls to Reverb made while a person waits on a form
GROUP_SYNC = "sync"  # background sync runs (wired by the sync area)

if TYPE_CHECKING:
    from ..app import ReverbApp
    from ..services.factory import Services


class WorkerRouting:
    """Mixin for screens: route failed workers, reach the injected services."""

    app: Any

    @property
    def services(self) -> Services:
        return self.reverb_app.services

    @property
    def reverb_app(self) -> ReverbApp:
        return self.app

    def _on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A leading underscore: Textual calls it from this class's __dict__ in the MRO walk,
        # in addition to any ``on_worker_state_changed`` a screen defines.
        if event.state is WorkerState.ERROR:
            self.reverb_app.report_worker_failure(event.worker, origin=self)
        self.worker_state_changed(event.worker, event.state)

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        """Hook for screens that track a worker's progress (spinners, disabled buttons)."""

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        """Show ``message`` inline for ``worker``; return False to let the app notify."""
        return False

    def leave(self, result: Any = None) -> None:
        """Close this screen, and anything opened over it (a palette, a modal)."""
        screen: Any = self
        if screen not in self.app.screen_stack:
            return
        if not screen.is_active:
            screen.pop_until_active()
        screen.dismiss(result)


class ReverbScreen(WorkerRouting, Screen[Any]):
    """A full screen of the app."""


class ReverbModal(WorkerRouting, ModalScreen[Any]):
    """A modal dialog of the app."""


class FormModal(ReverbModal):
    """A dialog with one form and one ``FormError``. Its ``SUBMIT_BUTTON`` or Enter in a field
    submits (the error is cleared, then ``run_form`` starts the work); any other button and
    Escape (``action_cancel``) dismiss with None. The worker posts ``Done(result)`` and the
    dialog dismisses with that result; a worker's failure shows in the dialog."""

    SUBMIT_BUTTON: ClassVar[str] = ""

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

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == self.SUBMIT_BUTTON:
            self.submit()
        else:
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
