# One command to run the platform, one to test it. See README.md.
.PHONY: run test lint format bench worker clean

run:  ## Set everything up and serve the site with demo data on http://127.0.0.1:8000
	bash scripts/python-env.sh
	.venv/bin/python manage.py migrate --noinput
	.venv/bin/python manage.py seed_demo
	DJANGO_DEBUG=1 .venv/bin/python manage.py runserver 127.0.0.1:8000

test:  ## Lint, then the full suite on SQLite and on PostgreSQL, browser tests included
	bash scripts/test.sh

lint:
	bash scripts/python-env.sh
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

worker:  ## Run the background task worker (grade-release emails, autograding runs)
	.venv/bin/python manage.py db_worker

bench:  ## Many users, then every page, on SQLite and on PostgreSQL + Redis (docs/performance.md)
	bash scripts/python-env.sh
	.venv/bin/python bench/run.py

clean:
	rm -rf .venv staticfiles test-artifacts db.sqlite3
