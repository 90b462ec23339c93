# Okryu: `make run` serves the demo storefront, `make test` runs the suite,
# `make check` is the fast loop (lint, migrations, tests but browser and slow).
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# Local serving on loopback: production settings, plain HTTP.
RUN_ENV := DEBUG=false ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=false \
	SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_HSTS_SECONDS=0 \
	SECRET_KEY="$$(cat var/secret_key)" CARD_NUMBER_KEY="$$(cat var/card_number_key)"

.PHONY: run test check lint bench scale-demo clean screenshots

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

var/secret_key var/card_number_key:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: $(VENV)/.installed var/secret_key var/card_number_key
	$(RUN_ENV) $(MANAGE) migrate --noinput
	$(RUN_ENV) $(MANAGE) seed_demo
	$(VENV)/bin/pybabel compile --domain django --directory locale --statistics
	$(RUN_ENV) $(MANAGE) collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(PY) -m okryu.serve --port $(PORT)

test: $(VENV)/.installed
	tests/browser/install_deps.sh
	$(VENV)/bin/pybabel compile --domain django --directory locale
	$(PY) -m pytest --create-db

check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pybabel compile --domain django --directory locale
	DJANGO_SETTINGS_MODULE=okryu.test_settings $(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest --create-db -m "not browser and not slow"

# Benchmark on its own database (see bench/README.md), created and loaded with 100,000 products once, then measure.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/okryu_bench
# The cache shared by the gunicorn workers, as in production.
BENCH_CACHE_URL ?= redis://127.0.0.1:6379/1
# BENCH_ARGS passes options to bench/load.py: "--workers 2 --threads 1" runs
# 2 sync workers, the flags other storefronts are measured with.
BENCH_ENV := DATABASE_URL=$(BENCH_DATABASE_URL) CACHE_URL=$(BENCH_CACHE_URL) SECRET_KEY=bench-only-secret-key \
	CARD_NUMBER_KEY=bench-only-card-number-key ALLOWED_HOSTS=127.0.0.1,localhost

bench: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --domain django --directory locale
	$(BENCH_ENV) $(PY) bench/create_db.py
	$(BENCH_ENV) $(MANAGE) migrate --noinput
	$(BENCH_ENV) $(PY) bench/load_catalog.py
	$(BENCH_ENV) $(PY) bench/load_lodging.py
	$(BENCH_ENV) $(PY) bench/load.py $(BENCH_ARGS)

# Two app hosts behind HAProxy, a primary and a streaming replica, Redis, and
# faults under load (bench/scale_out.py, docs/deploy.md); about 4 minutes.
# Installs HAProxy from Debian when it is missing (as root); stops all it started.
scale-demo: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --domain django --directory locale
	$(PY) -m bench.scale_out

# The browser tests save every checked page under var/screenshots/; this
# runs them and puts the set shown in the README, cut to the top of each
# page and palette-reduced, into docs/screenshots/.
DOC_SCREENSHOTS := home-phone search-phone product-phone cart-phone checkout-pay-phone order-phone courier-phone \
	dispatch-phone en-product-phone home-desktop product-desktop checkout-pay-desktop order-delivered-desktop \
	dispatch-desktop
screenshots: $(VENV)/.installed
	tests/browser/install_deps.sh
	$(VENV)/bin/pybabel compile --domain django --directory locale
	$(PY) -m pytest --create-db tests/browser
	$(PY) -m tests.browser.doc_screenshots $(DOC_SCREENSHOTS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean:
	$(PY) -m okryu.embedded_db stop || true
	rm -rf var/static var/test-media
