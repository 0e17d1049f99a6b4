# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test docs browser bench fuzz canary-exhaustive clean requirements

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python demo/run.py

# Headless Chromium renders `reconcile status --format html` in tests/ops/test_status.py.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: $(STAMP) browser
	$(BIN)/ruff check reconciler tests demo bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	$(BIN)/python -m pytest -q -n auto; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi; exit $$rc

# The documentation site (mkdocs.yml, docs/) into site/. --strict: a broken link, a page
# missing from the nav or a failing generator fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# The workflows' install (.github/requirements.txt): every runtime dependency at the
# version constraints.txt pins, with the hash of each file, for `pip install
# --require-hashes`. Run it after changing pyproject.toml or constraints.txt.
requirements: $(STAMP)
	cd .github && CUSTOM_COMPILE_COMMAND="make requirements" ../$(BIN)/pip-compile --quiet \
		--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.txt ../pyproject.toml requirements.in

# Seeded state-file fuzzer: FUZZ_CASES (default 1000) mutated copies of state/,
# each through validate and plan against the sandbox (tests/fuzzing.py).
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzzing

# The canary with 42 more SSM keys (every special character, several lengths): minutes.
canary-exhaustive: $(STAMP)
	CANARY_EXHAUSTIVE=1 $(BIN)/python -m pytest -q tests/test_canary_process.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache .mypy_cache .ruff_cache
