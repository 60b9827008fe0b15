# danang.mail — the two commands a new operator needs:
#   make lab    the main job on the local labs: bring the labs up (lab/, installing their Debian
#               packages), validate the desired state, allocate addresses, reconcile the accounts into
#               OBM and into Exchange and AD, then Exchange's organisation settings, print the summaries
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

.PHONY: help lab plan validate request plan-report daily lab-up lab-down test checks no-shared-lab lint yamllint ansible-lint ruff sanity unit collection ee-context integration molecule bench bench-exchange schema clean

help:
	@echo "make lab      the main job on the local labs: validate, allocate, reconcile OBM and Exchange/AD"
	@echo "make plan     the same in check mode with diff: what would change (PLAN_REPORT=plan.md: as Markdown too)"
	@echo "make validate the desired state checked, provisional addresses, no mail system read"
	@echo "make request REQUEST=<file> [PUSH=1]   a request -> a branch request/<id> (docs/requests.md)"
	@echo "make plan-report PLAN_OUT=plan.md      the plan as Markdown (what a pull request shows)"
	@echo "make daily    main's daily job: allocate, apply, commit and push (docs/gitops.md)"
	@echo "make lab-up / lab-down   start or stop the local labs (OBM, Exchange, the password page: lab/README.md)"
	@echo "make test     all linters and tests (what CI runs)"

$(BIN)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# gssapi and krb5 (Kerberos, the default exchange_auth) have no Linux wheels: pip compiles them
	@# with gcc against MIT Kerberos' headers (krb5-config) and Python's (python3-dev for Debian's).
	command -v krb5-config >/dev/null && command -v gcc >/dev/null \
		&& $(PYTHON) -c 'import os, sysconfig; os.stat(sysconfig.get_path("include") + "/Python.h")' 2>/dev/null \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
			--no-install-recommends libkrb5-dev gcc python3-dev; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(BIN)/.installed

# The lab's credentials files are encrypted with a lab-only vault password, made once.
LAB_VAULT_PASSWORD := .lab/vault-password
$(LAB_VAULT_PASSWORD):
	@mkdir -p $(@D) && umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))' > $@

ifeq ($(ENV),lab)
SITE_DEPS := lab-up $(LAB_VAULT_PASSWORD)
VAULT_ARGS := --vault-password-file $(LAB_VAULT_PASSWORD)
endif

lab: venv $(SITE_DEPS)
	$(BIN)/ansible-playbook -i inventories/$(ENV)/hosts.yml playbooks/site.yml $(VAULT_ARGS)

# PLAN_REPORT=<path>: also write the plan as Markdown there (a pull request's description, docs/gitops.md).
plan: venv $(SITE_DEPS)
	$(BIN)/ansible-playbook -i inventories/$(ENV)/hosts.yml playbooks/site.yml --check --diff $(VAULT_ARGS) \
		$(if $(PLAN_REPORT),-e danang_mail_plan_report=$(abspath $(PLAN_REPORT)))

# GitOps (docs/gitops.md): the commands the pipelines run, kept here so they are the same by hand.
validate: venv
	$(BIN)/ansible-playbook -i inventories/$(ENV)/hosts.yml playbooks/allocate.yml --check --diff \
		-e '{"danang_mail_in_use_systems": []}'

request: venv
	$(BIN)/python -m tools.gitops request --env $(ENV) $(if $(PUSH),--push) $(REQUEST)

PLAN_OUT ?= plan.md
plan-report: venv $(SITE_DEPS)
	$(BIN)/python -m tools.gitops plan --env $(ENV) --out $(PLAN_OUT) -- $(VAULT_ARGS)

daily: venv $(SITE_DEPS)
	$(BIN)/python -m tools.gitops daily --env $(ENV) -- $(VAULT_ARGS)

# The lab's vault password: the password page decrypts the lab's personal_data.vault.yml, if any.
lab-up: venv $(LAB_VAULT_PASSWORD)
	$(BIN)/ansible-playbook -i inventories/lab/hosts.yml lab/lab_up.yml --vault-password-file $(LAB_VAULT_PASSWORD)

