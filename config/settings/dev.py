"""Local development (``make run``): debug on, everything else as in base."""

from __future__ import annotations

from .base import *  # noqa: F403

DEBUG = True
