# The one place that knows how to set up, test, demo and benchmark releasewatch.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test test-fast lint demo run serve schedule bench bench-smoke check screenshots clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## Tests: lint, the import contracts (pyproject.toml, docs/architecture.md), then the
## whole suite (slow end-to-end tests included).
test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## Offline demo: local copies of the sites -> releasewatch.db -> Datasette.
demo: setup
	$(BIN)/releasewatch demo

## The live sites (needs the internet).
run: setup
	$(BIN)/releasewatch crawl osce
	$(BIN)/releasewatch crawl un_news
	$(BIN)/releasewatch crawl un_press

serve: setup
	$(BIN)/releasewatch serve

schedule: setup
	$(BIN)/releasewatch schedule

check: setup
	RELEASEWATCH_FIXTURES=tests/files $(BIN)/scrapy check

bench: setup
	$(BIN)/python -m bench

bench-smoke: setup
	$(BIN)/python -m bench --smoke

## README pictures: the dashboard and a release diff, from the demo database (headless Chromium).
screenshots: setup
	$(BIN)/python -m crawler.web.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .scrapy
