#!/bin/sh
# The one-shot migration runner (seed 001). An operator runs it by hand,
# before deploying a runtime version that needs the new schema:
#
#   DATABASE_URL=postgres://...@localhost:5432/dreichor_dev infra/db/migrate.sh dev
#
# strata does the work: it checks DATABASE_URL against the environment's
# rules in strata.toml (localhost only, that environment's database), creates
# public.dreichor_schema_migrations if missing, refuses edited or missing
# files, applies the pending files in file-name order and records each one.
# Exit codes are strata's: 0 done, 2 configuration or URL refused, 3 the
# files and the history disagree (nothing applied), 1 a migration failed.
# README.md runs every line of it; crates/strata-cli/tests/it/example_dreichor.rs
# runs the README.
set -eu

env="${1:-}"
case "$env" in
dev | prod) ;;
*)
    echo "usage: infra/db/migrate.sh dev|prod" >&2
    exit 2
    ;;
esac

# Migrations never run inside GitHub Actions: operator intent only.
if [ -n "${GITHUB_ACTIONS:-}" ]; then
    echo "migrate.sh: refused: migrations are run by an operator, never in GitHub Actions" >&2
    exit 5
fi

# The team's rule on top of strata's policy: the postgres:// scheme only.
case "${DATABASE_URL:-}" in
postgres://*) ;;
*)
    echo "migrate.sh: DATABASE_URL must be set and start with postgres://" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")/../.."
strata --env "$env" migrate
strata --env "$env" status
