# Two commands matter: `make demo` and `make test`. Each builds .venv from nothing the first time.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench docs dist typecheck dot chromium clean

demo: $(STAMP) dot
	$(PY) -m nn.demo

# ruff, the documentation site (strict: a broken link or reference fails), then every test. The browser test
# reads the site just built (CHAINGRAD_SITE); the packaging and browser tests each keep to one worker.
test: $(STAMP) dot chromium
	$(PY) -m ruff check .
	$(PY) -m mypy autograd nn
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site
	CHAINGRAD_SITE=site $(PY) -m pytest -n 2 --dist loadgroup -q

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The documentation site in site/: API reference from the docstrings, the notebooks (never executed) as pages.
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

# The sdist and the wheel in dist/, checked by twine as PyPI would.
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

# mypy alone, on the files pyproject.toml names (autograd/ and nn/, as `make test` checks them).
typecheck: $(STAMP)
	$(PY) -m mypy

# The virtual environment, rebuilt whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@bash scripts/ensure-venv.sh $(PYTHON) $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,notebooks,docs]"
	touch $(STAMP)

# Graphviz's `dot` renders the computation graphs; it is a system program, not a Python package.
dot:
	@bash scripts/ensure-program.sh dot graphviz "it renders the computation graphs" \
		"macOS:          brew install graphviz" "conda:          conda install -c conda-forge graphviz"

# Chromium, headless, is the browser of tests/test_docs_site.py: a system program, installed like `dot`.
chromium:
	@bash scripts/ensure-program.sh chromium chromium "the browser test of the documentation site runs it headless"

clean:
	rm -rf $(VENV) out site dist build .pytest_cache .hypothesis .benchmarks .mypy_cache
