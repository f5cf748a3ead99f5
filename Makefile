# Two commands that work on a fresh machine (Python 3.11, PyPI reachable, nothing else):
#   make demo   crawl the bundled offline mirror into data/ and exports/
#   make test   run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-slow bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,scale]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,scale,bench]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/xzcrawler demo --network

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check xzcrawler tests benchmarks
	$(VENV)/bin/ruff format --check xzcrawler tests benchmarks
	$(PY) -m pytest -q

test-slow: $(VENV)/.installed-test
	$(PY) -m pytest -q -m slow

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/parse.py
	$(PY) benchmarks/crawl.py
	$(PY) benchmarks/refresh.py
	$(PY) benchmarks/memory.py
	$(PY) benchmarks/search.py
	$(PY) benchmarks/scale.py
	$(PY) benchmarks/size.py

clean:
	rm -rf $(VENV) data/*.db* exports/*.jsonl*
