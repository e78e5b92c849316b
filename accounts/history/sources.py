"""Where a change came from, in words: "页面：更新进度", "接口：修改台账事项", "导入 第 12 号",
"定时任务：清理过期上传文件", "命令：初始化演示数据", "管理后台：修改单位".

The context keys are written by :mod:`accounts.history.context` and ``config.celery``. A
request's stored path is resolved to its URL name, and the name looked up here; an entry
missing from a table falls back to the page the path belongs to, and then to the raw name,
so a new page or task shows something true before it is given words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: What a write through a page did, by URL name.
PAGE_ACTIONS: dict[str, Promise] = {
    "password_change": gettext_lazy("change password"),
    "token-revoke": gettext_lazy("revoke an API token"),
    "tokens-revoke-all": gettext_lazy("revoke all API tokens"),
    "ledger:item-progress": gettext_lazy("update progress"),
    "ledger:item-signoff": gettext_lazy("ask for sign-off"),
    "ledger:item-extension": gettext_lazy("ask for an extension"),
    "ledger:item-status-request": gettext_lazy("ask to suspend or cancel"),
    "ledger:report-accept": gettext_lazy("accept a progress report"),
    "ledger:report-return": gettext_lazy("return a progress report"),
    "ledger:signoff-approve": gettext_lazy("verify a sign-off"),
    "ledger:signoff-return": gettext_lazy("return a sign-off request"),
    "ledger:extension-approve": gettext_lazy("approve an extension"),
    "ledger:extension-refuse": gettext_lazy("refuse an extension"),
    "ledger:status-request-approve": gettext_lazy("approve a suspension or cancellation"),
    "ledger:status-request-refuse": gettext_lazy("refuse a suspension or cancellation"),
    "ledger:queue-bulk": gettext_lazy("decide in bulk from the queues"),
    "ledger:meeting-create": gettext_lazy("record a meeting"),
    "ledger:import": gettext_lazy("upload a ledger workbook"),
    "ledger:import-job": gettext_lazy("check a ledger import"),
    "ledger:import-apply": gettext_lazy("apply a ledger import"),
    "accountability:notice-draft": gettext_lazy("draft a notice"),
    "accountability:notice-approve": gettext_lazy("approve a notice"),
    "accountability:notice-issue": gettext_lazy("issue a notice"),
    "accountability:notice-sign-for": gettext_lazy("sign for a notice"),
    "accountability:notice-reply": gettext_lazy("reply to a notice"),
    "accountability:notice-accept": gettext_lazy("accept a notice's reply"),
    "accountability:notice-return": gettext_lazy("return a notice's reply"),
    "accountability:notice-escalate": gettext_lazy("escalate a notice"),
    "accountability:measure-new": gettext_lazy("record an accountability measure"),
    "accountability:exemption-apply": gettext_lazy("apply for an exemption"),
    "accountability:exemption-approve": gettext_lazy("approve an exemption"),
    "accountability:exemption-refuse": gettext_lazy("refuse an exemption"),
    "assessments:scheme-activate": gettext_lazy("put an assessment scheme in use"),
    "assessments:round-create": gettext_lazy("open an assessment round"),
    "assessments:round-scores": gettext_lazy("enter scores in the grid"),
    "assessments:score-detail": gettext_lazy("correct a score"),
    "assessments:deduction-create": gettext_lazy("record a deduction"),
    "assessments:round-daily": gettext_lazy("compute daily scores from the ledger"),
    "assessments:appeal-create": gettext_lazy("file an appeal"),
    "assessments:appeal-detail": gettext_lazy("decide an appeal"),
    "assessments:score-import": gettext_lazy("upload a score workbook"),
    "assessments:score-import-job": gettext_lazy("check or apply a score import"),
    "assessments:survey-open": gettext_lazy("open the public survey"),
    "assessments:survey-close": gettext_lazy("close the public survey"),
    "assessments:survey-compute": gettext_lazy("compute public scores"),
    "assessments:honor-submit": gettext_lazy("submit a highlight for the honor roll"),
    "assessments:honor-submission-decide": gettext_lazy("select highlights for the honor roll"),
    "assessments:honor-flag-set": gettext_lazy("give a red or blue flag"),
    "assessments:honor-flag-remove": gettext_lazy("take back a flag"),
    "assessments:honor-roll-publish": gettext_lazy("publish an honor roll"),
}

#: Pages by URL name: the fallback for a write through a page that has no entry above
#: (the page a path belongs to, found by walking up the path).
PAGE_TITLES: dict[str, Promise] = {
    "home": gettext_lazy("home page"),
    "profile": gettext_lazy("my account"),
    "unit-list": gettext_lazy("organisation"),
    "unit-detail": gettext_lazy("unit page"),
    "campaign:list": gettext_lazy("campaigns"),
    "campaign:detail": gettext_lazy("campaign page"),
    "campaign:chain-detail": gettext_lazy("responsibility chain page"),
    "ledger:ledger-list": gettext_lazy("ledgers"),
    "ledger:item-list": gettext_lazy("ledger items"),
    "ledger:item-detail": gettext_lazy("item page"),
    "ledger:queues": gettext_lazy("queues"),
    "ledger:map": gettext_lazy("battle map"),
    "ledger:meeting-list": gettext_lazy("review meetings"),
    "ledger:meeting-detail": gettext_lazy("meeting page"),
    "accountability:notice-detail": gettext_lazy("notice page"),
    "accountability:measure-detail": gettext_lazy("accountability measure page"),
    "accountability:exemption-detail": gettext_lazy("exemption page"),
    "assessments:office": gettext_lazy("assessment workspace"),
    "assessments:round-detail": gettext_lazy("assessment round page"),
    "assessments:deduction-detail": gettext_lazy("deduction page"),
    "assessments:honor-roll-detail": gettext_lazy("honor roll page"),
}

#: API actions of the viewsets beyond create/update/delete, by the viewset's action name.
API_ACTIONS: dict[str, Promise] = {
    "progress": gettext_lazy("update progress"),
    "signoff": gettext_lazy("ask for sign-off"),
    "extension": gettext_lazy("ask for an extension"),
    "status_request": gettext_lazy("ask to suspend or cancel"),
    "revoke_all": gettext_lazy("revoke all API tokens"),
}

#: API actions that decide a request of the viewset's model ("approve an extension request").
API_DECISIONS: dict[str, Promise] = {
    "approve": gettext_lazy("approve %(model)s"),
    "refuse": gettext_lazy("refuse %(model)s"),
    "accept": gettext_lazy("accept %(model)s"),
    "return_": gettext_lazy("return %(model)s"),
}

#: Plain API views (not viewsets), by URL name.
API_VIEWS: dict[str, Promise] = {
    "api:token": gettext_lazy("obtain an API token"),
    "api:me": gettext_lazy("my account"),
}

#: Celery tasks by name.
TASKS: dict[str, Promise] = {
    "config.tasks.heartbeat": gettext_lazy("heartbeat"),
    "config.tasks.ping": gettext_lazy("connection check"),
    "tasks_ledger.tasks.check_import": gettext_lazy("check a ledger import"),
    "tasks_ledger.tasks.apply_import": gettext_lazy("apply a ledger import"),
    "tasks_ledger.tasks.purge_import_uploads": gettext_lazy("delete old uploaded workbooks"),
    "accountability.tasks.escalate": gettext_lazy("escalation sweep"),
    "workbooks.tasks.check_import": gettext_lazy("check an uploaded workbook"),
    "workbooks.tasks.apply_import": gettext_lazy("apply an uploaded workbook"),
    "workbooks.tasks.purge_import_uploads": gettext_lazy("delete old uploaded score workbooks"),
}

#: Management commands by name.
COMMANDS: dict[str, Promise] = {
    "seed_demo": gettext_lazy("set up the demo data"),
    "loaddata": gettext_lazy("load data"),
    "createsuperuser": gettext_lazy("create an administrator"),
    "migrate": gettext_lazy("upgrade the database"),
    "escalate": gettext_lazy("escalation sweep"),
}

_VERBS = {
    "create": gettext_lazy("create %(model)s"),
    "update": gettext_lazy("change %(model)s"),
    "partial_update": gettext_lazy("change %(model)s"),
    "destroy": gettext_lazy("delete %(model)s"),
}

_ADMIN_VERBS = {
    "add": gettext_lazy("create %(model)s"),
    "change": gettext_lazy("change %(model)s"),
    "delete": gettext_lazy("delete %(model)s"),
    "changelist": gettext_lazy("bulk action on %(model)s"),
}


@dataclass(frozen=True)
class Source:
    """Where one change came from: words, and the page about it when there is one."""

    text: str
    url: str = ""
    import_job: int | None = None


def _scheduled_tasks() -> set[str]:
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", {}) or {}
    return {entry.get("task", "") for entry in schedule.values()}


def task_words(task: str) -> str:
    """ "定时任务：…" for a task beat runs on a schedule, "后台任务：…" for one a page queued."""
    words = str(TASKS.get(task, task))
    if task in _scheduled_tasks():
        return _("scheduled task: %(task)s") % {"task": words}
    return _("background task: %(task)s") % {"task": words}


def command_words(command: str) -> str:
    """ "命令：初始化演示数据"."""
    return _("command: %(command)s") % {"command": str(COMMANDS.get(command, command))}


def _model_name(app_label: str, model_name: str) -> str | None:
    try:
        return str(apps.get_model(app_label, model_name)._meta.verbose_name)
    except (LookupError, ValueError):
        return None


def _admin_words(url_name: str) -> str:
    """ "管理后台：修改单位" from ``admin:accounts_unit_change``."""
    name = url_name.removeprefix("admin:")
    for action, verb in _ADMIN_VERBS.items():
        if not name.endswith(f"_{action}"):
            continue
        for app_config in apps.get_app_configs():
            prefix = f"{app_config.label}_"
            if name.startswith(prefix):
                model = _model_name(app_config.label, name[len(prefix) : -len(action) - 1])
                if model:
                    return _("admin: %(action)s") % {"action": verb % {"model": model}}
    return _("admin")


def _api_words(match: Any, method: str) -> str:
    """ "接口：修改台账事项" from the viewset and its action, or a plain API view's name."""
    url_name = match.view_name
    if url_name in API_VIEWS:
        return _("API: %(action)s") % {"action": API_VIEWS[url_name]}
    view = match.func
    actions = getattr(view, "actions", None) or {}
    action = actions.get(method.lower(), "")
    cls = getattr(view, "cls", None)
    queryset = getattr(cls, "queryset", None)
    model = str(queryset.model._meta.verbose_name) if queryset is not None else ""
    if action in API_ACTIONS:
        words = str(API_ACTIONS[action])
    elif action in API_DECISIONS and model:
        words = API_DECISIONS[action] % {"model": model}
    elif action in _VERBS and model:
        words = _VERBS[action] % {"model": model}
    else:
        return _("API: %(action)s") % {"action": url_name.removeprefix("api:")}
    return _("API: %(action)s") % {"action": words}


