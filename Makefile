# The two commands of the README. Both set themselves up on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEB_PACKAGES := pacemaker-cli-utils pacemaker-common pcs resource-agents libxml2-utils corosync iproute2 nftables iptables iputils-ping haproxy mariadb-server galera-4 rabbitmq-server crmsh
# mypy --strict covers the leaf layer and the pure cores as they arrive.
MYPY_STRICT := src/hacluster/common src/hacluster/demo src/hacluster/config src/hacluster/events.py src/hacluster/replies.py src/hacluster/totem src/hacluster/cpg src/hacluster/cpg.py src/hacluster/quorum.py src/hacluster/cib src/hacluster/node.py src/hacluster/node_cib.py src/hacluster/node_setup.py src/hacluster/node_requests.py src/hacluster/node_crm.py src/hacluster/controller src/hacluster/drivers/udp.py src/hacluster/drivers/stats.py src/hacluster/drivers/agents.py src/hacluster/drivers/ipc.py src/hacluster/drivers/loop.py src/hacluster/drivers/daemon.py src/hacluster/drivers/settings.py src/hacluster/drivers/nodecore.py src/hacluster/drivers/cibfile.py src/hacluster/drivers/cibapply.py src/hacluster/api/env.py src/hacluster/api/cpg.py src/hacluster/api/cluster.py src/hacluster/cli/corosync.py src/hacluster/scheduler src/hacluster/api/status.py src/hacluster/api/revised.py src/hacluster/api/ophistory.py src/hacluster/cli/render.py src/hacluster/cli/render_xml.py src/hacluster/cli/crm_mon.py src/hacluster/cli/render_bynode.py src/hacluster/api/explain.py src/hacluster/cli/crm_simulate.py src/hacluster/api/simulate.py src/hacluster/api/local_nodes.py
# the executor/attrd/fencing cores (helper exec)
MYPY_STRICT += src/hacluster/executor src/hacluster/attrd.py src/hacluster/fencing.py src/hacluster/sim src/hacluster/api/attrd.py src/hacluster/api/fencing.py src/hacluster/cli/attrd_updater.py src/hacluster/cli/stonith_admin.py src/hacluster/node_services.py src/hacluster/api/attributes.py src/hacluster/cli/crm_attribute.py
# the OCF agents shipped in the package (helper agents)
MYPY_STRICT += src/hacluster/agents
# the operator tools' api and cli modules (helper tools)
MYPY_STRICT += src/hacluster/api/cluster_setup.py src/hacluster/cli/crm.py src/hacluster/cli/crm_standby.py src/hacluster/cli/crm_verify.py src/hacluster/cli/crm_node.py src/hacluster/api/property.py src/hacluster/api/stonith.py src/hacluster/api/resource_view.py src/hacluster/api/verify.py src/hacluster/cli/pcs src/hacluster/api/cibedit.py src/hacluster/api/move.py src/hacluster/api/parameter.py src/hacluster/api/wait.py src/hacluster/api/agents.py src/hacluster/api/resource.py src/hacluster/api/resource_layout.py src/hacluster/api/constraint.py src/hacluster/api/constraint_set.py src/hacluster/cli/crm_resource.py src/hacluster/cli/usage.py src/hacluster/cli/waiting.py src/hacluster/api/constraint_view.py src/hacluster/api/status_notes.py src/hacluster/api/rule_syntax.py src/hacluster/api/why.py

.PHONY: test demo setup debs lint typecheck pytest clean

setup: $(STAMP) debs

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

debs:
	@bash scripts/install-debs.sh $(DEB_PACKAGES)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy --strict $(wildcard $(MYPY_STRICT))

pytest: $(STAMP)
	$(PY) -m pytest tests -ra

test: setup lint typecheck pytest

demo: setup
	$(PY) -m hacluster.demo

clean:
	rm -rf $(VENV) build src/*.egg-info
