# Two commands matter: `make demo` and `make test`. Each builds .venv from nothing the first time.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench dot clean

demo: $(STAMP) dot
	$(PY) -m nn.demo

test: $(STAMP) dot
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 -q

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The virtual environment, rebuilt whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@bash scripts/ensure-venv.sh $(PYTHON) $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,notebooks]"
	touch $(STAMP)

# Graphviz's `dot` renders the computation graphs; it is a system program, not a Python package.
dot:
	@bash scripts/ensure-dot.sh

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .benchmarks