lab-down: venv
	$(BIN)/ansible-playbook -i inventories/lab/hosts.yml lab/lab_down.yml

# The integration tests are one pytest process that mostly waits for playbooks and servers (make test
# used 0.8 of its 2 cores), so the other steps run beside them, one after another: their labs have their
# own directories and ports (molecule: .lab/molecule-obm). Each step's output is printed whole when the
# step ends. `integration` comes first so that it takes the first of the two job slots.
# The integration tests that use no shared lab run as the last of the other steps rather than inside
# the integration run, the longer of the two: test_lab_location.py brings up both labs from a copy of
# the clone, on ports of their own, and test_lab_lifecycle.py starts, stops and crashes the OBM lab
# there (first: test_lab_location.py ends by purging the copy); the allocate, daily allocate and
# request playbooks' tests read no mail system (danang_mail_in_use_systems: []) and write only their
# own copies of the inventory.
LAB_COPY := $(addprefix tests/integration/,test_lab_lifecycle.py test_lab_location.py)
NO_SHARED_LAB := $(LAB_COPY) $(addprefix tests/integration/,test_allocate_playbook.py \
	test_daily_allocate_playbook.py test_request_playbook.py)
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target integration checks \
		INTEGRATION_ARGS='$(addprefix --ignore=,$(NO_SHARED_LAB))'

checks: lint unit collection sanity molecule no-shared-lab

no-shared-lab: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider $(NO_SHARED_LAB)

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

# No test may depend on the machine's clock or time zone: the suite runs under two clocks where the
# machine's date and the city's (UTC+7) differ — TZ=UTC at 23:30 UTC, and the city's own zone at
# 17:30 UTC (00:30 the next day there). conftest.py pins the clock from DANANG_TEST_NOW.
# tests/gitops runs once: each of its tests pins the city's moment itself (tests/clock) and spends
# its time in git and ansible-playbook, which a second clock would only repeat (--deselect, because
# --ignore does not apply to a testpaths entry).
UNIT_DAY := $(shell date -u +%F)
unit: venv
	TZ=UTC DANANG_TEST_NOW=$(UNIT_DAY)T23:30:00+00:00 $(BIN)/python -m pytest -q
	TZ=Asia/Ho_Chi_Minh DANANG_TEST_NOW=$(UNIT_DAY)T17:30:00+00:00 $(BIN)/python -m pytest -q -p no:cacheprovider \
		--deselect tests/gitops

# The collection as users get it: the tarball built and installed into a clean path, ansible-doc
# of every module from there, and the execution environment's build context (tests/collection).
collection: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/collection

# The build context of the execution environment for AWX (docs/awx.md): no container engine needed.
ee-context: venv
	rm -rf build && $(BIN)/ansible-galaxy collection build $(COLLECTION) --output-path build
	$(BIN)/ansible-builder create -f execution-environment.yml -c build/ee-context --output-filename Containerfile

integration: venv
	@# The slowest tests are listed at the end: the whole of make test must stay under 20 minutes.
	$(BIN)/python -m pytest -q --durations=15 tests/integration $(INTEGRATION_ARGS)

# The JSON Schemas for editors are exports of desired_state_schema.py: fail when they drift.
schema: venv
	PYTHONPATH=collections $(BIN)/python -m ansible_collections.danang.mail.plugins.module_utils.desired_state_schema --check

# molecule/obm: the OBM role and a reconcile of the example city on this machine, in its own lab
# (.lab/molecule-obm, ports 23389/21143/22424/22525), with idempotence and verify. Root, Debian 12.
molecule: venv
	$(BIN)/molecule test -s obm

# Speed and memory of the OBM reconcile against its baselines (not part of make test; hours at the
# default 20,000 people: see tests/benchmarks/README.md). Extra options: make bench BENCH_ARGS='--people 2000'
bench: venv
	$(BIN)/python tests/benchmarks/bench_obm.py $(BENCH_ARGS)

# The Exchange reconcile against the Exchange lab: batched pipelines against one pipeline per cmdlet.
bench-exchange: venv
	$(BIN)/python tests/benchmarks/bench_exchange.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build $(COLLECTION)/tests/output .pytest_cache .ruff_cache .hypothesis
