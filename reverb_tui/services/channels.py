"""The integration lifecycle: list, add (verify first), enable/disable, remove, reauthorise,
settings. Shared by the TUI and the CLI; no Textual here.

Database functions are synchronous (the TUI runs them in thread workers); the ones that talk
to Reverb are async.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from ..clock import Clock, iso, utcnow
from ..db.engine import session_scope
from ..db.models import Channel, fold, row_id
from ..db.queries import channel_by_ref, remember_budget
from ..errors import UserError
from ..reverb.client import AccountInfo
from ..reverb.ratelimit import MIN_PER_MINUTE
from ..reverb.sites import resolve_site, validate_currency
from ..views.channel import ChannelView  # re-exported: defined where the TUI reads it cheaply
from ..views.settings import check_settings, min_above_max

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..reverb.client import ClientFactory

MAX_NAME = 60
DEFAULT_SINCE_DAYS = 30


@dataclass
class ChannelDraft:
    """Validated input of the add-channel wizard or ``channels add``."""

    name: str
    currency: str
    site: str
    api_url: str
    token: str
    orders_since: datetime


def clean_name(name: str | None) -> str:
    value = (name or "").strip()
    if not value:
        raise UserError("The integration name is empty.")
    if len(value) > MAX_NAME:
        raise UserError(f"The integration name is longer than {MAX_NAME} characters.")
    if any(ord(c) < 32 for c in value):
        raise UserError("The integration name contains control characters.")
    return value


def clean_token(token: str | None) -> str:
    value = (token or "").strip()
    if not value:
        raise UserError("The access token is empty.")
    # httpx can only send printable ASCII in a header; anything else would fail deep in the
    # client with an exception whose repr holds the whole token.
    if (
        any(c.isspace() for c in value)
        or len(value) < 8
        or not value.isascii()
        or not value.isprintable()
    ):
        raise UserError("The access token does not look like a Reverb personal access token.")
    return value


def channel_json(ch: ChannelView | Channel) -> dict[str, Any]:
    """The CLI contract's channel object (docs/cli.md "JSON objects"), token masked."""
    view = ch if isinstance(ch, ChannelView) else ChannelView.of(ch)
    return {
        "name": view.name,
        "type": view.type,
        "enabled": view.enabled,
        "stock_updates": view.stock_updates,
        "currency": view.currency,
        "site": view.site,
        "api_url": view.api_url,
        "seller_id": view.seller_id,
        "shop_name": view.shop_name,
        "shop_currency": view.shop_currency,
        "token": view.token_hint,
        "orders_since": iso(view.orders_since),
        "buffer": view.buffer,
        "max": view.max_quantity,
        "percent": view.percent,
        "min": view.min_quantity,
        "end_when": view.end_when,
        "interval": view.interval_seconds,
        "orders_interval": view.orders_interval_seconds,
        "rate_limit": view.rate_limit,
        "read_rate": view.read_rate,
        "write_rate": view.write_rate,
        "read_budget": view.reads_per_minute,
        "write_budget": view.writes_per_minute,
        "budget_lowered_at": iso(view.budget_lowered_at),
        "last_order_sync_at": iso(view.last_order_sync_at),
        "last_stock_push_at": iso(view.last_stock_push_at),
        "needs_reauth": view.needs_reauth,
        "last_error": view.last_error,
        "error_count": view.error_count,
        "created_at": iso(view.created_at),
    }


