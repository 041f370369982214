"""Money for paper: integer minor units shown with the currency's decimals.

Amounts arrive already computed (tax and rounding are store rules that live in
the edge); this module only decides how many digits go after the point, so a
receipt in rupiah does not print ``150000.00`` and one in euro does not print
``1250``.
"""

from __future__ import annotations

# The currencies a store may use: every ISO 4217 code in circulation (no funds or metals), with
# the digits after the point that amounts are kept and shown in. That is ISO's minor unit, but
# for IDR, which ISO gives 2 and nobody prints cents of.
# fmt: off
CURRENCIES: dict[str, int] = {
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2,
    "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2,
    "BOB": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2,
    "CHF": 2, "CLP": 0, "CNY": 2, "COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0,
    "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2,
    "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2,
    "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 0, "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0,
    "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0,
    "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3,
    "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
    "MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2,
    "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2,
    "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2,
    "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2,
    "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2,
    "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2, "UYU": 2, "UZS": 2, "VED": 2,
    "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XCG": 2, "XOF": 0, "XPF": 0,
    "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}
# fmt: on


def currency_decimals(currency: str) -> int:
    """Digits after the point for ``currency`` (2 unless listed)."""
    return CURRENCIES.get(currency.upper(), 2)


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
