# t2ilab — two commands: `make lab` opens the course, `make test` passes the tests.
# Everything is installed by the targets themselves: a venv with the pinned Python packages
# (constraints.txt) and, where apt is available, the Debian packages the tests use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHP    := classroom/node_modules/.bin/configurable-http-proxy
PIP    := $(BIN)/pip install -q -c constraints.txt
DEBS   := dataset-fashion-mnist chromium fonts-noto-cjk
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: lint nbgrader-course nbgrader-grade instructor test-hub setup system lab test unit notebooks doctor studio demo pretrained bench release grade clean

setup: $(STAMP) system $(CHP)

$(STAMP): pyproject.toml setup.py constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[dev,instructor,classroom]'
	$(BIN)/jupyter labextension list 2>&1 | grep -q jupyterlab_widgets || { echo "the ipywidgets JupyterLab extension is missing"; exit 1; }
	@touch $(STAMP)

# JupyterHub's proxy (npm configurable-http-proxy, pinned in classroom/package-lock.json), project-local.
$(CHP): classroom/package.json classroom/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix classroom --no-audit --no-fund --loglevel=error && touch $(CHP); \
	else echo "note: no npm here; install Node.js 20 and npm, or the JupyterHub test (make test-hub) is skipped"; fi

# Debian packages: Fashion-MNIST, Chromium (browser tests) and Noto CJK (Chinese in figures and pages). Skipped, with a note, without apt.
system:
	@if dpkg -s $(DEBS) >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get install -y -q $(DEBS) >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $(DEBS) >/dev/null; }; } \
	  || echo "note: could not install $(DEBS); the tests that need them are skipped"; \
	else echo "note: no apt-get here; install Fashion-MNIST and Chromium yourself (see README), or their tests are skipped"; fi

# The student's lab: their copies in workspace/, nbgrader's instructor menus switched off
# (t2ilab/course/jupyter_student, first on JUPYTER_CONFIG_PATH; `make instructor` has them).
lab: setup
	$(BIN)/t2ilab workspace --to workspace
	JUPYTER_CONFIG_PATH="$(CURDIR)/t2ilab/course/jupyter_student$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	$(BIN)/jupyter lab --ip=127.0.0.1 $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) --ServerApp.root_dir=workspace

# Lint first (ruff, configured in pyproject.toml): a lint failure fails the suite, and CI.
lint: setup
	$(BIN)/ruff check t2ilab tests benchmarks classroom

test: setup lint
	T2ILAB_FAST=1 $(BIN)/python -m pytest tests/ --nbval-lax lessons/ -q -m 'not hub'

# A class on a real JupyterHub on 127.0.0.1 (tests/test_jupyterhub.py, a few minutes); .ci/run runs it too.
test-hub: setup
	T2ILAB_FAST=1 $(BIN)/python -m pytest tests/test_jupyterhub.py -q -m hub

unit: setup
	$(BIN)/python -m pytest tests/ -q

notebooks: setup
	T2ILAB_FAST=$${T2ILAB_FAST:-0} $(BIN)/python -m t2ilab.course.execute lessons/*.ipynb

doctor: setup
	$(BIN)/t2ilab doctor

# The prompt studio as a web page (Voilà) on 127.0.0.1; prints its address. PORT=8866 by default.
studio: setup
	$(BIN)/t2ilab studio --port $${PORT:-8866}

demo: setup
	$(BIN)/t2ilab generate "a grassland under a blue sky with a tree in the middle" -n 8 -o demo.png

pretrained: setup
	$(BIN)/python -m t2ilab.pretrained

bench: setup
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done
	$(BIN)/python benchmarks/report.py

release: setup
	$(BIN)/t2ilab release --to release

# t2ilab's own grader: each submission in a limited child process, points from hidden inputs.
# make grade SUBMISSIONS=dir [GRADES=grades] [JOBS=n]
GRADES ?= grades
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-with-STUDENT/LESSON.ipynb [GRADES=grades]"; exit 2; }
	$(BIN)/t2ilab grade "$(SUBMISSIONS)" --out "$(GRADES)" $(if $(JOBS),--jobs $(JOBS))

# nbgrader itself (instructors): course/ in nbgrader's layout, with its nbgrader_config.py. Put
# submissions in course/submitted/STUDENT/NN_name/NN_name.ipynb; nbgrader-grade writes course/grades.csv.
NBGRADER := cd course && PATH="$(CURDIR)/$(BIN):$$PATH" $(CURDIR)/$(BIN)/nbgrader
nbgrader-course: setup
	$(BIN)/python -m t2ilab.course.nbgrading course

nbgrader-grade: nbgrader-course
	$(NBGRADER) generate_assignment '*' --force
	@ls course/submitted/*/*/*.ipynb >/dev/null 2>&1 || { echo "no submissions: put them in course/submitted/STUDENT/NN_name/NN_name.ipynb"; exit 2; }
	$(NBGRADER) autograde '*' --create
	$(NBGRADER) export --to grades.csv

# JupyterLab for instructors on course/: nbgrader's Formgrader and Create assignment menus.
instructor: nbgrader-course
	cd course && PATH="$(CURDIR)/$(BIN):$$PATH" $(CURDIR)/$(BIN)/jupyter lab --ip=127.0.0.1 $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) --ServerApp.root_dir=.

clean:
	rm -rf $(VENV) build *.egg-info
