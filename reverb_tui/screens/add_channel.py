"""Add sales channel: a wizard (channel type → name → configuration → verify)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import (
    Button,
    ContentSwitcher,
    Header,
    Input,
    Label,
    LoadingIndicator,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState, get_current_worker

from ..errors import AppError
from ..messages import ChannelAdded, NameChecked
from ..reverb.sites import CURRENCIES
from ..services.channels import DEFAULT_SINCE_DAYS, MAX_NAME
from ..widgets.badges import logo_badge
from ..widgets.footer import AppFooter
from ..widgets.form_error import FormError
from ..widgets.site_picker import SitePicker
from ..widgets.token_input import TokenInput
from .base import GROUP_DB, GROUP_VERIFY, ReverbScreen

TOKEN_HELP = (
    "Your access token is on Reverb: log in at https://www.reverb.com/my/api_settings, "
    "open 'Your account' → 'API & Integrations' and copy the 'Personal Access Token'."
)
STEP_TITLES = {
    "step-pick": "Step 1 of 3: choose the channel",
    "step-name": "Step 2 of 3: name the integration",
    "step-config": "Step 3 of 3: configure {name!r}",
}


class AddChannelScreen(ReverbScreen):
    """Three steps in one screen; Cancel or Escape at any step saves nothing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="add-channel.cancel")]
    AUTO_FOCUS = "#add-reverb"
    busy: reactive[bool] = reactive(False)  # checking the token with Reverb (watch_busy)

    def __init__(self) -> None:
        super().__init__()
        self._name: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Add sales channel", id="wizard-title", classes="screen-title")
        yield Static("", id="wizard-step", classes="step-title", markup=False)
        with ContentSwitcher(initial="step-pick", id="wizard-steps"):
            with Vertical(id="step-pick", classes="wizard-step"):
                yield Static("Choose the type of sales channel to integrate.", classes="step-help")
                with Horizontal(id="channel-type-reverb", classes="channel-type"):
                    yield Static(logo_badge("reverb"), classes="channel-logo")
                    yield Static("Reverb", classes="channel-type-name")
                    yield Static(
                        "Download orders and update listings with stock levels.",
                        classes="channel-type-help",
                    )
                    yield Button("Add", id="add-reverb", variant="primary")
                with Horizontal(classes="form-buttons"):
                    yield Button("Cancel", id="cancel-pick", classes="cancel")
            with Vertical(id="step-name", classes="wizard-step"):
                yield Label("Name for this integration", classes="field-label")
                yield Static(
                    "A name you will recognise, such as the shop's name; it must be unique.",
                    classes="field-help",
                )
                yield Input(
                    id="channel-name",
                    placeholder="e.g. Main Reverb shop",
                    max_length=MAX_NAME,
                )
                yield FormError(id="name-error")
                with Horizontal(classes="form-buttons"):
                    yield Button("Next", id="name-next", variant="primary")
                    yield Button("Cancel", id="cancel-name", classes="cancel")
            with VerticalScroll(id="step-config", classes="wizard-step"):
                yield Label("Default currency", classes="field-label")
                yield Select(
                    [(c, c) for c in CURRENCIES],
                    allow_blank=False,
                    value="USD",
                    id="currency",
                )
                yield Label("Access token", classes="field-label")
                yield Static(TOKEN_HELP, classes="field-help")
                yield TokenInput(id="access-token", placeholder="Paste the Personal Access Token")
                yield Label("Site", classes="field-label")
                yield SitePicker(id="site")
                yield Label("Download orders since", classes="field-label")
                yield Input(id="orders-since", placeholder="YYYY-MM-DD")
                yield FormError(id="config-error")
                with Horizontal(classes="form-buttons"):
                    yield Button("Next", id="config-next", variant="primary")
                    yield Button("Cancel", id="cancel-config", classes="cancel")
                    yield LoadingIndicator(id="verify-spinner", classes="spinner")
                    yield Static(
                        "Checking the token with Reverb…", id="verify-status", classes="busy-text"
                    )
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = "Add sales channel"
        since = (self.services.clock() - timedelta(days=DEFAULT_SINCE_DAYS)).date()
        self.query_one("#orders-since", Input).value = since.isoformat()
        self._go("step-pick")

    # -- steps ----------------------------------------------------------------------------------

    @property
    def step(self) -> str | None:
        return self.query_one(ContentSwitcher).current

    def _go(self, step: str, focus: str | None = None) -> None:
        self.query_one(ContentSwitcher).current = step
        title = STEP_TITLES[step].format(name=self._name)
        self.query_one("#wizard-step", Static).update(title)
        if focus:
            self.query_one(focus).focus()

    @on(Button.Pressed, "#add-reverb")
    def _reverb_picked(self) -> None:
        self._go("step-name", "#channel-name")

    @on(Button.Pressed, "#name-next")
    def _name_next(self) -> None:
        self._submit_name()

    @on(Button.Pressed, "#config-next")
    def _config_next(self) -> None:
        self._submit_config()

    @on(Button.Pressed, "#cancel-pick, #cancel-name, #cancel-config")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "channel-name":
            self._submit_name()
        elif self.step == "step-config":
            self._submit_config()

    def action_cancel(self) -> None:
        """Leave the wizard; nothing has been saved (a running verification is abandoned)."""
        self.workers.cancel_group(self, GROUP_VERIFY)
        self.leave(None)

    # -- step 2: name ---------------------------------------------------------------------------

    def _submit_name(self) -> None:
        self.query_one("#name-error", FormError).clear()
        self.check_name(self.query_one("#channel-name", Input).value)

    @work(group=GROUP_DB, thread=True, exit_on_error=False, name="check-name")
    def check_name(self, name: str) -> None:
        self.post_message(NameChecked(self.services.channels.check_name(name)))

    def on_name_checked(self, message: NameChecked) -> None:
        message.stop()
        self._name = message.name
        self._go("step-config", "#currency")

    # -- step 3: configuration ------------------------------------------------------------------

    def _submit_config(self) -> None:
        if self.busy or self._name is None:
            return
        error = self.query_one("#config-error", FormError)
        error.clear()
        token = self.query_one(TokenInput)
        try:
            form = {
                "name": self._name,
                "currency": str(self.query_one("#currency", Select).value),
                "token": token.value,
                "site": self.query_one(SitePicker).value,
                "since": self.query_one("#orders-since", Input).value,
            }
        except AppError as exc:
            error.show(exc.message)
            return
        token.hide()
        self.busy = True
        self.add_channel(form)

    @work(group=GROUP_VERIFY, exclusive=True, exit_on_error=False, name="verify-channel")
    async def add_channel(self, form: dict[str, Any]) -> None:
        channels = self.services.channels
        draft = await asyncio.to_thread(lambda: channels.draft(**form))
        account = await channels.verify(draft.api_url, draft.token)
        if get_current_worker().is_cancelled:
            return  # Cancel was pressed while Reverb answered: save nothing
        ch = await asyncio.to_thread(channels.create, draft, account)
        self.post_message(ChannelAdded(int(ch.id), ch.name))

    def on_channel_added(self, message: ChannelAdded) -> None:
        # Back to the list (it re-reads its rows); the app notifies as the message bubbles up.
        self.leave(message.channel_id)

    def watch_busy(self, busy: bool) -> None:
        """While Reverb checks the token: the -busy class shows the spinner and its line
        (app.tcss); the fields and Next wait, Cancel still works."""
        self.set_class(busy, "-busy")
        for selector in ("#config-next", "#currency", "#access-token", "#site", "#orders-since"):
            self.query_one(selector).disabled = busy

    # -- worker routing -------------------------------------------------------------------------

    def worker_state_changed(self, worker: Worker, state: WorkerState) -> None:
        if worker.name == "verify-channel" and state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self.busy = False

    def show_worker_error(self, worker: Worker, message: str) -> bool:
        if worker.name == "check-name":
            self.query_one("#name-error", FormError).show(message)
            self.query_one("#channel-name").focus()
            return True
        if worker.name == "verify-channel":
            self.query_one("#config-error", FormError).show(message)
            return True
        return False
