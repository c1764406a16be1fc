# govsim: `make run` sets up and runs the main job; `make test` sets up and runs every test.
# Needs only a Python >= 3.12 somewhere on the machine (found below) and the package registry.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_WORKERS ?= 2

# The first Python >= 3.12 found: versioned names on PATH, then pyenv's installs.
BASE_PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 \
	$$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /root/.pyenv/versions/3.1[2-9]*/bin/python3 \
	/usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; \
	then command -v $$p; break; fi; done)

.PHONY: run test lint format bench bench-quick bench-shanghai clean help
help:
	@echo "make run    - set up .venv and run the standard experiment (every reform vs baseline)"
	@echo "make test   - set up .venv with test tools and run lint + the whole test suite"
	@echo "make bench  - speed and memory benchmarks (benchmarks/); issue 12's scale targets first"
	@echo "make bench-quick - issue 12's scale targets only, at 30,000 and 300,000 citizens"
	@echo "make bench-shanghai - a 25M-resident city-year at agent weight 10 (about a minute, 2 GiB)"

$(VENV)/bin/activate:
	@if [ -z "$(BASE_PYTHON)" ]; then echo "govsim needs Python >= 3.12 (mesa 3.5 requires it); none found" >&2; exit 1; fi
	"$(BASE_PYTHON)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.core: $(VENV)/bin/activate pyproject.toml
	@echo "installing govsim and its dependencies into $(VENV) (a few minutes the first time)..."
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.test: $(VENV)/.core
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# The dashboard's front-end files, served locally (no internet in a classroom): solara's bundled
# assets plus the vega@5 / vega-lite@5 / vega-embed@6 names its charts ask for
# (../shared/SOLARA_OFFLINE.md). Rebuilt whenever the environment is.
$(VENV)/.assets: $(VENV)/.core viz/offline_assets.py
	@echo "preparing the dashboard's offline front-end files (solara's assets, vega, vega-lite)..."
	$(PY) -m viz.offline_assets
	@touch $@

# The browser tests drive Debian's chromium (never `playwright install`); Chinese labels need a
# CJK font. apt runs only when one of them is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(VENV)/.browser: $(VENV)/.test $(VENV)/.assets
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@test -x /usr/bin/chromium || { echo "chromium is missing: apt-get install chromium" >&2; exit 1; }
	@touch $@

HOST ?= 127.0.0.1
PORT ?= 8765
dashboard: $(VENV)/.assets
	$(PY) -m viz.server --host $(HOST) --port $(PORT)

# The main job: the standard comparison of every reform against the baseline (resumable),
# its summary on screen and an HTML report in results/standard/report.html.
# --fresh: the main job always shows the current code's numbers (about two minutes); a folder made
# by older code would otherwise be refused, rightly, rather than mixed with new runs.
run: $(VENV)/.core
	$(VENV)/bin/govsim experiment run experiments/standard.toml --out results/standard --fresh
	$(VENV)/bin/govsim experiment summarize results/standard --reference baseline
	$(VENV)/bin/govsim experiment report results/standard

lint: $(VENV)/.test
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: $(VENV)/.test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: $(VENV)/.test $(VENV)/.browser lint
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q

# Issue 12's targets, each a ratio with pass/MISS: full (100,000 and 1,000,000 citizens, median of
# 3 interleaved runs each, about 6 minutes) or quick (30,000 and 300,000, one run, about a minute).
bench-quick: $(VENV)/.core
	$(PY) benchmarks/scale.py --quick

bench-shanghai: $(VENV)/.core
	$(PY) benchmarks/scale.py --shanghai

bench: $(VENV)/.test $(VENV)/.browser
	$(PY) benchmarks/scale.py --repeats 3
	$(PY) benchmarks/city_year.py
	$(PY) benchmarks/cities_year.py
	$(PY) benchmarks/runner_speed.py
	$(PY) benchmarks/dashboard_speed.py
	$(PY) benchmarks/dashboard_browser.py
	$(PY) benchmarks/cli_startup.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
