"""Reverb's documented shipping provider names (the enumeration in Reverb's
swagger for marking an order shipped; docs/reverb-api-notes.md).

Used when ``GET /shipping/providers`` is unreachable or answers an unusable shape, and by the
demo simulator. No imports: the simulator loads it without the app's dependencies.
"""

SWAGGER_PROVIDERS: tuple[str, ...] = (
    "UPS",
    "USPS",
    "FedEx",
    "DHL Deutschland",
    "DHLExpress",
    "DHLGlobalMail",
    "DHL",
    "Canada Post",
    "Royal Mail",
    "PostNL",
    "Australia Post",
    "EMS",
    "La Poste",
    "China Post",
    "GLS",
    "Parcelforce",
    "Purolator",
    "Interlogistica",
    "Correos España",
    "Ukraine Post",
    "DPD Germany",
    "DPD UK",
    "DPD France",
    "Other",
)
