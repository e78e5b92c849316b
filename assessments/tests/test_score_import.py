"""Scores in from Excel: a third-party evaluator's or the office's workbook (LibreOffice-saved,
with title rows, Chinese headers, decimal and percentage styles, an average row) is mapped,
checked row by row, previewed and entered in one transaction through ``scores_enter``, or
not at all; on the page and through the API, for whoever may score the round only."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services import api_token_create
from accounts.tests.factories import RoleAssignmentFactory, UserFactory

from .. import rules, score_imports, services
from ..models import CategoryMember, Round, RoundStatus, ScoreEntry, ScoreImportJob
from .conftest import Assessment

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
THIRD_PARTY = FIXTURES / "third_party_scores.xlsx"  # LibreOffice: long, T1 only
OFFICE_WIDE = FIXTURES / "office_scores_wide.xlsx"  # LibreOffice: wide, T1 and P1
IMPORTS = reverse("api:score-import-list")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Uploads go to a folder of the test's own; pages speak Chinese."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"
    return settings.MEDIA_ROOT


@pytest.fixture
def evaluator(assessment: Assessment) -> User:
    """A third-party evaluator over the city (the campaign's owner unit)."""
    user = cast(User, UserFactory(username="evaluator", name="第三方评估机构"))
    RoleAssignmentFactory(user=user, role=Role.EVALUATOR, scope=assessment.org.city)
    return user


def workbook(*rows: list[Any], title: bool = True) -> bytes:
    """A sheet written by openpyxl: a title row (unless ``title`` is False), then ``rows``."""
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    if title:
        ws.append(["2022年第三季度第三方评估得分表"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload_file(data: bytes | Path, name: str = "得分表.xlsx") -> SimpleUploadedFile:
    content = data.read_bytes() if isinstance(data, Path) else data
    return SimpleUploadedFile(name, content)


def import_page(round_: Any) -> str:
    return reverse("assessments:score-import", args=[round_.pk])


def job_page(job: Any) -> str:
    return reverse("assessments:score-import-job", args=[job.pk])


def post_upload(client: Any, round_: Any, data: bytes | Path) -> Any:
    return client.post(import_page(round_), {"file": upload_file(data)})


def scores(round_: Any) -> dict[tuple[str, str], Decimal]:
    return {
        (s.unit.name, s.indicator.code): s.points
        for s in ScoreEntry.objects.filter(round=round_).select_related("unit", "indicator")
    }


def api(user: User) -> APIClient:
    client = APIClient()
    _token, key = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def api_job(job_id: int, action: str = "") -> str:
    if action:
        return reverse(f"api:score-import-{action}", args=[job_id])
    return reverse("api:score-import-detail", args=[job_id])


# --- the page -----------------------------------------------------------------------------------
def test_an_evaluator_imports_a_libreoffice_sheet_one_row_per_score(
    client: Any, assessment: Assessment, evaluator: User
) -> None:
    """GIVEN the evaluator's LibreOffice workbook (title and subtitle rows, 被考核单位 by name
    and by code, 考核指标 by number, name and both, 得分 as 85.50, as 90.0% and as text, an
    average row) WHEN uploaded and applied THEN the header is row 3, every column is
    recognised, the preview lists four new scores and they are entered in the evaluator's
    name, 90% of 100 points as 90."""
    round_ = assessment.scoring
    client.force_login(evaluator)
    response = post_upload(client, round_, THIRD_PARTY)
    job = ScoreImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_page(job)
    assert job.header_row == 3 and job.status == "checked" and job.errors == []
    chosen = {c["text"]: c["field"] for c in job.columns}
    assert chosen == {
        "序号": None,
        "被考核单位": "unit",
        "考核指标": "indicator",
        "得分": "points",
        "评估意见": "comment",
    }
    page = client.get(job_page(job))
    assert page.status_code == 200 and "县02" in page.content.decode()
    assert job.plan["create"] == 4 and job.plan["layout"] == "long"
    rows = {r["unit"]["name"]: r for r in job.plan["rows"]}
    assert rows["县02"]["points"] == "90.00" and rows["县02"]["percent"] == "90%"

    response = client.post(job_page(job), {"action": "apply"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "applied" and job.created_count == 4
    assert scores(round_) == {
        ("县01", "T1"): Decimal("85.50"),
        ("县02", "T1"): Decimal("90.00"),
        ("甲县", "T1"): Decimal("88.00"),
        ("甲镇", "T1"): Decimal("72.25"),
    }
    assert set(ScoreEntry.objects.values_list("assessor", flat=True)) == {evaluator.pk}


def test_the_office_imports_a_libreoffice_sheet_with_a_column_per_indicator(
    client: Any, assessment: Assessment
) -> None:
    """GIVEN the office's wide LibreOffice workbook (T1 第三方评估 and 群众满意度（满分100分）
    as columns, 95.5% styled as a percentage, a blank cell, an average row) WHEN the office
    imports it THEN each indicator column is recognised, the blank cell enters nothing, and
    the five scores are entered; importing it again changes nothing."""
    round_ = assessment.scoring
    client.force_login(assessment.org.assessor)
    post_upload(client, round_, OFFICE_WIDE)
    job = ScoreImportJob.objects.get()
    chosen = {c["text"]: c["field"] for c in job.columns}
    assert chosen["T1 第三方评估"] == "ind:T1"
    assert chosen["群众满意度（满分100分）"] == "ind:P1"
    assert chosen["单位"] == "unit" and chosen["备注"] == "comment"
    assert job.errors == [] and job.plan["layout"] == "wide" and job.plan["create"] == 5
    client.post(job_page(job), {"action": "apply"})
    assert scores(round_) == {
        ("县01", "T1"): Decimal("80.00"),
        ("县01", "P1"): Decimal("95.50"),
        ("县02", "T1"): Decimal("78.50"),
        ("县02", "P1"): Decimal("90.00"),
        ("乙县", "T1"): Decimal("91.00"),
    }
    post_upload(client, round_, OFFICE_WIDE)
    again = ScoreImportJob.objects.order_by("-pk").first()
    assert again is not None and again.plan["unchanged"] == 5 and again.plan["create"] == 0


def test_an_evaluator_leaves_out_the_public_indicator_column(
    client: Any, assessment: Assessment, evaluator: User
) -> None:
    """GIVEN the wide sheet with a public-survey column WHEN an evaluator uploads it THEN that
    column is not offered (not their source) and only the third-party scores are planned."""
    client.force_login(evaluator)
    post_upload(client, assessment.scoring, OFFICE_WIDE)
    job = ScoreImportJob.objects.get()
    column = next(c for c in job.columns if c["text"].startswith("群众满意度"))
    assert column["field"] is None
    described = score_imports.score_import_result(job=job)["columns"]
    note = next(c for c in described if c["header"] == column["header"])["note"]
    assert "P1" in note
    assert job.errors == [] and job.plan["create"] == 3


def test_every_bad_row_is_named_by_row_and_column_in_chinese(
    client: Any, assessment: Assessment, evaluator: User
) -> None:
    """GIVEN a sheet with an unknown unit, a unit assessed in no category, an unknown
    indicator, a daily indicator (not the evaluator's), points above the maximum, negative
    points, a score given twice and one good row WHEN the evaluator uploads it THEN each
    problem names its Excel row and column in Chinese, nothing can be applied, nothing is
    saved."""
    data = workbook(
        ["单位", "指标", "得分", "备注"],
        ["县01", "T1", 80, ""],  # row 3: good
        ["丙县", "T1", 80, ""],  # row 4: unknown unit
        ["测试市发展和改革委员会", "T1", 80, ""],  # row 5: not in a category
        ["县02", "Z9", 80, ""],  # row 6: unknown indicator
        ["县02", "D1", 40, ""],  # row 7: daily: not the evaluator's
        ["甲县", "T1", 120, ""],  # row 8: above 100
        ["甲镇", "T1", -5, ""],  # row 9: negative
        ["C01", "第三方评估", 70, ""],  # row 10: 县01 and T1 again
        ["乙县", "T1", "九十", ""],  # row 11: not a number
    )
    client.force_login(evaluator)
    post_upload(client, assessment.scoring, data)
    job = ScoreImportJob.objects.get()
    assert not job.can_apply
    by_row = {p["row"]: p for p in job.errors}
    assert sorted(by_row) == [4, 5, 6, 7, 8, 9, 10, 11]
    assert by_row[4]["column"] == "单位（A 列）" and "丙县" in by_row[4]["message"]
    assert "未知" in by_row[4]["message"]
    assert "测试市发展和改革委员会" in by_row[5]["message"] and "类别" in by_row[5]["message"]
    assert by_row[6]["column"] == "指标（B 列）" and "Z9" in by_row[6]["message"]
    assert "第三方" in by_row[7]["message"] and "D1" in by_row[7]["message"]
    assert by_row[8]["column"] == "得分（C 列）" and "100" in by_row[8]["message"]
    assert "负" in by_row[9]["message"]
    assert "第 3 行" in by_row[10]["message"]
    assert "九十" in by_row[11]["message"]
    page = client.get(job_page(job)).content.decode()
    assert "丙县" in page and "第三方评估" in page
    response = client.post(job_page(job), {"action": "apply"})
    assert response.status_code == 302
    assert ScoreEntry.objects.count() == 0
    job.refresh_from_db()
    assert job.status == "checked"


def test_a_row_gone_bad_after_the_preview_saves_nothing(
    client: Any, assessment: Assessment
) -> None:
    """GIVEN a clean preview of two scores WHEN a unit leaves the scheme's categories before
    the office applies THEN the apply checks again, fails with that row, and saves no score
    (not even the good one)."""
    round_ = assessment.scoring
    client.force_login(assessment.org.assessor)
    post_upload(
        client,
        round_,
        workbook(["被考核单位", "考核指标", "得分"], ["县01", "T1", 80], ["乙县", "T1", 70]),
    )
    job = ScoreImportJob.objects.get()
    assert job.can_apply
    CategoryMember.objects.filter(unit=assessment.org.county_b).delete()
    client.post(job_page(job), {"action": "apply"})
    job.refresh_from_db()
    assert job.status == "failed" and [p["row"] for p in job.errors] == [4]
    assert ScoreEntry.objects.count() == 0


def test_the_service_refusing_at_apply_saves_nothing(
    client: Any, assessment: Assessment, monkeypatch: Any
) -> None:
    """GIVEN a clean preview WHEN ``scores_enter`` refuses the batch THEN the job fails with
    the service's words and no score is kept."""
    client.force_login(assessment.org.assessor)
    post_upload(
        client,
        assessment.scoring,
        workbook(["单位", "指标", "得分"], ["县01", "T1", 80], ["县02", "T1", 70]),
    )
    job = ScoreImportJob.objects.get()

    def refuse(**kwargs: Any) -> int:
        ScoreEntry.objects.create(
            round=kwargs["round_"],
            unit=kwargs["entries"][0][0],
            indicator=kwargs["entries"][0][1],
            points=1,
        )
        raise services.ValidationError("第2行出错")

    monkeypatch.setattr(services, "scores_enter", refuse)
    client.post(job_page(job), {"action": "apply"})
    job.refresh_from_db()
    assert job.status == "failed" and job.errors[0]["message"] == "第2行出错"
    assert ScoreEntry.objects.count() == 0


def test_the_mapping_step_takes_the_clerks_columns(client: Any, assessment: Assessment) -> None:
    """GIVEN a sheet whose points column is headed 打分情况 (a word nobody uses for points)
    WHEN uploaded THEN the page asks for a points column; WHEN the clerk chooses it and
    checks again THEN the preview is clean."""
    client.force_login(assessment.org.assessor)
    post_upload(
        client,
        assessment.scoring,
        workbook(["单位", "指标", "打分情况"], ["县01", "T1", 80], ["县02", "T1", 70]),
    )
    job = ScoreImportJob.objects.get()
    assert not job.can_apply and job.errors[0]["row"] is None
    page = client.get(job_page(job)).content.decode()
    assert "打分情况" in page and 'name="col2"' in page
    response = client.post(
        job_page(job),
        {"action": "remap", "col0": "unit", "col1": "indicator", "col2": "points"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.errors == [] and job.plan["create"] == 2


def test_a_bad_file_is_refused_with_nothing_stored(client: Any, assessment: Assessment) -> None:
    """GIVEN a file that is not a workbook WHEN uploaded THEN the form says so in Chinese
    and no job is stored."""
    client.force_login(assessment.org.assessor)
    response = post_upload(client, assessment.scoring, b"not a workbook at all")
    assert response.status_code == 400
    assert "不是 Excel 工作簿" in response.content.decode()
    assert ScoreImportJob.objects.count() == 0


# --- who may -----------------------------------------------------------------------------------
def test_who_may_open_the_upload_form(client: Any, assessment: Assessment, evaluator: User) -> None:
    """The office and the evaluator over the campaign may; a unit's liaison may not (403
    when the round is theirs to see, never a form); nobody may import into a round under
    review."""
    org = assessment.org
    for user in (org.assessor, evaluator):
        client.force_login(user)
        assert client.get(import_page(assessment.scoring)).status_code == 200
    client.force_login(org.assessor)
    assert client.get(import_page(assessment.review)).status_code == 403
    assert post_upload(client, assessment.review, OFFICE_WIDE).status_code == 403
    client.force_login(org.inside)
    assert client.get(import_page(assessment.scoring)).status_code == 403
    assert post_upload(client, assessment.scoring, OFFICE_WIDE).status_code == 403
    elsewhere = UserFactory(username="other_evaluator")
    RoleAssignmentFactory(user=elsewhere, role=Role.EVALUATOR, scope=org.county_b)
    client.force_login(elsewhere)
    assert client.get(import_page(assessment.scoring)).status_code == 403
    assert ScoreImportJob.objects.count() == 0


def test_nobody_else_reaches_a_job(client: Any, assessment: Assessment, evaluator: User) -> None:
    """GIVEN the evaluator's job WHEN the office (who may score the round too) or a liaison
    opens, remaps or applies it THEN 404, and the job is untouched."""
    client.force_login(evaluator)
    post_upload(client, assessment.scoring, THIRD_PARTY)
    job = ScoreImportJob.objects.get()
    for user in (assessment.org.assessor, assessment.org.inside):
        client.force_login(user)
        assert client.get(job_page(job)).status_code == 404
        assert client.post(job_page(job), {"action": "apply"}).status_code == 404
        assert api(user).get(api_job(job.pk)).status_code == 404
        assert api(user).post(api_job(job.pk, "apply")).status_code == 404
    job.refresh_from_db()
    assert job.status == "checked" and ScoreEntry.objects.count() == 0


def test_a_round_leaving_scoring_stops_the_apply(
    client: Any, assessment: Assessment, evaluator: User
) -> None:
    """GIVEN a clean preview WHEN the round moves to review before the apply THEN nothing
    is entered and the job says why."""
    client.force_login(evaluator)
    post_upload(client, assessment.scoring, THIRD_PARTY)
    job = ScoreImportJob.objects.get()
    assessment.scoring.status = RoundStatus.REVIEW
    assessment.scoring.save(update_fields=["status"])
    client.post(job_page(job), {"action": "apply"})
    job.refresh_from_db()
    assert job.status == "failed" and ScoreEntry.objects.count() == 0
    assert job.errors and job.errors[0]["row"] is None


# --- the API -----------------------------------------------------------------------------------
def test_the_api_uploads_remaps_and_applies(assessment: Assessment, evaluator: User) -> None:
    """GIVEN the evaluator's token WHEN it uploads, remaps and applies through
    /api/v1/score-imports/ THEN each step answers the job as the page sees it and the
    scores are entered once."""
    client = api(evaluator)
    response = client.post(
        IMPORTS,
        {"round": assessment.scoring.pk, "file": upload_file(THIRD_PARTY)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "checked" and body["counts"]["create"] == 4
    assert body["round"]["id"] == assessment.scoring.pk and body["can_apply"] is True
    assert {c["key"] for c in body["choices"]} >= {"unit", "indicator", "points", "ind:T1"}
    assert "ind:P1" not in {c["key"] for c in body["choices"]}
    comment = next(c for c in body["columns"] if c["field"] == "comment")["header"]
    response = client.patch(api_job(body["id"]), {"mapping": {comment: None}}, format="json")
    assert response.status_code == 200 and response.json()["can_apply"] is True
    response = client.post(api_job(body["id"], "apply"))
    assert response.status_code == 200 and response.json()["status"] == "applied"
    assert response.json()["created"] == 4
    assert set(ScoreEntry.objects.values_list("comment", flat=True)) == {""}
    again = client.post(api_job(body["id"], "apply"))
    assert again.status_code == 400 and ScoreEntry.objects.count() == 4


def test_the_api_refuses_in_its_one_error_shape(assessment: Assessment, evaluator: User) -> None:
    """A bad file is a 400 on ``file``; an unknown field in the mapping a 400; a round the
    caller sees but may not import into a 403 with the reason; a round of nowhere a 400."""
    client = api(evaluator)
    bad = client.post(
        IMPORTS,
        {"round": assessment.scoring.pk, "file": upload_file(b"PK\x03\x04 broken")},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "file"
    review = api(assessment.org.assessor).post(
        IMPORTS,
        {"round": assessment.review.pk, "file": upload_file(THIRD_PARTY)},
        format="multipart",
    )
    assert review.status_code == 403 and review.json()["errors"][0]["detail"]
    created = client.post(
        IMPORTS,
        {"round": assessment.scoring.pk, "file": upload_file(THIRD_PARTY)},
        format="multipart",
    ).json()
    wrong = client.patch(api_job(created["id"]), {"mapping": {"得分": "ind:D1"}}, format="json")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["attr"] == "mapping"
    liaison = api(assessment.org.inside).post(
        IMPORTS,
        {"round": assessment.scoring.pk, "file": upload_file(THIRD_PARTY)},
        format="multipart",
    )
    assert liaison.status_code == 403
    assert ScoreImportJob.objects.count() == 1


def test_the_list_of_jobs_runs_a_fixed_number_of_queries(
    assessment: Assessment, evaluator: User, django_assert_max_num_queries: Any
) -> None:
    """The caller's jobs, one or five: the same queries (token and user, count, page of jobs
    with their rounds, the indicators of their schemes, the evaluator's roles)."""
    client = api(evaluator)

    def upload() -> None:
        client.post(
            IMPORTS,
            {"round": assessment.scoring.pk, "file": upload_file(THIRD_PARTY)},
            format="multipart",
        )

    upload()
    with django_assert_max_num_queries(12) as one:
        assert len(client.get(IMPORTS).json()["results"]) == 1
        queries = len(one.captured_queries)
    for _n in range(4):
        upload()
    with django_assert_max_num_queries(queries):
        assert len(client.get(IMPORTS).json()["results"]) == 5


def test_the_pages_run_a_fixed_number_of_queries(
    client: Any, assessment: Assessment, django_assert_max_num_queries: Any
) -> None:
    """The upload form lists the user's recent jobs and the job page lists every score: their
    queries do not grow with the jobs or the rows (session and user, the user's roles, the
    round or the job with its round, the round's indicators, the notifications badge)."""
    client.force_login(assessment.org.assessor)
    post_upload(client, assessment.scoring, workbook(["单位", "指标", "得分"], ["县01", "T1", 80]))
    small = ScoreImportJob.objects.get()

    def count(url: str) -> int:
        client.get(url)  # the session settles
        with django_assert_max_num_queries(20) as queries:
            assert client.get(url).status_code == 200
            return len(queries.captured_queries)

    form, job = count(import_page(assessment.scoring)), count(job_page(small))
    for _n in range(3):
        post_upload(client, assessment.scoring, OFFICE_WIDE)
    big = ScoreImportJob.objects.order_by("-pk").first()
    assert big is not None and len(big.plan["rows"]) == 5
    assert count(import_page(assessment.scoring)) == form
    assert count(job_page(big)) == job


# --- the rule and the service ------------------------------------------------------------------
def test_the_import_rule_agrees_with_its_list_form(assessment: Assessment, evaluator: User) -> None:
    """``can_import_scores`` and ``importable_rounds_q`` say the same for every persona and
    round: the office and the evaluator over the campaign, in the round being scored only."""
    org = assessment.org
    elsewhere = UserFactory(username="county_evaluator")
    RoleAssignmentFactory(user=elsewhere, role=Role.EVALUATOR, scope=org.county_b)
    people = [*org.personas().values(), evaluator, elsewhere]
    allowed = set()
    for person in people:
        for round_ in assessment.rounds.values():
            listed = Round.objects.filter(rules.importable_rounds_q(person), pk=round_.pk).exists()
            assert rules.can_import_scores(person, round_) == listed, (person, round_)
            if listed:
                allowed.add((person.username, round_.status))
    assert allowed == {
        ("assessor", "scoring"),
        ("evaluator", "scoring"),
        ("cityadmin", "scoring"),
        ("root", "scoring"),
    }
    assert rules.importable_sources(evaluator, assessment.scoring) == ("third_party",)


def test_an_evaluator_enters_third_party_scores_only(
    assessment: Assessment, evaluator: User
) -> None:
    """``scores_enter`` takes an evaluator's third-party scores and refuses a daily one."""
    w = assessment.w
    unit = w.units[0]
    with pytest.raises(ValidationError):
        services.scores_enter(
            round_=assessment.scoring,
            actor=evaluator,
            entries=[(unit, w.indicators["D1"], "40", ""), (unit, w.indicators["T1"], "80", "")],
        )
    assert ScoreEntry.objects.count() == 0
    entries = [(unit, w.indicators["T1"], "80", "")]
    assert services.scores_enter(round_=assessment.scoring, actor=evaluator, entries=entries) == 1


# --- long sheets: the worker -------------------------------------------------------------------
def test_a_long_sheet_is_checked_and_applied_by_the_worker(
    client: Any,
    assessment: Assessment,
    settings: Any,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """GIVEN a sheet longer than LEDGER_IMPORT_ASYNC_ROWS WHEN uploaded THEN the check is
    enqueued for the worker once the upload commits and the page shows the progress bar;
    the task checks it; the apply is enqueued the same way and the task enters the scores."""
    from workbooks import tasks

    settings.LEDGER_IMPORT_ASYNC_ROWS = 2
    queued: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(tasks.check_import, "delay", lambda *a: queued.append(("check", a)))
    monkeypatch.setattr(tasks.apply_import, "delay", lambda *a: queued.append(("apply", a)))
    rows = [["单位", "指标", "得分"]] + [
        [u, "T1", 60 + n] for n, u in enumerate(("县01", "县02", "甲县", "甲镇"))
    ]
    client.force_login(assessment.org.assessor)
    with django_capture_on_commit_callbacks(execute=True):
        post_upload(client, assessment.scoring, workbook(*rows))
    job = ScoreImportJob.objects.get()
    assert job.status == "checking" and queued == [
        ("check", ("assessments.score_imports.SCORES", job.pk))
    ]
    page = client.get(job_page(job)).content.decode()
    assert 'role="progressbar"' in page and "hx-get" in page
    partial = client.get(
        job_page(job), headers={"HX-Request": "true", "HX-Target": "import-status"}
    )
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert tasks.check_import(*queued[0][1]) == "checked"
    done = client.get(job_page(job), headers={"HX-Request": "true", "HX-Target": "import-status"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(job_page(job), {"action": "apply"})
    assert queued[1] == ("apply", ("assessments.score_imports.SCORES", job.pk))
    assert ScoreEntry.objects.count() == 0
    assert tasks.apply_import(*queued[1][1]) == "applied"
    assert ScoreEntry.objects.count() == 4
    assert tasks.apply_import(*queued[1][1]) is None  # delivered twice: nothing the second time


def test_old_uploads_are_purged_and_an_unapplied_preview_expires(
    client: Any, assessment: Assessment, settings: Any
) -> None:
    """GIVEN a checked preview and an applied job older than the keeping time WHEN the purge
    task runs THEN both files are deleted, the jobs stay, the preview can no longer be
    applied; running it again deletes nothing."""
    import datetime as dt

    from django.utils import timezone

    from workbooks import tasks

    client.force_login(assessment.org.assessor)
    for _n in range(2):
        post_upload(client, assessment.scoring, THIRD_PARTY)
    applied, preview = ScoreImportJob.objects.order_by("pk")
    client.post(job_page(applied), {"action": "apply"})
    old = timezone.now() - dt.timedelta(days=settings.LEDGER_IMPORT_KEEP_DAYS + 1)
    ScoreImportJob.objects.update(created_at=old)
    names = [job.file.name or "" for job in ScoreImportJob.objects.all()]
    assert tasks.purge_import_uploads() == 2
    assert tasks.purge_import_uploads() == 0
    applied.refresh_from_db()
    preview.refresh_from_db()
    assert applied.status == "applied" and not applied.file
    assert preview.status == "failed" and not preview.can_apply
    assert not any((Path(settings.MEDIA_ROOT) / name).exists() for name in names)


def test_the_template_lists_the_units_and_imports_back(
    client: Any, assessment: Assessment, evaluator: User
) -> None:
    """GIVEN the evaluator WHEN they download the round's sheet THEN it lists every assessed
    unit with its code and a column for T1 only; filled in and uploaded, it imports as is."""
    client.force_login(evaluator)
    url = reverse("assessments:score-import-template", args=[assessment.scoring.pk])
    response = client.get(url)
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws: Any = wb.active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    assert rows[header][1:] == ["单位代码", "单位", "类别", "T1 第三方评估", "备注"]
    units = [row[2] for row in rows[header + 1 :]]
    assert sorted(units) == sorted(["县01", "县02", "甲县", "甲镇", "乙县"])
    for row in ws.iter_rows(min_row=header + 2):
        row[4].value = 75
    out = io.BytesIO()
    wb.save(out)
    post_upload(client, assessment.scoring, out.getvalue())
    job = ScoreImportJob.objects.get()
    assert job.errors == [] and job.plan["create"] == 5
    client.force_login(assessment.org.inside)
    assert client.get(url).status_code == 403


def test_an_evaluator_finds_the_rounds_to_import_into(
    client: Any, assessment: Assessment, evaluator: User
) -> None:
    """GIVEN a round being scored and others in other statuses WHEN the evaluator opens the
    import page from the menu THEN it lists only the round being scored, linking its upload
    form; a unit's liaison sees no round there and no menu entry."""
    client.force_login(evaluator)
    home = client.get(reverse("home")).content.decode()
    start = reverse("assessments:score-import-rounds")
    assert start in home
    page = client.get(start)
    assert list(page.context["rounds"]) == [assessment.scoring]
    assert import_page(assessment.scoring) in page.content.decode()
    client.force_login(assessment.org.inside)
    assert start not in client.get(reverse("home")).content.decode()
    assert list(client.get(start).context["rounds"]) == []
