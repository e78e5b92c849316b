"""Local development (``make run``): public API docs, the rest as in base.

``make run`` is also the demo, so it shows what users see: DEBUG stays off (base reads it
from the environment), and a missing page or a crash gets the site's Chinese error pages,
not Django's debug pages. ``DEBUG=1 make run`` brings those back for a developer.
WhiteNoise serves the static files straight from the finders, as runserver does under
DEBUG, so nothing has to be collected first.
"""

from __future__ import annotations

from .base import *  # noqa: F403

API_DOCS_PUBLIC = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