def _page_title(path: str) -> str | None:
    """The title of the page ``path`` belongs to: its own, or the nearest one above it."""
    parts = [p for p in path.split("/") if p]
    while parts:
        try:
            name = resolve("/" + "/".join(parts) + "/").view_name
        except Resolver404:
            name = ""
        if name in PAGE_TITLES:
            return str(PAGE_TITLES[name])
        parts.pop()
    return None


def request_words(url: str, method: str) -> str:
    """Words for a write made through a request to ``url``."""
    path = url.split("?", 1)[0]
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    name = match.view_name if match else ""
    if name.startswith("admin:") or (match is None and path.startswith("/admin/")):
        return _admin_words(name)
    if match is not None and match.namespace == "api":
        return _api_words(match, method)
    if name in PAGE_ACTIONS:
        return _("page: %(action)s") % {"action": PAGE_ACTIONS[name]}
    title = _page_title(path)
    if title:
        return _("page: %(action)s") % {"action": title}
    return _("page: %(action)s") % {"action": path}


def source_of(context: dict[str, Any] | None) -> Source:
    """Where the events written under this pghistory context came from.

    An import names its job (its page is linked for those who may open it); then the
    request, the task, or the command that wrote it.
    """
    context = context or {}
    job = context.get("import_job")
    if job is not None:
        try:
            number = int(job)
        except (TypeError, ValueError):
            number = None
        if number is not None:
            return Source(_("import no. %(number)s") % {"number": number}, import_job=number)
    run = context.get("sweep_run")
    if run is not None:
        origin = source_of({k: v for k, v in context.items() if k != "sweep_run"})
        return Source(
            _("escalation sweep run no. %(number)s (%(origin)s)")
            % {"number": run, "origin": origin.text}
        )
    if context.get("url"):
        return Source(request_words(str(context["url"]), str(context.get("method") or "")))
    if context.get("task"):
        return Source(task_words(str(context["task"])))
    if context.get("command"):
        return Source(command_words(str(context["command"])))
    return Source(_("not recorded"))
