#!/usr/bin/env bash
# Runs Larder's whole test suite: unit and property tests, the storage contract on SQLite and
# PostgreSQL, the black-box API tests on both, the full demo import and the browser test.
#
# Needs PostgreSQL at LARDER_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres,
# a role that may create databases); the PostgreSQL tests fail, not skip, when it is unreachable
# (LARDER_SKIP_POSTGRES=1 skips them on a machine without it). Installs Debian's chromium and
# chromium-driver for the browser test when they are missing (LARDER_SKIP_BROWSER=1 skips it).
# Then holds the server to its OpenAPI document (scripts/api-contract.sh: schemathesis, from
# PyPI into target/schemathesis-venv) on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/chromedriver && "${LARDER_SKIP_BROWSER:-0}" != 1 ]]; then
  echo "scripts/test.sh: installing Debian's chromium and chromium-driver for the browser test" >&2
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

export LARDER_TEST_POSTGRES_URL="${LARDER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cargo test --workspace --locked "$@"
# The OpenAPI document is the contract: schemathesis against `larder serve` on each backend.
bash scripts/api-contract.sh
