# One obvious command for each thing: `make demo`, `make test`, `make test-fast`, `make lint`, `make bench`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
WITH_ENV := . scripts/env.sh &&

.PHONY: setup engine browser bytecode demo demo-down test test-fast lint schema sdk node-examples dist dist-go reliability bench bench-ci
setup: $(VENV)/.installed $(VENV)/.devtools

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -e '.[emulator,dev]'
	touch $@

# devtools/ (the engine plumbing for this machine) reaches the venv through a .pth file: it is not shipped.
$(VENV)/.devtools: $(VENV)/.installed Makefile
	$(VENV)/bin/python -c 'import site, pathlib; pathlib.Path(site.getsitepackages()[0], "stripe-apps-devtools.pth").write_text(str(pathlib.Path("devtools").resolve()) + "\n")'
	touch $@

engine:
	@bash scripts/ensure-engine.sh >/dev/null

# Debian's chromium for the Dashboard browser test: installed when missing (as root), else the command to run.
browser:
	@bash scripts/ensure-browser.sh

demo: setup engine
	@$(WITH_ENV) python scripts/demo.py up

demo-down: setup engine
	@$(WITH_ENV) python scripts/demo.py down

# The browser check comes first: it fails in a second, before the engine build's minutes. Bytecode first, as a
# wheel install leaves it: with PYTHONDONTWRITEBYTECODE set, every provider process would compile our modules.
test: browser setup engine lint bytecode
	$(WITH_ENV) pytest $(PYTEST_ARGS)

bytecode: setup
	@$(VENV)/bin/python -m compileall -q provider emulator devtools >/dev/null

# The edit loop: lint, unit and emulator tests; no engine, no browser.
test-fast: setup lint
	$(VENV)/bin/pytest tests/unit tests/emulator $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

schema: setup
	$(VENV)/bin/python scripts/generate_schema.py > schema.json

# sdk/nodejs and sdk/go from schema.json with Pulumi's code generators (scripts/gen_sdk, built once with go and cached).
sdk:
	@gen="$$(bash scripts/ensure-gen-sdk.sh)" && "$$gen" -schema schema.json -out sdk

# node_modules of the Node.js examples (npm ci, packages cached under ~/.cache/pulumi-stripe-apps/npm).
node-examples: setup
	$(VENV)/bin/python -m stripe_apps_devtools.npm examples/typescript

# The release artifacts in dist/, one version (provider/pulumi_stripe_apps/__init__.py) in each: see scripts/dist.py.
dist: setup
	$(VENV)/bin/python scripts/dist.py --out dist

# The Go SDK module alone, into dist/goproxy (a Go module proxy's file layout); `make dist` writes it too.
dist-go: setup
	$(VENV)/bin/python scripts/dist_go.py --out dist

bench: setup engine
	$(WITH_ENV) python -m scripts.bench --size full

bench-ci: setup engine
	$(WITH_ENV) python -m scripts.bench --size ci

reliability: setup engine bytecode
	$(WITH_ENV) python scripts/reliability.py
