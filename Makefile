# Two entry points for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo run test test-fast lint typecheck bench clean

$(BIN)/reverb-tui: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/reverb-tui

demo: install
	$(BIN)/reverb-tui demo

run: install
	$(BIN)/reverb-tui

# Every test, on every core (pytest-xdist). CONTRIBUTING.md has the fast loop.
test: install
	$(BIN)/ruff check reverb_tui tests benchmarks scripts
	$(BIN)/python scripts/typecheck.py
	$(BIN)/python -m pytest -n auto

# The daily loop: everything but the tests marked slow (chaos run, benchmarks, e2e processes).
test-fast: install
	$(BIN)/ruff check reverb_tui tests benchmarks scripts
	$(BIN)/python -m pytest -n auto -m "not slow"

lint: install
	$(BIN)/ruff check reverb_tui tests benchmarks scripts
	$(BIN)/ruff format --check reverb_tui tests benchmarks scripts
	$(BIN)/python scripts/typecheck.py

# mypy over reverb_tui against mypy-baseline.txt, which may only shrink (see the script).
typecheck: install
	$(BIN)/python scripts/typecheck.py

bench: install
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache
