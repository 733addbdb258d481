"""The detail screen's Reauthorise form: Seller ID, Site, Auth key, Save / Cancel.

A widget of its own so the detail screen can build it when the section is first opened (a
third of that screen's widgets are here, and most people never open it). It only collects
and checks what was typed; the screen verifies with Reverb in a worker and applies.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, LoadingIndicator, Static

from ..errors import AppError
from .form_error import FormError
from .site_picker import SitePicker
from .token_input import TokenInput


class ReauthoriseForm(Vertical):
    """Child ids: ``reauth-seller-id``, ``reauth-site``, ``reauth-token``, ``reauth-error``,
    ``reauth-save``, ``reauth-cancel``, ``reauth-spinner``, ``reauth-status``."""

    DEFAULT_CSS = """
    ReauthoriseForm { height: auto; }
    """

    class Submitted(Message):
        """Save (or Enter in a field): ``form`` holds site, seller_id and token (None = keep)."""

        def __init__(self, form: dict[str, Any]) -> None:
            super().__init__()
            self.form = form

    class Cancelled(Message):
        """Cancel was pressed: the screen puts the stored values back (``reset``)."""

    def __init__(self, view: dict[str, Any] | None) -> None:
        super().__init__(id="reauthorise-form")
        self._view = view or {}  # the stored values the fields start with

    def compose(self) -> ComposeResult:
        yield Static(
            "Check the Seller ID, the Site and the Auth key, then Save. Reverb checks "
            "them first; nothing changes unless it accepts them.",
            classes="field-help",
        )
        yield Label("Seller ID", classes="field-label")
        yield Input(
            self._view.get("seller_id") or "",
            id="reauth-seller-id",
            placeholder="Reverb shop (seller) ID",
        )
        yield Label("Site", classes="field-label")
        yield SitePicker(self._view.get("site") or "production", id="reauth-site")
        yield Label("Auth key", classes="field-label")
        yield TokenInput(id="reauth-token", placeholder="Empty keeps the stored token")
        yield FormError(id="reauth-error")
        with Horizontal(classes="form-buttons"):
            yield Button("Save", id="reauth-save", variant="primary")
            yield Button("Cancel", id="reauth-cancel", classes="cancel")
            spinner = LoadingIndicator(id="reauth-spinner", classes="spinner")
            spinner.display = False
            yield spinner
            status = Static("Checking with Reverb…", id="reauth-status", classes="busy-text")
            status.display = False
            yield status

    # -- state ------------------------------------------------------------------------------

    def reset(self, view: dict[str, Any] | None) -> None:
        """Put the stored values back (Cancel changes nothing)."""
        view = view or {}
        self.query_one("#reauth-seller-id", Input).value = view.get("seller_id") or ""
        self.query_one(SitePicker).set_site(view.get("site") or "production")
        self.query_one(TokenInput).clear()
        self.error.clear()

    @property
    def error(self) -> FormError:
        return self.query_one("#reauth-error", FormError)

    @property
    def busy(self) -> bool:
        return self.query_one("#reauth-save", Button).disabled

    def show_busy(self, busy: bool) -> None:
        for selector in ("#reauth-spinner", "#reauth-status"):
            self.query_one(selector).display = busy
        for selector in ("#reauth-save", "#reauth-seller-id", "#reauth-site", "#reauth-token"):
            self.query_one(selector).disabled = busy

    def focus_first(self) -> None:
        # query, not query_one: a form still being mounted has no fields yet (focus nothing)
        for field in self.query("#reauth-seller-id"):
            field.focus()

    # -- input ------------------------------------------------------------------------------

    def submit(self) -> None:
        if self.busy:
            return
        self.error.clear()
        token = self.query_one(TokenInput)
        try:
            site = self.query_one(SitePicker).value
        except AppError as exc:
            self.error.show(exc.message)
            return
        form = {
            "site": site,
            "seller_id": self.query_one("#reauth-seller-id", Input).value,
            "token": token.value if token.value.strip() else None,
        }
        token.hide()
        self.show_busy(True)
        self.post_message(self.Submitted(form))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "reauth-save":
            event.stop()
            self.submit()
        elif event.button.id == "reauth-cancel":
            event.stop()
            self.post_message(self.Cancelled())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()
