# 能力作风建设平台 — the two commands a newcomer needs:
#
#   make run    the platform at http://127.0.0.1:8000 with demo data (embedded PostgreSQL + Redis)
#   make test   the whole test suite (DATABASE_URL / REDIS_URL, embedded ones when unreachable)
#
# Both install what is missing first: the virtualenv, the Python package (again only when
# pyproject.toml changed), the npm assets and the compiled translations. `make test` first
# checks the system packages the browser tests need (scripts/system_deps.sh, shared with
# .ci/run): it installs them as root with apt-get, or stops at once saying what to install.

SHELL := /bin/bash
PYTHON3 ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
PO := locale/zh_Hans/LC_MESSAGES/django.po
MO := locale/zh_Hans/LC_MESSAGES/django.mo
# Extra arguments for pytest, e.g. make test ARGS="-k celery -x"
ARGS ?=

.PHONY: run test install system-deps lint messages clean-local

run: install
	$(PY) scripts/run_local.py

test: system-deps install
	$(PY) scripts/run_tests.py $(ARGS)

system-deps:
	@bash scripts/system_deps.sh

install: $(PY_STAMP) $(NPM_STAMP) $(MO)

$(PY):
	$(PYTHON3) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Django's compilemessages needs GNU gettext (msgfmt); without it polib writes the same file.
$(MO): $(PO) $(PY_STAMP)
	@if command -v msgfmt >/dev/null; then \
		$(PY) scripts/i18n.py --no-extract; \
	else \
		$(PY) -c "import polib; polib.pofile('$(PO)').save_as_mofile('$(MO)')"; \
	fi
	@touch $@

lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy .

# Forget the embedded databases of `make run` and `make test` (they are rebuilt on demand).
clean-local:
	rm -rf .local/run .local/test
