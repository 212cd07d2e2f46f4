# Every target a person or CI needs; `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup spacy train run nginx test lint typecheck validate unit stories evaluate evaluate-intent evaluate-emotion evaluate-risk evaluate-bitext \
        integration fuzz benchmark benchmark-emotion benchmark-cost benchmark-handoff benchmark-big-message benchmark-stats simulate-warnings agent report clean \
        retrain models rollback calibration crossval lexicon-audit

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## install Debian packages and the Python 3.10 venv (idempotent)
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt scripts/setup.sh
	bash scripts/setup.sh

spacy: setup ## build the rule-based spaCy entity pipeline from nlu_data/entities/
	$(PY) -m tools.spacy_build

train: setup ## train the model unless one from the same data and config exists
	$(PY) -m tools.train

run: setup train ## start the whole assistant (Redis, action server, Rasa, handoff service) and print its URLs; DEMO_SUPERVISOR=1: with a demo supervisor
	$(PY) -m tools.launcher

nginx: setup ## nginx in front of `make run`: customers on :8080 (public doors only), agents on 127.0.0.1:8081
	$(PY) -m tools.nginx --port 8080 --agents-port 8081

lint: setup ## ruff, then the import layers of pyproject.toml [tool.importlinter]
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo

typecheck: setup ## mypy
	$(VENV)/bin/mypy

validate: spacy ## rasa data validate
	$(RASA) data validate --fail-on-warnings -d domain.yml --data nlu_data

unit: spacy ## unit tests (no trained model needed)
	$(PY) -m pytest -q tests/unit

stories: train ## story tests with --fail-on-prediction-errors
	$(RASA) test core --model models/shop.tar.gz --stories tests/stories --fail-on-prediction-errors \
		--out results/stories --no-plot

evaluate: evaluate-intent evaluate-emotion evaluate-risk ## score the held-out files; per-language gates (intent; emotion F1, severity, severe recall, handoff; out of scope; paraphrased risks)

# The three parts load the model each and score files of their own, so `make -j2` runs them side by side.
evaluate-intent: train ## held-out intent files and the out-of-scope file, gated
	$(PY) -m tools.evaluate tests/data/heldout_en.jsonl tests/data/heldout_zh_*.jsonl --gate intent=0.93
	$(PY) -m tools.evaluate tests/data/heldout_out_of_scope.jsonl --gate scope=0.85 --gate handoff:specificity=0.95

evaluate-emotion: train ## held-out emotion files: emotion F1, severity, severe recall and handoff, gated
	$(PY) -m tools.evaluate tests/data/heldout_emotion_*.jsonl --gate emotion:macro_f1=0.85 \
		--gate severity=0.9 --gate severity:severe_recall=0.97 --gate handoff=0.94

evaluate-risk: train ## the three risk paraphrase files and the counted contacts (tests/data/HELDOUT_PARAPHRASE.md), gated
	$(PY) -m tools.evaluate tests/data/heldout_risk_paraphrase.jsonl --gate severity:severe_recall=0.9 \
		--gate handoff:specificity=0.9
	@echo "second paraphrase file (tests/data/HELDOUT_PARAPHRASE.md, section 4): gated, figures only (--blind)"
	$(PY) -m tools.evaluate tests/data/heldout_risk_paraphrase_b.jsonl --blind --gate severity:severe_recall=0.8 \
		--gate handoff:specificity=0.9
	@echo "third paraphrase file (section 5, written blind at stop 25) and the counted contacts (section 7, stop 44): gated, figures only (--blind)"
	$(PY) -m tools.evaluate tests/data/heldout_risk_paraphrase_c.jsonl tests/data/heldout_repeat_contact_counts.jsonl \
		--blind --gate severity:severe_recall=0.75 --gate handoff:specificity=0.9 \
		--gate repeat_contact=0.8 --gate repeat_contact:specificity=0.8

calibration: train ## the complaint, negative-feeling and risk thresholds chosen on held-out folds; draws docs/calibration.png
	$(PY) -m tools.calibration

lexicon-audit: setup ## training examples that teach a risk through the lexicon alone, non-complaints first (a word in another sense?)
	$(PY) -m tools.lexicon_audit

crossval: train ## k-fold cross-validation of the emotion and complaint heads' settings on the training data only
	$(PY) -m tools.crossval

evaluate-bitext: train ## score ../shared/data/en_intent_bitext_dev.jsonl (measurement only)
	$(PY) -m tools.evaluate ../shared/data/en_intent_bitext_dev.jsonl

integration: train ## end-to-end tests against the real running processes (the fuzz runs in `make fuzz`)
	$(PY) -m pytest -q --durations=20 tests/integration --ignore=tests/integration/test_fuzz_agent_api.py

fuzz: train ## property-based fuzz of the agent API from its /openapi.json on the real processes: no 5xx
	$(PY) -m pytest -q tests/integration/test_fuzz_agent_api.py

# The checks that need no model run beside the training, one at a time: a training keeps only one
# of the two cores busy for most of its time (tokenising, featurising, DIET, single-threaded fits),
# and lint, types, data validation and the unit tests (about 11 minutes in all) take the other.
# Each target prints its output when it ends. The spaCy pipeline is built first, once: the
# training and the unit tests both read it.
test: spacy ## everything CI runs
	$(MAKE) --no-print-directory -j2 --output-sync=target train unit lint typecheck validate
	$(MAKE) --no-print-directory -j2 --output-sync=target stories evaluate
	$(MAKE) --no-print-directory integration fuzz

benchmark: train ## load benchmark vs a plain `rasa init` bot; writes docs/benchmarks.md
	$(PY) -m benchmarks.run

benchmark-emotion: train ## complaint and emotion vs SnowNLP on ../shared/data, added cost per message
	$(PY) -m benchmarks.emotion

benchmark-cost: train ## cost per message of each new NLU component, on our own held-out files (reads no dev set)
	$(PY) -m benchmarks.emotion --cost-only

benchmark-handoff: train ## handoff latencies and 50-agent claims/s, SQLite and PostgreSQL side by side
	$(PY) -m benchmarks.handoff

benchmark-big-message: train ## a 200 KB message's reply time, and other customers' p50/p99 with and without it
	$(PY) -m benchmarks.big_message

simulate-warnings: setup ## replay a synthetic year through the spike warnings; prints the tables of docs/warnings.md
	$(PY) -m shop.warnings.simulate

benchmark-stats: setup ## statistics page data, drill-down and export over 1M synthetic cases, SQLite and PostgreSQL
	$(PY) -m benchmarks.stats

agent: setup ## create an agent and print its token: make agent NAME=alice ROLE=agent|supervisor
	$(PY) -m handoff.agents create $(NAME) --role $(or $(ROLE),agent)

report: setup ## write the due daily and weekly reports (HTML and PDF) to var/reports now; DAILY=2026-12-02 or WEEKLY=DATE: that one
	$(PY) -m handoff.reports $(if $(DAILY),--daily $(DAILY),$(if $(WEEKLY),--weekly $(WEEKLY),--due))

retrain: setup ## train a candidate from nlu_data/, gate it against the current model on the held-out files, promote if it passes
	$(PY) -m tools.retrain

models: setup ## list the model versions (created, data hash, scores; * = current)
	$(PY) -m tools.models list

rollback: setup ## make the version the current one replaced current again (Rasa loads it within ~5 s); TO=v2: that one
	$(PY) -m tools.models rollback $(if $(TO),--to $(TO))

clean: ## remove trained models, built pipelines and runtime data (keeps the venv)
	rm -rf models build var results
