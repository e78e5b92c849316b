"""The admin is for configuration and inspection, scoped like everything else.

Every relation field of every admin form and inline offers only what the user may choose,
and a posted id outside the jurisdiction is refused by the field itself (not only hidden by
the autocomplete). Fields that services own stay as the services left them.

The walker below finds the fields itself, from the pages as rendered, so a new admin, field
or inline is covered without a line here; it fails when a model has no row outside the city
to post (add one to :func:`build_rows`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model
from django.forms import ModelChoiceField
from django.test import Client
from django.urls import reverse

from accounts.jurisdiction import compute_jurisdiction
from accounts.models import Membership, Post, Role, RoleAssignment, Unit, UnitLevel, User
from accounts.tests.factories import MembershipFactory, UnitFactory, UserFactory
from assessments.models import (
    HonorFlag,
    HonorRoll,
    HonorRollStatus,
    HonorSubmission,
    HonorSubmissionStatus,
    Indicator,
    IndicatorGroup,
    Scheme,
    UnitCategory,
)
from campaign.models import (
    Campaign,
    ChainCooperation,
    ResponsibilityChain,
    SupervisionGroup,
    TaskForce,
)
from campaign.tests.builders import add_chain, add_phases, person
from campaign.tests.factories import CampaignFactory, SupervisionGroupFactory, TaskForceFactory
from tasks_ledger.models import (
    Area,
    Evidence,
    ExtensionRequest,
    ItemStatus,
    Ledger,
    LedgerItem,
    LightPolicy,
    MeetingAttendance,
    Milestone,
    ProgressReport,
    ReviewMeeting,
    ReviewStatus,
    SignOffRequest,
    StatusChange,
    StatusChangeRequest,
)
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "campaign", "tasks_ledger", "assessments", "accountability"}
SCOPED_PERSONAS = ("above", "admin")  # the city campaign office and the city administrator


def registered_models() -> list[type[Model]]:
    return [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]


# --- the world: rows inside the city to open, rows outside it to post ---------------------------
def build_rows(campaign: Campaign, unit: Unit, dept: Unit, tag: str) -> dict[type[Model], Model]:
    """One of everything a ledger campaign has, owned by ``unit``: chains, ledgers and items
    through the services, the rest as plain rows (only their place in the tree matters)."""
    principal = person(unit, Post.PRINCIPAL_LEADER, f"{tag}书记")
    chain = add_chain(subject=f"{tag}燃气改造", unit=unit, lead=dept, campaign=campaign)
    force = TaskForceFactory.create(campaign=campaign, leader=principal)
    group = SupervisionGroupFactory.create(campaign=campaign, leader=principal)
    ledger = make_ledger(campaign, title=f"{tag}重点任务台账", owner=unit)
    item = make_item(ledger, dept, chain=chain)
    meeting = ReviewMeeting.objects.create(
        campaign=campaign,
        kind="dispatch",
        title=f"{tag}调度会",
        date=dt.date(2022, 4, 1),
        host_unit=unit,
        chair=principal,
    )
    report = ProgressReport.objects.create(item=item, reporter=principal, text="进展", percent=30)
    signoff = SignOffRequest.objects.create(item=item, requested_by=principal, note="完成")
    assert item.deadline is not None
    extension = ExtensionRequest.objects.create(
        item=item,
        requested_by=principal,
        reason="汛期",
        old_deadline=item.deadline,
        new_deadline=item.deadline + dt.timedelta(days=30),
    )
    suspension = StatusChangeRequest.objects.create(
        item=item, requested_by=principal, change=StatusChange.SUSPEND, reason="规划调整"
    )
    evidence = Evidence.objects.create(
        item=item,
        report=report,
        file="evidence/2022/04/x.pdf",
        original_name="照片.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=principal,
    )
    scheme = Scheme.objects.create(
        campaign=campaign,
        year=campaign.year,
        title=f"{tag}考核方案",
        daily_weight=40,
        annual_weight=20,
        third_party_weight=20,
        public_weight=20,
    )
    group_of_indicators = IndicatorGroup.objects.create(scheme=scheme, name=f"{tag}比担当")
    # Honor rolls: published, so everyone in the campaign may inspect them.
    roll = HonorRoll.objects.create(
        campaign=campaign, month=dt.date(campaign.year, 5, 1), status=HonorRollStatus.PUBLISHED
    )
    highlight = HonorSubmission.objects.create(
        roll=roll,
        unit=dept,
        title=f"{tag}亮点",
        text="成效",
        status=HonorSubmissionStatus.SELECTED,
        place=1,
        submitted_by=principal,
    )
    flag = HonorFlag.objects.create(roll=roll, unit=dept, colour="red", reason="成效突出")
    return {
        HonorRoll: roll,
        HonorSubmission: highlight,
        HonorFlag: flag,
        Scheme: scheme,
        IndicatorGroup: group_of_indicators,
        Indicator: Indicator.objects.create(
            scheme=scheme,
            group=group_of_indicators,
            code="1",
            name="台账",
            source="daily",
            max_points=100,
        ),
        UnitCategory: UnitCategory.objects.create(scheme=scheme, name=f"{tag}县区"),
        Unit: unit,
        User: principal,
        Campaign: campaign,
        TaskForce: force,
        SupervisionGroup: group,
        ResponsibilityChain: chain,
        Ledger: ledger,
        Area: ledger.area,
        LedgerItem: item,
        ReviewMeeting: meeting,
        ProgressReport: report,
        SignOffRequest: signoff,
        ExtensionRequest: extension,
        StatusChangeRequest: suspension,
        Evidence: evidence,
        LightPolicy: LightPolicy.objects.create(campaign=campaign),
        Milestone: Milestone.objects.create(item=item, title="开工", deadline=dt.date(2022, 5, 1)),
        MeetingAttendance: MeetingAttendance.objects.create(meeting=meeting, unit=dept),
    }


@dataclass
class World:
    """The shared ``org`` plus a full campaign inside the city and another in the province."""

    org: Any
    inside: dict[type[Model], Model]
    outside: dict[type[Model], list[Model]]


@pytest.fixture
def world(org: Any) -> World:
    """The city's rows to open and the province's rows to post."""
    org.above.is_staff = True  # the campaign office works in the admin (role_assign does this)
    org.above.save(update_fields=["is_staff"])
    add_phases(org.campaign)
    inside = build_rows(org.campaign, org.city, org.city_dept, "市")
    force = inside[TaskForce]
    assert isinstance(force, TaskForce)
    force.member_units.set([org.county_a])
    force.members.set([org.inside])
    ChainCooperation.objects.create(chain=inside[ResponsibilityChain], unit=org.county_a)
    inside[Unit] = org.county_a
    inside[User] = org.inside
    inside[Membership] = Membership.objects.get(user=org.inside)
    county_official = UserFactory(username="county-official", name="县领导")
    inside[RoleAssignment] = RoleAssignment.objects.create(
        user=county_official, role=Role.OFFICIAL, scope=org.county_a
    )
    inside[SupervisionGroup] = org.group_a  # led by the superuser: an unchanged outsider

    other_city = UnitFactory.create(parent=org.province, name="另一市", level=UnitLevel.CITY)
    province_dept = UnitFactory.create(
        parent=org.province, name="省住建厅", level=UnitLevel.PROVINCE, kind="department"
    )
    province_campaign = CampaignFactory(owner_unit=org.province)
    far = build_rows(province_campaign, org.province, province_dept, "省")
    outside: dict[type[Model], list[Model]] = {model: [row] for model, row in far.items()}
    outside[Unit] = [org.province, other_city, province_dept]
    return World(org=org, inside=inside, outside=outside)


# --- reading a rendered admin form as a browser would submit it ------------------------------
class FormReader(HTMLParser):
    """The fields of the admin's main form (``<form id="…_form">``) and their values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: list[tuple[str, str]] = []
        self._in_form = False
        self._select: tuple[str, bool] | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form or (not a.get("name") and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.data.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = (a["name"], "multiple" in a)
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select[0], a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data.append((self._textarea, "".join(self._text)))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def form_data(html: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(what the form posts, the blank inline rows' ``__prefix__`` templates)."""
    reader = FormReader()
    reader.feed(html)
    posted: dict[str, list[str]] = {}
    templates: dict[str, list[str]] = {}
    for name, value in reader.data:
        (templates if "__prefix__" in name else posted).setdefault(name, []).append(value)
    return posted, templates


@dataclass
class Target:
    """One scoped choice in a rendered page: the post key and where its error will show."""

    key: str
    name: str
    model: type[Model]
    form_model: type[Model]
    prefix: str | None = None  # an inline formset's prefix, None for the main form
    index: int | None = None  # the inline row
    new_row: bool = False


def scoped_targets(context: Any) -> Iterator[Target]:
    """Every relation field to a platform model in the main form and each inline row."""

    def fields(form: Any) -> Iterator[tuple[str, Any]]:
        for name, form_field in form.fields.items():
            # An inline row's own id is a choice among the rows it may edit, not a reference.
            if (
                not isinstance(form_field, ModelChoiceField)
                or name == form._meta.model._meta.pk.name
            ):
                continue
            queryset = form_field.queryset
            if queryset is not None and queryset.model._meta.app_label in OUR_APPS:
                yield name, form_field

    main = context["adminform"].form
    for name, form_field in fields(main):
        yield Target(name, name, form_field.queryset.model, main._meta.model)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        rows = [(i, False) for i in range(formset.initial_form_count())]
        if inline.has_add_permission:
            rows.append((formset.total_form_count(), True))
        for index, new_row in rows:
            form = formset.empty_form if new_row else formset.forms[index]
            for name, form_field in fields(form):
                yield Target(
                    f"{formset.prefix}-{index}-{name}",
                    name,
                    form_field.queryset.model,
                    formset.model,
                    formset.prefix,
                    index,
                    new_row,
                )


def with_outside(
    data: dict[str, list[str]],
    templates: dict[str, list[str]],
    target: Target,
    outsider: Model,
) -> dict[str, list[str]]:
    """The posted data with ``outsider`` chosen in the target (in a new row if it is one)."""
    posted = {key: list(values) for key, values in data.items()}
    if target.new_row:
        assert target.prefix is not None
        for key, values in templates.items():
            if key.startswith(f"{target.prefix}-__prefix__-"):
                # the blank row once, keeping what an earlier target chose in it
                posted.setdefault(key.replace("__prefix__", str(target.index)), list(values))
        posted[f"{target.prefix}-TOTAL_FORMS"] = [str(int(target.index or 0) + 1)]
    posted[target.key] = [str(outsider.pk)]
    return posted


def error_codes(context: Any, target: Target) -> set[str]:
    """The error codes the redisplayed form shows on the target field."""
    if target.prefix is None:
        form = context["adminform"].form
    else:
        formset = next(
            i.formset for i in context["inline_admin_formsets"] if i.formset.prefix == target.prefix
        )
        form = formset.forms[target.index]
    return {error.code for error in form.errors.as_data().get(target.name, [])}


def pointing_at(target: Target, outsider: Model) -> int:
    """How many rows of the target's model name ``outsider`` in that field."""
    manager = target.form_model._default_manager
    if target.name == "treebeard_ref_node":  # a place in the tree: children of the outsider
        return Unit.objects.filter(path__startswith=outsider.path).count()
    return manager.filter(**{target.name: outsider}).count()


def admin_url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def change_target(world: World, model: type[Model], user: User) -> Model | None:
    """The row to open: the world's own, else any the user sees (a model added later)."""
    if model in world.inside:
        return world.inside[model]
    request = type("Request", (), {"user": user})()
    return admin.site._registry[model].get_queryset(request).first()


# --- the walk ---------------------------------------------------------------------------------
def walk(world: World, client: Client, user: User, model: type[Model]) -> tuple[int, int]:
    """Open the model's add and change pages as ``user`` and post outsiders into every scoped
    field; return (editable pages, fields checked)."""
    client.force_login(user)
    obj = change_target(world, model, user)
    pages = [("add", admin_url(model, "add"))]
    if obj is not None:
        pages.append(("change", admin_url(model, "change", obj.pk)))
    checked = editable = 0
    for view, url in pages:
        page = client.get(url)
        if page.status_code in (302, 403):  # no permission for this model or row
            assert client.post(url, {}).status_code in (302, 403)
            continue
        assert page.status_code == 200, url
        data, templates = form_data(page.content.decode())
        if view == "change" and not page.context["has_change_permission"]:
            # Inspection only: the page shows the row; posting it back is refused.
            assert client.post(url, data).status_code == 403
            continue
        editable += 1
        if view == "change":
            saved = client.post(url, data)
            errors = saved.context and saved.context["adminform"].form.errors
            assert saved.status_code == 302, f"{url} as posted: {errors}"
        # Every scoped field of the page at once, each with its own outsider: each field
        # must refuse on its own account (its own error), so one post checks them all.
        chosen: list[tuple[Target, Model, int, int]] = []
        posted = data
        for target in scoped_targets(page.context):
            current = {str(v) for v in data.get(target.key, [])}
            outside = world.outside.get(target.model, [])
            candidates = [o for o in outside if str(o.pk) not in current]
            assert candidates, f"no row of {target.model._meta.label} outside the city to post"
            outsider = candidates[0]
            rows = target.form_model._default_manager.count()
            chosen.append((target, outsider, rows, pointing_at(target, outsider)))
            posted = with_outside(posted, templates, target, outsider)
        if not chosen:
            continue
        response = client.post(url, posted)
        assert response.status_code == 200, f"{url} accepted {[t.key for t, *_ in chosen]}"
        for target, outsider, rows, pointing in chosen:
            codes = error_codes(response.context, target)
            assert "invalid_choice" in codes, f"{url} {target.key}={outsider} was not refused"
            assert target.form_model._default_manager.count() == rows
            assert pointing_at(target, outsider) == pointing
            checked += 1
    return editable, checked


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_every_admin_form_refuses_a_choice_outside_the_city(
    world: World, client: Client, model: type[Model]
) -> None:
    """GIVEN the city office or the city administrator on an admin add or change page
    WHEN they post, in any relation field of the form or of an inline row, a row of the
    province (a unit, a person, a campaign, a group, a chain, a ledger, an item…)
    THEN the field refuses it as an invalid choice, nothing is saved and no one's
    jurisdiction has changed; and the unchanged page, posted as it is, saves."""
    people = [getattr(world.org, name) for name in (*SCOPED_PERSONAS, "supervisor")]
    before = [compute_jurisdiction(User.objects.get(pk=p.pk)) for p in people]
    for name in SCOPED_PERSONAS:
        editable, checked = walk(world, client, getattr(world.org, name), model)
        if editable and model in (Unit, Campaign, SupervisionGroup, ResponsibilityChain):
            assert checked, f"{model._meta.label} as {name}: the walk found no scoped field"
    assert [compute_jurisdiction(User.objects.get(pk=p.pk)) for p in people] == before


def test_superuser_may_choose_anywhere(world: World, client: Client) -> None:
    """The control: the same outside unit is a valid choice for a superuser."""
    client.force_login(world.org.superuser)
    group = world.org.group_a
    page = client.get(admin_url(type(group), "change", group.pk))
    data, templates = form_data(page.content.decode())
    target = next(t for t in scoped_targets(page.context) if t.new_row and t.model is Unit)
    response = client.post(
        admin_url(type(group), "change", group.pk),
        with_outside(data, templates, target, world.org.province),
    )
    assert response.status_code == 302
    assert set(group.assigned_units.all()) == {world.org.county_a, world.org.province}


def test_office_cannot_give_its_group_the_province(world: World, client: Client) -> None:
    """GIVEN the city office edits the group covering 甲县
    WHEN it posts the province as a new assigned unit and a provincial person as a member
    THEN both are refused, and neither the group's members nor the office see further."""
    org = world.org
    client.force_login(org.above)
    url = admin_url(type(org.group_a), "change", org.group_a.pk)
    page = client.get(url)
    data, templates = form_data(page.content.decode())
    for target in scoped_targets(page.context):
        if target.new_row:
            outsider = world.outside[target.model][0]
            client.post(url, with_outside(data, templates, target, outsider))
    assert list(org.group_a.assigned_units.all()) == [org.county_a]
    assert list(org.group_a.members.all()) == [org.supervisor]
    assert compute_jurisdiction(User.objects.get(pk=org.supervisor.pk)).view_roots == (
        org.county_a.path,
    )
    assert compute_jurisdiction(User.objects.get(pk=org.above.pk)).view_roots == (org.city.path,)


def test_autocomplete_offers_only_choosable_rows(world: World, client: Client) -> None:
    """The autocomplete behind a unit field lists the city's units, not the province's."""
    client.force_login(world.org.above)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "campaign",
            "model_name": "supervisiongroupunit",
            "field_name": "unit",
            "term": "",
        },
    )
    assert response.status_code == 200
    names = {row["text"] for row in response.json()["results"]}
    assert "甲县" in names and "测试市" in names
    assert not names & {"测试省", "另一市", "省住建厅"}
    people = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "campaign", "model_name": "taskforce", "field_name": "leader", "term": ""},
    ).json()["results"]
    leaders = {row["text"] for row in people}
    assert "市委常委" in leaders and "甲县联络员" in leaders
    assert "省书记" not in leaders and "超级管理员" not in leaders


