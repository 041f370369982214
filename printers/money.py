"""Money for paper: integer minor units shown with the currency's decimals.

Amounts arrive already computed (tax and rounding are store rules that live in
the edge); this module only decides how many digits go after the point, so a
receipt in rupiah does not print ``150000.00`` and one in euro does not print
``1250``.
"""

from __future__ import annotations

# ISO 4217 minor units for currencies whose receipts do not show two decimals.
# IDR has 2 in ISO 4217 but is never printed with cents in practice.
_DECIMALS: dict[str, int] = {
    "JPY": 0,
    "KRW": 0,
    "IDR": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}


def currency_decimals(currency: str) -> int:
    """Digits after the point for ``currency`` (2 unless listed)."""
    return _DECIMALS.get(currency.upper(), 2)


def format_money(minor: int, currency: str, *, code: bool = False) -> str:
    """Format integer minor units, e.g. ``format_money(123450, "EUR") == "1,234.50"``.

    Thousands are grouped with ``,`` and the point is ``.`` for every currency:
    a receipt must stay readable and align in columns, not follow a locale.
    ``code=True`` appends the ISO code (``"150,000 IDR"``).
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"money must be integer minor units, got {type(minor).__name__}")
    decimals = currency_decimals(currency)
    sign = "-" if minor < 0 else ""
    units, fraction = divmod(abs(minor), 10**decimals)
    text = f"{sign}{units:,}"
    if decimals:
        text += f".{fraction:0{decimals}d}"
    if code:
        text += f" {currency.upper()}"
    return text
