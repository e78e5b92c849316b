"""Load test: a province's users against gunicorn, played by locust (https://locust.io).

Run it through ``bench/load.py``, which copies the database, starts gunicorn and a Celery
worker under production settings, writes the plan this file reads (``LOAD_PLAN``: who signs
in, which items, which round) and prints the figures. The users:

Each user's first visit goes through each of its pages once, then picks at random.

- **liaisons** (:class:`Liaison`) sign in through the login form, open their item list and
  their items, and report progress through the item page's form (CSRF token and the item's
  version read from the page, as a browser posts it);
- **officials** (:class:`Official`) sign in and open the home page, the battle map, the
  round's ranking page and the ranking endpoint (``/api/v1/ranking/``, with the session);
- **API clients** (:class:`ApiClient`) take a token (``/api/v1/auth/token/``) and page the
  items by following the cursor pagination's ``next`` links;
- **one exporter** (:class:`Exporter`) downloads the Excel export of their items now and then;
- **two probes** with no think time, one asking the ranking endpoint and one the trivial JSON
  view (``/healthz``) as fast as they are answered, side by side under the mix above: the
  ratio of their requests per second is what the ranking costs against the cheapest view.

Every request is named by its kind (``page: items``, ``API: ranking``...), so locust's
statistics are per kind; anything but the expected status is a failure.
"""

from __future__ import annotations

import json
import os
import random
import re
from http.cookiejar import Cookie
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import HttpUser, between, constant, task
from locust.exception import StopUser
from requests.cookies import RequestsCookieJar

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
PASSWORD: str = PLAN["password"]
#: Think times are multiplied by this (1: as people; the smoke test runs faster users).
THINK: float = float(PLAN.get("think", 1.0))
# As the TLS-terminating proxy in front of gunicorn says it (production settings trust it).
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
PERCENT_INPUT = re.compile(r'name="percent"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="percent"')

_serial = count()


def thinking(low: float, high: float) -> Any:
    """A locust wait time between ``low`` and ``high`` seconds, scaled by :data:`THINK`."""
    return between(low * THINK, high * THINK)


class _BehindProxyJar(RequestsCookieJar):
    """A cookie jar that keeps the session's Secure cookies on the plain HTTP between the
    TLS proxy and gunicorn, as the proxy passes a browser's on (requests copies cookies into
    a fresh jar per request, so a cookie policy would not survive)."""

    def set_cookie(self, cookie: Cookie, *args: Any, **kwargs: Any) -> None:
        cookie.secure = False
        super().set_cookie(cookie, *args, **kwargs)


class _ProvinceUser(HttpUser):
    """A user of the platform behind its TLS proxy: secure cookies kept over the plain HTTP
    between the proxy and gunicorn, the proxy's headers on every request."""

    abstract = True

    def on_start(self) -> None:
        self.client.headers.update(PROXY_HEADERS)
        # Secure cookies (production) travel here as the proxy would pass them on.
        self.client.cookies = _BehindProxyJar()
        self.serial = next(_serial)

    def _referer(self, path: str) -> dict[str, str]:
        """Django checks the Referer of a POST made over HTTPS against the host."""
        host = urlsplit(str(self.host)).netloc
        return {"Referer": f"https://{host}{path}"}

    def sign_in(self, username: str) -> None:
        """The login form: fetch it for its CSRF token, post the credentials."""
        page = self.client.get("/accounts/login/", name="sign-in: login page")
        token = CSRF_INPUT.search(page.text)
        if page.status_code != 200 or token is None:
            raise StopUser
        with self.client.post(
            "/accounts/login/",
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1),
            },
            headers=self._referer("/accounts/login/"),
            allow_redirects=False,
            name="sign-in: submit",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login as {username}: {response.status_code}")
                raise StopUser
            response.success()
        self.page("/", "page: home")  # where the login lands

    def page(self, path: str, name: str, *, status: int = 200) -> Any:
        """GET ``path``; anything but ``status`` is a failure."""
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != status:
                response.failure(f"{response.status_code} for {path}")
            else:
                response.success()
            return response


