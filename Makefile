# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
KG     := $(VENV)/bin/kg
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Front-end assets of `kg serve` (the YASGUI editor): npm ci from kg/server/package-lock.json, copied
# into a gitignored static folder so the editor works with no internet at run time.
SERVER := kg/server
VENDOR := $(SERVER)/static/vendor/yasgui
YASGUI := $(SERVER)/node_modules/@zazuko/yasgui/build

.PHONY: install run build test clean assets serve bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(VENDOR)/yasgui.min.js: $(SERVER)/package.json $(SERVER)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -d $(SERVER)/node_modules ]; then cd $(SERVER) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; cd - >/dev/null; fi; \
	  mkdir -p $(VENDOR) && cp $(YASGUI)/yasgui.min.js $(YASGUI)/yasgui.min.css $(VENDOR)/ && touch $@; \
	else echo "npm not found: the SPARQL editor falls back to a plain text area (apt-get install npm)"; fi

assets: $(VENDOR)/yasgui.min.js

build: install
	$(KG) build

# The main job: build the graph, check it, show what it holds, then serve it (Ctrl-C stops).
run: build assets
	$(KG) stats
	-$(KG) reason
	$(KG) query private-data-access
	$(KG) serve --host $(HOST) --port $(PORT)

serve: install assets
	$(KG) serve --host $(HOST) --port $(PORT)

test: install assets
	$(PY) -m pytest -q

# Benchmarks (bench/): synthetic data at 10k, 100k and 1M triples, each figure beside its plain
# baseline; writes docs/benchmarks.md (about 25 minutes on 2 cores). SCALES=10k,100k,1m,5m adds 5M.
SCALES ?= 10k,100k,1m
bench: install
	$(PY) -m bench.run --scales $(SCALES)

clean:
	rm -rf build .pytest_cache
