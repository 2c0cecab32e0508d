# MediaWatch developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
NODE := $(PY) -m mediawatch.dev.devnode
CAMEL_TOOLS := camel-tools==1.6.0
NATASHA := natasha==1.6.0
AIRFLOW_HOME ?= $(CURDIR)/.airflow

.PHONY: help install browser lint test es-up es-down run stop demo bench models train corpus

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[airflow,test,train]"
	# camel-tools without its torch/transformers stack: its text utilities need only emoji, regex, six
	$(PY) -m pip install --quiet --no-deps $(CAMEL_TOOLS)
	# natasha only as the carrier of slovnet's Russian NER model and navec's embeddings (its own
	# import needs pymorphy2, which fails on Python 3.11)
	$(PY) -m pip install --quiet --no-deps $(NATASHA)
	touch $@

install: $(VENV)/.installed  ## create/update .venv with the project (editable) and test tools

browser:  ## Debian's chromium + chromedriver for the UI test (no browser download; needs root)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; fi

lint: install  ## ruff over the whole tree, mypy over plugins/ (settings in pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

es-up: install  ## start the local Elasticsearch node; prints its URL
	@$(NODE) up

es-down:  ## stop the local node and delete its data
	@$(NODE) down

test: install browser lint  ## the whole suite against a real node (started and stopped here if needed)
	@started=0; \
	if [ -z "$$MEDIAWATCH_ES_URL" ] && ! $(NODE) status >/dev/null 2>&1; then $(NODE) up >/dev/null || exit 1; started=1; fi; \
	url=$${MEDIAWATCH_ES_URL:-$$($(NODE) url)}; \
	MEDIAWATCH_ES_URL=$$url $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$started = 1 ]; then $(NODE) down; fi; \
	exit $$rc

models:  ## opt-in: camel-tools with torch/transformers, then its NER and sentiment models (needs network)
	$(PY) -m pip install -e ".[models]"
	$(VENV)/bin/camel_data -i ner-arabert || echo "camel_data could not download the NER model (offline?)"
	$(VENV)/bin/camel_data -i sentiment-analysis-arabert || echo "camel_data could not download the sentiment model"

corpus: install  ## rebuild the annotated corpus texts from git snapshots of its sources (SNAPSHOTS=dir)
	@test -n "$(SNAPSHOTS)" || { echo "usage: make corpus SNAPSHOTS=<folder of owner+name/repo git snapshots>"; exit 2; }
	$(PY) -m mediawatch.learn.corpus materialise --snapshots $(SNAPSHOTS)

train: install  ## retrain the shipped tone/sentiment/topic/name models from data/corpus (needs its texts)
	$(PY) -m mediawatch.learn.train

run: install  ## local stack: Elasticsearch node + airflow standalone with the project's DAGs
	@$(PY) -m mediawatch.dev.devstack up --home $(AIRFLOW_HOME)

stop:  ## stop what `make run` started
	@$(PY) -m mediawatch.dev.devstack down --home $(AIRFLOW_HOME)

demo: install  ## offline demo: index seeds/demo/ into the local node and search it
	@url=$${MEDIAWATCH_ES_URL:-$$($(NODE) up)} || exit 1; \
	MEDIAWATCH_ES_URL=$$url $(PY) -m mediawatch ingest --feeds seeds/demo/feeds.yaml --force && \
	MEDIAWATCH_ES_URL=$$url $(PY) -m mediawatch search بوتين && \
	MEDIAWATCH_ES_URL=$$url $(PY) -m mediawatch search Путин --entity "Vladimir Putin"

bench: install  ## benchmarks (ratios against in-run references); results in bench/RESULTS.md
	@url=$${MEDIAWATCH_ES_URL:-$$($(NODE) up)}; MEDIAWATCH_ES_URL=$$url $(PY) -m bench.run
