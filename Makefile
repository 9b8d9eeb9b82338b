# diaodu — two commands for a newcomer: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck migrations-check messages messages-check compilemessages bench assets demo setup clean-db

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP) assets compilemessages

assets: $(STAMP)
	$(PY) scripts/fetch_assets.py

## make run: install, fetch assets, migrate SQLite, load the demo district, then serve on 127.0.0.1:8000
## with the background worker and the scheduler (scripts/run.sh; one Ctrl-C stops all three)
run: setup
	DIAODU_DEBUG=1 $(PY) manage.py migrate --noinput
	DIAODU_DEBUG=1 $(PY) manage.py load_demo --if-empty
	DIAODU_DEBUG=1 $(PY) manage.py refresh_lights
	DIAODU_DEBUG=1 $(PY) manage.py demo_logins --url http://$(HOST):$(PORT)/
	PY=$(PY) scripts/run.sh $(HOST) $(PORT)

## make lint: ruff, the one-way layers contract (import-linter), mypy, migrations and translations
## make test: the whole suite (set DATABASE_URL to run it on PostgreSQL)
test: setup
	$(PY) -m pytest

lint: $(STAMP) messages-check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(MAKE) typecheck
	$(MAKE) migrations-check

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

migrations-check: $(STAMP)
	DIAODU_TESTING=1 $(PY) manage.py makemigrations --check --dry-run

## make messages: collect every translatable string into locale/en/LC_MESSAGES/django.po (then translate the new ones)
MAKEMESSAGES := DIAODU_TESTING=1 $(PY) manage.py makemessages -l en -d django --no-obsolete --no-location --no-wrap \
	--ignore=node_modules --ignore=.venv --ignore=static/vendor --ignore=staticfiles
messages: $(STAMP)
	$(MAKEMESSAGES)

## make messages-check: fails when a string in the code has no entry in the committed English catalogue
## (the POT-Creation-Date header changes on every run, so it is ignored)
messages-check: $(STAMP)
	@command -v xgettext >/dev/null 2>&1 || { echo "xgettext is missing: install GNU gettext (apt-get install gettext)"; exit 1; }
	$(MAKEMESSAGES)
	@git diff --exit-code -I 'POT-Creation-Date' -- locale/ || \
	  { echo "locale/ is out of date: run 'make messages', translate the new entries, commit locale/"; exit 1; }

## compiled catalogues (*.mo) are built here, never committed; without GNU gettext the UI stays Chinese only
compilemessages: $(STAMP)
	@if command -v msgfmt >/dev/null 2>&1; then \
	  DIAODU_TESTING=1 $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules; \
	else \
	  echo "msgfmt is missing: the English translation is not compiled (install GNU gettext: apt-get install gettext)"; \
	fi

## make bench: province-size dataset (ledger, project page) and a 2,000-project district (bulletin, reporting grid),
## timed on SQLite and PostgreSQL (BENCH_ARGS="--reuse" keeps the big dataset; see docs/benchmarks.md), then the
## investment leads list and collision check (撞单) at 50,000 leads (manage.py bench_investment)
## make bench SIZE=all: the ledger and the project page at 2,000, 20,000 and 100,000 projects on PostgreSQL, one
## table (SIZE=2000,20000 for some sizes; BENCH_ARGS="--reuse" keeps each size's dataset)
bench: setup
	$(PY) manage.py bench --settings=diaodu.test_settings $(if $(SIZE),--size $(SIZE)) $(BENCH_ARGS)
	$(if $(SIZE),,$(PY) manage.py bench_investment --settings=diaodu.test_settings)

clean-db:
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
