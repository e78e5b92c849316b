"""Pages of the accounts app: home per role, the organisation tree, its search, unit pages."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership, Post, UnitLevel
from accounts.services import membership_add
from campaign.tests.builders import add_chain, add_phases, grow

pytestmark = pytest.mark.django_db


def page(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- home ----------------------------------------------------------------------------------


def test_home_of_a_unit_user_shows_their_units_sub_units_and_chains(org, client):
    add_chain(
        subject="县城污水管网改造", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )
    add_chain(subject="乙县道路养护", unit=org.county_b, lead=org.county_b, campaign=org.campaign)
    client.force_login(org.inside)
    html = page(client, "/")
    assert "您好，甲县联络员" in html
    assert "我的单位" in html and "甲县" in html and "联络员" in html
    assert "下级单位" in html and "甲县住建局" in html and "甲镇" in html
    assert "我的责任链条" in html and "县城污水管网改造" in html
    assert "乙县道路养护" not in html  # someone else's chain
    assert "我参与的活动" in html and org.campaign.name in html
    assert "辖区概况" not in html  # not for a unit user
    assert "管理后台" not in html


def test_home_lists_chains_in_which_the_users_unit_or_one_under_it_cooperates(org, client):
    """GIVEN city chains in which 乙县, and 甲镇 under 甲县, are cooperating departments WHEN
    乙县's and 甲县's liaisons open the home page THEN each finds the chain involving their
    unit or a unit under it, and it opens."""
    with_b = add_chain(
        subject="全市营商环境提升",
        unit=org.city,
        lead=org.city_dept,
        campaign=org.campaign,
        cooperating=(org.county_b,),
    )
    with_township = add_chain(
        subject="全市乡村道路建设",
        unit=org.city,
        lead=org.city_dept,
        campaign=org.campaign,
        cooperating=(org.township_a,),
    )
    client.force_login(org.outsider)
    html = page(client, "/")
    assert "全市营商环境提升" in html and "全市乡村道路建设" not in html
    assert "暂无涉及您或您单位的责任链条" not in html
    assert client.get(f"/campaigns/chains/{with_b.pk}/").status_code == 200
    client.force_login(org.inside)
    html = page(client, "/")
    assert "全市乡村道路建设" in html and "全市营商环境提升" not in html
    assert client.get(f"/campaigns/chains/{with_township.pk}/").status_code == 200


def test_home_of_the_campaign_office_shows_campaigns_and_counts(org, client):
    grow(org, 2)
    client.force_login(org.above)
    html = page(client, "/")
    assert "辖区概况" in html
    assert "只读" not in html
    assert org.campaign.name in html
    assert "专项考核" in html  # the tile of units under special assessment
    assert "工作专班" in html and "督查组" in html and "责任链条" in html


def test_home_of_a_supervisor_shows_groups_and_their_units(org, client):
    client.force_login(org.supervisor)
    html = page(client, "/")
    assert "我的督查组" in html
    assert org.group_a.name in html
    assert "联系 1 个单位" in html and "甲县" in html
    assert "乙县" not in html


def test_home_of_an_official_is_a_read_only_overview(org, client):
    client.force_login(org.official)
    html = page(client, "/")
    assert "辖区概况（只读）" in html
    assert "只读" in html


def test_home_of_an_administrator_links_to_the_admin(org, client):
    client.force_login(org.admin)
    html = page(client, "/")
    assert 'href="/admin/"' in html
    assert "/admin/accounts/unit/" in html and "/admin/campaign/campaign/" in html
    assert "/admin/axes/accesslog/" not in html  # only links the user may open
    assert html.index("系统管理") < html.index("辖区概况")  # an administrator's first need


def test_home_of_a_superuser_lists_login_records_and_is_not_read_only(org, client):
    client.force_login(org.superuser)
    html = page(client, "/")
    assert "/admin/axes/accesslog/" in html
    assert "只读" not in html
    assert "您不在任何督查组中" not in html


def test_home_of_someone_without_post_or_role(org, client):
    from accounts.tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    html = page(client, "/")
    assert "暂无可显示的内容" in html


def test_home_shows_nothing_outside_the_jurisdiction(org, client):
    client.force_login(org.outsider)
    html = page(client, "/")
    assert "乙县" in html
    assert "甲县" not in html


# Each query of the home page, per role. Whatever the data size the number is the same.
# Every request: 1 user (session auth) + 3 jurisdiction (posts, roles, supervised units: here
# computed, the test's transaction having changed them; kept in Redis between real requests)
# + 1 profile (the user with their posts and roles and those units, read again so that the
# page may read them from the replica) + 1 campaigns with counts (each a subquery, the
# chains' counted once a campaign)
# + 1 ledger items by light (one aggregate) + 3 session save (SAVEPOINT, UPDATE
# django_session, RELEASE; the savepoints are the test's transaction) + 1 unread
# notifications (the navbar's bell, computed here too). Then per role:
HOME_QUERIES = {
    # + 1 visible sub-units of my units + 1 my chains with their cooperating departments
    "inside": 11 + 2,
    # + 1 unit counts by level (one aggregate)
    "above": 11 + 1,
    # + 1 my groups + 1 their visible assigned units + 1 their members
    "supervisor": 11 + 3,
    # + 1 unit counts + 1 sub-units of the city + 1 my chains with cooperating departments
    "official": 11 + 3,
    # + 1 unit counts + 3 permissions for the admin links (the user's own, their groups',
    # those their roles give), loaded once and cached on the user
    "admin": 11 + 1 + 3,
}


def test_home_reads_posts_and_roles_with_their_units_in_one_query(org, django_assert_num_queries):
    """GIVEN an official with two posts and a role WHEN home reads the profile THEN one query
    gives the user, the posts and the roles each with its unit, the same as the profile's
    own prefetches, in their order."""
    from accounts.selectors import user_profile, user_with_posts
    from accounts.tests.factories import MembershipFactory

    MembershipFactory(user=org.official, unit=org.township_a, post=Post.LIAISON, title="联络员")

    def shown(rows, field):
        def one(row):
            unit = getattr(row, field)
            kept = (unit.pk, unit.display_name, unit.level, unit.kind, unit.is_active, unit.path)
            held = getattr(row, "post", None) or row.role
            return (row.pk, held, getattr(row, "title", None), *kept)

        return [one(row) for row in rows]

    with django_assert_num_queries(1):
        profile, posts, roles = user_with_posts(user=org.official)
        got = (profile.name, shown(posts, "unit"), shown(roles, "scope"))
    expected = user_profile(user=org.official)
    assert len(posts) == 2 and len(roles) == 1
    assert got == (
        expected.name,
        shown(expected.memberships.all(), "unit"),
        shown(expected.role_assignments.all(), "scope"),
    )


@pytest.mark.parametrize("persona", sorted(HOME_QUERIES))
def test_home_query_count_is_fixed(org, client, django_assert_num_queries, persona):
    grow(org, 1, tag="a")
    user = getattr(org, persona)
    client.force_login(user)
    with django_assert_num_queries(HOME_QUERIES[persona]):
        page(client, "/")
    grow(org, 4, tag="b")
    client.force_login(user)
    with django_assert_num_queries(HOME_QUERIES[persona]):
        page(client, "/")


# --- the organisation tree -------------------------------------------------------------------


def test_tree_shows_the_visible_subtree_nested(org, client):
    client.force_login(org.inside)
    html = page(client, "/units/")
    assert "辖区内共 3 个单位" in html
    assert html.index("甲县") < html.index("甲县住房和城乡建设局") < html.index("甲镇")
    assert "乙县" not in html and "测试市" not in html
    assert "下辖 2 个单位" in html  # county A's count, shown on its row
    assert "县级" in html or "县" in html  # level badge


def test_tree_marks_units_under_special_assessment(org, client):
    org.township_a.under_special_assessment = True
    org.township_a.save()
    client.force_login(org.inside)
    html = page(client, "/units/")
    assert html.count("app-assessed") == 1


def test_tree_of_a_supervisor_is_the_assigned_units(org, client):
    client.force_login(org.supervisor)
    html = page(client, "/units/")
    assert "甲县" in html and "乙县" not in html


def test_search_returns_the_partial_with_ancestor_breadcrumbs(org, client):
    client.force_login(org.above)
    html = page(client, "/units/?q=住建", **{"HX-Request": "true", "HX-Target": "unit-results"})
    assert "<html" not in html  # the fragment only
    assert 'id="unit-results"' in html
    assert "找到 1 个单位" in html
    assert "甲县住房和城乡建设局" in html
    # Breadcrumb: province (outside the jurisdiction: shown, not linked) > city > county.
    assert "测试省" in html and f'href="/units/{org.province.pk}/"' not in html
    assert f'href="/units/{org.city.pk}/"' in html and f'href="/units/{org.county_a.pk}/"' in html


def test_search_without_htmx_renders_the_whole_page(org, client):
    client.force_login(org.above)
    html = page(client, "/units/?q=住建")
    assert "<html" in html and "找到 1 个单位" in html


def test_search_stays_inside_the_jurisdiction(org, client):
    client.force_login(org.outsider)
    html = page(client, "/units/?q=甲", **{"HX-Request": "true", "HX-Target": "unit-results"})
    assert "您的辖区内没有符合条件的单位。" in html


def test_filter_by_level_and_kind(org, client):
    client.force_login(org.above)
    html = page(client, f"/units/?level={UnitLevel.TOWNSHIP}")
    assert "找到 1 个单位" in html and "甲镇" in html
    html = page(client, "/units/?kind=department")
    assert "找到 2 个单位" in html and "市发改委" in html and "甲县住建局" in html


def test_search_by_code(org, client):
    client.force_login(org.above)
    html = page(client, f"/units/?q={org.township_a.code}")
    assert "找到 1 个单位" in html and "甲镇" in html


def test_bad_filter_values_are_ignored(org, client):
    client.force_login(org.inside)
    html = page(client, "/units/?level=galaxy")
    assert "辖区内共 3 个单位" in html


def test_tree_query_count_is_fixed(org, client, django_assert_num_queries):
    # 1 user + 3 jurisdiction + 1 the whole visible tree + 3 session save + 1 the bell.
    client.force_login(org.above)
    with django_assert_num_queries(9):
        page(client, "/units/")
    grow(org, 6)
    with django_assert_num_queries(9):
        html = page(client, "/units/")
    assert "甲县第5镇" in html


def test_search_query_count_is_fixed(org, client, django_assert_num_queries):
    # 1 user + 3 jurisdiction + 1 matches + 1 all their ancestors + 3 session save.
    grow(org, 2)
    client.force_login(org.above)
    headers = {"HX-Request": "true", "HX-Target": "unit-results"}
    with django_assert_num_queries(9):
        page(client, "/units/?q=镇", **headers)
    grow(org, 5, tag="b")
    with django_assert_num_queries(9):
        page(client, "/units/?q=镇", **headers)


# --- unit pages -----------------------------------------------------------------------------


def test_unit_page_shows_names_place_people_chains_children_and_history(org, client):
    add_phases(org.campaign)
    membership_add(actor=None, user=org.outsider, unit=org.county_a, post=Post.STAFF, title="科员")
    add_chain(
        subject="县城污水管网改造", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )
    client.force_login(org.above)
    html = page(client, f"/units/{org.county_a.pk}/")
    assert "<h1" in html and "甲县" in html
    assert org.county_a.code in html
    assert f'href="/units/{org.city.pk}/"' in html  # breadcrumb to the parent
    assert "人员及职务" in html and "甲县联络员" in html and "科员" in html
    assert "县城污水管网改造" in html
    assert "甲县住房和城乡建设局" in html and "甲镇" in html  # sub-units
    assert "变更记录" in html and "新建" in html


def test_unit_page_of_an_outsider_is_404(org, client):
    client.force_login(org.outsider)
    assert client.get(f"/units/{org.county_a.pk}/").status_code == 404
    assert client.get("/units/999999/").status_code == 404


def test_unit_page_of_a_unit_above_the_jurisdiction_is_404(org, client):
    client.force_login(org.inside)
    assert client.get(f"/units/{org.city.pk}/").status_code == 404


def test_unit_page_is_read_only_for_a_supervisor(org, client):
    client.force_login(org.supervisor)
    html = page(client, f"/units/{org.township_a.pk}/")
    assert "只读" in html


def test_membership_change_shows_in_unit_history(org, client):
    client.force_login(org.above)
    Membership.objects.filter(user=org.inside).update(title="综合科科长")
    html = page(client, f"/units/{org.county_a.pk}/")
    assert "综合科科长" in html
