PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run serve test lint format sample bench clean

$(BIN)/python:
	$(shell command -v $(PY) >/dev/null 2>&1 && echo $(PY) || echo python3) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

## Run the app on the shipped sample data (publishes it first if nothing is published yet).
run: $(VENV)/.installed
	$(BIN)/python -m kamdash ensure-sample
	$(BIN)/streamlit run app.py --server.port $(PORT)

## Serve on the network (every interface) for a team: needs sign-in (README, Sign-in).
serve: $(VENV)/.installed
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0

## Lint, format check and the whole test suite (browser tests included).
test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Regenerate the shipped sample extract (deterministic).
sample: $(VENV)/.installed
	$(BIN)/python -m kamdash sample --out data/sample

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
