"""Test settings: the real PostgreSQL and Redis, fast hashing, a separate cache prefix."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import CACHES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = "nlzf-test"
AXES_FAILURE_LIMIT = 3
# Schema tests and the API fuzzer read the schema anonymously; tests/test_security.py checks
# it is refused when this is off.
API_DOCS_PUBLIC = True
# Tests run without collectstatic: look for STATIC_ROOT per request (pytest-django's
# live_server serves static files through the finders) instead of warning at start-up.
WHITENOISE_AUTOREFRESH = True
