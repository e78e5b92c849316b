"""Refusals and missing pages speak Chinese in the site's layout and say what to do."""

from __future__ import annotations

from django.test import Client, override_settings


@override_settings(DEBUG=False)
def test_a_refusal_shows_its_reason_in_the_layout(org, client: Client) -> None:
    """GIVEN a read-only official WHEN they open the meeting form THEN 403 in the site's
    layout with the code's own Chinese reason and a way back."""
    client.force_login(org.official)
    response = client.get("/ledgers/meetings/new/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "只有能力作风办可以录入调度推进会议。" in html
    assert "您无权进行此操作" in html and 'href="/"' in html
    assert "主导航" in html  # the site's navbar
    assert "403 Forbidden" not in html


@override_settings(DEBUG=False)
def test_an_item_outside_the_jurisdiction_is_a_chinese_404(org, client: Client) -> None:
    from tasks_ledger.tests.factories import make_item, make_ledger

    item = make_item(make_ledger(org.campaign), org.county_b)
    client.force_login(org.inside)
    response = client.get(f"/ledgers/items/{item.pk}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "您的辖区内没有该事项" in html and "返回首页" in html
    assert "Not Found" not in html


@override_settings(DEBUG=False)
def test_an_unknown_page_hides_the_url_map(org, client: Client) -> None:
    client.force_login(org.inside)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有这个页面" in html and "Resolver404" not in html and "tried" not in html


def test_the_server_error_page_needs_no_database() -> None:
    """The 500 page renders from the template alone (no request, no query)."""
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "服务器出错了" in html
    assert "返回首页" in html
