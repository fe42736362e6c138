# The two commands of the README's quick start: `make run` and `make test`.
# Each creates .venv if needed and installs the pinned dependencies first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench translations messages clean prism
PRISM_STAMP := tools/prism/node_modules/.installed-stamp

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

# Prism (a mock Twilio generated from its OpenAPI description) for tests/contract and the SMS
# latency benchmark. Without npm the contract tier is skipped locally (and fails in CI).
prism: $(PRISM_STAMP)
$(PRISM_STAMP): tools/prism/package.json tools/prism/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tools/prism --ignore-scripts --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: tests/contract will be skipped (and fail in CI)"; fi

test: translations prism
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: translations prism
	$(BIN)/python bench/triage_classify.py
	$(BIN)/python bench/intake_to_sms.py

clean:
	rm -rf $(VENV) instance .pytest_cache tools/prism/node_modules

# Re-extract the Chinese source strings and merge them into the English catalogue.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o hotline/translations/messages.pot .
	$(BIN)/pybabel update -i hotline/translations/messages.pot -d hotline/translations --no-fuzzy-matching
