# vnplan: set-up, tests and measurements. `make setup` is safe to re-run.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
VNPLAN := $(VENV)/bin/vnplan
# ghostscript: OCRmyPDF's PDF/A conversion when pikepdf's own cannot make the file PDF/A;
# chromium: the review report's browser tests (tests/test_report.py);
# tesseract-ocr-script-viet: the Vietnamese script model, which reads doubtful lines of small
# enlarged letters again beside vie (pipeline/ocr.py)
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-script-viet tesseract-ocr-eng \
	poppler-utils fonts-liberation2 ghostscript chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

MODEL := pipeline/data/syllable_lm.npz

.PHONY: setup system-packages venv model channel test test-all lint demo eval bench samples \
	wheel clean

setup: system-packages venv model

system-packages:
	@missing=""; for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	else echo "System packages already installed"; fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[dev]"
	touch $@

model: $(MODEL)

# The syllable language model: rebuilt when the dictionaries or the builder change.
$(MODEL): $(VENV)/.installed pipeline/restore/build.py pipeline/restore/names.py pipeline/restore/places.py \
		pipeline/restore/lm.py dictionaries/admin_lexicon.txt \
		dictionaries/abbreviations.tsv $(wildcard dictionaries/corpus/*.txt)
	$(VNPLAN) lm build -o $@

test: venv
	$(PYTHON) -m pytest -q

test-all: venv
	$(PYTHON) -m pytest -q -m "slow or not slow"

lint: venv
	$(VENV)/bin/ruff check .

# The wheel carries both models and py.typed: `pip install dist/vnplan-*.whl` works anywhere
# Tesseract is installed.
wheel: venv model
	$(PYTHON) -m pip wheel --quiet --no-deps . -w dist

demo: venv
	$(VNPLAN) run samples/scans -o out/demo

eval: venv model
	$(PYTHON) -m pipeline.evaluation.ocr_eval
	$(PYTHON) -m pipeline.evaluation.layout_eval
	$(PYTHON) -m pipeline.evaluation.cleanup_eval
	$(PYTHON) -m pipeline.evaluation.restore_eval
	$(PYTHON) -m pipeline.evaluation.genre_eval
	$(PYTHON) -m pipeline.evaluation.adapt_eval
	$(PYTHON) -m pipeline.evaluation.ocr_repair_eval
	$(PYTHON) -m pipeline.evaluation.realword_eval
	$(PYTHON) -m pipeline.evaluation.photo_eval --layout tesseract
	$(PYTHON) -m pipeline.evaluation.fields_eval
	$(PYTHON) -m pipeline.evaluation.fields_scan_eval

# The OCR channel model is committed (pipeline/data/ocr_channel.json.gz): rebuilding renders
# and OCRs a few hundred pages of our own text, about 20 minutes on 2 cores the first time.
channel: venv
	$(VNPLAN) channel build

bench: venv model
	$(PYTHON) -m pipeline.evaluation.restore_bench
	$(PYTHON) -m pipeline.evaluation.batch_bench
	$(PYTHON) -m pipeline.evaluation.scaling_bench
	$(PYTHON) -m pipeline.evaluation.report_bench

samples: venv
	$(VNPLAN) synth samples/*.txt -o samples/scans

clean:
	rm -rf out .pytest_cache .ruff_cache