class Liaison(_ProvinceUser):
    """A unit's liaison: the item list, an item, a progress report on it."""

    weight = 6
    wait_time = thinking(2, 5)

    def on_start(self) -> None:
        super().on_start()
        mine = PLAN["liaisons"][self.serial % len(PLAN["liaisons"])]
        self.items: list[int] = mine["items"]
        self.sign_in(mine["username"])
        # A first visit goes through the list to an item and reports on it; then at random.
        self.item_list()
        self.report_progress()

    @task(3)
    def item_list(self) -> None:
        self.page("/ledgers/items/", "page: items")

    @task(3)
    def item(self) -> None:
        self.page(f"/ledgers/items/{random.choice(self.items)}/", "page: item")

    @task(2)
    def report_progress(self) -> None:
        pk = random.choice(self.items)
        path = f"/ledgers/items/{pk}/"
        detail = self.page(path, "page: item")
        csrf, version = CSRF_INPUT.search(detail.text), VERSION_INPUT.search(detail.text)
        if detail.status_code != 200 or csrf is None or version is None:
            return  # already counted as a failure by page()
        shown = PERCENT_INPUT.search(detail.text)
        percent = int(next(g for g in shown.groups() if g)) if shown else 0
        with self.client.post(
            f"{path}progress/",
            data={
                "csrfmiddlewaretoken": csrf.group(1),
                "version": version.group(1),
                "percent": min(100, percent + random.randint(1, 5)),
                "text": "完成阶段性工作，按计划推进（压力测试）",
                "lower_reason": "复核后调整",
            },
            headers=self._referer(path),
            allow_redirects=False,
            name="page: report progress",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code} reporting on item {pk}")
            else:
                response.success()


class Official(_ProvinceUser):
    """A leader or the office: home page, battle map, the ranking page and endpoint."""

    weight = 3
    wait_time = thinking(3, 8)

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(PLAN["officials"][self.serial % len(PLAN["officials"])])
        # A first visit looks at each page once (the home page came with the login).
        self.battle_map()
        self.ranking_page()
        self.ranking_api()

    @task(3)
    def home(self) -> None:
        self.page("/", "page: home")

    @task(2)
    def battle_map(self) -> None:
        self.page("/ledgers/map/", "page: battle map")

    @task(2)
    def ranking_page(self) -> None:
        self.page(f"/assessments/rounds/{PLAN['round']}/ranking/", "page: ranking")

    @task(2)
    def ranking_api(self) -> None:
        self.page(f"/api/v1/ranking/?round={PLAN['round']}", "API: ranking")


class _TokenUser(_ProvinceUser):
    """Signed in with an API token (django-rest-knox), as a script would be."""

    abstract = True

    def take_token(self, username: str) -> None:
        with self.client.post(
            "/api/v1/auth/token/",
            json={"username": username, "password": PASSWORD},
            name="API: token",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"token for {username}: {response.status_code}")
                raise StopUser
            response.success()
            self.client.headers["Authorization"] = f"Token {response.json()['token']}"


class ApiClient(_TokenUser):
    """A script paging through the items it may see, a few pages at a time."""

    weight = 2
    wait_time = thinking(1, 3)

    def on_start(self) -> None:
        super().on_start()
        self.take_token(PLAN["api_clients"][self.serial % len(PLAN["api_clients"])])
        self.page_items()

    @task
    def page_items(self) -> None:
        response = self.page("/api/v1/items/", "API: items, first page")
        for _ in range(PLAN.get("api_pages", 3)):
            if response.status_code != 200:
                return
            following = response.json().get("next")
            if not following:
                return
            parts = urlsplit(following)
            response = self.page(f"{parts.path}?{parts.query}", "API: items, next page")


class Exporter(_ProvinceUser):
    """One person exporting their items to Excel now and then."""

    fixed_count = 1
    wait_time = thinking(10, 20)

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(PLAN["exporter"])

    @task
    def export(self) -> None:
        with self.client.get(
            "/ledgers/excel/export/",
            name="export: items to Excel",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200 or not response.content.startswith(b"PK"):
                response.failure(f"{response.status_code}, {len(response.content)} bytes")
            else:
                response.success()


class RankingProbe(_TokenUser):
    """Asks the ranking endpoint again as soon as it answers (no think time)."""

    fixed_count = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        self.take_token(PLAN["officials_api"])

    @task
    def ranking(self) -> None:
        self.page(f"/api/v1/ranking/?round={PLAN['round']}", "probe: API ranking")


class TrivialProbe(_ProvinceUser):
    """Asks the trivial JSON view again as soon as it answers (no think time)."""

    fixed_count = 1
    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        self.page("/healthz", "probe: trivial JSON (/healthz)")
