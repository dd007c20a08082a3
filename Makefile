# CertPortal developer and CI entry points. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
PYTEST_ARGS ?=
BENCH_ARGS ?=
SOAK_SECONDS ?= 300
SOAK_ARGS ?=
SCREENSHOTS ?= screenshots

VENV := .venv
VPY := $(VENV)/bin/python
# Installs into one environment: what the portal runs on (`make install-runtime`), that plus
# the dev extra (localstripe, for `make run`'s kit payments), and all that plus the test extra
# (`make install`, `make test`, `make lint`).
RUNTIME_STAMP := $(VENV)/.runtime-installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-installed-stamp
FLASK := $(VENV)/bin/flask --app app
# The Debian packages the portal itself needs: fonts that print Latin and CJK names in PDF
# certificates, and libcairo for PNG logos.
PORTAL_PACKAGES := fonts-wqy-zenhei fonts-dejavu-core libcairo2
# ... and what the test suite needs besides (browser, PDF and QR readers, Redis; Java runs the
# Nu Html Checker; Node 20+ (nodesource) runs it and Lighthouse).
SYSTEM_PACKAGES := $(PORTAL_PACKAGES) chromium poppler-utils zbar-tools redis-server \
                   openjdk-17-jre-headless

# CI=true (also 1/yes) makes missing PostgreSQL an error instead of a skipped pass.
IS_CI := $(filter true TRUE True 1 yes,$(CI))

.PHONY: help venv install install-runtime system-deps portal-deps load-tools lint test lighthouse \
        screenshots run bench soak clean

help:
	@echo "make install      create $(VENV) and install '.[test]' (again only when pyproject.toml changes)"
	@echo "make install-runtime  create $(VENV) and install the portal's runtime dependencies only"
	@echo "make portal-deps  Debian packages the portal needs: $(PORTAL_PACKAGES)"
	@echo "make system-deps  Debian packages for the tests too: $(SYSTEM_PACKAGES), postgresql"
	@echo "make lint         ruff check"
	@echo "make test         lint, pytest on SQLite (with the HTML, axe, reflow and keyboard checks), then on PostgreSQL  [PYTEST_ARGS=...]"
	@echo "make lighthouse   Lighthouse on Home, Exams, a certification, a public transcript (CI runs it)"
	@echo "make screenshots  every page at 375 and 1280 px into $(SCREENSHOTS)/ (git-ignored)"
	@echo "make run          migrate, load catalog + demo data, serve on http://127.0.0.1:5000 with localstripe for kit payments"
	@echo "make bench        performance budgets on SQLite and PostgreSQL  [BENCH_ARGS=...]"
	@echo "make soak         PostgreSQL + Redis + gunicorn 4 workers under Locust, restarts, nothing lost  [SOAK_SECONDS=300]"
	@echo "make clean        remove $(VENV) and caches"

# --- Python environment --------------------------------------------------------------------

venv: $(VPY)

$(VPY):
	$(PYTHON) -m venv $(VENV)

install: $(STAMP)

install-runtime: $(RUNTIME_STAMP)

# Order-only on the interpreter: a venv's python is a symlink whose date means nothing.
$(RUNTIME_STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

# The test install holds the runtime and dev ones too.
$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install -e '.[test]'
	touch $@ $(RUNTIME_STAMP) $(DEV_STAMP)

# --- System packages -----------------------------------------------------------------------

# $(call ensure_packages,PACKAGES): install the missing Debian packages with apt-get when run
# as root; otherwise name them, say how to install them, and fail. Without dpkg (not Debian)
# the ones that can be probed are looked for by what they provide.
define ensure_packages
present() { case "$$1" in \
  chromium) command -v chromium >/dev/null ;; \
  poppler-utils) command -v pdftotext >/dev/null ;; \
  fonts-wqy-zenhei) fc-list : family 2>/dev/null | grep -qi 'wenquanyi zen hei' ;; \
  fonts-dejavu-core) fc-list : family 2>/dev/null | grep -qi 'dejavu sans' ;; \
  redis-server) command -v redis-server >/dev/null ;; \
  *) true ;; \
esac; }; \
missing=""; \
for pkg in $(1); do \
  if command -v dpkg-query >/dev/null; then \
    status=$$(dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null || true); \
    [ "$$status" = "install ok installed" ] || missing="$$missing $$pkg"; \
  else \
    present "$$pkg" || missing="$$missing $$pkg"; \
  fi; \
done; \
can_apt=""; \
if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then can_apt=1; fi; \
updated=""; \
if [ -n "$$missing" ]; then \
  if [ -z "$$can_apt" ]; then \
    echo "error: missing system packages:$$missing" >&2; \
    echo "       install them with: sudo apt-get install -y --no-install-recommends$$missing" >&2; \
    exit 1; \
  fi; \
  echo "==> installing system packages:$$missing"; \
  apt-get update; updated=1; \
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
fi
endef

