"""Repository functions (db/queries.py): one answer to "which integration is this?"."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from reverb_tui.db.engine import session_scope
from reverb_tui.db.models import Channel
from reverb_tui.db.queries import channel_by_ref, mark_needs_reauth
from reverb_tui.errors import NotFound
from tests.db_rows import T0, add_channel


@pytest.fixture
def engine(make_services):
    return make_services().engine


def remove(engine, channel_id: int) -> None:
    """What ChannelService.remove does to the row: history stays, the name is given up."""
    with session_scope(engine) as s:
        ch = s.get(Channel, channel_id)
        ch.removed_at, ch.name_key, ch.enabled = T0, None, False
        s.add(ch)


def lookup(engine, ref: int | str, **kw) -> Channel:
    with Session(engine) as s:
        return channel_by_ref(s, ref, **kw)


def test_by_id_and_by_name_trimmed_and_case_insensitive(engine) -> None:
    cid = add_channel(engine, "Main Shop").id
    assert lookup(engine, cid).name == "Main Shop"
    assert lookup(engine, "  main SHOP ").id == cid


def test_unknown_integrations_are_not_found_in_one_sentence(engine) -> None:
    with pytest.raises(NotFound, match=r"^There is no integration named 'Nope'\.$"):
        lookup(engine, " Nope ")
    with pytest.raises(NotFound, match=r"^That integration no longer exists\.$"):
        lookup(engine, 999)


def test_a_removed_integration_is_found_by_id_only_when_asked(engine) -> None:
    cid = add_channel(engine, "Old Shop").id
    remove(engine, cid)
    with pytest.raises(NotFound, match="no longer exists"):
        lookup(engine, cid)
    assert lookup(engine, cid, include_removed=True).name == "Old Shop"
    # Its name was given up: no name finds it, whatever the flag says.
    for flag in (False, True):
        with pytest.raises(NotFound, match="no integration named 'Old Shop'"):
            lookup(engine, "Old Shop", include_removed=flag)


def test_a_name_used_again_finds_the_current_integration(engine) -> None:
    old = add_channel(engine, "Shop").id
    remove(engine, old)
    new = add_channel(engine, "Shop").id
    assert lookup(engine, "shop", include_removed=True).id == new != old


def test_a_bool_is_not_an_id(engine) -> None:
    add_channel(engine, "Main Shop")  # id 1, which True would equal
    with pytest.raises(NotFound, match="no integration named 'True'"):
        lookup(engine, True)


def test_mark_needs_reauth_flags_the_channel_and_keeps_the_message(engine) -> None:
    cid = add_channel(engine, "Main Shop").id
    with session_scope(engine) as s:
        mark_needs_reauth(s, cid, "Reverb refused this token (401).")
        mark_needs_reauth(s, 999, "a channel removed meanwhile is no error")
    with session_scope(engine) as s:
        ch = s.get(Channel, cid)
        assert ch.needs_reauth and ch.last_error == "Reverb refused this token (401)."
