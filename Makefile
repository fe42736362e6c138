# The two commands of the README's quick start: `make run` and `make test`.
# Each creates .venv if needed and installs the pinned dependencies first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench translations messages clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Compile the English catalogue (Chinese is the source language and needs none).
translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d hotline/translations 2>&1 | tail -n 1

run: translations
	$(BIN)/hotline serve

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: translations
	$(BIN)/python bench/triage_classify.py

clean:
	rm -rf $(VENV) instance .pytest_cache

# Re-extract the Chinese source strings and merge them into the English catalogue.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o hotline/translations/messages.pot .
	$(BIN)/pybabel update -i hotline/translations/messages.pot -d hotline/translations --no-fuzzy-matching
