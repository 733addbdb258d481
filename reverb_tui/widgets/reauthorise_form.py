"""The detail screen's Reauthorise form: Seller ID, Site, Auth key, Save / Cancel.

A widget of its own so the detail screen can build it when the section is first opened (a
third of that screen's widgets are here, and most people never open it). It only collects
and checks what was typed; the screen verifies with Reverb in a worker and applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Input, Label, LoadingIndicator, Static

from ..errors import AppError
from .form_error import FormError
from .site_picker import SitePicker
from .token_input import TokenInput

if TYPE_CHECKING:
    from ..services.channels import ChannelView


class ReauthoriseForm(Vertical):
    """Child ids: ``reauth-seller-id``, ``reauth-site``, ``reauth-token``, ``reauth-error``,
    ``reauth-save``, ``reauth-cancel``, ``reauth-spinner``, ``reauth-status``.

    ``busy`` (while Reverb checks what was typed) sets the ``-busy`` class, which shows the
    spinner and its status line (app.tcss), and disables the fields and Save."""

    DEFAULT_CSS = """
    ReauthoriseForm { height: auto; }
    ReauthoriseForm #reauth-fields { height: auto; }
    """

    class Submitted(Message):
        """Save (or Enter in a field): ``form`` holds site, seller_id and token (None = keep)."""

        def __init__(self, form: dict[str, Any]) -> None:
            super().__init__()
            self.form = form

    class Cancelled(Message):
        """Cancel was pressed: the screen puts the stored values back (``reset``)."""

    busy: reactive[bool] = reactive(False)
    error = getters.query_one("#reauth-error", FormError)
    seller_id = getters.query_one("#reauth-seller-id", Input)
    site = getters.query_one(SitePicker)
    token = getters.query_one(TokenInput)

    def __init__(self, view: ChannelView | None) -> None:
        super().__init__(id="reauthorise-form")
        self._view = view  # the stored values the fields start with

    def compose(self) -> ComposeResult:
        yield Static(
            "Check the Seller ID, the Site and the Auth key, then Save. Reverb checks "
            "them first; nothing changes unless it accepts them.",
            classes="field-help",
        )
        with Vertical(id="reauth-fields"):
            yield Label("Seller ID", classes="field-label")
            yield Input(
                (self._view and self._view.seller_id) or "",
                id="reauth-seller-id",
                placeholder="Reverb shop (seller) ID",
            )
            yield Label("Site", classes="field-label")
            yield SitePicker(self._view.site if self._view else "production", id="reauth-site")
            yield Label("Auth key", classes="field-label")
            yield TokenInput(id="reauth-token", placeholder="Empty keeps the stored token")
        yield FormError(id="reauth-error")
        with Horizontal(classes="form-buttons"):
            yield Button("Save", id="reauth-save", variant="primary")
            yield Button("Cancel", id="reauth-cancel", classes="cancel")
            yield LoadingIndicator(id="reauth-spinner", classes="spinner")
            yield Static("Checking with Reverb…", id="reauth-status", classes="busy-text")

    # -- state ------------------------------------------------------------------------------

    def reset(self, view: ChannelView | None) -> None:
        """Put the stored values back (Cancel changes nothing)."""
        self.seller_id.value = (view and view.seller_id) or ""
        self.site.set_site(view.site if view else "production")
        self.token.clear()
        self.error.clear()

    def watch_busy(self, busy: bool) -> None:
        self.set_class(busy, "-busy")
        self.query_one("#reauth-fields").disabled = busy
        self.query_one("#reauth-save").disabled = busy

    def focus_first(self) -> None:
        # query, not query_one: a form still being mounted has no fields yet (focus nothing)
        for field in self.query("#reauth-seller-id"):
            field.focus()

    # -- input ------------------------------------------------------------------------------

    def submit(self) -> None:
        if self.busy:
            return
        self.error.clear()
        token = self.token
        try:
            site = self.site.value
        except AppError as exc:
            self.error.show(exc.message)
            return
        form = {
            "site": site,
            "seller_id": self.seller_id.value,
            "token": token.value if token.value.strip() else None,
        }
        token.hide()
        self.busy = True
        self.post_message(self.Submitted(form))

    @on(Button.Pressed, "#reauth-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#reauth-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Cancelled())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()
