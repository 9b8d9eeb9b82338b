# diaodu — two commands for a newcomer: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck migrations-check bench assets demo setup clean-db

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP) assets

assets: $(STAMP)
	$(PY) scripts/fetch_assets.py

## make run: install, fetch assets, migrate SQLite, load the demo district, serve on 127.0.0.1:8000
run: setup
	DIAODU_DEBUG=1 $(PY) manage.py migrate --noinput
	DIAODU_DEBUG=1 $(PY) manage.py load_demo --if-empty
	DIAODU_DEBUG=1 $(PY) manage.py refresh_lights
	DIAODU_DEBUG=1 $(PY) manage.py demo_logins
	DIAODU_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

## make test: the whole suite (set DATABASE_URL to run it on PostgreSQL)
test: setup
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check . || true
	$(MAKE) typecheck
	$(MAKE) migrations-check

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

migrations-check: $(STAMP)
	DIAODU_TESTING=1 $(PY) manage.py makemigrations --check --dry-run

## make bench: province-size dataset, ledger and project page timings on SQLite and PostgreSQL
## (BENCH_ARGS="--reuse" keeps the dataset of the last run; see docs/benchmarks.md)
bench: setup
	$(PY) manage.py bench --settings=diaodu.test_settings $(BENCH_ARGS)

clean-db:
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
