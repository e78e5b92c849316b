"""Permission tests a resource inherits: declare it in a few lines, get its cases.

NetBox's ``ViewTestCases`` and ``APIViewTestCases`` give every model the same tests for
its views and API from a few declared attributes; this is the same for our personas (the
root ``org`` fixture). A resource declares its list and detail URLs (page and API), a
factory making one object in a given unit, and its writes; :class:`ResourceTests` then
checks, on objects made in 甲县 (home) and 乙县 (away):

- **anonymous**: every page (list, detail, each write) sends to the login page, every API
  call is 401, nothing is written;
- **who reads what** (:attr:`ResourceTests.read_personas`, answers from
  :attr:`ResourceTests.sees`): the detail page and API answer 200 or 404, and the page
  list and API list hold the object or not; the outsider (乙县's liaison) gets 404 on
  甲县's object and does not find it in any list, while finding its own;
- **each write**, every persona on a fresh object (so one attempt never feeds another):
  the outsider gets 404 (a write that creates is refused), the read-only personas get 403
  from both page and API, the personas that see the object but may not do *this* get 403,
  and the allowed ones succeed on both paths. Whether a write happened is read from the
  database (:attr:`Write.done`), never guessed from a status code alone.

Adding a resource (say accountability notices, in ``accountability/tests/test_resources.py``)::

    from tests.resources import ResourceTests, Write, url

    class TestNotices(ResourceTests):
        page_list, page_detail = "accountability:notice-list", "accountability:notice-detail"
        api_list, api_detail = "api:notice-list", "api:notice-detail"

        def make(self, org, unit):
            return make_notice(org.campaign, unit)  # from accountability/tests/factories.py

        writes = [
            Write(
                "reply",
                page=lambda n: (url("accountability:notice-reply", n), {"text": "已整改"}),
                api=lambda n: ("post", url("api:notice-reply", n), {"text": "已整改"}),
                done=lambda n: n.replies.exists(),
                rule=rules.can_reply_to_notice,  # the action-parity test asks it too
            ),
            Write(
                "escalate",
                page=lambda n: (url("accountability:notice-escalate", n), {}),
                api=lambda n: ("post", url("api:notice-escalate", n), {}),
                done=lambda n: type(n).objects.get(pk=n.pk).level > n.level,
                rule=rules.can_escalate_notice,
                allowed=("above",),  # the office only
                refused=("inside",),  # sees the notice, may not escalate it
            ),
        ]

Override what differs, nothing else: :meth:`ResourceTests.shown_in_page` (the text that
shows the object in the page list, ``str(obj)`` by default), the ``*_url`` methods when a
list is not a plain URL (records listed on their item's page, an API list filtered by
``?item=``), :attr:`~ResourceTests.sees` when visibility differs from the units', and a
write's own ``make`` when it needs an object in another state. Writes that take several
pages (upload, preview, apply) give ``page_flow`` instead of ``page``. Assessments do the
same in ``assessments/tests/test_resources.py``; add the resource to
``tests/test_action_parity.py``'s list and its writes are asked of rule, page and API too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
import time_machine
from django.conf import settings
from django.db.models import Model
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

ANONYMOUS = "anonymous"

#: Who sees an object of 甲县 (home) and of 乙县 (away), by persona of the ``org`` fixture.
SEES: dict[str, tuple[bool, bool]] = {
    "inside": (True, False),
    "above": (True, True),
    "supervisor": (True, False),  # the group covers 甲县
    "outsider": (False, True),
    "official": (True, True),
    "assessor": (True, True),
    "admin": (True, True),
    "superuser": (True, True),
}

#: (URL, POST data) of a page write.
PagePost = tuple[str, dict[str, Any]]
#: (method, URL, payload) of an API write.
ApiCall = tuple[str, str, dict[str, Any]]


def url(name: str, obj: Model | None = None) -> str:
    """``reverse(name)``, with the object's pk as the one argument when given."""
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


@dataclass(frozen=True)
class Write:
    """One write action of a resource, by page and by API, and how to tell it happened."""

    name: str
    #: Whether the write happened to ``obj`` (reads the database afresh).
    done: Callable[[Any], bool]
    #: The page's POST for ``obj``; or ``page_flow`` for writes that take several pages.
    page: Callable[[Any], PagePost] | None = None
    page_flow: Callable[[Client, Any], Any] | None = None
    #: The API call for ``obj``, sent as ``api_format``; or ``api_flow`` for writes that take
    #: several calls (answering with the last response).
    api: Callable[[Any], ApiCall] | None = None
    api_format: str = "json"
    api_flow: Callable[[APIClient, Any], Any] | None = None
    #: The rule deciding it, ``rule(user, obj)`` (asked by tests/test_action_parity.py).
    rule: Callable[[Any, Any], bool] | None = None
    #: Personas that may do it (default: the resource's ``managers``).
    allowed: tuple[str, ...] | None = None
    #: Personas that see the object but may not do this: 403 from page and API.
    refused: tuple[str, ...] = ()
    #: False for writes that create: the URL names no object, so an outsider's attempt is
    #: refused (400/403) rather than 404 (so is a ``page_flow``'s, which uploads a file).
    on_object: bool = True
    #: ``make(org, unit)`` for this write when it needs another object than the resource's.
    make: Callable[[Any, Any], Any] | None = None

    def __str__(self) -> str:
        return self.name


