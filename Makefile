# Two entry points: `make demo` (train, label, share table, report on the sample export) and
# `make test` (lint, types, the whole test suite).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# Pinned first: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[serve,dev,ray]"
	touch $@

.PHONY: setup demo test lint
setup: $(BIN)/.installed

demo: setup
	$(BIN)/ticketlens train data/sample_tickets.csv --taxonomy data/taxonomy.yaml --models-dir models
	$(BIN)/ticketlens label data/sample_tickets.csv --model models/current -o out/sample_labeled.csv
	$(BIN)/ticketlens report out/sample_labeled.csv --usage data/sample_usage.csv \
		--accounts data/sample_accounts.csv --by region --html out/report.html
	@echo "report page: out/report.html"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q