def test_list_filters_name_only_the_users_rows(world: World, client: Client) -> None:
    """A filter by campaign lists the city's campaign, not the province's."""
    client.force_login(world.org.above)
    page = client.get(admin_url(type(world.org.group_a), "changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert str(world.org.campaign) in text
    assert str(world.outside[Campaign][0]) not in text


# --- people and roles -------------------------------------------------------------------------
def test_city_administrator_cannot_make_a_superuser(world: World, client: Client) -> None:
    """GIVEN the city administrator on a county liaison's page
    WHEN they post superuser status, a group and a permission
    THEN the rest saves and those stay as they were; the fields are not even offered."""
    from django.contrib.auth.models import Group, Permission

    org = world.org
    group = Group.objects.create(name="全权")
    client.force_login(org.admin)
    url = admin_url(User, "change", org.inside.pk)
    page = client.get(url)
    form = page.context["adminform"].form
    assert not {"is_superuser", "groups", "user_permissions"} & set(form.fields)
    data, _templates = form_data(page.content.decode())
    data.update(
        is_superuser=["on"],
        groups=[str(group.pk)],
        user_permissions=[str(Permission.objects.get(codename="change_user").pk)],
        phone=["13900000000"],
    )
    assert client.post(url, data).status_code == 302
    org.inside.refresh_from_db()
    assert org.inside.phone == "13900000000"
    assert not org.inside.is_superuser
    assert not org.inside.groups.exists() and not org.inside.user_permissions.exists()
    # and not on their own page either
    own = admin_url(User, "change", org.admin.pk)
    data, _templates = form_data(client.get(own).content.decode())
    client.post(own, {**data, "is_superuser": ["on"]})
    org.admin.refresh_from_db()
    assert not org.admin.is_superuser


def test_city_administrator_cannot_take_over_a_provincial_account(
    world: World, client: Client
) -> None:
    """A person who also holds a post in the province is the province's to change."""
    org = world.org
    both = UserFactory(username="both", name="兼职")
    MembershipFactory(user=both, unit=org.city_dept, post=Post.STAFF)
    MembershipFactory(user=both, unit=org.province, post=Post.STAFF)
    client.force_login(org.admin)
    url = admin_url(User, "change", both.pk)
    assert client.get(url).status_code == 200  # seen (a post in the city), read only
    assert client.post(url, {"username": "both", "name": "改", "is_active": ""}).status_code == 403
    password = reverse("admin:auth_user_password_change", args=[both.pk])
    new = "x-Very-long-9"
    assert client.post(password, {"password1": new, "password2": new}).status_code == 403
    both.refresh_from_db()
    assert both.name == "兼职" and both.is_active and both.check_password("pass-1234")
    superuser = client.post(admin_url(User, "change", org.superuser.pk), {"name": "改"})
    assert superuser.status_code in (302, 403)
    org.superuser.refresh_from_db()
    assert org.superuser.name == "超级管理员"


def test_only_an_administrator_grants_roles(world: World, client: Client) -> None:
    """The campaign office sees roles but grants none; the administrator grants in the city."""
    org = world.org
    client.force_login(org.above)
    assert client.get(admin_url(RoleAssignment, "add")).status_code == 403
    client.force_login(org.admin)
    data = {"user": org.inside.pk, "role": Role.OFFICIAL, "scope": org.county_a.pk}
    assert client.post(admin_url(RoleAssignment, "add"), data).status_code == 302
    wider = {"user": org.admin.pk, "role": Role.ADMINISTRATOR, "scope": org.province.pk}
    response = client.post(admin_url(RoleAssignment, "add"), wider)
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(scope=org.province).exists()


def test_a_unit_is_placed_only_under_a_managed_unit(world: World, client: Client) -> None:
    """Neither the form nor dragging in the tree puts a unit beside the city or at the top."""
    org = world.org
    client.force_login(org.admin)
    url = admin_url(Unit, "change", org.county_b.pk)
    data, _templates = form_data(client.get(url).content.decode())
    for position, ref in (("sorted-sibling", org.city.pk), ("sorted-child", "")):
        response = client.post(
            url, {**data, "treebeard_position": [position], "treebeard_ref_node": [str(ref)]}
        )
        assert response.status_code == 200
        assert "treebeard_ref_node" in response.context["adminform"].form.errors
    moved = client.post(
        admin_url(Unit, "changelist") + "move/",
        {"node": org.county_b.pk, "target": org.city.pk, "relation": "sibling"},
    )
    assert moved.status_code == 403
    org.county_b.refresh_from_db()
    assert Unit.objects.get_parent(org.county_b) == org.city
    # moving within the city still works
    inside_move = client.post(
        url,
        {**data, "treebeard_position": ["sorted-child"], "treebeard_ref_node": [org.county_a.pk]},
    )
    assert inside_move.status_code == 302
    org.county_b.refresh_from_db()
    assert Unit.objects.get_parent(org.county_b) == org.county_a


def test_city_unit_itself_can_still_be_edited(world: World, client: Client) -> None:
    """The city's own place (under the province) is kept when its name is corrected."""
    org = world.org
    client.force_login(org.admin)
    url = admin_url(Unit, "change", org.city.pk)
    data, _templates = form_data(client.get(url).content.decode())
    assert client.post(url, {**data, "short_name": ["本市"]}).status_code == 302
    org.city.refresh_from_db()
    assert org.city.short_name == "本市" and Unit.objects.get_parent(org.city) == org.province


# --- fields the services own ------------------------------------------------------------------
def test_item_state_is_read_only_in_the_admin(world: World, client: Client) -> None:
    """GIVEN the city administrator on an item's admin page
    WHEN they post a later deadline, another status, progress and latest report
    THEN the item keeps its own, while its title (configuration) is corrected, and the
    version moves on so a page edit made on an older copy is refused."""
    item = world.inside[LedgerItem]
    assert isinstance(item, LedgerItem)
    client.force_login(world.org.admin)
    url = admin_url(LedgerItem, "change", item.pk)
    page = client.get(url)
    form = page.context["adminform"].form
    owned = {"status", "progress", "deadline", "latest_report", "pending_progress"}
    assert not (owned | {"signoff_pending", "version"}) & set(form.fields)
    data, _templates = form_data(page.content.decode())
    data.update(
        title=["改过的标题"],
        deadline=["2022-12-31"],
        status=[ItemStatus.SIGNED_OFF],
        progress=["100"],
        latest_report=["已完成"],
        pending_progress=["80"],
        signoff_pending=["on"],
        version=["99"],
    )
    assert client.post(url, data).status_code == 302
    before = item.version
    item.refresh_from_db()
    assert item.title == "改过的标题"
    assert (item.deadline, item.status, item.progress, item.latest_report) == (
        dt.date(2022, 6, 30),
        ItemStatus.NOT_STARTED,
        0,
        "",
    )
    assert item.pending_progress is None and not item.signoff_pending
    assert item.version == before + 1


def test_new_item_gets_its_first_deadline_but_not_a_status(world: World, client: Client) -> None:
    """On the add form the deadline is set; status and progress start where services start."""
    client.force_login(world.org.admin)
    form = client.get(admin_url(LedgerItem, "add")).context["adminform"].form
    assert "deadline" in form.fields
    assert not {"status", "progress", "latest_report", "pending_progress"} & set(form.fields)


def test_superuser_may_correct_an_items_state(world: World, client: Client) -> None:
    """Superusers repair data; the version still moves on."""
    item = world.inside[LedgerItem]
    assert isinstance(item, LedgerItem)
    client.force_login(world.org.superuser)
    url = admin_url(LedgerItem, "change", item.pk)
    page = client.get(url)
    assert "version" not in page.context["adminform"].form.fields
    data, _templates = form_data(page.content.decode())
    data.update(deadline=["2022-07-31"], status=[ItemStatus.IN_PROGRESS], progress=["40"])
    assert client.post(url, data).status_code == 302
    before = item.version
    item.refresh_from_db()
    assert (item.deadline, item.status, item.progress) == (dt.date(2022, 7, 31), "in_progress", 40)
    assert item.version == before + 1


@pytest.mark.parametrize(
    "model", [ProgressReport, SignOffRequest, ExtensionRequest, StatusChangeRequest, Evidence]
)
def test_workflow_records_are_inspected_not_decided(
    world: World, client: Client, model: type[Model]
) -> None:
    """GIVEN the city administrator on a report, request or evidence in the admin
    WHEN they post a decision (accepted, approved) or try to add or delete one
    THEN it is refused and the record is as the service left it; the page still shows it."""
    row = world.inside[model]
    client.force_login(world.org.admin)
    url = admin_url(model, "change", row.pk)
    page = client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    decision = {
        "status": ReviewStatus.ACCEPTED,
        "review_status": ReviewStatus.ACCEPTED,
        "decided_by": world.org.admin.pk,
        "reviewed_by": world.org.admin.pk,
        "new_deadline": "2022-12-31",
    }
    assert client.post(url, decision).status_code == 403
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    fresh = model._default_manager.get(pk=row.pk)
    for name in ("status", "review_status", "decided_by_id", "reviewed_by_id", "new_deadline"):
        assert getattr(fresh, name, None) == getattr(row, name, None)


def test_an_item_added_in_the_admin_passes_the_creation_service(org, client, settings):
    """GIVEN the city administrator in the admin WHEN they add an item with a deadline in
    year 9999, then a proper one THEN the first is refused in Chinese by the service's own
    check and the second is made by the service (numbered, version 1, history written)."""
    from pghistory.models import Events

    from tasks_ledger.models import LedgerItem
    from tasks_ledger.tests.factories import make_ledger

    ledger = make_ledger(org.campaign)
    client.force_login(org.admin)
    url = "/admin/tasks_ledger/ledgeritem/add/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "ledger": ledger.pk,
        "unit": org.county_a.pk,
        "code": "",
        "title": "后台新增事项",
        "start_date": "2022-03-01",
        "deadline": "9999-12-31",
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
        "measure_set-TOTAL_FORMS": "0",
        "measure_set-INITIAL_FORMS": "0",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "不在本次活动的时间范围内" in refused.content.decode()
    assert not LedgerItem.objects.filter(title="后台新增事项").exists()
    data["deadline"] = "2022-06-30"
    response = client.post(url, data)
    assert response.status_code == 302, re.findall(
        r"errorlist.*?</ul>", response.content.decode(), re.S
    )
    item = LedgerItem.objects.get(title="后台新增事项")
    assert (item.code, item.version, item.status) == ("1", 1, "not_started")
    assert Events.objects.filter(
        pgh_obj_model="tasks_ledger.LedgerItem", pgh_obj_id=item.pk
    ).exists()
