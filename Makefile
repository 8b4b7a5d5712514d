# Quick start: `make demo` renders examples/churn.yml into build/ and runs its tests;
# `make test` runs this repository's tests. Both create and reuse .venv.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
EXAMPLE ?= examples/churn.yml
DEMO := build/$(basename $(notdir $(EXAMPLE)))

.PHONY: venv test demo lint clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.lock template/requirements.lock template/requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements-dev.lock
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

test: venv
	$(PY) -m pytest

lint: venv
	$(PY) -m ruff check src tests hooks scripts bench
	$(PY) -m mypy

demo: venv
	rm -rf $(DEMO)
	$(PY) scripts/render.py $(EXAMPLE) $(DEMO)
	cd $(DEMO) && $(MAKE) --no-print-directory data train test PYTHON=$(abspath $(PY))
	@echo "demo: $(DEMO) rendered, trained and tested; see $(DEMO)/README.md"

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
