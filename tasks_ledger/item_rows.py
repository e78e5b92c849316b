"""A row of the item list, drawn in Python: the list's 50, or the one an htmx update
answers with (:func:`tasks_ledger.views._row`), the same markup either way.

Drawn through the template language, a page of 50 rows (each with its hidden update form)
was some 3,000 variable look-ups and tags and half of the page's time at a province's
office. :class:`RowDrawer` works out once per page what every row says alike (the words,
the URL patterns, the CSRF field) and joins each row's values into the markup, each
escaped (:func:`config.markup.format_html_fast`). Labels come from the same
helpers as the templates' filters (:mod:`tasks_ledger.templatetags.ledger_ui`), so a light
or a status reads the same wherever it is shown; the words are ``gettext`` messages like
any other. The rare conflict notice of an update refused (two people editing one item)
stays a template, ``tasks_ledger/includes/row_conflict.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.markup import format_html_fast as _html
from config.markup import join_safe

from .templatetags.ledger_ui import (
    days_left_label,
    deadline_text,
    light_label,
    may_report,
    status_label,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User

#: A row: a :class:`~tasks_ledger.models.LedgerItem` (an htmx update) or a
#: :class:`~tasks_ledger.selectors.ListRow` (the list), which read the same.
T = TypeVar("T")

#: A pk no item has, reversed once and replaced by each row's: 100 reverses a page cost more
#: than the rest of a row's links.
_PK = 987654321

#: The update form's errors on a row without a form sent: every field's, empty.
NO_ROW_ERRORS: dict[str, tuple[str, ...]] = {"percent": (), "text": (), "lower_reason": ()}

_ROW = """
<tbody id="item-{key}" class="app-item app-item-{light}{conflict_class}" data-swap-errors \
hx-boost="false">
<tr>
  <td class="app-col-code text-nowrap">{code}</td>
  <td class="app-item-title">
    <a href="{detail_url}" class="fw-semibold">{title}</a>
    <div class="small text-body-secondary">{area} · {ledger}</div>
    {latest}
  </td>
  <td class="text-break app-col-unit" title="{unit_name}" data-label="{unit_label}">\
{unit_shown}</td>
  <td class="small text-break app-col-chain" data-label="{chain_label}">{chain}</td>
  <td class="text-nowrap app-col-deadline" data-label="{deadline_label}">{deadline}\
{days_left}</td>
  <td class="app-col-light"><span class="badge app-light app-light-{light_class}">\
<i class="bi bi-circle-fill" aria-hidden="true"></i>{light_text}</span></td>
  <td class="app-col-status"><span class="badge app-item-status app-item-status-{status}">\
{status_text}</span>{signoff}</td>
  <td class="app-progress-cell">
    <div class="app-progress-wrap"><div class="progress app-progress flex-grow-1" \
role="progressbar" aria-label="{progress_label}" aria-valuenow="{progress}" \
aria-valuemin="0" aria-valuemax="100"><div class="progress-bar" style="width: {progress}%">\
</div></div><span class="app-progress-value">{progress}%</span></div>
    {pending}
    <div class="d-flex align-items-center gap-2 mt-1">
      {toggle}
      {saved}
    </div>
  </td>
</tr>
{form_row}
</tbody>
"""
_LATEST = (
    '<div class="small app-latest text-truncate" title="{text}"><i class="bi bi-chat-left-text"'
    ' aria-hidden="true"></i> <span class="visually-hidden">{label}: </span>{text}</div>'
)
_CHAIN = '{}<div class="text-body-secondary">{}</div>'
_NO_CHAIN = '<span class="text-body-secondary">—</span>'
_DAYS_LEFT = '<div class="small {}">{}</div>'
_SIGNOFF = '<div><span class="badge app-pending-mark text-bg-info mt-1">{}</span></div>'
_PENDING = (
    '<div class="small text-info-emphasis app-pending-progress"><i class="bi bi-hourglass-split"'
    ' aria-hidden="true"></i> {}</div>'
)
_TOGGLE = (
    '<button type="button" class="btn btn-link btn-sm p-lg-0 text-decoration-none'
    ' app-row-toggle" data-row-toggle="item-{key}-form" aria-controls="item-{key}-form"'
    ' aria-expanded="{expanded}"{focus}><i class="bi bi-pencil-square" aria-hidden="true"></i>'
    " {label}</button>"
)
_SAVED = (
    '<span class="small text-success app-item-saved" role="status"><i class="bi'
    ' bi-check-circle-fill" aria-hidden="true"></i> {}</span>'
)
_FORM_ROW = """<tr id="item-{key}-form" class="app-item-form"{hidden}>
  <td colspan="8">
    {conflict}{error}{form}
  </td>
