# The two commands: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: demo test lint bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-install when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev,dask,parquet,postgis]'
	touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/gridplan demo --out $(OUT)

test: $(VENV)/.installed-test
	bash scripts/install_browser.sh
	bash scripts/install_postgis.sh
	bash scripts/install_fonts.sh
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks sample_data notebooks
	$(BIN)/ruff format --check src tests benchmarks sample_data

# Message catalogues (src/gridplan/locale): extract the marked texts, merge them into
# each language's .po (translate the new entries there), compile the .mo files.
LOCALE := src/gridplan/locale
messages: $(VENV)/.installed-test
	mkdir -p build
	$(BIN)/pybabel extract --no-location --sort-output -k translate:2 --project gridplan \
		--copyright-holder "gridplan developers" -o build/gridplan.pot src/gridplan
	$(BIN)/pybabel update -i build/gridplan.pot -d $(LOCALE) -D gridplan --no-fuzzy-matching \
		--ignore-obsolete --width 100
	$(BIN)/pybabel compile -d $(LOCALE) -D gridplan --statistics

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/divide_bench.py
	$(BIN)/python benchmarks/allocate_bench.py
	$(BIN)/python benchmarks/network_bench.py

clean:
	rm -rf $(VENV) $(OUT) build src/*.egg-info
