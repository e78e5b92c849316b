"""Settings shared by every environment.

Values come from the environment through django-environ, which fails loudly on a bad value
and reads ``<NAME>_FILE`` variants for secrets (FileAwareEnv).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.FileAwareEnv()

SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-not-for-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "config.apps.AssetsConfig",  # django.contrib.staticfiles, collecting less
    # third party
    "pgtrigger",
    # pghistory, pghistory.admin, axes and knox under Chinese names (config/apps.py)
    "config.apps.HistoryConfig",
    "config.apps.HistoryAdminConfig",
    "treebeard",
    "config.apps.AxesConfig",
    "csp",
    "django_htmx",
    "template_partials",
    "django_tables2",
    "django_filters",
    "django_bootstrap5",
    "rest_framework",
    "config.apps.KnoxConfig",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    # ours
    "accounts",
    "campaign",
    "workbooks",
    "tasks_ledger",
    "accountability",
    "assessments",  # after accountability: it reads notices and measures
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Responses to signed-in users: Cache-Control: private, no-store.
    "config.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records who changed what from which request in every history event.
    "accounts.history.RequestHistoryMiddleware",
    # A full disk met by an upload: a 507 that says so, not a 500 (config/storage.py).
    "config.storage.DiskFullMiddleware",
    # Must be last: turns lockouts into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.jurisdiction",
                "accounts.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/nlzf"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# pgtrigger's trigger functions (the history triggers among them) read the setting
# pgtrigger.ignore inside an exception block; unset, every row written raises there and
# rolls back a subtransaction, which grows quadratically slow in a large write (the sweep
# writing 20,000 reminders: 95 s instead of 5 s). An empty default on every connection
# keeps that path quiet; pgtrigger.ignore() still sets its own value for its block.
_DB_OPTIONS = DATABASES["default"].setdefault("OPTIONS", {})
_DB_OPTIONS["options"] = (_DB_OPTIONS.get("options", "") + " -c pgtrigger.ignore={}").strip()
# No JIT: PostgreSQL compiles any statement the planner costs above jit_above_cost (100,000,
# passed by many a short query once items number a million) before running it, 0.5-1 s of
# LLVM work for statements that then run in milliseconds (the home page's campaign list:
# 1.07 s of JIT in a 1.08 s query). This is short OLTP work; JIT only pays off in long scans.
_DB_OPTIONS["options"] += " -c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The cache is a convenience, never the only copy: with Redis down, django-redis answers
# every read as a miss and drops every write (IGNORE_EXCEPTIONS), so pages and sign-in go on
# from PostgreSQL (sessions are cached_db; locks are PostgreSQL's, see the sweep). Django's
# own RedisCache raises instead, and every page 500s. Short socket timeouts keep a hung
# Redis from holding a request. The survey's rate limit still fails closed: a dropped
# count reads as None, which django-ratelimit refuses (RATELIMIT_FAIL_OPEN below).
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="nlzf"),
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
            "SOCKET_TIMEOUT": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
        },
    }
}
# ... and says so in the log each time (django_redis's logger).
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.RolePermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A refused CSRF check (a page drawn before the last log-in) says so in the site's words.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle sessions expire: every request pushes the expiry forward by SESSION_IDLE_SECONDS.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ENGINE = "config.sessions"  # cached_db, a failed database kept apart from a deleted session

# django-axes: lock a username from an address after repeated failures; every attempt logged.
# Locking the pair, not the username, keeps five bad passwords from one address from
# locking `admin` out for everyone else.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# ... answered by config/errors.py: that page, or the API's JSON 429, or an htmx alert.
AXES_LOCKOUT_CALLABLE = "config.errors.locked_out"
# The client's address: behind TRUSTED_PROXY_COUNT reverse proxies it is read from the
# X-Forwarded-For entry the outermost proxy appended (config/proxy.py says why not ipware).
# 0, for development and tests, reads REMOTE_ADDR and ignores the header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.proxy.client_ip"

# The public satisfaction survey (assessments.survey_views): django-ratelimit counts the
# answers each client address sends, in the default (Redis) cache, by the same address axes
# locks out (config.proxy.client_ip, behind TRUSTED_PROXY_COUNT proxies). With the cache
# down a submission is refused rather than let through unlimited (RATELIMIT_FAIL_OPEN).
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "config.proxy.client_ip"
RATELIMIT_FAIL_OPEN = False
# At most this many survey answers per address in the period, django-ratelimit's form:
# "5/10m" is five per ten minutes (a family sharing one address still gets through).
SURVEY_RATE_LIMIT = env.str("SURVEY_RATE_LIMIT", default="5/10m")
# The key of the HMAC-SHA256 that keeps a respondent's phone number only as a hash (one
# answer per number and round). Empty: derived from SECRET_KEY; set it (or
# SURVEY_PHONE_KEY_FILE) to keep the hashes, and so the one-answer rule, across a rotation
# of SECRET_KEY.
SURVEY_PHONE_KEY = env.str("SURVEY_PHONE_KEY", default="")
# A unit gets a public score only from at least this many answers in the round.
SURVEY_MIN_RESPONSES = env.int("SURVEY_MIN_RESPONSES", default=5)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
NODE_MODULES = BASE_DIR / "node_modules"
# Third-party front-end assets are installed from npm at set-up and served by the app
# itself (intranets have no internet); nothing vendored is committed.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    # Django's file system storage, removing a file it could not finish (a full disk).
    "default": {"BACKEND": "config.storage.UploadStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Evidence files (PDF, images, Word, Excel) attached to progress reports and sign-offs.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 2**20)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 2**20)
# Excel import of ledger items: files are refused before any parsing when they are larger,
# expand to more (zip bombs) or hold more parts; imports of more rows than ASYNC_ROWS are
# checked and applied by the Celery worker with a progress bar.
LEDGER_IMPORT_MAX_BYTES = env.int("LEDGER_IMPORT_MAX_BYTES", default=10 * 2**20)
LEDGER_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int(
    "LEDGER_IMPORT_MAX_UNCOMPRESSED_BYTES", default=200 * 2**20
)
LEDGER_IMPORT_MAX_ZIP_ENTRIES = env.int("LEDGER_IMPORT_MAX_ZIP_ENTRIES", default=500)
LEDGER_IMPORT_MAX_ROWS = env.int("LEDGER_IMPORT_MAX_ROWS", default=50_000)
LEDGER_IMPORT_ASYNC_ROWS = env.int("LEDGER_IMPORT_ASYNC_ROWS", default=2000)
# A long import whose worker task was started this many times without finishing (the worker
# killed each time, or failing) is marked failed instead of being sent again (workbooks.jobs).
LEDGER_IMPORT_MAX_ATTEMPTS = env.int("LEDGER_IMPORT_MAX_ATTEMPTS", default=3)
# Uploaded workbooks are kept this long for the preview and the record, then deleted.
LEDGER_IMPORT_KEEP_DAYS = env.int("LEDGER_IMPORT_KEEP_DAYS", default=30)
# Ledger dates must lie within the campaign's years widened by this many years on each side:
# 15 admits a 2035 vision goal in a 2022 campaign and refuses typos such as 0001 or 9999.
LEDGER_DATE_MARGIN_YEARS = env.int("LEDGER_DATE_MARGIN_YEARS", default=15)
# Official numbers of the four notices by kind (reminder, supervision, warning,
# accountability), str.format patterns with {year} and {n}, e.g. 督办〔{year}〕{n:03d}号, as JSON
# in the environment; kinds left out keep accountability.models.DEFAULT_NUMBER_FORMATS.
NOTICE_NUMBER_FORMATS = env.json("NOTICE_NUMBER_FORMATS", default={})
# Strikes (accountability measures per unit in a calendar year) at which more people are
# involved, as JSON in the environment: {"principal_leader": 3} means a unit's third measure in a
# year also involves its principal leader (accountability.services.measure_strikes).
ACCOUNTABILITY_STRIKE_THRESHOLDS = env.json(
    "ACCOUNTABILITY_STRIKE_THRESHOLDS", default={"principal_leader": 3}
)

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from the app itself
# only; no inline script, no inline event handler, no eval (htmx runs with allowEval off and
# without its injected indicator <style>, see base.html; Swagger UI loads its start-up script
# as a file). Style *attributes* are allowed (style-src-attr 'unsafe-inline') on purpose:
# progress bars draw their width from data (style="width: 40%") in templates and in htmx
# swaps, and Bootstrap's components set them too. An attribute can only restyle the element
# it sits on and cannot fetch anything (img-src and font-src stay 'self'), while <style>
# elements, the dangerous part of inline CSS (selectors that read attributes out), stay
# blocked by style-src 'self'. data: images are Bootstrap's own SVG icons in its CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The OpenAPI schema and the docs page: for signed-in users only unless this is on
# (development and tests turn it on; production keeps it off unless told).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)

REST_FRAMEWORK = {
    # Token first: an anonymous caller gets 401 with ``WWW-Authenticate: Token`` (as the
    # schema says) instead of the 403 DRF gives when the first authenticator sends no challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # drf-standardized-errors' schema plus the errors it cannot see (config/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
}
# API tokens (django-rest-knox): a new one per sign-in, stored hashed, each valid for
# API_TOKEN_TTL_DAYS and then refused. Knox's model is swapped for ours, which has an id to
# revoke a token by and the device it came from.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be at least 1 (tokens always expire).")
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 - a model's name
# Knox's migrations would still create its own token table (they do not know the model is
# swapped), whose foreign key to users then stops `flush` and every transactional test:
# knox has no tables of its own here.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    # Keeps the reason of a Django Http404/PermissionDenied; a 500's detail in words.
    "EXCEPTION_HANDLER_CLASS": "config.errors.ApiExceptionHandler",
}
_ERRORS = "drf_standardized_errors.openapi_serializers."
SPECTACULAR_SETTINGS = {
    "TITLE": "能力作风建设平台 API",
    "DESCRIPTION": "Campaign, organisation and responsibility-chain API (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": _ERRORS + "ValidationErrorEnum.choices",
        "ClientErrorEnum": _ERRORS + "ClientErrorEnum.choices",
        "ServerErrorEnum": _ERRORS + "ServerErrorEnum.choices",
        "ErrorCode401Enum": _ERRORS + "ErrorCode401Enum.choices",
        "ErrorCode403Enum": _ERRORS + "ErrorCode403Enum.choices",
        "ErrorCode404Enum": _ERRORS + "ErrorCode404Enum.choices",
        "ErrorCode405Enum": _ERRORS + "ErrorCode405Enum.choices",
        "ErrorCode406Enum": _ERRORS + "ErrorCode406Enum.choices",
        "ErrorCode415Enum": _ERRORS + "ErrorCode415Enum.choices",
        "ErrorCode429Enum": _ERRORS + "ErrorCode429Enum.choices",
        "ErrorCode500Enum": _ERRORS + "ErrorCode500Enum.choices",
        # Several models have a field named "kind" with different choices: name each set.
        "UnitKindEnum": "accounts.models.UnitKind",
        "PhaseKindEnum": "campaign.models.PhaseKind",
        "TaskForceKindEnum": "campaign.models.TaskForceKind",
        "SupervisionGroupKindEnum": "campaign.models.SupervisionGroupKind",
        "LedgerKindEnum": "tasks_ledger.models.LedgerKind",
        "MeetingKindEnum": "tasks_ledger.models.MeetingKind",
        "NoticeKindEnum": "accountability.models.NoticeKind",
        # ... and several have a "status".
        "CampaignStatusEnum": "campaign.models.CampaignStatus",
        "ItemStatusEnum": "tasks_ledger.models.ItemStatus",
        "ReviewStatusEnum": "tasks_ledger.models.ReviewStatus",
        "ExtensionStatusEnum": "tasks_ledger.models.ExtensionStatus",
        "NoticeStatusEnum": "accountability.models.NoticeStatus",
        "MeasureKindEnum": "accountability.models.MeasureKind",
        # ExemptionStatus has ExtensionStatus's choices (pending, approved, refused): a second
        # name for the same set is an error, so exemptions' status is ExtensionStatusEnum.
        "SweepStatusEnum": "accountability.models.SweepStatus",
        "SweepTriggerEnum": "accountability.models.SweepTrigger",
        # Assessments: a round's kind, the statuses of schemes, rounds, deductions and
        # appeals, and one grade set for a band, a result and a linkage rule's cap.
        "RoundKindEnum": "assessments.models.RoundKind",
        "SchemeStatusEnum": "assessments.models.SchemeStatus",
        "RoundStatusEnum": "assessments.models.RoundStatus",
        "DeductionStatusEnum": "assessments.models.DeductionStatus",
        "AppealStatusEnum": "assessments.models.AppealStatus",
        "GradeEnum": "assessments.models.Grade",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "config.api.schema.postprocess_error_attrs",
    ],
}

# Celery: Redis is broker and result backend.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When Redis goes away the tasks already running finish (their work is in PostgreSQL; their
# acknowledgement, which cannot reach Redis, is only logged), rather than being cancelled as
# Celery 6 will do by default. The worker itself survives it: see config/celery.py.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Lets a test (or a second deployment on one Redis) keep its tasks to its own worker.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# --- Scale-out: read replica, Redis Sentinel, metrics (README "Deploying for a province") ---
# A streaming read replica: DATABASE_REPLICA_URL adds the ``replica`` alias, and
# config/db_router.py sends to it the reads of REPLICA_READ_VIEWS (a GET of a dashboard or an
# export) and of REPLICA_READ_TASKS (Celery task names); all else stays on the primary, as
# do the models of REPLICA_NEVER_APPS (app labels or app.model), and for REPLICA_PIN_SECONDS
# after a browser's POST all its requests. Unset: one database, nothing changes.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    _replica = environ.Env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"] = {
        **{k: v for k, v in DATABASES["default"].items() if k not in ("NAME", "TEST")},
        **_replica,
        # A replica host that is gone must not hang the request that checks its lag.
        "OPTIONS": {**_DB_OPTIONS, "connect_timeout": 5, **_replica.get("OPTIONS", {})},
        # Under a test run the replica is the test database, not a second one to create.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
REPLICA_READ_VIEWS = env.list(
    "REPLICA_READ_VIEWS",
    default=[
        "home",
        "ledger:map",
        "ledger:export",
        "accountability:stats",
        "accountability:notice-export",
        "accountability:measure-export",
        "assessments:ranking-dashboard",
        "assessments:round-ranking",
        "assessments:round-export",
        "assessments:round-circular",
        "assessments:leader-lists-export",
        "assessments:honor-roll-export",
        "api:ranking",
        "api:ranking-trend",
        "public:ranking",
        "public:round-ranking",
    ],
)
REPLICA_READ_TASKS = env.list("REPLICA_READ_TASKS", default=[])
REPLICA_NEVER_APPS = [
    "sessions",
    "axes",
    "knox",
    "accounts.apitoken",
    "tasks_ledger.importjob",
    "assessments.scoreimportjob",
]
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)
# A replica further behind than this (or not answering) is not read: the primary answers
# instead. Checked at most every REPLICA_LAG_CHECK_SECONDS per process; 0 never checks.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30)
REPLICA_LAG_CHECK_SECONDS = env.float("REPLICA_LAG_CHECK_SECONDS", default=5)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "config.db_router.ReplicaReadMiddleware",
)
# Workers import the router too: it switches REPLICA_READ_TASKS to the replica.
CELERY_IMPORTS = ["config.db_router"]

# Redis behind Sentinel: REDIS_SENTINELS=host:port,host:port and the master's name. The cache
# (sessions, rate limits), Celery's broker and results, the health check and the metrics then
# find the master through the sentinels; REDIS_URL still gives the database and password.
REDIS_SENTINELS = env.list("REDIS_SENTINELS", default=[])
REDIS_SENTINEL_MASTER = env.str("REDIS_SENTINEL_MASTER", default="mymaster")
if REDIS_SENTINELS:
    # redis://[user:password@]host:port/db -> the same credentials and db at the master.
    _credentials, _, _address = REDIS_URL.partition("://")[2].rpartition("@")
    _credentials += "@" if _credentials else ""
    _database = _address.partition("/")[2].partition("?")[0] or "0"
    CACHES["default"]["LOCATION"] = f"redis://{_credentials}{REDIS_SENTINEL_MASTER}/{_database}"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        CONNECTION_FACTORY="django_redis.pool.SentinelConnectionFactory",
        SENTINELS=[
            (entry.rpartition(":")[0], int(entry.rpartition(":")[2])) for entry in REDIS_SENTINELS
        ],
    )
    CELERY_BROKER_URL = ";".join(
        f"sentinel://{_credentials}{address}/{_database}" for address in REDIS_SENTINELS
    )
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"master_name": REDIS_SENTINEL_MASTER}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"master_name": REDIS_SENTINEL_MASTER}

# Prometheus metrics at /metrics (config/metrics.py): request metrics from django-prometheus's
# middleware, Celery queue lengths (METRICS_CELERY_QUEUES, default the default queue), the last
# sweep and replica lag. Open to the bearer of METRICS_TOKEN and to client addresses in
# METRICS_ALLOWED_NETWORKS (loopback only by default). Set PROMETHEUS_MULTIPROC_DIR in the
# web processes' environment when gunicorn runs several workers.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
METRICS_CELERY_QUEUES = env.list("METRICS_CELERY_QUEUES", default=[])
MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
    "django_prometheus.middleware.PrometheusAfterMiddleware",
)

# The beat schedule is data: name -> task, cron (in words beside it) and expiry just under
# the interval. Each cron can be overridden with BEAT_<NAME>_CRON="m h dom mon dow", or
# replaced by a plain interval with BEAT_<NAME>_SECONDS (drills and the smoke test).
_BEAT = [
    # Every 10 minutes: prove the worker and beat are alive (read by the health page).
    ("heartbeat", "config.tasks.heartbeat", "*/10 * * * *", 9 * 60),
    # Every night at 03:30: delete uploaded Excel imports older than LEDGER_IMPORT_KEEP_DAYS.
    ("purge_import_uploads", "tasks_ledger.tasks.purge_import_uploads", "30 3 * * *", 23 * 3600),
    # Every night at 03:40: the same for the other importers' uploads (third-party scores).
    ("purge_workbook_uploads", "workbooks.tasks.purge_import_uploads", "40 3 * * *", 23 * 3600),
    # Every morning at 07:30: email digest users their unread notifications of the last day.
    ("notification_digest", "accounts.tasks.send_notification_digests", "30 7 * * *", 23 * 3600),
    # Every night at 00:15, as the date turns: store the lights and list tabs the new day
    # moves (tasks_ledger.lights), long before the escalation sweep and the offices open.
    ("refresh_lights", "tasks_ledger.tasks.refresh_lights", "15 0 * * *", 23 * 3600),
    # Every minute: fold the changes the item writes appended to the item roll-up into it
    # (tasks_ledger.lights.rollup_fold), so the dashboards' sums read few rows.
    ("fold_rollup", "tasks_ledger.tasks.fold_rollup", "* * * * *", 50),
    # Every morning at 06:30: the escalation sweep (reminders for overdue items, notices
    # left unanswered followed by the next kind), before offices open.
    ("escalation_sweep", "accountability.tasks.escalate", "30 6 * * *", 23 * 3600),
    # Every 5 minutes: send again the long imports left checking or applying with no worker
    # on them, and the emails and texts not sent (their send was lost while Redis was down,
    # or their worker was killed); the database, not the queue, says what is due.
    ("resend_imports", "workbooks.tasks.resend_imports", "*/5 * * * *", 4 * 60),
    (
        "deliver_pending_notifications",
        "accounts.tasks.deliver_pending_notifications",
        "*/5 * * * *",
        4 * 60,
    ),
]


def _cron(expr: str) -> crontab:
    minute, hour, day_of_month, month_of_year, day_of_week = expr.split()
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


def _schedule(name: str, cron: str, expires: int) -> tuple[crontab | float, float]:
    """The schedule and expiry of one entry, after the environment's overrides."""
    seconds = env.float(f"BEAT_{name.upper()}_SECONDS", default=0)
    if seconds > 0:
        return seconds, min(expires, seconds)
    return _cron(env.str(f"BEAT_{name.upper()}_CRON", default=cron)), expires


CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": schedule, "options": {"expires": expiry}}
    for name, task, cron, expires in _BEAT
    for schedule, expiry in [_schedule(name, cron, expires)]
}
# The resend leaves an email or text this many seconds to its queued delivery first.
NOTIFICATION_RESEND_AFTER_SECONDS = env.int("NOTIFICATION_RESEND_AFTER_SECONDS", default=120)

# Notifications (accounts.notifications): mail goes through EMAIL_URL (e.g.
# smtp+tls://user:password@host:587), the console by default; texts through SMS_BACKEND, a
# class with ``send(phone, text)`` that only logs by default. SITE_URL prefixes their links.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="nlzf@localhost")
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.LogSmsBackend")
SITE_URL = env.str("SITE_URL", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "loggers": {
        "accounts.auth": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "accounts.sms": {"handlers": ["console"], "level": "INFO"},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django": {"handlers": ["console"], "level": "INFO"},
    },
}

# History events carry the real time of the change, not the start of its transaction, so
# several changes in one request keep their order.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
