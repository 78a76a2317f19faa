# Two commands do all set-up: `make test` and `make demo`. Both create/reuse .venv, install the
# project (CPU torch where there is no GPU) and then run. Re-running skips the install unless
# pyproject.toml or requirements/ changed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.argen-installed
TORCH_VERSION ?= 2.13.0
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: install test test-fast demo bench clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml requirements/nodeps.txt requirements/nodeps-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	@if $(BIN)/python -c "import torch" 2>/dev/null; then echo "torch present: $$($(BIN)/python -c 'import torch; print(torch.__version__)')"; \
	elif command -v nvidia-smi >/dev/null 2>&1; then $(BIN)/python -m pip install -q torch; \
	else $(BIN)/python -m pip install -q "torch==$(TORCH_VERSION)" || \
	     $(BIN)/python -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu; fi
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps -r requirements/nodeps.txt -r requirements/nodeps-dev.txt
	$(BIN)/python -c "import torch, cv2, mediapipe, ray, diffusers; print('argen-rl environment ready: torch', torch.__version__, '| opencv', cv2.__version__, '| ray', ray.__version__)"
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

demo: $(STAMP)
	$(BIN)/argen demo

bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

clean-venv:
	rm -rf $(VENV)
