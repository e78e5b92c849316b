"""Local development (``make run``): debug on and public API docs, the rest as in base."""

from __future__ import annotations

from .base import *  # noqa: F403

DEBUG = True
API_DOCS_PUBLIC = True
