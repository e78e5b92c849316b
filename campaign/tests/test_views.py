"""Campaign pages: the list, one campaign's overview, the chain table and chain pages."""

from __future__ import annotations

import datetime as dt
from typing import cast

import pghistory
import pytest
import time_machine
from django.test import Client

from accounts.models import UnitLevel
from accounts.tests.factories import UnitFactory
from campaign.models import Campaign
from campaign.tests.builders import add_chain, add_phases, grow
from campaign.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

HTMX_CHAINS = {"HX-Request": "true", "HX-Target": "chains"}


def page(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def detail_url(org) -> str:
    return f"/campaigns/{org.campaign.pk}/"


# --- list ------------------------------------------------------------------------------------


def test_list_shows_the_campaigns_the_user_takes_part_in(org, client):
    county_campaign = cast(
        Campaign, CampaignFactory(owner_unit=org.county_b, name="乙县作风整顿活动")
    )
    client.force_login(org.inside)
    html = page(client, "/campaigns/")
    assert org.campaign.name in html  # owned by the city above them
    assert "乙县作风整顿活动" not in html
    client.force_login(org.outsider)
    assert "乙县作风整顿活动" in page(client, "/campaigns/")
    assert county_campaign.pk


def test_list_query_count_is_fixed(org, client, django_assert_num_queries):
    # 1 user + 3 jurisdiction + 1 count (paginator) + 1 page of campaigns with counts
    # + 3 session save + 1 unread notifications (the navbar's bell).
    client.force_login(org.above)
    with django_assert_num_queries(10):
        page(client, "/campaigns/")
    for i in range(5):
        CampaignFactory(owner_unit=org.city, name=f"第{i}批专项活动")
    with django_assert_num_queries(10):
        html = page(client, "/campaigns/")
    assert "第4批专项活动" in html


# --- overview --------------------------------------------------------------------------------


def test_campaign_page_of_another_jurisdiction_is_404(org, client):
    other = cast(Campaign, CampaignFactory(owner_unit=org.county_b, name="乙县作风整顿活动"))
    client.force_login(org.inside)
    assert client.get(f"/campaigns/{other.pk}/").status_code == 404
    assert client.get("/campaigns/999999/").status_code == 404


@time_machine.travel(dt.datetime(2022, 5, 10, 9, 0, tzinfo=dt.UTC), tick=False)
def test_phases_are_a_timeline_with_the_current_one_marked(org, client):
    add_phases(org.campaign)
    client.force_login(org.inside)
    html = page(client, detail_url(org))
    assert "活动阶段" in html
    positions = [html.index(label) for label in ("启动实施", "回头看", "巩固提升", "总结评估")]
    assert positions == sorted(positions)
    assert html.count('aria-current="step"') == 1
    current = html.index('aria-current="step"')
    assert html.index("回头看", current) - current < 600  # the current step is "look back"
    assert "当前阶段" in html and "已完成" in html and "未开始" in html
    assert "2022-04-01" in html


def test_task_forces_and_groups_show_only_visible_units(org, client):
    """GIVEN task forces and groups spanning both counties WHEN the county A liaison looks
    THEN only county A's units are listed, with counts of what they can see."""
    grow(org, 1)
    client.force_login(org.inside)
    html = page(client, detail_url(org))
    assert "项目建设专班0" in html and "工作专班" in html and "项目建设" in html
    assert "2 个成员单位" in html  # 甲县住建局 and 甲县第0镇; 乙县第0镇 is hidden
    assert "甲县第0镇" in html and "乙县第0镇" not in html
    assert org.group_a.name in html and "专项督导0组" in html
    assert "联系 1 个您可查看的单位" in html


def test_outsider_sees_the_group_but_not_its_units(org, client):
    client.force_login(org.outsider)
    html = page(client, detail_url(org))
    assert org.group_a.name in html
    assert "您的辖区内没有。" in html
    assert "甲县" not in html


def test_coverage_counts(org, client):
    grow(org, 2)  # townships: 甲县第0镇 assessed; 乙县第0/1镇 assessed; all covered by groups
    client.force_login(org.above)
    html = page(client, detail_url(org))
    assert "专项考核单位" in html and "其中已有督查组联系" in html


def test_chain_table_lists_chains_as_one_line(org, client):
    grow(org, 2)
    client.force_login(org.inside)
    html = page(client, detail_url(org))
    assert "重点任务0：优化营商环境" in html
    assert "牵头部门" in html  # from the one-line chain
    assert "甲县书记" in html


def test_chain_table_filters_by_task_force_as_an_htmx_fragment(org, client):
    made = grow(org, 3)
    force = made["forces"][1]
    client.force_login(org.above)
    html = page(client, f"{detail_url(org)}?task_force={force.pk}", **HTMX_CHAINS)
    assert "<html" not in html and 'id="chains"' in html
    assert "重点任务1：优化营商环境" in html
    assert "重点任务0：优化营商环境" not in html and "重点任务2：优化营商环境" not in html
    assert f'<option value="{force.pk}" selected>' in html


def test_chain_table_is_paged(org, client):
    grow(org, 16)  # 16 county chains + 1 city chain; 15 a page
    client.force_login(org.above)
    first = page(client, detail_url(org))
    assert "page=2" in first
    second = page(client, f"{detail_url(org)}?page=2", **HTMX_CHAINS)
    assert second.count("/campaigns/chains/") == 2


def test_unknown_task_force_filter_shows_all(org, client):
    grow(org, 2)
    client.force_login(org.above)
    html = page(client, f"{detail_url(org)}?task_force=abc")
    assert "重点任务0：优化营商环境" in html and "重点任务1：优化营商环境" in html


def test_campaign_history_is_shown(org, client):
    from campaign.services import task_force_create

    task_force_create(
        actor=None,
        campaign=org.campaign,
        name="信访化解专班",
        kind="work_force",
        area="信访",
        leader=org.superuser,
    )
    client.force_login(org.above)
    html = page(client, detail_url(org))
    assert "变更记录" in html
    assert "信访化解专班" in html and "新建" in html


# Queries of the campaign page (with at least one of everything):
# 1 user + 3 jurisdiction
# + 2 campaign (with counts) and its phases
# + 3 task forces, their visible member units, their members
# + 3 supervision groups, their visible assigned units, their members
# + 2 coverage (assessed units, covered units)
# + 3 history (lines with their contexts, the events of the short ones, the people in them)
# + 3 chain table (count, one page, its cooperating departments)
# + 3 session save + 1 unread notifications (the navbar's bell).
CAMPAIGN_PAGE_QUERIES = 24
# The htmx chain fragment: 1 user + 3 jurisdiction + 1 campaign + 3 task forces (for the
# filter's choices) + 3 chain table + 3 session save. Phases are not needed but come with
# the campaign selector (+1).
CHAIN_FRAGMENT_QUERIES = 15


def test_campaign_page_query_count_is_fixed(org, client, django_assert_num_queries):
    add_phases(org.campaign)
    # Changes made by a person, so the history names them (the second history query).
    with pghistory.context(user=org.above.pk):
        grow(org, 1, tag="a")
    client.force_login(org.above)
    with django_assert_num_queries(CAMPAIGN_PAGE_QUERIES):
        page(client, detail_url(org))
    with pghistory.context(user=org.admin.pk):
        grow(org, 8, tag="b")
    with django_assert_num_queries(CAMPAIGN_PAGE_QUERIES):
        page(client, detail_url(org))


def test_chain_fragment_query_count_is_fixed(org, client, django_assert_num_queries):
    grow(org, 1, tag="a")
    client.force_login(org.above)
    with django_assert_num_queries(CHAIN_FRAGMENT_QUERIES):
        page(client, detail_url(org), **HTMX_CHAINS)
    grow(org, 8, tag="b")
    with django_assert_num_queries(CHAIN_FRAGMENT_QUERIES):
        page(client, f"{detail_url(org)}?page=2", **HTMX_CHAINS)


# --- chain pages -----------------------------------------------------------------------------


def test_chain_page_shows_the_five_posts_and_history(org, client):
    chain = add_chain(
        subject="县城污水管网改造",
        unit=org.county_a,
        lead=org.county_a_dept,
        campaign=org.campaign,
        cooperating=(org.township_a,),
    )
    client.force_login(org.inside)
    html = page(client, f"/campaigns/chains/{chain.pk}/")
    assert "两级五岗" in html
    for text in ("甲县书记", "甲县分管领导", "甲县住房和城乡建设局", "甲镇", "甲县住建局科长"):
        assert text in html
    for duty in ("统责", "揽责", "领责", "分责", "担责"):
        assert duty in html
    assert "变更记录" in html and "新建" in html


def test_chain_page_of_an_outsider_is_404(org, client):
    chain = add_chain(subject="县城污水管网改造", unit=org.county_a, lead=org.county_a_dept)
    client.force_login(org.outsider)
    assert client.get(f"/campaigns/chains/{chain.pk}/").status_code == 404


def test_chain_seen_through_its_lead_department_does_not_link_the_hidden_unit(org, client):
    """A township liaison sees a county chain their township leads, not the county page."""
    from accounts.tests.factories import MembershipFactory, UserFactory

    chain = add_chain(subject="镇村道路建设", unit=org.county_a, lead=org.township_a)
    township_user = UserFactory(username="township", name="甲镇联络员")
    MembershipFactory(user=township_user, unit=org.township_a)
    client.force_login(township_user)
    html = page(client, f"/campaigns/chains/{chain.pk}/")
    assert f'href="/units/{org.county_a.pk}/"' not in html
    assert f'href="/units/{org.township_a.pk}/"' in html


def test_long_names_do_not_break_the_page(org, client):
    long_name = "甲县农业农村局（县乡村振兴局、县农业综合行政执法大队）" * 2
    unit = UnitFactory.create(
        parent=org.county_a, name=long_name, level=UnitLevel.COUNTY, kind="department"
    )
    add_chain(subject="高标准农田建设" * 8, unit=org.county_a, lead=unit, campaign=org.campaign)
    client.force_login(org.inside)
    html = page(client, detail_url(org))
    assert "高标准农田建设" in html


# --- chains everyone can follow ----------------------------------------------------------------


def chain_url(chain) -> str:
    return f"/campaigns/chains/{chain.pk}/"


def open_chain_from_item(client: Client, item) -> str:
    """Open the item's page, follow its link to the chain and return the chain page."""
    item_page = page(client, f"/ledgers/items/{item.pk}/")
    link = f'href="{chain_url(item.chain)}"'
    assert link in item_page
    return page(client, chain_url(item.chain))


@pytest.mark.parametrize(
    ("persona", "item", "sees", "hidden"),
    [
        # 甲县's liaison on the city's chain: its own item, not 乙县's nor the city's.
        (
            "inside",
            "city_a",
            ["甲县在市链条上的事项"],
            ["乙县在市链条上的事项", "市发改委的项目事项"],
        ),
        # 甲镇's liaison on the county's chain: its own item, not the county's.
        ("township", "township", ["甲镇的项目事项"], ["甲县本级的项目事项"]),
        # 甲镇's liaison on a city chain it sees only through its item.
        ("township", "item_only", ["甲镇的信访案件"], []),
        # The group covering 甲县 sees 甲县 and everything under it.
        ("supervisor", "county_a", ["甲县本级的项目事项", "甲镇的项目事项"], []),
    ],
)
def test_a_chain_opens_from_any_item_its_reader_sees(org, client, persona, item, sees, hidden):
    """GIVEN an item a county, township or supervisor user may see WHEN they follow its
    link to the chain THEN the chain page opens with the five posts and lists only the items
    on it within their jurisdiction."""
    from campaign.tests.builders import build_chain_world

    world = build_chain_world(org)
    client.force_login(world.personas(org)[persona])
    html = open_chain_from_item(client, world.items[item])
    assert "两级五岗" in html and "本链条上的台账事项" in html
    for title in sees:
        assert title in html
    for title in hidden:
        assert title not in html


def test_a_chain_outside_the_jurisdiction_is_404(org, client):
    from campaign.tests.builders import build_chain_world

    world = build_chain_world(org)
    client.force_login(org.outsider)
    for chain in (world.county_a, world.item_only, world.bare):
        assert client.get(chain_url(chain)).status_code == 404
    client.force_login(world.township_user)
    assert client.get(chain_url(world.coop_b)).status_code == 404


def test_chain_page_shows_the_level_above_and_the_shares_below(org, client):
    """GIVEN a city chain with 甲县's share under it WHEN the city office, 甲县 and 乙县 open
    them THEN the share links up to the city's chain, and the city's chain lists the shares
    within the reader's jurisdiction only."""
    from campaign.tests.builders import add_chain, build_chain_world

    world = build_chain_world(org)
    share_b = add_chain(
        subject="全市项目建设提速（乙县）",
        unit=org.county_b,
        lead=org.county_b,
        campaign=org.campaign,
        parent=world.city,
    )
    client.force_login(org.above)
    html = page(client, chain_url(world.city))
    assert chain_url(world.county_a) in html and chain_url(share_b) in html
    assert "2 项下一级分解任务" in html

    client.force_login(org.inside)
    html = page(client, chain_url(world.county_a))
    assert "上级链条" in html and f'href="{chain_url(world.city)}"' in html
    html = page(client, chain_url(world.city))
    assert chain_url(world.county_a) in html and chain_url(share_b) not in html

    client.force_login(org.outsider)
    html = page(client, chain_url(world.city))
    assert chain_url(share_b) in html and chain_url(world.county_a) not in html


def test_chain_items_are_paged_as_an_htmx_fragment(org, client):
    from tasks_ledger.tests.factories import make_item, make_ledger

    chain = add_chain(subject="县城污水管网改造", unit=org.county_a, lead=org.county_a_dept)
    ledger = make_ledger(org.campaign)
    for i in range(25):
        make_item(ledger, org.county_a, chain=chain, title=f"管网改造第{i}段")
    client.force_login(org.inside)
    first = page(client, chain_url(chain))
    assert first.count("管网改造第") == 20 and "page=2" in first
    second = page(
        client, f"{chain_url(chain)}?page=2", **{"HX-Request": "true", "HX-Target": "chain-items"}
    )
    assert "<html" not in second and 'id="chain-items"' in second
    assert second.count("管网改造第") == 5


# Queries of a chain page, for 甲县's liaison on 甲县's share of a city chain:
# 1 user + 3 jurisdiction
# + 2 the chain (with unit, people, lead department, task force, campaign and parent) and its
#   cooperating departments
# + 1 how many of its items lie within the jurisdiction (the pager's count)
# + 3 may the parent be linked (``can_view_chain``): the parent's cooperating departments,
#   its children and theirs (甲县's share answers)
# + 1 the children within the jurisdiction
# + 4 history (lines of the chain and its cooperating departments with their contexts, the
#   events of the short lines, the people, the units they name)
# + 1 one page of its items
# + 3 session save + 1 unread notifications (the navbar's bell).
CHAIN_PAGE_QUERIES = 20


def test_chain_page_query_count_is_fixed(org, client, django_assert_num_queries):
    from campaign.tests.builders import build_chain_world
    from tasks_ledger.tests.factories import make_item, make_ledger

    # Changes made by a person, so the history names them.
    with pghistory.context(user=org.above.pk):
        world = build_chain_world(org)
    client.force_login(org.inside)
    with django_assert_num_queries(CHAIN_PAGE_QUERIES):
        page(client, chain_url(world.county_a))
    with pghistory.context(user=org.admin.pk):
        ledger = make_ledger(org.campaign, title="第二本台账")
        for i in range(30):
            make_item(ledger, org.township_a, chain=world.county_a, title=f"甲镇事项{i}")
        for i in range(3):
            add_chain(
                subject=f"下一级任务{i}",
                unit=org.township_a,
                lead=org.township_a,
                campaign=org.campaign,
                parent=world.county_a,
            )
    with django_assert_num_queries(CHAIN_PAGE_QUERIES):
        html = page(client, chain_url(world.county_a))
    assert "3 项下一级分解任务" in html


def test_chain_history_keeps_to_the_chain_itself(org, client):
    """GIVEN 甲县's item on a city chain, changed with a report WHEN 乙县's liaison opens the
    city's chain (through its own item) THEN its history shows the chain's changes, not the
    report of an item they may not see."""
    from campaign.tests.builders import build_chain_world
    from tasks_ledger.models import LedgerItem

    world = build_chain_world(org)
    LedgerItem.objects.filter(pk=world.items["city_a"].pk).update(latest_report="甲县内部进展说明")
    client.force_login(org.outsider)
    html = page(client, chain_url(world.city))
    assert "变更记录" in html and "全市项目建设提速" in html
    assert "甲县内部进展说明" not in html
    assert "全市项目建设提速（甲县）" not in html  # 甲县's share, named by its own history
