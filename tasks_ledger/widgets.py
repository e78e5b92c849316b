"""Form widgets drawn in Python.

A filter's select of a province's units holds hundreds of options, and Django draws each
option, and each option's attributes, through a template of its own: at a province's office
the queues' four selects were 700 template renders, more than half of the page's time.
:class:`FastSelect` writes the same HTML as Django's ``select.html``, ``select_option.html``
and ``attrs.html``, byte for byte (``tasks_ledger/tests/test_widgets.py`` compares them),
the values escaped by :func:`config.markup.escape` (the same characters as Django's, without
its lazy-string wrapper around each of some 700 values a page).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe

from config.markup import escape


def _attrs(attrs: dict[str, Any]) -> str:
    """A tag's attributes as ``django/forms/widgets/attrs.html`` writes them: ``name="value"``,
    the bare name for True, nothing for False."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(_text(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _text(value: Any) -> Any:
    """What ``|stringformat:'s'`` gives: the value as text, still safe if it was."""
    return value if isinstance(value, SafeString) else str(value)


def _options(options: Iterable[dict[str, Any]]) -> Iterable[str]:
    for option in options:
        yield (
            f'\n  <option value="{escape(_text(option["value"]))}"'
            f"{_attrs(option['attrs'])}>{escape(option['label'])}</option>\n"
        )


class FastSelect(forms.Select):
    """A select written in Python, the same HTML as Django's templates draw, without a
    template render per option."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        """The ``<select>`` with its options (and option groups), as ``select.html``."""
        flat = self._flat(name, value, attrs)
        if flat is not None:
            return flat
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape(group_name)}">')
            parts.extend(_options(group_choices))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped

    def _flat(self, name: str, value: Any, attrs: dict[str, Any] | None) -> SafeString | None:
        """A select without option groups (the filters' hundreds of units), written from its
        choices as ``optgroups`` and ``select_option.html`` would write them, without the
        dict ``create_option`` builds for each; None when the choices hold a group."""
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return None
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        widget_attrs = widget["attrs"]
        if self.allow_multiple_selected:
            widget_attrs["multiple"] = True
        chosen = widget["value"]
        parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget_attrs)}>']
        has_selected = False
        for option_value, label in choices:
            shown = "" if option_value is None else option_value
            selected = (not has_selected or self.allow_multiple_selected) and str(shown) in chosen
            has_selected |= selected
            parts.append(
                f'\n  <option value="{escape(_text(shown))}"{" selected" if selected else ""}>'
                f"{escape(label)}</option>\n"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
