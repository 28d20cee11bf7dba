# Shixun: the two commands a newcomer needs are `make demo` and `make test`.
# Everything else is installed by them on a machine with only Python 3.11,
# Node/npm and apt.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_WORKERS ?= auto
# Every stage of `make test` prints its slowest tests, so the loop's cost stays visible as the suite grows.
DURATIONS := --durations=$${PYTEST_DURATIONS:-15}
H5P_PLAYER := assessments/h5p/vendor/h5p-standalone

.PHONY: demo test lint-quiet test-sqlite test-postgres test-postgres-template test-postgres-main test-postgres-files test-plugin test-bench install sysdeps-test lint messages clean bench bench-scaleout lock dist

## make demo: install, migrate, load demo data, run the site and a django-q2 cluster
## (browsers resolve *.localhost to this machine: no /etc/hosts entry is needed)
demo: install
	@# A TrueType CJK font reportlab can embed, for Chinese PDFs (transcripts,
	@# certificates). Without it PDFs still work with a non-embedded font.
	-@scripts/ensure-apt.sh /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc:fonts-wqy-zenhei
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Shixun is starting on http://shixun.localhost:8000  (H5P content origin http://h5p.shixun.localhost:8000). Ctrl-C stops everything."
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DJANGO_SETTINGS_MODULE=shixun.config.settings.dev \
		$(VENV)/bin/honcho start -f Procfile

## make test: install what the tests need and run the whole suite
## (on SQLite, and again on PostgreSQL when SHIXUN_TEST_POSTGRES_URL is set)
# scripts/test_stages.sh: ruff, then test-plugin in the background (downloads, virtual environments) beside
# test-sqlite and test-postgres; each stage's wall time at the end.
test: install sysdeps-test $(VENV)/.bench-tools
	@PG_FILE_JOBS=$(PG_FILE_JOBS) MAKE="$(MAKE)" scripts/test_stages.sh

lint-quiet:
	$(VENV)/bin/ruff check --quiet .

test-sqlite:
	env -u DATABASE_URL $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -p no:cacheprovider $(DURATIONS) -m "not plugin and not bench"

# Shixun installed into a fresh `wagtail start` site (tests/plugin), once per
# supported Wagtail line on Django 5.2 LTS: the current LTS and the latest release.
# The lines run at the same time (PLUGIN_JOBS): each is mostly pip and a virtual environment of its own.
PLUGIN_WAGTAIL_LINES ?= 7.4 8.0
PLUGIN_JOBS ?= 2
test-plugin:
	@for line in $(PLUGIN_WAGTAIL_LINES); do \
		printf '%s\t%s\n' "tests/plugin: Wagtail $$line" \
			"SHIXUN_PLUGIN_WAGTAIL=$$line env -u DATABASE_URL $(PY) -m pytest -p no:cacheprovider -q $(DURATIONS) -m plugin tests/plugin"; \
	done | scripts/in_parallel.sh $(PLUGIN_JOBS)

# `make bench` must not rot: every scenario's smallest form once (bench/run.py --tiny, its own
# PostgreSQL, Redis, gunicorn and cluster; several minutes). Not yet part of `make test`; run it before
# touching bench/. It installs the bench's own tools, hash-locked (bench/requirements.lock, `make lock`).
test-bench: $(VENV)/.bench-tools
	scripts/ensure-apt.sh /usr/lib/postgresql:postgresql redis-server:redis-server
	env -u DATABASE_URL $(PY) -m pytest -p no:cacheprovider -q $(DURATIONS) -m bench tests/bench

# The concurrency proofs (marked `postgres`: threads on their own connections,
# flushing the database after each test) run one file per process, so no
# test's flush or restored baseline depends on which test ran before it.
# PG_FILE_JOBS of those processes run at once, each on its own database (SHIXUN_TEST_DB_NAME).
PG_FILE_JOBS ?= 2
test-postgres: test-postgres-template
	$(MAKE) --no-print-directory PG_TEMPLATE_READY=1 test-postgres-main test-postgres-files

# One database migrated once (settings/test.py, SHIXUN_TEST_DB_TEMPLATE): the main pass's workers and each
# concurrency file clone it (CREATE DATABASE … TEMPLATE), so each still starts from a freshly migrated
# database without migrating it again. test-postgres-main and -files make it first unless PG_TEMPLATE_READY
# says it is made (scripts/test_stages.sh makes it once, beside test-sqlite).
test-postgres-template:
	$(PY) scripts/test_db_template.py "$$SHIXUN_TEST_POSTGRES_URL" shixun_test_template
	DATABASE_URL="$${SHIXUN_TEST_POSTGRES_URL%/*}/shixun_test_template" DJANGO_SETTINGS_MODULE=shixun.config.settings.test \
		$(PY) manage.py migrate --noinput -v 0

test-postgres-main: $(if $(PG_TEMPLATE_READY),,test-postgres-template)
	DATABASE_URL="$$SHIXUN_TEST_POSTGRES_URL" SHIXUN_TEST_DB_TEMPLATE=shixun_test_template \
		$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup \
		-p no:cacheprovider $(DURATIONS) -m "not e2e and not postgres and not plugin and not bench and not own_database and not no_database"

