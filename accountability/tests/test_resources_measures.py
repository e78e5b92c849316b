"""Permission tests of the measures pages and API, declared with :mod:`tests.resources`."""

from __future__ import annotations