class ChannelService:
    def __init__(
        self, engine: Engine, client_factory: ClientFactory, clock: Clock = utcnow
    ) -> None:
        self.engine = engine
        self.client_factory = client_factory
        self.clock = clock

    # -- reads --------------------------------------------------------------------------------

    def list(self) -> list[Channel]:
        with session_scope(self.engine) as s:
            rows = s.exec(
                select(Channel).where(col(Channel.removed_at).is_(None)).order_by(col(Channel.id))
            ).all()
            return list(rows)

    def get(self, name: str) -> Channel:
        with session_scope(self.engine) as s:
            return channel_by_ref(s, name)

    def get_by_id(self, channel_id: int) -> Channel:
        with session_scope(self.engine) as s:
            return channel_by_ref(s, channel_id)

    def name_taken(self, name: str, *, except_id: int | None = None) -> bool:
        with session_scope(self.engine) as s:
            q = select(func.count()).select_from(Channel).where(col(Channel.name_key) == fold(name))
            if except_id is not None:
                q = q.where(col(Channel.id) != except_id)
            return bool(s.exec(q).one())

    # -- add ------------------------------------------------------------------------------------

    def check_name(self, name: str) -> str:
        """Step one of the wizard: a usable, unused name."""
        value = clean_name(name)
        if self.name_taken(value):
            raise UserError(f"An integration named {value!r} already exists.")
        return value

    def draft(
        self,
        *,
        name: str,
        currency: str,
        token: str | None,
        site: str = "production",
        since: datetime | str | None = None,
    ) -> ChannelDraft:
        """Validate everything that can be checked without Reverb."""
        value = self.check_name(name)
        cur = validate_currency(currency)
        site_key, api_url = resolve_site(site)
        tok = clean_token(token)
        return ChannelDraft(value, cur, site_key, api_url, tok, self._since(since))

    def _since(self, since: datetime | str | None) -> datetime:
        now = self.clock()
        if since is None or (isinstance(since, str) and not since.strip()):
            return now - timedelta(days=DEFAULT_SINCE_DAYS)
        if isinstance(since, str):
            text = since.strip()
            try:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise UserError(
                    f"The date {text!r} is not an ISO date such as 2026-01-31."
                ) from None
        else:
            dt = since
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=now.tzinfo)
        if dt > now:
            raise UserError("The 'download orders since' date is in the future.")
        return dt

    async def verify(self, api_url: str, token: str, rate_limit: float = 4.0) -> AccountInfo:
        from ..reverb.client import RetryPolicy

        client = self.client_factory(api_url, token, rate_limit)
        # A person is waiting on the form: a few quick retries, not a minute of backoff. Only
        # ever tighten the factory's policy (it may already be quicker), never loosen it.
        given = client.retry
        client.retry = RetryPolicy(
            max_attempts=min(given.max_attempts, 3),
            budget_seconds=min(given.budget_seconds, 6.0),
            base_delay=min(given.base_delay, 0.5),
            max_delay=min(given.max_delay, 5.0),
        )
        try:
            return await client.verify()
        finally:
            await client.aclose()

    def create(self, draft: ChannelDraft, account: AccountInfo) -> Channel:
        from ..config import current

        now = self.clock()
        interval = current().interval  # the config file's default for new integrations
        with session_scope(self.engine) as s:
            if s.exec(select(Channel.id).where(col(Channel.name_key) == fold(draft.name))).first():
                raise UserError(f"An integration named {draft.name!r} already exists.")
            ch = Channel(
                name=draft.name,
                name_key=fold(draft.name),
                currency=draft.currency,
                site=draft.site,
                api_url=draft.api_url,
                token=draft.token,
                seller_id=account.seller_id or None,
                shop_name=account.shop_name,
                shop_currency=account.shop_currency,
                orders_since=draft.orders_since,
                created_at=now,
                enabled=True,
            )
            if interval is not None:
                ch.interval_seconds = interval
            s.add(ch)
            try:
                s.flush()
            except IntegrityError as exc:
                if "name_key" not in str(exc.orig):
                    raise
                # Another process took the name since the check above. ``from None``: the
                # driver's text lists the INSERT parameters, the token among them.
                raise UserError(f"An integration named {draft.name!r} already exists.") from None
            s.refresh(ch)
            return ch

    async def add(self, **kwargs: Any) -> Channel:
        """Validate, verify the token against Reverb, then save. Nothing is saved on failure."""
        import asyncio

        draft = await asyncio.to_thread(lambda: self.draft(**kwargs))
        account = await self.verify(draft.api_url, draft.token)
        return await asyncio.to_thread(self.create, draft, account)

    # -- lifecycle ------------------------------------------------------------------------------

    def set_enabled(self, name_or_id: str | int, enabled: bool) -> Channel:
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, name_or_id)
            ch.enabled = enabled
            s.add(ch)
            return ch

    def remove(self, name_or_id: str | int) -> Channel:
        """Soft-remove: the name is free again; its orders and runs stay as a separate site."""
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, name_or_id)
            ch.removed_at = self.clock()
            ch.name_key = None
            ch.enabled = False
            ch.token = "removed"
            ch.lease_holder = None
            s.add(ch)
            return ch

    async def reauthorise(
        self,
        name_or_id: str | int,
        *,
        site: str | None = None,
        seller_id: str | None = None,
        token: str | None = None,
    ) -> Channel:
        """Verify the (new) site and token with Reverb, then apply. Nothing changes on failure."""
        import asyncio

        current = await asyncio.to_thread(self._current, name_or_id)
        site_key, api_url = (
            resolve_site(site) if site and site.strip() else (current.site, current.api_url)
        )
        tok = clean_token(token) if token is not None and token.strip() else current.token
        account = await self.verify(api_url, tok, current.rate_limit)
        wanted = (seller_id or "").strip()
        if wanted and account.seller_id and wanted != account.seller_id:
            raise UserError(
                f"This token belongs to seller {account.seller_id}, not {wanted}; nothing changed."
            )
        if (
            not wanted
            and current.seller_id
            and account.seller_id
            and account.seller_id != current.seller_id
        ):
            # Switching accounts silently would mix two sellers' orders in one integration
            # (e.g. a REVERB_TOKEN left exported for another integration).
            raise UserError(
                f"This token belongs to seller {account.seller_id}, not to this integration's "
                f"seller {current.seller_id}; nothing changed (give seller ID "
                f"{account.seller_id} to switch accounts)."
            )

        def apply() -> Channel:
            with session_scope(self.engine) as s:
                ch = channel_by_ref(s, row_id(current))
                ch.site, ch.api_url, ch.token = site_key, api_url, tok
                ch.seller_id = account.seller_id or wanted or ch.seller_id
                ch.shop_name = account.shop_name or ch.shop_name
                ch.shop_currency = account.shop_currency or ch.shop_currency
                ch.needs_reauth = False
                ch.last_error = None
                s.add(ch)
                return ch

        return await asyncio.to_thread(apply)

    def _current(self, name_or_id: str | int) -> Channel:
        with session_scope(self.engine) as s:
            return channel_by_ref(s, name_or_id)

    def update_settings(
        self,
        name_or_id: str | int,
        *,
        stock_updates: bool | None = None,
        buffer: int | None = None,
        max_quantity: int | None | str = "keep",
        interval_seconds: int | None = None,
        rate_limit: float | None = None,
        currency: str | None = None,
        read_rate: int | None = None,
        write_rate: int | None = None,
        orders_interval_seconds: int | None = None,
        percent: int | None | str = "keep",
        min_quantity: int | None | str = "keep",
        end_when: int | None | str = "keep",
    ) -> Channel:
        """Additional settings. ``max_quantity=None`` clears the maximum; "keep" leaves it.
        The quantity rules ``percent``, ``min_quantity`` and ``end_when`` take the same
        "keep" and ``None`` (off); a value that changes nothing is stored as off (100 %, a
        minimum of 0, end when 0 or less). A minimum above the maximum is refused.

        Setting a read or write rate (per minute) also forgets what a 429 lowered that budget
        to: the person setting it has the last word."""
        rules = check_settings(
            buffer=buffer,
            max_quantity=max_quantity,
            interval_seconds=interval_seconds,
            rate_limit=rate_limit,
            read_rate=read_rate,
            write_rate=write_rate,
            orders_interval_seconds=orders_interval_seconds,
            percent=percent,
            min_quantity=min_quantity,
            end_when=end_when,
        )
        percent, min_quantity, end_when = rules.percent, rules.min_quantity, rules.end_when
        cur = validate_currency(currency) if currency is not None else None
        with session_scope(self.engine) as s:
            ch = channel_by_ref(s, name_or_id)
            message = min_above_max(
                ch.min_quantity if isinstance(min_quantity, str) else min_quantity,
                ch.max_quantity if isinstance(max_quantity, str) else max_quantity,
            )
            if message:  # against a stored value: the request's own pair was checked above
                raise UserError(message)
            if stock_updates is not None:
                ch.stock_updates = stock_updates
            if buffer is not None:
                ch.buffer = buffer
            if not isinstance(max_quantity, str):  # "keep", the only string let through
                ch.max_quantity = max_quantity
            if not isinstance(percent, str):
                ch.percent = percent
            if not isinstance(min_quantity, str):
                ch.min_quantity = min_quantity
            if not isinstance(end_when, str):
                ch.end_when = end_when
            if interval_seconds is not None:
                ch.interval_seconds = interval_seconds
            if rate_limit is not None:
                ch.rate_limit = float(rate_limit)
            if cur is not None:
                ch.currency = cur
            if read_rate is not None:
                ch.read_rate, ch.read_budget = read_rate, None
            if write_rate is not None:
                ch.write_rate, ch.write_budget = write_rate, None
            if ch.read_budget is None and ch.write_budget is None:
                ch.budget_lowered_at = None
            if orders_interval_seconds is not None:
                ch.orders_interval_seconds = orders_interval_seconds
            s.add(ch)
            return ch

    def remember_budget(
        self, name_or_id: str | int, *, reads: int | None = None, writes: int | None = None
    ) -> Channel:
        """What a 429 taught: the budget in force from now on, until a person sets the rate.
        Only ever lowers a budget."""
        with session_scope(self.engine) as s:
            return remember_budget(
                s, name_or_id, reads=reads, writes=writes, now=self.clock(), floor=MIN_PER_MINUTE
            )
