"""OK / Cancel before an action a person should mean: one modal, and the texts it asks with.

``ConfirmModal`` dismisses with True for OK, False for Cancel or Escape. The functions below
build it for each question the app asks (removing an integration, deleting a shipping service
or a local SKU, applying mappings to orders already downloaded).
"""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..text_safety import safe_text

Variant = Literal["primary", "warning", "error"]


class ConfirmModal(ModalScreen[bool]):
    """``variant`` colours the frame and the OK button; ``focus`` is the default button
    (Cancel, the safe choice, unless the caller says otherwise)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]

    def __init__(
        self,
        title: str,
        text: str,
        *,
        ok_label: str = "OK",
        variant: Variant = "warning",
        focus: Literal["ok", "cancel"] = "cancel",
        width: int = 72,
    ) -> None:
        super().__init__()
        # The texts quote names (an integration, a SKU, a listing title) that can come from
        # Reverb: shown safe, the question's own line breaks kept.
        self.title_text = safe_text(title)
        self.text = safe_text(text, newlines=True)
        self.ok_label = ok_label
        self.variant = variant
        self.width = width
        # Read by Screen when it is shown; a per-instance value of Textual's class variable.
        self.AUTO_FOCUS = f"#confirm-{focus}"  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes=f"-{self.variant}") as dialog:
            dialog.styles.width = self.width
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(self.text, id="confirm-text", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button(self.ok_label, id="confirm-ok", variant=self.variant)
                yield Button("Cancel", id="confirm-cancel")

    @on(Button.Pressed, "#confirm-ok")
    def ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-cancel")
    def cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)


# -- the questions ---------------------------------------------------------------------------


def remove_channel_text(name: str) -> str:
    return (
        f"Remove the integration {name!r}? It stops downloading orders and updating listings, "
        "and its access token is forgotten. Orders already downloaded stay, under the removed "
        "integration.\n\n"
        "If you remove it and create it again, that is a new integration: analytics and "
        "reports will not recognise its orders as coming from the same site as this one's, "
        "and you will have to set it up from scratch."
    )


def confirm_remove_channel(name: str) -> ConfirmModal:
    return ConfirmModal("Remove account", remove_channel_text(name), variant="error", width=70)


def apply_mappings_text(count: int, order_number: str | None = None) -> str:
    if count == 1:
        which = f"order {order_number}" if order_number else "the selected order"
    else:
        which = f"the {count:,} selected orders"
    return (
        f"Apply the integration's current SKU and shipping mappings to {which}?\n\n"
        "This changes only the selected orders, and only what is missing on them: a local SKU "
        "where the channel SKU links to none, and a local shipping service where the shipping "
        "method maps to none. Everything else stays as it was downloaded; a newly linked order "
        "takes stock as a downloaded one would. Other orders are not touched."
    )


def confirm_apply_mappings(count: int, order_number: str | None = None) -> ConfirmModal:
    return ConfirmModal(
        "Apply current mappings",
        apply_mappings_text(count, order_number),
        variant="primary",
        focus="ok",
        width=76,
    )


def delete_service_text(name: str) -> str:
    return (
        f"Delete the local shipping service {name!r}?\n\n"
        "No shipping mapping and no downloaded order uses it. Once deleted it can no longer "
        "be chosen in a shipping mapping; add it again if you need it later."
    )


def confirm_delete_service(name: str) -> ConfirmModal:
    return ConfirmModal(
        "Delete shipping service", delete_service_text(name), variant="error", width=70
    )


def delete_sku_text(sku: str, title: str | None, on_hand: int) -> str:
    return (
        f"Delete the local SKU {sku!r} ({title or 'no title'}, {on_hand:,} on hand)? Orders "
        "that took stock from it keep their SKU; a SKU that a SKU mapping uses cannot be "
        "deleted (unmap it first)."
    )


def confirm_delete_sku(sku: str, title: str | None, on_hand: int) -> ConfirmModal:
    return ConfirmModal("Delete SKU", delete_sku_text(sku, title, on_hand), ok_label="Delete")


APPLY_WAITING_TEXT = (
    "Link the orders of {name!r} that were downloaded without a local SKU and whose SKU is "
    "mapped now?\n\n"
    "Each one takes its local SKU from today's mappings. This changes orders already "
    "downloaded: a linked order that is pending reserves stock, and one that was paid after "
    "its SKU's last count takes its quantity (× kit) from on hand now, so the listings show "
    "less stock at the next push."
)


def confirm_apply_waiting(name: str) -> ConfirmModal:
    return ConfirmModal(
        "Apply mappings to waiting orders",
        APPLY_WAITING_TEXT.format(name=name),
        ok_label="Link orders",
    )
