"""Reading the ledger's own cells: deadlines written 长期坚持 (a standing measure without a
deadline, :data:`LONG_TERM`) and amounts in 10,000 yuan. Dates, percentages and the sheet
itself are read by :mod:`workbooks.parsing`, shared with every importer."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from workbooks.parsing import cell_text, normalise, parse_date


class _LongTerm:
    """A deadline written 长期坚持: the item has none (it is long-term)."""

    def __repr__(self) -> str:
        return "LONG_TERM"


LONG_TERM: Any = _LongTerm()
LONG_TERM_WORDS = {"长期坚持", "长期", "长期推进", "长期执行", "持续推进", "常态化推进", "longterm"}


def _long_term_words() -> set[str]:
    """The words for a long-term deadline, with the export's own in either language."""
    from ..exports import LONG_TERM as EXPORTED

    words = set(LONG_TERM_WORDS)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            words.add(normalise(EXPORTED))
    return words


def is_long_term(value: Any) -> bool:
    """Whether a deadline cell says the item is long-term (长期坚持)."""
    return isinstance(value, str) and normalise(value).rstrip("。.") in _long_term_words()


def parse_deadline(value: Any, *, campaign_start: date | None = None) -> Any:
    """A deadline: a date (:func:`workbooks.parsing.parse_date`) or :data:`LONG_TERM`."""
    if is_long_term(value):
        return LONG_TERM
    return parse_date(value, campaign_start=campaign_start)


def parse_money(value: Any) -> Decimal:
    """An amount in 10,000 yuan, not negative, kept to two decimals."""
    original = cell_text(value)
    text = unicodedata.normalize("NFKC", original).replace(",", "").replace("万元", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if number.is_nan() or number < 0 or number.is_infinite():
        raise ValueError(
            _("“%(value)s” is not an amount (in 10,000 yuan, not negative).") % {"value": original}
        )
    return number.quantize(Decimal("0.01"))
