# One command to run the platform, one to test it. See README.md.
.PHONY: run test lint format bench worker clean

PORT ?= 8000

run:  ## Set everything up and serve the site with demo data and the task worker: make run [PORT=8000]
	bash scripts/python-env.sh
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/python manage.py seed_demo
	bash scripts/run.sh $(PORT)

test:  ## Lint, then the full suite on SQLite and on PostgreSQL, browser tests included
	bash scripts/test.sh

lint:
	bash scripts/python-env.sh
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	bash scripts/python-env.sh
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

worker:  ## Run the background task worker alone (make run starts one itself): emails, autograding runs
	bash scripts/python-env.sh
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/python manage.py db_worker

bench:  ## Many users, then every page, on SQLite and on PostgreSQL + Redis (docs/performance.md)
	bash scripts/python-env.sh
	.venv/bin/python bench/run.py

clean:
	rm -rf .venv staticfiles test-artifacts db.sqlite3
