# The front door. Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make run    create .venv, install, run the main job on the bundled demo data
#   make test   create .venv if missing, install with dev extras, run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
DATASET ?= demo

.PHONY: run test install install-dev kernel lab lint lock clean help

help:
	@echo "make run   - install and run the pipeline on data/raw/$(DATASET) (reports in reports/$(DATASET)/)"
	@echo "make test  - install with dev extras and run the whole test suite"
	@echo "make lab   - start JupyterLab on the project's kernel"
	@echo "make lock  - re-resolve requirements.lock from pyproject.toml (needs the network)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name p3k-study --display-name "Python (p3k-study)" >/dev/null
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,dask]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
kernel: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/p3k-study run --dataset $(DATASET)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2  # two workers: CI has 2 cores; the suite then stays under 10 minutes

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks

lab: $(VENV)/.installed
	$(BIN)/jupyter lab notebooks/

lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra dask --universal \
	    --python-version 3.11 --no-header --no-annotate -o $(LOCK)

clean:
	rm -rf data/processed reports/demo .pytest_cache .ruff_cache