</tr>"""
_ROW_ERROR = (
    '<div class="alert alert-danger py-2 mb-2" role="alert" tabindex="-1" data-focus-after-swap>'
    '<i class="bi bi-x-octagon-fill" aria-hidden="true"></i> {}</div>'
)
_FORM = """
    <form method="post" action="{progress_url}" class="row g-2 align-items-start"
          hx-post="{progress_url}" hx-target="#item-{key}" hx-swap="outerHTML" \
hx-push-url="false"
          hx-disabled-elt="find button[type=submit]">
      {csrf}
      <input type="hidden" name="version" value="{version}">
      <input type="hidden" name="next" value="{next_url}">
      <div class="col-auto">
        <label class="visually-hidden" for="item-{key}-percent">{percent_label}</label>
        <div class="input-group input-group-sm" style="width: 7.5rem">
          <input type="number" name="percent" id="item-{key}-percent" min="0" max="100" \
step="1" inputmode="numeric" required
                 class="form-control{percent_invalid}" value="{percent}"{percent_described}>
          <span class="input-group-text">%</span>
        </div>
        {percent_errors}
      </div>
      <div class="col">
        <label class="visually-hidden" for="item-{key}-text">{done_label}</label>
        <input type="text" name="text" id="item-{key}-text" maxlength="2000" required \
autocomplete="off"
               class="form-control form-control-sm{text_invalid}"
               placeholder="{done_hint}"
               value="{text}"{text_described}>
        {text_errors}{lower_reason}
      </div>
      <div class="col-12 col-md-auto d-flex gap-2">
        <button type="submit" class="btn btn-primary btn-sm">{save_label}</button>
        <a class="btn btn-outline-secondary btn-sm" href="{detail_url}#report">{files_label}</a>
      </div>
    </form>
    """
_LOWER_REASON = """
        <label class="small mt-1" for="item-{key}-lower-reason">{label}</label>
        <input type="text" name="lower_reason" id="item-{key}-lower-reason" maxlength="2000" \
autocomplete="off"
               class="form-control form-control-sm{invalid}"
               value="{value}"{described}>
        {errors}"""
#: The notice of an update refused because someone changed the item meanwhile.
_CONFLICT = "tasks_ledger/includes/row_conflict.html"
_ERROR = '<div id="item-{}-{}-error" class="small text-danger">{}</div>'
_INVALID = " is-invalid"
_DESCRIBED = ' aria-describedby="item-{}-{}-error"'


def _days_left_class(item: Any) -> str:
    """The colour of "3 days left" / "5 days overdue" under the deadline."""
    days = getattr(item, "days_left", None)
    if days is not None and days < 0:
        return "text-danger fw-semibold"
    if days is not None and days <= 3:
        return "text-warning-emphasis"
    return "text-body-secondary"


def _value(form: Any, name: str) -> Any:
    """A bound form's value of ``name`` as its field would show it (None when empty)."""
    return form[name].value()


