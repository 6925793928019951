# Two commands do all the set-up: `make` builds build/sssp.pdf, `make test`
# installs what the tests need and runs them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOURCES := $(wildcard sssp_print/*.py) $(wildcard content/*.yaml) $(wildcard fonts/*.ttf)

.PHONY: all test lint bench preview approve clean

all: build/sssp.pdf

$(BIN)/sssp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

# Order-only on the venv: installing the test extras must not force a rebuild.
build/sssp.pdf: $(SOURCES) pyproject.toml | $(BIN)/sssp
	$(BIN)/sssp build content/sssp.yaml -o $@

$(VENV)/.test-deps: $(BIN)/sssp pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# pdf.js (Firefox's engine) runs under Node for the fill matrix.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.test-deps node_modules/.installed
	$(BIN)/python -m pytest -q

# The code's format (ruff, 88 columns) and its lint rules (pyproject.toml).
lint: $(VENV)/.test-deps
	$(BIN)/ruff format --check sssp_print tests
	$(BIN)/ruff check sssp_print tests

# Speed and size figures, each against a baseline measured in the same run.
bench: $(VENV)/.test-deps node_modules/.installed
	$(BIN)/python -m tests.bench.build
	$(BIN)/python -m tests.bench.harvest

# PNGs of the pages the visual tests check, for a person to look at.
preview: $(VENV)/.test-deps
	$(BIN)/python -m tests.visual preview build/preview

# After an intended change of layout: look at build/preview first, then
# make the new renders the approved images the tests compare against.
approve: $(VENV)/.test-deps
	$(BIN)/python -m tests.visual approve

clean:
	rm -rf build $(VENV) node_modules
