# Học Số: `make run` serves the app, `make test` runs every test. Both install what they need first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian packages: Chromium for the browser tests, espeak-ng and ffmpeg for narration, PostgreSQL's server for
# the database tests (they start a throwaway cluster on loopback) and for a province server, nginx for
# `learn serve --workers N` (started by it, not as a system service).
DEB_PACKAGES := chromium espeak-ng ffmpeg postgresql openssl nginx
HOST ?= 0.0.0.0
PORT ?= 8501

.PHONY: install run test test-fast lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh $(DEB_PACKAGES)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,tts,asr,test]'
	touch $(STAMP)

run: install
	$(VENV)/bin/learn demo init
	$(VENV)/bin/learn serve --host $(HOST) --port $(PORT)

# one pytest worker per core (pytest-xdist): each worker has its own PostgreSQL cluster, servers and browsers
test: install lint
	LEARN_TEST_REQUIRE_POSTGRES=1 $(PY) -m pytest -n auto

# the tests that need no browser and no running server, for a quick check while working: one worker more than
# the 2 cores (they wait on ffmpeg, espeak-ng and PostgreSQL much of the time: 3:42 against 3:58 with 2, 3:53 with 4,
# measured on 2026-12-01; 3:10-3:19 with 3 on 2026-12-02)
test-fast: install lint
	LEARN_TEST_REQUIRE_POSTGRES=1 $(PY) -m pytest -n 3 -m "not browser and not server"

bench: install
	$(PY) -m benchmarks.run

lint: install
	$(VENV)/bin/ruff check learn progress_db tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
