# formgen: `make demo` runs the main job, `make test` runs the tests. Both set up what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
LOCALE := formgen/i18n/locale
PO     := $(wildcard $(LOCALE)/*/LC_MESSAGES/formgen.po)
MO     := $(PO:.po=.mo)

.PHONY: build demo test bench templates i18n-extract clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(LOCALE)/%/LC_MESSAGES/formgen.mo: $(LOCALE)/%/LC_MESSAGES/formgen.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -D formgen -d $(LOCALE) -l $* >/dev/null

build: $(VENV)/.installed $(MO)

demo: build
	bash scripts/bootstrap-system.sh fonts
	$(PY) scripts/demo.py

test: build
	bash scripts/bootstrap-system.sh test
	$(PY) -m pytest -q

# Times against floors measured in the same run (BENCHMARKS.md); pikepdf is the PDF reading floor.
bench: build $(VENV)/.bench
	bash scripts/bootstrap-system.sh test
	$(PY) -m bench $(BENCH_ARGS)

$(VENV)/.bench: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e '.[bench]'
	touch $@

# Rewrite the Word templates (templates/<form>-<version>.docx) after changing a form or the docx layout.
templates: build
	$(PY) -c 'from formgen.compile.docx_template import write_templates; write_templates()'

# Refresh the message template from the sources, then merge it into each language.
i18n-extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_plural:1,2 -o $(LOCALE)/formgen.pot --no-location --sort-output --omit-header --no-wrap formgen
	$(VENV)/bin/pybabel update -D formgen -i $(LOCALE)/formgen.pot -d $(LOCALE) --no-fuzzy-matching --no-wrap --ignore-obsolete

clean:
	rm -rf $(VENV) $(MO) output/*.xlsx output/*.docx output/*.pdf