test-postgres-files: $(if $(PG_TEMPLATE_READY),,test-postgres-template)
	@for file in $$(grep -rl "mark.postgres" tests --include='test_*.py' | sort); do \
		printf '%s\t%s\n' "$$file (PostgreSQL concurrency)" \
			"DATABASE_URL=\"\$$SHIXUN_TEST_POSTGRES_URL\" SHIXUN_TEST_DB_TEMPLATE=shixun_test_template \
			SHIXUN_TEST_DB_NAME=test_shixun_file_$$(echo "$$file" | cksum | cut -d' ' -f1) \
			$(PY) -m pytest -p no:cacheprovider -q $(DURATIONS) -m postgres $$file"; \
	done | scripts/in_parallel.sh $(PG_FILE_JOBS)

install: $(VENV)/.installed node_modules/.installed $(H5P_PLAYER)/.installed
	$(PY) manage.py compile_translations

# The H5P player (h5p-standalone, from the npm registry) is served from
# assessments/h5p/vendor/ by the site and shipped there in the wheel: never
# committed (.gitignore), copied from node_modules.
$(H5P_PLAYER)/.installed: node_modules/.installed
	rm -rf $(H5P_PLAYER) && mkdir -p $(dir $(H5P_PLAYER))
	cp -r node_modules/h5p-standalone/dist $(H5P_PLAYER)
	touch $@

## make dist: build the installable wheel (dist/shixun-*.whl) with the compiled
## translations and the H5P player inside
dist: install
	rm -rf build dist *.egg-info
	$(PY) -m pip wheel --no-deps --wheel-dir dist .

# requirements/lock/*.txt pin every package, transitive ones included, with
# their hashes (pip-compile from requirements/*.txt: `make lock`); pip refuses
# any file whose hash differs. The test lock includes the runtime one.
# uv (itself hash-locked) installs the same set, downloading in parallel: on a fresh machine ~10 s instead of
# pip's ~3 min, most of .ci/run's install time (issue 18: the whole run under 25 minutes). Where uv cannot be
# installed or cannot reach the index (a machine with only a pip mirror configured), pip installs it as before.
$(VENV)/.installed: requirements/lock/test.txt requirements/lock/uv.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	if $(PY) -m pip install --quiet --require-hashes -r requirements/lock/uv.txt \
		&& $(VENV)/bin/uv pip install --quiet --python $(PY) --require-hashes -r requirements/lock/test.txt; then \
		echo "installed with uv"; \
	else \
		echo "uv did not install the lock: installing with pip"; \
		$(PY) -m pip install --quiet --require-hashes -r requirements/lock/test.txt; \
	fi
	touch $@

# The bench's own tools (aiohttp, psutil; hash-locked), also for `make test`: the bench harness's own tests
# (tests/bench: the rate steps, the lean client) run in test-sqlite, and without aiohttp they would skip.
$(VENV)/.bench-tools: bench/requirements.lock $(VENV)/.installed
	$(PY) -m pip install --quiet --require-hashes -r bench/requirements.lock
	touch $@

## make lock: re-resolve requirements/lock/*.txt after changing a pin in requirements/*.txt
lock: $(VENV)/.installed
	for name in base production test uv; do \
		$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
			--no-emit-find-links --output-file requirements/lock/$$name.txt requirements/$$name.txt || exit 1; \
	done
	@# The bench's own tools (aiohttp, psutil) go into the same environment: the test lock constrains them.
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --constraint requirements/lock/test.txt --output-file bench/requirements.lock bench/requirements.txt

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# System packages the test suite uses, installed with apt when missing:
# gettext (the translation-completeness test extracts messages with xgettext),
# Debian's chromium for the real-browser tests (driven by Playwright through
# executable_path; Playwright's own browser download cannot work offline), and
# CJK fonts so screenshots show Chinese (Noto) and PDFs embed it (WenQuanYi
# Zen Hei: reportlab embeds TrueType, not Noto's CFF outlines), and ffmpeg,
# which makes the short real videos of the video journey and the demo lesson.
sysdeps-test:
	@scripts/ensure-apt.sh xgettext:gettext msgmerge:gettext /usr/bin/chromium:chromium ffmpeg:ffmpeg \
		/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk \
		/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc:fonts-wqy-zenhei

## make messages: extract new strings into every app's zh_Hans catalogue
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=node_modules --ignore=.venv --ignore=var --ignore=tests

## make bench: run every benchmark scenario against gunicorn + PostgreSQL + Redis
## on loopback and write bench/RESULTS.md (not part of `make test`)
bench: install $(VENV)/.bench-tools
	scripts/ensure-apt.sh /usr/lib/postgresql:postgresql redis-server:redis-server
	$(PY) bench/run.py

## make bench-scaleout: two web nodes (gunicorn) and two worker nodes (qcluster) sharing PostgreSQL,
## Redis and storage under the mixed load (bench/scaleout.py); its rows go into bench/RESULTS.md
bench-scaleout: install $(VENV)/.bench-tools
	scripts/ensure-apt.sh /usr/lib/postgresql:postgresql redis-server:redis-server
	$(PY) bench/run.py --scaleout

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf var/static test-artifacts build dist *.egg-info
