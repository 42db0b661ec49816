# Every target creates .venv on a fresh machine (Python >= 3.11 only) and installs the project.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench calibrate size evaluate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The default experiment: business as usual against the evidence-based WSIC model and the business
# case's own assumptions, full population, 8 replications each, five years; then what it would take
# to break even and which evidence matters most, on a tenth of the population (4 replications), added
# to the same report: runs/default/report.html (about 15 minutes on 2 cores). Rerunning the first
# step resumes.
run: $(STAMP)
	$(BIN)/wsic run models/baseline.toml models/wsic.toml models/business_case.toml --reps 8 --years 5 \
		--scale 1 --seed 1 --jobs 2 --out runs/default
	$(BIN)/wsic breakeven models/wsic.toml models/business_case.toml --reps 4 --years 5 --scale 0.1 \
		--seed 1 --jobs 2 --out runs/default
	$(BIN)/wsic tornado models/wsic.toml --reps 4 --years 5 --scale 0.1 --seed 1 --jobs 2 --out runs/default

# The planner's example: rapid-response nurses and care coordinators per borough for the WSIC model
# against their service levels (runs/sizing/sizing.html; about 2 minutes on 2 cores). Rerunning resumes.
size: $(STAMP)
	$(BIN)/wsic size experiments/sizing_files/rapid_response.toml --out runs/sizing --jobs 2

# The evaluator's examples: Roland's design (65+ with two or more emergency admissions, nothing done),
# Northumberland's frail elderly pathway, a London integrated care pilot's plan and Hammersmith &
# Fulham's six coordinators; full population, 10 replications each (about 12 to 13 minutes on 2 cores).
evaluate: $(STAMP)
	$(BIN)/wsic evaluate experiments/pilots/frequent_admitters.toml --reps 10 --jobs 2 --out runs/evaluate
	$(BIN)/wsic evaluate experiments/pilots/northumberland_frail_elderly.toml --reps 10 --jobs 2 \
		--out runs/evaluate_northumberland
	$(BIN)/wsic evaluate experiments/pilots/london_integrated_care_pilot.toml --reps 10 --jobs 2 \
		--out runs/evaluate_london_icp
	$(BIN)/wsic evaluate experiments/pilots/hammersmith_fulham_coordinators.toml --reps 10 --jobs 2 \
		--out runs/evaluate_hf_coordinators

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Refit business as usual to the 2010/11 data from the committed point, as the committed fit was
# made (at a quarter on sixteen seeds, aimed within half of each band), with the free parameters it
# records and the cost-tree leaves held, and check it at full population on unseen seeds (see
# README, Calibration: freeing the leaves' fixed point jammed the beds).
COMMITTED_FREE = $(BIN)/python -c 'import tomllib; f = open("models/fitted/tri_borough_2010.toml", "rb"); print(*tomllib.load(f)["calibration"]["free"])'
calibrate: $(STAMP)
	$(BIN)/wsic calibrate --scale 0.25 --seeds $$(seq 101 116) --rounds 1 --max-evaluations 6 --aim-within 0.5 \
		--leaf-steps 0 --jobs 2 --check-seed 3001 --free $$($(COMMITTED_FREE))

# Each model and size against a bare simpy loop of a fixed number of events timed in the same process
bench: $(STAMP)
	$(BIN)/wsic bench --population 50000 466921 --years 5 --model models/baseline.toml models/wsic.toml

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
