# Two commands: `make run` and `make test`. Everything else is a step they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
LOCALE_DIR := marketplace/locale
PORT ?= 8000

.PHONY: run test install install-test catalogs translations migrate demo-data browser fonts lint bench clean

run: install migrate demo-data ## install, migrate, load demo data, serve on http://127.0.0.1:$(PORT) with the worker
	MALLOC_ARENA_MAX=2 $(BIN)/marketplace serve --host 127.0.0.1 --port $(PORT) --worker

test: install-test browser fonts ## install test needs and run the whole suite
	$(BIN)/pytest -q

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(TEST_STAMP)

install: $(STAMP) catalogs

install-test: $(TEST_STAMP) catalogs

catalogs: $(STAMP) ## compile the English and Khmer message catalogs
	$(BIN)/pybabel compile -d $(LOCALE_DIR) -D messages

translations: $(STAMP) ## extract strings and update the .po files (then translate km)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o $(LOCALE_DIR)/messages.pot --no-location --omit-header --sort-output --no-wrap .
	$(BIN)/pybabel update -i $(LOCALE_DIR)/messages.pot -d $(LOCALE_DIR) -D messages --no-fuzzy-matching --no-wrap

migrate: install
	mkdir -p var
	$(BIN)/marketplace migrate

demo-data: migrate
	$(BIN)/marketplace demo-data

browser: ## Debian chromium + chromedriver for the browser tests (root installs them)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "Installing chromium and chromium-driver with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

fonts: ## Noto Sans Khmer + DejaVu Sans for invoice PDFs, poppler-utils for their tests (root installs them)
	@if [ ! -f /usr/share/fonts/truetype/noto/NotoSansKhmer-Regular.ttf ] \
		|| [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || [ ! -x /usr/bin/pdftoppm ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "As root: apt-get install fonts-noto-core fonts-dejavu-core poppler-utils"; exit 1; \
		fi; \
		echo "Installing fonts-noto-core, fonts-dejavu-core and poppler-utils with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			fonts-noto-core fonts-dejavu-core poppler-utils; \
	fi

lint: install-test
	$(BIN)/ruff check .

bench: install-test ## catalog and checkout benchmarks on SQLite (see README for PostgreSQL)
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/checkout.py

clean:
	rm -rf $(VENV) var .pytest_cache
