"""Reverb sites (API roots) and validation of custom API URLs."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ..errors import UserError

PRODUCTION_URL = "https://api.reverb.com/api"
SANDBOX_URL = "https://sandbox.reverb.com/api"
SITES = {"production": PRODUCTION_URL, "sandbox": SANDBOX_URL}
SITE_LABELS = {"production": "Reverb production", "sandbox": "Reverb sandbox"}

# Reverb's listing currencies (PUT /shop currency enum).
CURRENCIES = ("USD", "CAD", "EUR", "GBP", "AUD", "JPY", "NZD", "MXN")


# A DNS name (letters, digits, hyphens, dots; IDNA allowed) or an IP literal.
_HOST = re.compile(r"[\w.-]+|[0-9a-fA-F:.]+", re.UNICODE)


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_api_url(url: str) -> str:
    """A custom API URL: https, or http on a loopback host only. Returns it normalised."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not 0-65535
    except ValueError:
        raise UserError(f"The site URL {url!r} is not a valid http(s) URL.") from None
    if parts.username is not None or parts.password is not None:
        raise UserError("The site URL must not carry a user name or password.")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not _HOST.fullmatch(parts.hostname)
        or parts.port == 0
    ):
        raise UserError(f"The site URL {url!r} is not a valid http(s) URL.")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UserError(
            f"The site URL {url!r} uses plain http; only https is allowed (http only on loopback)."
        )
    if parts.query or parts.fragment:
        raise UserError(f"The site URL {url!r} must not carry a query or fragment.")
    return url.rstrip("/")


def resolve_site(site: str) -> tuple[str, str]:
    """(site as stored, API root URL) for ``production``, ``sandbox`` or a custom URL."""
    key = (site or "").strip()
    if key.lower() in SITES:
        return key.lower(), SITES[key.lower()]
    if not key:
        raise UserError("The site is empty; use production, sandbox or an https API URL.")
    if "://" not in key:
        raise UserError(f"Unknown site {key!r}; use production, sandbox or an https API URL.")
    url = validate_api_url(key)
    return url, url


def site_label(site: str) -> str:
    return SITE_LABELS.get(site, site)


def validate_currency(currency: str) -> str:
    cur = (currency or "").strip().upper()
    if cur not in CURRENCIES:
        raise UserError(f"Unknown currency {currency!r}; Reverb lists in {', '.join(CURRENCIES)}.")
    return cur
