# Two commands do all the set-up: `make` builds build/sssp.pdf, `make test`
# installs what the tests need and runs them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOURCES := $(wildcard sssp_print/*.py) $(wildcard content/*.yaml) $(wildcard fonts/*.ttf)

.PHONY: all test bench clean

all: build/sssp.pdf

$(BIN)/sssp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

build/sssp.pdf: $(BIN)/sssp $(SOURCES)
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

# Speed and size figures, each against a baseline measured in the same run.
bench: $(VENV)/.test-deps node_modules/.installed
	$(BIN)/python -m tests.bench.harvest

clean:
	rm -rf build $(VENV) node_modules
