# danang.mail — the two commands a new operator needs:
#   make lab    validate the lab's desired state and allocate its addresses (the main job)
#   make test   every linter and test suite, as CI runs it (.ci/run)
# Both install what they need and are safe to run again.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTION := collections/ansible_collections/danang/mail
ENV ?= lab
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help lab plan test lint yamllint ansible-lint ruff sanity unit integration schema clean

help:
	@echo "make lab      validate and allocate the lab's desired state (ENV=lab)"
	@echo "make plan     the same in check mode with diff: what would change"
	@echo "make test     all linters and tests (what CI runs)"

$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(BIN)/.installed

lab: venv
	$(BIN)/ansible-playbook -i inventories/$(ENV)/hosts.yml playbooks/allocate.yml

plan: venv
	$(BIN)/ansible-playbook -i inventories/$(ENV)/hosts.yml playbooks/allocate.yml --check --diff

test: lint unit sanity integration

lint: yamllint ruff ansible-lint schema

yamllint: venv
	$(BIN)/yamllint --strict .

ruff: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ansible-lint: venv
	$(BIN)/ansible-lint --offline --profile production

# ansible-test runs from the collection's own path and builds a venv per test; its pip bootstrap
# script comes from a host CI cannot reach, so we seed its cache with tools/ansible_test_get_pip.py.
sanity: venv
	@mkdir -p ~/.ansible/test/cache && cp tools/ansible_test_get_pip.py ~/.ansible/test/cache/get_pip_24_2.py
	cd $(COLLECTION) && $(CURDIR)/$(BIN)/ansible-test sanity --python 3.11 --color no

unit: venv
	$(BIN)/python -m pytest -q $(COLLECTION)/tests/unit

integration: venv
	$(BIN)/python -m pytest -q tests/integration

# The JSON Schemas for editors are exports of desired_state_schema.py: fail when they drift.
schema: venv
	PYTHONPATH=collections $(BIN)/python -m ansible_collections.danang.mail.plugins.module_utils.desired_state_schema --check

clean:
	rm -rf $(VENV) $(COLLECTION)/tests/output .pytest_cache .ruff_cache .hypothesis
