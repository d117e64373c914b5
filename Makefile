# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast test-e2e lint bench bench-smoke clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The headline scenario against the demo gateway: live view, verdict, run directory in runs/.
demo: $(STAMP)
	$(BIN)/chaos validate scenarios/*.yaml
	$(BIN)/chaos run scenarios/provider-outage.yaml

test: test-fast test-e2e

test-fast: $(STAMP)
	$(BIN)/pytest -m "not e2e"

# Exit code 5 means "no test collected", which is not a failure here.
test-e2e: $(STAMP)
	$(BIN)/pytest -m e2e || [ $$? -eq 5 ]

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict chaos

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

bench-smoke: $(STAMP)
	$(BIN)/python benchmarks/run_all.py --smoke

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
