"""Static data of the simulated Reverb: conditions, a product catalogue shared by every shop,
buyers, addresses, carriers and the money object (docs/reverb-api-notes.md).

Catalogue item ``k`` is the same product (SKU, title, price) in every shop, so a local SKU can
be linked to listings on two accounts.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from ..reverb.providers import SWAGGER_PROVIDERS

CURRENCIES = ("USD", "CAD", "EUR", "GBP", "AUD", "JPY", "NZD", "MXN")
SYMBOLS = {
    "USD": "$",
    "CAD": "C$",
    "EUR": "€",
    "GBP": "£",
    "AUD": "A$",
    "JPY": "¥",
    "NZD": "NZ$",
    "MXN": "MX$",
}


def money(cents: int, currency: str, *, free_when_zero: bool = False) -> dict:
    """Reverb's money object: ``amount`` is a string, ``amount_cents`` an int."""
    symbol = SYMBOLS.get(currency, "")
    whole, frac = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if cents == 0 and free_when_zero:
        display = "FREE"
    elif frac:
        display = f"{sign}{symbol}{whole:,}.{frac:02d}"
    else:
        display = f"{sign}{symbol}{whole:,}"
    return {
        "amount": f"{sign}{whole}.{frac:02d}",
        "amount_cents": cents,
        "currency": currency,
        "symbol": symbol,
        "display": display,
    }


@dataclass(frozen=True)
class Condition:
    display_name: str
    slug: str
    uuid: str
    multi_unit: bool  # Brand New, B-Stock and Mint (with inventory) hold more than one unit


CONDITIONS: dict[str, Condition] = {
    c.slug: c
    for c in (
        Condition("Brand New", "brand-new", "7c3f45de-2ae0-4c81-8400-fdb6b1d74890", True),
        Condition("B-Stock", "b-stock", "9225283f-60c2-4413-ad18-1f5eba7a856f", True),
        Condition(
            "Mint (with inventory)",
            "mint-with-inventory",
            "6db7df88-293b-4017-a1c1-cdb5e599fa1a",
            True,
        ),
        Condition("Mint", "mint", "ac5b9c1e-dc78-466d-b0b3-7cf712967a48", False),
        Condition("Excellent", "excellent", "df268ad1-c462-4ba6-b6db-e007e23922ea", False),
        Condition("Very Good", "very-good", "ae4d9114-1bd7-4ec5-a4ba-6653af5ac84d", False),
        Condition("Good", "good", "f7a3f48c-972a-44c6-b01a-0cd27488d3f6", False),
        Condition("Fair", "fair", "98777886-76d0-44c8-865e-bb40e669e934", False),
        Condition("Poor", "poor", "6a9dfcad-600b-46c8-9e08-ce6e5057921e", False),
        Condition(
            "Non Functioning", "non-functioning", "fbf35668-96a0-4baa-bcde-ab18d6b1b329", False
        ),
    )
}
# Weights used when generating listings: a bit under half hold inventory.
CONDITION_WEIGHTS = {
    "brand-new": 30,
    "b-stock": 7,
    "mint-with-inventory": 6,
    "mint": 9,
    "excellent": 18,
    "very-good": 14,
    "good": 9,
    "fair": 4,
    "poor": 2,
    "non-functioning": 1,
}


@dataclass(frozen=True)
class Category:
    prefix: str
    full_name: str
    uuid: str
    makes_models: tuple[tuple[str, tuple[str, ...]], ...]
    finishes: tuple[str, ...]
    price_range: tuple[int, int]  # whole currency units


