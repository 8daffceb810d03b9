# Two commands do all set-up: `make run` and `make test`. Everything else is a step they call.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Procfile commands (gunicorn, celery) come from the project's virtualenv.
export PATH := $(CURDIR)/$(BIN):$(PATH)
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
APT := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
export PYTHONDONTWRITEBYTECODE := 1
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
# This machine's pip configuration names local mirrors that may be absent: hide that noise only.
QUIET_PIP := { grep -v '^WARNING: Location' || true; }

.PHONY: run test test-fast bench install sysdeps-run sysdeps-test services messages lint check clean

run: install sysdeps-run messages
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput -v0
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py collectstatic --noinput -v0
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py bootstrap
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/honcho start -f Procfile

test: install sysdeps-test services messages lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install services messages
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: install services messages
	$(BIN)/python -m bench

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | $(QUIET_PIP)
	$(BIN)/python -m pip install -q -r requirements.lock 2>&1 | $(QUIET_PIP)
	@$(BIN)/python -c "import django, celery, rest_framework, weasyprint" # fail here if the install did not take
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# System packages from Debian: gettext (compiled translations), Pango (PDF export) and
# Noto CJK (Chinese in PDFs); Chromium only for the browser tests. Installed when missing
# and we are root; otherwise the message says what to install.
define need_packages
	@missing=""; \
	for spec in $(1); do \
	  pkg=$${spec%%:*}; probe=$${spec#*:}; \
	  sh -c "$$probe" >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "apt-get install$$missing"; apt-get update -qq && $(APT) $$missing; \
	  else echo "Missing system packages:$$missing (sudo apt-get install$$missing)"; exit 1; fi; \
	fi
endef
RUN_PACKAGES := gettext:"command -v msgfmt" libpango-1.0-0:"ldconfig -p | grep -q libpango-1.0" libpangoft2-1.0-0:"ldconfig -p | grep -q libpangoft2-1.0" fonts-noto-cjk:"fc-list | grep -qi 'Noto Serif CJK'"

sysdeps-run:
	$(call need_packages,$(RUN_PACKAGES))

sysdeps-test:
	$(call need_packages,$(RUN_PACKAGES) chromium:"command -v chromium")

# The suite talks to the PostgreSQL and Redis that run on this machine; start them if stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { [ "$$(id -u)" = 0 ] && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; } || { echo "PostgreSQL is not answering on 127.0.0.1:5432"; exit 1; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; } || { echo "Redis is not answering on 127.0.0.1:6379"; exit 1; }

messages: install
	@if find . -path ./.venv -prune -o -name '*.po' -print | grep -q .; then \
	  DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var -v0; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/mypy .
	DJANGO_DEBUG=1 $(BIN)/python manage.py check
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf var .pytest_cache
