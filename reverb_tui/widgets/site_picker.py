"""Site choice: Reverb production, Reverb sandbox, or a custom API URL (with its input)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select

from ..errors import UserError
from ..reverb.sites import SITE_LABELS

CUSTOM = "custom"
SITE_OPTIONS: tuple[tuple[str, str], ...] = (
    (SITE_LABELS["production"], "production"),
    (SITE_LABELS["sandbox"], "sandbox"),
    ("Custom API URL", CUSTOM),
)


class SitePicker(Vertical):
    """A Select of the sites; choosing "Custom API URL" shows an input for the URL.

    Child ids derive from the picker's id: ``<id>-select`` and ``<id>-url``.
    """

    DEFAULT_CSS = """
    SitePicker { height: auto; }
    SitePicker > Input { display: none; }
    SitePicker.-custom > Input { display: block; }
    """

    def __init__(self, site: str = "production", *, id: str) -> None:
        super().__init__(id=id)
        self._initial = site

    def compose(self) -> ComposeResult:
        choice, url = self._split(self._initial)
        yield Select(SITE_OPTIONS, allow_blank=False, value=choice, id=f"{self.id}-select")
        url_input = Input(
            value=url,
            placeholder="https://your-api.example.com/api (http only on localhost)",
            id=f"{self.id}-url",
        )
        self.set_class(choice == CUSTOM, "-custom")  # the URL field shows (DEFAULT_CSS)
        yield url_input

    @staticmethod
    def _split(site: str) -> tuple[str, str]:
        key = (site or "").strip()
        if key.lower() in ("production", "sandbox"):
            return key.lower(), ""
        return (CUSTOM, key) if key else ("production", "")

    @property
    def select(self) -> Select:
        return self.query_one(f"#{self.id}-select", Select)

    @property
    def url_input(self) -> Input:
        return self.query_one(f"#{self.id}-url", Input)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select is not self.select:
            return
        custom = event.value == CUSTOM
        self.set_class(custom, "-custom")
        if custom and self.select.has_focus_within:  # a person chose it, not set_site()
            self.url_input.focus()

    @property
    def value(self) -> str:
        """``production``, ``sandbox`` or the custom URL as typed (the service validates it).

        Raises UserError when "Custom API URL" is chosen and the URL is empty.
        """
        choice = self.select.value
        if choice == CUSTOM:
            url = self.url_input.value.strip()
            if not url:
                raise UserError(
                    "Enter the custom API URL (https://…), or choose Reverb production or "
                    "Reverb sandbox."
                )
            return url
        return str(choice)

    def set_site(self, site: str) -> None:
        choice, url = self._split(site)
        self.select.value = choice
        self.url_input.value = url
        self.set_class(choice == CUSTOM, "-custom")
