"""Money for paper: integer minor units shown with the currency's decimals and its symbol.

Amounts arrive already computed (tax and rounding are store rules that live in the edge); this
module only decides how they read: how many digits go after the point, so a receipt in rupiah
does not print ``150000.00`` and one in euro does not print ``1250``, and which mark says the
currency, so paper reads like the pages (``€69.80``, as ``Intl.NumberFormat`` shows it), falling
back to the ISO code where the printer's code pages have no such character (``INR 1,234.50``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from printers.codepages import can_print


@dataclass(frozen=True, slots=True)
class Currency:
    """How amounts in one currency are kept and read.

    ``digits`` after the point; ``symbol`` as the currency's own country writes it ("" where
    the ISO code is what people write, as for CHF); ``after``: the symbol follows the amount
    (``12.50 kr``), as it does in the Nordics and much of central Europe.
    """

    digits: int
    symbol: str = ""
    after: bool = False


# The currencies a store may use: every ISO 4217 code in circulation (no funds or metals), with
# the digits after the point that amounts are kept and shown in. That is ISO's minor unit, but
# for IDR, which ISO gives 2 and nobody prints cents of. The euro's symbol goes first, as the
# pages (Intl.NumberFormat in English) put it.
# fmt: off
CURRENCIES: dict[str, Currency] = {
    "AED": Currency(2), "AFN": Currency(2), "ALL": Currency(2), "AMD": Currency(2),
    "ANG": Currency(2), "AOA": Currency(2), "ARS": Currency(2), "AUD": Currency(2, "$"),
    "AWG": Currency(2), "AZN": Currency(2), "BAM": Currency(2), "BBD": Currency(2),
    "BDT": Currency(2), "BGN": Currency(2), "BHD": Currency(3), "BIF": Currency(0),
    "BMD": Currency(2), "BND": Currency(2), "BOB": Currency(2), "BRL": Currency(2, "R$"),
    "BSD": Currency(2), "BTN": Currency(2), "BWP": Currency(2), "BYN": Currency(2),
    "BZD": Currency(2), "CAD": Currency(2, "$"), "CDF": Currency(2), "CHF": Currency(2),
    "CLP": Currency(0), "CNY": Currency(2, "¥"), "COP": Currency(2), "CRC": Currency(2),
    "CUP": Currency(2), "CVE": Currency(2), "CZK": Currency(2, "Kč", after=True),
    "DJF": Currency(0), "DKK": Currency(2, "kr", after=True), "DOP": Currency(2),
    "DZD": Currency(2), "EGP": Currency(2), "ERN": Currency(2), "ETB": Currency(2),
    "EUR": Currency(2, "€"), "FJD": Currency(2), "FKP": Currency(2), "GBP": Currency(2, "£"),
    "GEL": Currency(2), "GHS": Currency(2), "GIP": Currency(2), "GMD": Currency(2),
    "GNF": Currency(0), "GTQ": Currency(2), "GYD": Currency(2), "HKD": Currency(2, "HK$"),
    "HNL": Currency(2), "HTG": Currency(2), "HUF": Currency(2, "Ft", after=True),
    "IDR": Currency(0, "Rp"), "ILS": Currency(2), "INR": Currency(2, "₹"), "IQD": Currency(3),
    "IRR": Currency(2), "ISK": Currency(0, "kr", after=True), "JMD": Currency(2),
    "JOD": Currency(3), "JPY": Currency(0, "¥"), "KES": Currency(2), "KGS": Currency(2),
    "KHR": Currency(2), "KMF": Currency(0), "KPW": Currency(2), "KRW": Currency(0, "₩"),
    "KWD": Currency(3), "KYD": Currency(2), "KZT": Currency(2), "LAK": Currency(2),
    "LBP": Currency(2), "LKR": Currency(2), "LRD": Currency(2), "LSL": Currency(2),
    "LYD": Currency(3), "MAD": Currency(2), "MDL": Currency(2), "MGA": Currency(2),
    "MKD": Currency(2), "MMK": Currency(2), "MNT": Currency(2), "MOP": Currency(2),
    "MRU": Currency(2), "MUR": Currency(2), "MVR": Currency(2), "MWK": Currency(2),
    "MXN": Currency(2, "$"), "MYR": Currency(2, "RM"), "MZN": Currency(2), "NAD": Currency(2),
    "NGN": Currency(2, "₦"), "NIO": Currency(2), "NOK": Currency(2, "kr", after=True),
    "NPR": Currency(2), "NZD": Currency(2, "$"), "OMR": Currency(3), "PAB": Currency(2),
    "PEN": Currency(2), "PGK": Currency(2), "PHP": Currency(2, "₱"), "PKR": Currency(2),
    "PLN": Currency(2, "zł", after=True), "PYG": Currency(0), "QAR": Currency(2),
    "RON": Currency(2, "lei", after=True), "RSD": Currency(2), "RUB": Currency(2, "₽", after=True),
    "RWF": Currency(0), "SAR": Currency(2), "SBD": Currency(2), "SCR": Currency(2),
    "SDG": Currency(2), "SEK": Currency(2, "kr", after=True), "SGD": Currency(2, "$"),
    "SHP": Currency(2), "SLE": Currency(2), "SOS": Currency(2), "SRD": Currency(2),
    "SSP": Currency(2), "STN": Currency(2), "SVC": Currency(2), "SYP": Currency(2),
    "SZL": Currency(2), "THB": Currency(2, "฿"), "TJS": Currency(2), "TMT": Currency(2),
    "TND": Currency(3), "TOP": Currency(2), "TRY": Currency(2, "₺"), "TTD": Currency(2),
    "TWD": Currency(2), "TZS": Currency(2), "UAH": Currency(2, "₴", after=True),
    "UGX": Currency(0), "USD": Currency(2, "$"), "UYU": Currency(2), "UZS": Currency(2),
    "VED": Currency(2), "VES": Currency(2), "VND": Currency(0, "₫", after=True),
    "VUV": Currency(0), "WST": Currency(2), "XAF": Currency(0), "XCD": Currency(2),
    "XCG": Currency(2), "XOF": Currency(0), "XPF": Currency(0), "YER": Currency(2),
    "ZAR": Currency(2, "R"), "ZMW": Currency(2), "ZWG": Currency(2),
}
# fmt: on


def currency_decimals(currency: str) -> int:
    """Digits after the point for ``currency`` (2 unless listed)."""
    known = CURRENCIES.get(currency.upper())
    return known.digits if known else 2


def format_amount(minor: int, currency: str) -> str:
    """Integer minor units as a plain number, e.g. ``format_amount(-123450, "EUR") == "-1,234.50"``.

    Thousands are grouped with ``,`` and the point is ``.`` for every currency: a receipt must
    stay readable and align in columns, not follow a locale.
    """
    sign, number = _sign_and_number(minor, currency)
    return sign + number


def format_money(minor: int, currency: str, codepages: Sequence[str]) -> str:
    """The amount with its currency, as a printer with ``codepages`` can print it.

    ``"€1,234.50"``, ``"Rp 150,000"``, ``"12.50 kr"``; the ISO code in the symbol's place when
    the currency has none or no code page holds it (``"INR 1,234.50"`` on a Latin printer). A
    mark that ends in a letter is spaced from the number, and so is a symbol that comes after
    it, as ``Intl.NumberFormat`` does. The sign goes first: ``"-€3.10"``.
    """
    sign, number = _sign_and_number(minor, currency)
    known = CURRENCIES.get(currency.upper())
    if known and known.symbol and can_print(known.symbol, codepages):
        if known.after:
            return f"{sign}{number} {known.symbol}"
        mark = known.symbol
    else:
        mark = currency.upper()
    return f"{sign}{mark}{' ' if mark[-1].isalpha() else ''}{number}"


def _sign_and_number(minor: int, currency: str) -> tuple[str, str]:
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"money must be integer minor units, got {type(minor).__name__}")
    decimals = currency_decimals(currency)
    units, fraction = divmod(abs(minor), 10**decimals)
    number = f"{units:,}"
    if decimals:
        number += f".{fraction:0{decimals}d}"
    return ("-" if minor < 0 else ""), number