# --- attempts ----------------------------------------------------------------------------------


def as_persona(client: Client, api: APIClient, user: Any) -> None:
    """Sign both clients in as ``user`` (None: nobody)."""
    client.logout()
    if user is not None:
        client.force_login(user)
    api.force_authenticate(user=user)


def attempt_page(write: Write, client: Client, obj: Any) -> Any:
    """Post the write's page (or run its flow) for ``obj``."""
    if write.page_flow is not None:
        return write.page_flow(client, obj)
    assert write.page is not None, f"{write.name} has no page"
    target, data = write.page(obj)
    return client.post(target, data)


def attempt_api(write: Write, api: APIClient, obj: Any) -> Any:
    """Send the write's API call (or run its flow) for ``obj``."""
    if write.api_flow is not None:
        return write.api_flow(api, obj)
    assert write.api is not None, f"{write.name} has no API call"
    method, target, payload = write.api(obj)
    return getattr(api, method)(target, payload, format=write.api_format)


def sent_to_login(response: Any) -> bool:
    """A redirect to the login page."""
    return response.status_code == 302 and response["Location"].startswith(
        resolve_url(settings.LOGIN_URL)
    )


def api_ids(response: Any) -> set[int]:
    """The ids of a (paginated) API list."""
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


class ResourceTests:
    """Inherit, declare, and the permission cases come with it (see the module docstring).

    Not collected itself (no ``Test`` prefix); a subclass named ``Test…`` is.
    """

    #: URL names of the lists and details (None: the resource has none of that kind).
    page_list: ClassVar[str | None] = None
    page_detail: ClassVar[str | None] = None
    api_list: ClassVar[str | None] = None
    api_detail: ClassVar[str | None] = None
    #: The resource's writes.
    writes: ClassVar[Sequence[Write]] = ()
    #: Units (attributes of ``org``) of the objects under test, and the outsider's own.
    home: ClassVar[str] = "county_a"
    away: ClassVar[str] = "county_b"
    #: The persona that sees only the away unit; read-only personas that see the home unit;
    #: personas that may write (unless a write names its own ``allowed``).
    outsider: ClassVar[str] = "outsider"
    readers: ClassVar[tuple[str, ...]] = ("official", "supervisor")
    managers: ClassVar[tuple[str, ...]] = ("inside", "above")
    #: Whose reads are checked, and what each sees (home, away).
    read_personas: ClassVar[tuple[str, ...]] = ("outsider", "inside", "official", "above")
    sees: ClassVar[dict[str, tuple[bool, bool]]] = SEES
    #: The clock during the tests (deadlines are about dates): 1 June 2022, 10:00 Beijing.
    now: ClassVar[dt.datetime] = dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC)

    # --- what a resource declares or overrides --------------------------------------------
    def make(self, org: Any, unit: Any) -> Any:
        """A new object of ``unit``."""
        raise NotImplementedError

    def shown_in_page(self, obj: Any) -> str:
        """Text by which the page list shows ``obj``."""
        return str(obj)

    def page_list_url(self, obj: Any) -> str | None:
        """The page listing ``obj`` (when the page list depends on the object, override)."""
        return reverse(self.page_list) if self.page_list else None

    def page_detail_url(self, obj: Any) -> str | None:
        return url(self.page_detail, obj) if self.page_detail else None

    def api_list_url(self, obj: Any) -> str | None:
        return reverse(self.api_list) if self.api_list else None

    def api_detail_url(self, obj: Any) -> str | None:
        return url(self.api_detail, obj) if self.api_detail else None

    # --- machinery ---------------------------------------------------------------------------
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """One write test per declared write, named after it."""
        if "write" in metafunc.fixturenames:
            metafunc.parametrize("write", list(self.writes), ids=[w.name for w in self.writes])

    @pytest.fixture(autouse=True)
    def _clock_and_media(self, settings: Any, tmp_path: Any) -> Iterator[None]:
        settings.MEDIA_ROOT = str(tmp_path)  # evidence files stay out of the tree
        with time_machine.travel(self.now, tick=False):
            yield

    def _make(self, org: Any, write: Write | None = None, unit: str | None = None) -> Any:
        maker = write.make if write is not None and write.make is not None else self.make
        return maker(org, getattr(org, unit or self.home))

    def _reads(self, obj: Any) -> list[tuple[str, str]]:
        """(kind, URL) of every read of ``obj``."""
        pairs = [
            ("page list", self.page_list_url(obj)),
            ("page detail", self.page_detail_url(obj)),
            ("API list", self.api_list_url(obj)),
            ("API detail", self.api_detail_url(obj)),
        ]
        return [(kind, target) for kind, target in pairs if target]

    # --- the cases -----------------------------------------------------------------------------
    def test_anonymous_is_sent_to_login_or_gets_401(self, org: Any) -> None:
        """GIVEN nobody signed in WHEN any page or API of the resource is asked THEN pages
        send to the login page, the API answers 401, and no write happens."""
        client, api = Client(), APIClient()
        obj = self._make(org)
        problems = []
        for kind, target in self._reads(obj):
            response = client.get(target) if kind.startswith("page") else api.get(target)
            if kind.startswith("page") and not sent_to_login(response):
                problems.append(f"{kind}: {response.status_code}, not sent to login")
            if kind.startswith("API") and response.status_code != 401:
                problems.append(f"{kind}: {response.status_code}, not 401")
        for write in self.writes:
            obj = self._make(org, write)
            if write.page or write.page_flow:
                response = attempt_page(write, client, obj)
                if not sent_to_login(response) or write.done(obj):
                    problems.append(f"{write} (page): {response.status_code}")
            if write.api or write.api_flow:
                response = attempt_api(write, api, obj)
                if response.status_code != 401 or write.done(obj):
                    problems.append(f"{write} (API): {response.status_code}")
        assert not problems, "\n".join(problems)

    def test_who_reads_what(self, org: Any) -> None:
        """GIVEN an object of 甲县 and one of 乙县 WHEN each persona opens the lists and
        details THEN it gets exactly what it sees (200 and listed) and nothing else (404
        and absent); in particular the outsider never finds 甲县's object."""
        objects = (self._make(org), self._make(org, unit=self.away))
        assert self.outsider in self.read_personas
        assert self.sees[self.outsider] == (False, True)
        client, api = Client(), APIClient()
        problems = []
        for persona in self.read_personas:
            as_persona(client, api, getattr(org, persona))
            answers: dict[str, Any] = {}  # a list shared by both objects is read once
            for obj, sees in zip(objects, self.sees[persona], strict=True):
                where = self.home if obj is objects[0] else self.away
                for kind, target in self._reads(obj):
                    if target not in answers:
                        get = client.get if kind.startswith("page") else api.get
                        answers[target] = get(target)
                    response = answers[target]
                    if kind.endswith("detail"):
                        got = response.status_code
                        if got != (200 if sees else 404):
                            problems.append(f"{persona} × {where} {kind}: {got}")
                        continue
                    if kind == "page list":
                        listed = (
                            response.status_code == 200
                            and self.shown_in_page(obj) in response.content.decode()
                        )
                        # A list of the object's own page (records on their item's page)
                        # may be 404 to someone who does not see it; a plain list is 200.
                        if not sees and response.status_code not in (200, 404):
                            problems.append(f"{persona} × {where} {kind}: {response.status_code}")
                    else:
                        listed = response.status_code == 200 and obj.pk in api_ids(response)
                    if listed != sees:
                        problems.append(f"{persona} × {where} {kind}: listed={listed}")
        assert not problems, "\n".join(problems)

    def test_write(self, org: Any, write: Write) -> None:
        """GIVEN a fresh object per attempt WHEN each kind of persona tries the write by page
        and by API THEN the outsider gets 404, read-only and refused personas 403, allowed
        personas succeed; the database says whether anything was written."""
        client, api = Client(), APIClient()
        allowed = write.allowed if write.allowed is not None else self.managers
        problems: list[str] = []

        def attempt(persona: str, expect: str, page_codes: set[int], api_codes: set[int]) -> None:
            as_persona(client, api, getattr(org, persona))
            for path in ("page", "API"):
                if path == "page" and not (write.page or write.page_flow):
                    continue
                if path == "API" and not (write.api or write.api_flow):
                    continue
                obj = self._make(org, write)
                if path == "page":
                    response = attempt_page(write, client, obj)
                    codes = page_codes
                else:
                    response = attempt_api(write, api, obj)
                    codes = api_codes
                wrote = write.done(obj)
                if wrote != (expect == "allowed") or response.status_code not in codes:
                    detail = getattr(response, "content", b"")[:300].decode(errors="replace")
                    problems.append(
                        f"{persona} ({expect}) {path}: {response.status_code}, wrote={wrote} "
                        f"{detail if expect == 'allowed' else ''}"
                    )

        # A URL naming the object is 404 to the outsider. Creating names no object, nor
        # does an upload (a page or API flow): the page refuses (403) or lists what is wrong
        # (200/302/400/422, nothing written); the API refuses, or the unit named does not
        # exist for the caller (400).
        named = {404}
        unnamed_page, unnamed_api = {200, 302, 400, 403, 422}, {400, 403}
        attempt(
            self.outsider,
            "outsider",
            named if write.on_object and write.page_flow is None else unnamed_page,
            named if write.on_object and write.api_flow is None else unnamed_api,
        )
        for persona in (*self.readers, *write.refused):
            attempt(persona, "refused", {403}, {403})
        for persona in allowed:
            attempt(persona, "allowed", {200, 201, 302}, {200, 201})
        assert not problems, "\n".join(problems)
