"""Money is `Decimal`, made in one place. "Never use floating-point in an accounting system."

`money()` is the only constructor the rest of the code uses for amounts: it refuses floats and
anything with fractions of a cent, so rounding never happens silently. `round_money()` is for the
edges (display, file formats, provider payloads) where rounding is intended.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """Return `value` as a Decimal with exactly two places.

    Raises `ValueError` for floats (they cannot hold cents exactly), NaN or infinity, text that is
    not a number, and values with non-zero digits past the cent.
    """
    if isinstance(value, float):
        raise TypeError("money() refuses float; pass a str, int or Decimal")
    if isinstance(value, bool):
        raise TypeError("money() refuses bool")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not an amount") from exc
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    quantized = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if quantized != amount:
        raise ValueError(f"{value!r} has fractions of a cent")
    return quantized + 0  # normalises -0.00 to 0.00


def round_money(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero, as accountants do at the edges."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + 0


def format_money(value: Decimal, *, thousands: bool = True) -> str:
    """`1234.5` → `1,234.50` (or `1234.50`); negative amounts keep their minus sign."""
    return f"{round_money(value):,.2f}" if thousands else f"{round_money(value):.2f}"
