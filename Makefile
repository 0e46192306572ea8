# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
KG     := $(VENV)/bin/kg
STAMP  := $(VENV)/.installed

.PHONY: install run build test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: install
	$(KG) build

# The main job: build the graph, check it, and show what it holds.
run: build
	$(KG) stats
	-$(KG) reason
	$(KG) query private-data-access

test: install
	$(PY) -m pytest -q

clean:
	rm -rf build .pytest_cache
