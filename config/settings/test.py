"""Test settings: the real PostgreSQL and Redis, fast hashing, a separate cache prefix."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import CACHES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = "nlzf-test"
AXES_FAILURE_LIMIT = 3
