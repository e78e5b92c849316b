"""``config.markup``: Python-drawn markup escapes exactly as Django's ``format_html`` does."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from config.markup import escape, format_html_fast, join_safe


def test_values_are_escaped_as_format_html_escapes_them() -> None:
    """GIVEN text with every character HTML gives a meaning to, safe markup, a number and a
    lazy translation WHEN drawn THEN the result is what ``format_html`` gives, and safe."""
    template = '<a title="{}" href="{url}">{}{}{}</a>'
    values = ('<b>"it\'s" & more</b>', mark_safe("<i>kept</i>"), 42)
    with override("zh-hans"):
        lazy = gettext_lazy("Save progress")
        fast = format_html_fast(template, *values, lazy, url="/a?b=1&c=2")
        slow = format_html(template, *values, lazy, url="/a?b=1&c=2")
    assert fast == slow
    assert isinstance(fast, SafeString)
    assert "&lt;b&gt;&quot;it&#x27;s&quot; &amp; more&lt;/b&gt;" in fast
    assert "<i>kept</i>" in fast and "保存进度" in fast
    assert escape("<") == "&lt;" and escape(mark_safe("<")) == "<"


def test_joined_parts_stay_safe() -> None:
    """Parts drawn apart are joined as one safe string, not escaped again."""
    joined = join_safe(format_html_fast("<li>{}</li>", word) for word in ("a&b", "c"))
    assert joined == "<li>a&amp;b</li><li>c</li>"
    assert isinstance(joined, SafeString)
