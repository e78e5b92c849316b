"""Permission tests of the notices pages and API, declared with :mod:`tests.resources`."""

from __future__ import annotations