portal-deps:
	@$(call ensure_packages,$(PORTAL_PACKAGES)); \
	echo "portal-deps: ok"

system-deps:
	@$(call ensure_packages,$(SYSTEM_PACKAGES)); \
	pg_found() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
	  || $(PYTHON) scripts/with_postgres.py --check >/dev/null 2>&1; }; \
	if ! pg_found && [ -n "$$can_apt" ]; then \
	  echo "==> installing postgresql"; \
	  [ -n "$$updated" ] || apt-get update; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
	fi; \
	if ! pg_found; then \
	  if [ -n "$(IS_CI)" ]; then \
	    echo "error: PostgreSQL server binaries not found; CI must run the PostgreSQL pass" >&2; \
	    exit 1; \
	  fi; \
	  echo "warning: PostgreSQL not installed (apt-get install postgresql): the PostgreSQL test pass will be skipped" >&2; \
	fi; \
	echo "system-deps: ok"

# --- Checks --------------------------------------------------------------------------------

lint: install
	$(VENV)/bin/ruff check .

# Both passes run the whole suite; any pytest failure, including exit 5 (no tests
# collected), fails the target. with_postgres.py exits 3 when PostgreSQL is absent, but so
# does pytest on an internal error, so absence is asked with --check first and every
# non-zero status of the real run is a failure. The Nu Html Checker runs on the SQLite pass
# (the pages are the same on PostgreSQL).
test: install system-deps lint
	@echo "==> pytest on SQLite"
	env -u CERTPORTAL_TEST_DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)
	@echo "==> pytest on PostgreSQL"
	@rc=0; $(VPY) scripts/with_postgres.py --check >/dev/null || rc=$$?; \
	if [ "$$rc" -eq 3 ]; then \
	  if [ -n "$(IS_CI)" ]; then \
	    echo "error: PostgreSQL not installed: CI must run the PostgreSQL pass" >&2; \
	    exit 1; \
	  fi; \
	  echo "PostgreSQL not installed: skipping the PostgreSQL pass"; \
	  exit 0; \
	elif [ "$$rc" -ne 0 ]; then \
	  exit "$$rc"; \
	fi; \
	set -x; \
	$(VPY) scripts/with_postgres.py -- $(VENV)/bin/pytest -p no:cacheprovider --no-html-check $(PYTEST_ARGS)

# Lighthouse takes about two minutes, so it is not part of `make test`; CI runs both.
lighthouse: install system-deps
	$(VENV)/bin/pytest -q -p no:cacheprovider --no-html-check --lighthouse tests/browser/test_lighthouse.py

# Every page, as the browser tour reaches it, photographed at 375 and 1280 px.
screenshots: install system-deps
	rm -rf $(SCREENSHOTS)
	CERTPORTAL_SCREENSHOTS=$(CURDIR)/$(SCREENSHOTS) $(VENV)/bin/pytest -q -p no:cacheprovider \
	  --no-html-check tests/browser/test_every_page.py
	@echo "$$(ls $(SCREENSHOTS) | wc -l) screenshots in $(SCREENSHOTS)/"

# --- Running -------------------------------------------------------------------------------

# Only what the portal itself needs: its runtime dependencies, and the Debian packages that
# let PDF certificates print every name and logos render as PNG.
run: export CERTPORTAL_ENV := development
run: portal-deps $(DEV_STAMP)
	$(FLASK) db upgrade
	$(FLASK) catalog load
	$(FLASK) demo load
	@# Kit payments go to localstripe (a Stripe emulator on a free loopback port, test cards
	@# only), which posts its signed events to the portal's webhook; it stops with the server.
	$(VPY) scripts/with_localstripe.py --webhook-url http://127.0.0.1:5000/payments/stripe/webhook \
	  -- $(FLASK) run --host 127.0.0.1 --port 5000

# Load and profiling tools (the `bench` extra: Locust, pyinstrument) and wrk, only for the
# targets that use them.
$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(VPY) -m pip install -e '.[test,bench]'
	touch $@

load-tools: $(BENCH_STAMP)
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; \
	  else \
	    echo "warning: wrk not installed (apt-get install wrk): a slower Python load generator is used" >&2; \
	  fi; }

bench: install load-tools
	$(VPY) bench/run.py $(BENCH_ARGS)

# Not part of `make test`: minutes long, loopback only.
soak: install system-deps load-tools
	$(VPY) bench/soak.py --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-results *.egg-info
	find . \( -path ./.git -o -path ./$(VENV) \) -prune -o \
	  -type d -name __pycache__ -prune -exec rm -rf {} +