CATEGORIES: tuple[Category, ...] = (
    Category(
        "GTR",
        "Electric Guitars / Solid Body",
        "dfd39027-d134-4353-b9e4-57dc6be791b9",
        (
            (
                "Fender",
                (
                    "Player Stratocaster",
                    "American Professional II Telecaster",
                    "Vintera '60s Jazzmaster",
                ),
            ),
            ("Gibson", ("Les Paul Standard '50s", "SG Standard", "Les Paul Junior")),
            ("PRS", ("Custom 24", "SE Silver Sky", "McCarty 594")),
            ("Ibanez", ("RG550 Genesis", "AZ2204 Prestige")),
            ("Epiphone", ("Casino", "Les Paul Custom")),
        ),
        ("Sunburst", "Olympic White", "Black", "Cherry", "Seafoam Green", "Candy Apple Red"),
        (350, 3200),
    ),
    Category(
        "ACG",
        "Acoustic Guitars / Dreadnought",
        "630dc140-45e2-4371-b569-19405de321cc",
        (
            ("Martin", ("D-28", "000-15M", "D-18")),
            ("Taylor", ("314ce", "GS Mini Mahogany", "814ce")),
            ("Gibson", ("J-45 Standard", "Hummingbird")),
            ("Yamaha", ("FG800", "LL16 ARE")),
        ),
        ("Natural", "Vintage Sunburst", "Satin"),
        (200, 4000),
    ),
    Category(
        "BAS",
        "Bass Guitars / 4-String",
        "53a9c7d7-d73d-4e7f-905c-553503e50a90",
        (
            ("Fender", ("Player Precision Bass", "American Ultra Jazz Bass")),
            ("Music Man", ("StingRay Special", "Bongo 4")),
            ("Höfner", ("Violin Bass Ignition",)),
            ("Ibanez", ("SR500E",)),
        ),
        ("3-Color Sunburst", "Black", "Natural"),
        (300, 2600),
    ),
    Category(
        "AMP",
        "Amps / Guitar Amps / Guitar Combos",
        "10335451-31e5-418a-8ed8-f48cd738f17d",
        (
            ("Fender", ("Blues Junior IV", "'65 Deluxe Reverb Reissue")),
            ("Marshall", ("DSL40CR", "JCM800 2203")),
            ("Vox", ("AC30C2", "AC15C1")),
            ("Boss", ("Katana-50 MkII",)),
            ("Orange", ("Rockerverb 50 MkIII",)),
        ),
        ("",),
        (180, 2400),
    ),
    Category(
        "PED",
        "Effects and Pedals / Overdrive and Boost",
        "fa10f97c-dd98-4a8f-933b-8cb55eb653dd",
        (
            ("Boss", ("DS-1 Distortion", "BD-2 Blues Driver", "TU-3 Chromatic Tuner")),
            ("Electro-Harmonix", ("Big Muff Pi", "Soul Food")),
            ("Strymon", ("BigSky", "Timeline", "El Capistan")),
            ("Ibanez", ("TS9 Tube Screamer",)),
            ("MXR", ("Phase 90", "Carbon Copy")),
            ("Walrus Audio", ("Julia V2",)),
        ),
        ("",),
        (40, 480),
    ),
    Category(
        "DRM",
        "Drums and Percussion / Acoustic Drums",
        "b3cb9f8e-4cb6-4325-8215-1efcd9999fd9",
        (
            ("Ludwig", ('Supraphonic 14x6.5" Snare', "Classic Maple 3-Piece Kit")),
            ("Pearl", ("Export EXX 5-Piece", "Masters Maple Complete")),
            ("Zildjian", ('20" A Custom Ride', '14" K Hi-Hats')),
            ("Yamaha", ("Stage Custom Birch",)),
        ),
        ("", "Black Oyster", "Natural Maple"),
        (150, 2800),
    ),
    Category(
        "KEY",
        "Keyboards and Synths / Analog Synths",
        "d002db05-ab63-4c79-999c-d49bbe8d7739",
        (
            ("Korg", ("minilogue xd", "MS-20 mini")),
            ("Moog", ("Subsequent 37", "Mother-32")),
            ("Roland", ("JUNO-X", "TR-8S")),
            ("Nord", ("Stage 4 88",)),
            ("Arturia", ("MiniBrute 2",)),
        ),
        ("",),
        (250, 4200),
    ),
    Category(
        "PRO",
        "Pro Audio / Microphones",
        "b021203f-1ed8-476c-a8fc-32d4e3b0ef9e",
        (
            ("Shure", ("SM57", "SM7B", "Beta 58A")),
            ("Universal Audio", ("Apollo Twin X DUO",)),
            ("Focusrite", ("Scarlett 2i2 4th Gen",)),
            ("Neumann", ("TLM 103",)),
        ),
        ("",),
        (90, 1500),
    ),
)


@dataclass(frozen=True)
class Product:
    """One catalogue item: the same in every shop."""

    index: int
    sku: str
    make: str
    model: str
    finish: str
    year: str
    title: str
    category: Category
    price_units: int  # base price in whole units of the shop's currency


