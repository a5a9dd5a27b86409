PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8900

.PHONY: run test bench clean

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,interop]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/exsim serve --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest -n 3 --dist worksteal -q

bench: $(STAMP)
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/http.py
	$(PY) benchmarks/ws.py
	$(PY) benchmarks/startup.py

clean:
	rm -rf $(VENV) build *.egg-info
