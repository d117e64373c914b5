# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/dev.lock

.PHONY: install demo test test-fast test-e2e lint bench bench-smoke lock litellm litellm-demo clean

install: $(STAMP)

# Every version comes from the lock (hashes checked); the package itself is installed
# without resolving anything, so a new release upstream cannot change what runs here.
# The package is byte-compiled here, as pip compiles the dependencies: where
# PYTHONDONTWRITEBYTECODE is set (CI's machine), every `python -m chaos` would otherwise
# compile its imports from source (`import chaos.run.lifecycle`: 2.5 s, 1.5 s compiled).
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m compileall -q chaos
	touch $(STAMP)

# Refresh the locks from pyproject.toml's ranges (newest versions that satisfy them), then
# run `make test`: the lock is what CI and every developer install.
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra dev $(LOCK_FLAGS) -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra dev --extra litellm $(LOCK_FLAGS) \
		-o requirements/litellm.lock

# The headline scenario against the demo gateway: live view, verdict, run directory in runs/.
demo: $(STAMP)
	@echo "chaos is $(BIN)/chaos: run 'source $(BIN)/activate' to type plain chaos"
	$(BIN)/chaos validate scenarios/*.yaml
	$(BIN)/chaos run scenarios/provider-outage.yaml

# LiteLLM's proxy beside chaos, in a venv of its own (examples/litellm/README.md), from its lock.
LITELLM_VENV := .venv-litellm
LITELLM_STAMP := $(LITELLM_VENV)/.installed
litellm: $(LITELLM_STAMP)

$(LITELLM_STAMP): pyproject.toml requirements/litellm.lock
	test -x $(LITELLM_VENV)/bin/python || $(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements/litellm.lock
	$(LITELLM_VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(LITELLM_STAMP)

# The walkthrough as its README has it.
litellm-demo: $(LITELLM_STAMP)
	$(LITELLM_VENV)/bin/chaos run examples/litellm/provider-outage.yaml

test: test-fast test-e2e

test-fast: $(STAMP)
	$(BIN)/pytest -m "not e2e"

# Exit code 5 means "no test collected", which is not a failure here.
test-e2e: $(STAMP)
	$(BIN)/pytest -m e2e --durations=30 || [ $$? -eq 5 ]

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict chaos

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

bench-smoke: $(STAMP)
	$(BIN)/python benchmarks/run_all.py --smoke

clean:
	rm -rf $(VENV) $(LITELLM_VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
