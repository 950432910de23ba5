"""How the portal writes times, money and study states for people: h:mm, the currency's
usual decimals (exports and the database keep the exact ones), and translated states."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# ISO 4217 currencies written without minor units; every other one with two.
_NO_DECIMALS = {"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF"}

_STATES = {
    "draft": _("draft"),
    "open": _("open"),
    "paused": _("paused"),
    "closed": _("closed"),
    "completed": _("completed"),
}


@register.filter
def hours_minutes(seconds: int | None) -> str:
    """7 → "0:00", 3720 → "1:02": the active time an expert is paid for."""
    if seconds is None:
        return "–"
    minutes = int(seconds) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "–"
    places = Decimal(1) if currency.upper() in _NO_DECIMALS else Decimal("0.01")
    return f"{Decimal(amount).quantize(places, rounding=ROUND_HALF_UP)} {currency}"


@register.filter
def state_label(state: str) -> str:
    return str(_STATES.get(state, state))