def product(index: int) -> Product:
    """Catalogue item ``index``, derived from the index alone (stable across shops and runs)."""
    cat = CATEGORIES[index % len(CATEGORIES)]
    rng = random.Random(index * 7919 + 104729)
    make, models = rng.choice(cat.makes_models)
    model = rng.choice(models)
    finish = rng.choice(cat.finishes)
    year = str(rng.randint(1965, 2025)) if rng.random() < 0.6 else ""
    lo, hi = cat.price_range
    price = rng.randint(lo, hi)
    price = price - price % 5 + (4 if rng.random() < 0.4 else 0)  # 1299, 1300, ...
    title = " ".join(p for p in (year if rng.random() < 0.3 else "", make, model, finish) if p)
    sku = f"{cat.prefix}-{make[:3].upper().replace('Ö', 'O')}-{1000 + index}"
    return Product(index, sku, make, model, finish, year, title, cat, price)


FIRST_NAMES = (
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Chris",
    "Jamie",
    "Casey",
    "Riley",
    "Dana",
    "Eliu",
    "Priya",
    "Wei",
    "Sofia",
    "Mateo",
    "Aoife",
    "Lars",
    "Noor",
    "Kenji",
    "Zoë",
)
LAST_NAMES = (
    "Smith",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Müller",
    "Kowalski",
    "Hannon",
    "Moya",
    "O'Brien",
    "Patel",
    "Rossi",
    "Svensson",
    "Tanaka",
    "Dubois",
    "Walker",
    "Hughes",
    "Lopez",
    "Chen",
)
# (locality, region or None, postal code, country code, street)
ADDRESSES = (
    ("Port Saint Lucie", "FL", "34987", "US", "10886 SW Pacini Way"),
    ("Tallahassee", "FL", "32304", "US", "806 Evelyn Ct."),
    ("Austin", "TX", "78704", "US", "1210 S Congress Ave"),
    ("Nashville", "TN", "37203", "US", "401 Broadway"),
    ("Portland", "OR", "97214", "US", "2305 SE Belmont St"),
    ("Chicago", "IL", "60614", "US", "1843 N Halsted St"),
    ("Brooklyn", "NY", "11211", "US", "77 N 6th St Apt 3"),
    ("Toronto", "ON", "M5V 2T6", "CA", "350 King St W"),
    ("Manchester", None, "M4 1HN", "GB", "12 Oldham Street"),
    ("Bristol", None, "BS1 5TR", "GB", "9 King Street"),
    ("Berlin", None, "10999", "DE", "Oranienstraße 25"),
    ("Melbourne", "VIC", "3000", "AU", "120 Collins St"),
)
COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "DE": "Germany",
    "AU": "Australia",
}

# Swagger's provider enumeration (docs/reverb-api-notes.md).
PROVIDERS = SWAGGER_PROVIDERS
CARRIERS_BY_CURRENCY = {
    "USD": ("UPS", "USPS", "FedEx"),
    "CAD": ("Canada Post", "UPS", "Purolator"),
    "GBP": ("Royal Mail", "DHL", "Parcelforce", "DPD UK"),
    "EUR": ("DHL Deutschland", "DPD Germany", "GLS"),
    "AUD": ("Australia Post", "DHLExpress"),
}
PAYMENT_METHODS = ("direct_checkout", "direct_checkout", "dc_via_paypal", "apple_pay", "affirm")
TAX_RATES = (0.0, 0.06, 0.07, 0.075, 0.0825, 0.0875)


def tracking_code(rng: random.Random, provider: str) -> str:
    """A tracking number in the carrier's usual format."""
    digits = string.digits
    if provider == "UPS":
        return "1Z" + "".join(rng.choice(string.ascii_uppercase + digits) for _ in range(16))
    if provider == "USPS":
        return "9400" + "".join(rng.choice(digits) for _ in range(18))
    if provider in ("FedEx", "Purolator"):
        return "".join(rng.choice(digits) for _ in range(12))
    if provider in ("Royal Mail", "Parcelforce", "Canada Post", "Australia Post"):
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
        return letters + "".join(rng.choice(digits) for _ in range(9)) + "GB"
    return "".join(rng.choice(digits) for _ in range(10))


def tracking_url(provider: str, code: str) -> str | None:
    if provider == "UPS":
        return f"https://www.ups.com/track?tracknum={code}"
    if provider == "USPS":
        return f"https://tools.usps.com/go/TrackConfirmAction?tLabels={code}"
    if provider == "FedEx":
        return f"https://www.fedex.com/fedextrack/?trknbr={code}"
    if provider == "Royal Mail":
        return f"https://www.royalmail.com/track-your-item#/tracking-results/{code}"
    return None


def slugify(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")