class RowDrawer:
    """Draws items' rows for one request: :meth:`row` for each. What every row says alike
    (words, URL patterns, the CSRF field, the address the form returns to) is worked out
    once here."""

    def __init__(self, request: HttpRequest, user: User, next_url: str) -> None:
        self.user = user
        self.next_url = next_url
        self.csrf = _html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        )
        self.detail = reverse("ledger:item-detail", args=[_PK])
        self.progress = reverse("ledger:item-progress", args=[_PK])
        words = {
            "latest": _("latest progress"),
            "unit": _("responsible unit"),
            "chain": _("lead department / responsible person"),
            "deadline": _("deadline"),
            "progress": pgettext("percent done", "progress"),
            "update": _("Update progress"),
            "percent": _("progress (%)"),
            "done": _("what was done"),
            "done_hint": _("What was done since the last report"),
            "save": _("Save progress"),
            "files": _("With files…"),
            "signoff": _("sign-off awaiting verification"),
        }
        # Escaped once here, not in each of the page's rows.
        self.words = {name: _html("{}", word) for name, word in words.items()}
        # Labels that depend on one value only (a light, a status, a deadline), translated
        # and escaped once a page for each value met rather than once a row.
        self._labels: dict[tuple[str, Any], SafeString] = {}

    def _label(self, kind: str, value: Any, draw: Callable[[Any], str]) -> SafeString:
        key = (kind, value)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = _html("{}", draw(value))
        return found

    def rows(self, items: Iterable[Any]) -> SafeString:
        """The list's rows, every update form hidden, as one string."""
        return join_safe(self.row(item) for item in items)

    def row(
        self,
        item: Any,
        *,
        conflict: Any = None,
        form: Any = None,
        errors: Mapping[str, Sequence[str]] = NO_ROW_ERRORS,
        error: str = "",
        open_: bool = False,
        saved: bool = False,
    ) -> SafeString:
        """One item's ``<tbody>``: its row and, where the user may report, the update form
        under it; for an htmx update, the ``conflict`` refused (:class:`Conflict`), the
        ``form`` sent and its ``errors``, an ``error`` of the whole row, the form left
        ``open_`` and whether it was just ``saved``."""
        words = self.words
        key = str(item.pk)
        may = may_report(item, self.user)
        detail_url = self.detail.replace(str(_PK), key)
        pending = item.pending_progress
        chain = item.chain
        days_left = days_left_label(item)
        toggle = saved_mark = ""
        if may:
            toggle = _html(
                _TOGGLE,
                key=key,
                expanded="true" if open_ else "false",
                focus=" data-focus-after-swap" if saved else "",
                label=words["update"],
            )
        if saved:
            saved_mark = _html(_SAVED, _("Sent for review") if pending is not None else _("Saved"))
        form_row = ""
        if may or error:
            form_row = _html(
                _FORM_ROW,
                key=key,
                hidden="" if open_ or error else " hidden",
                conflict=(render_to_string(_CONFLICT, {"conflict": conflict}) if conflict else ""),
                error=_html(_ROW_ERROR, error) if error else "",
                form=self._form(item, key, detail_url, form, errors, conflict) if may else "",
            )
        return _html(
            _ROW,
            key=key,
            light=item.light,
            conflict_class=" app-item-conflict" if conflict else "",
            code=item.code,
            detail_url=detail_url,
            title=item.title,
            area=item.ledger.area.name,
            ledger=item.ledger.title,
            latest=(
                _html(_LATEST, text=item.latest_report, label=words["latest"])
                if item.latest_report
                else ""
            ),
            unit_name=item.unit.name,
            unit_label=words["unit"],
            unit_shown=item.unit.display_name,
            chain_label=words["chain"],
            chain=(
                _html(_CHAIN, chain.lead_department.display_name, chain.responsible_person)
                if chain
                else mark_safe(_NO_CHAIN)  # noqa: S308 - a constant
            ),
            deadline_label=words["deadline"],
            deadline=self._label("deadline", item.deadline, lambda _day: deadline_text(item)),
            days_left=(_html(_DAYS_LEFT, _days_left_class(item), days_left) if days_left else ""),
            light_class=item.light or "none",
            light_text=self._label("light", item.light, light_label),
            status=item.status,
            status_text=self._label("status", item.status, status_label),
            signoff=_html(_SIGNOFF, words["signoff"]) if item.signoff_pending else "",
            progress_label=words["progress"],
            progress=item.progress,
            pending=(
                _html(
                    _PENDING,
                    _("reported %(percent)s%%, pending review") % {"percent": pending},
                )
                if pending is not None
                else ""
            ),
            toggle=toggle,
            saved=saved_mark,
            form_row=form_row,
        )

    def _form(
        self,
        item: Any,
        key: str,
        detail_url: str,
        form: Any,
        errors: Mapping[str, Sequence[str]],
        conflict: Any,
    ) -> SafeString:
        """The update form under the row: the values sent (``form``) and their errors, or
        the item's own."""
        words = self.words
        if form is not None:
            version = _value(form, "version") or item.version
            percent = _value(form, "percent")
            text = _value(form, "text")
        else:
            version = item.version
            percent = item.pending_progress if item.pending_progress is not None else item.progress
            text = ""
        lower = ""
        lower_value = _value(form, "lower_reason") if form is not None else None
        if errors.get("lower_reason") or lower_value:
            lower = _html(
                _LOWER_REASON,
                key=key,
                label=_("why progress goes down"),
                invalid=_INVALID if errors.get("lower_reason") else "",
                value="" if lower_value is None else lower_value,
                described=self._described(key, "lower-reason", errors.get("lower_reason")),
                errors=self._errors(key, "lower-reason", errors.get("lower_reason")),
            )
        return _html(
            _FORM,
            progress_url=self.progress.replace(str(_PK), key),
            key=key,
            csrf=self.csrf,
            version=version,
            next_url=self.next_url,
            percent_label=words["percent"],
            percent_invalid=_INVALID if errors.get("percent") else "",
            percent="" if percent is None else percent,
            percent_described=self._described(key, "percent", errors.get("percent")),
            percent_errors=self._errors(key, "percent", errors.get("percent")),
            done_label=words["done"],
            text_invalid=_INVALID if errors.get("text") else "",
            done_hint=words["done_hint"],
            text="" if text is None else text,
            text_described=self._described(key, "text", errors.get("text")),
            text_errors=self._errors(key, "text", errors.get("text")),
            lower_reason=lower,
            save_label=_("Send again") if conflict else words["save"],
            detail_url=detail_url,
            files_label=words["files"],
        )

    @staticmethod
    def _described(key: str, field: str, errors: Sequence[str] | None) -> str:
        return _html(_DESCRIBED, key, field) if errors else ""

    @staticmethod
    def _errors(key: str, field: str, errors: Sequence[str] | None) -> str:
        if not errors:
            return ""
        return join_safe(_html(_ERROR, key, field, error) for error in errors)
