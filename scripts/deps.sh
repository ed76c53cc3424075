#!/usr/bin/env bash
# Dependency hygiene: cargo-deny (pinned; installed with `cargo install` when missing) checks
# the licences, sources and duplicate versions of every dependency against deny.toml, and the
# RustSec advisory database for known vulnerabilities, unmaintained and yanked crates.
#
# The advisory database is fetched from GitHub. A machine that cannot reach GitHub uses a copy
# already at cargo-deny's default place ($CARGO_HOME/advisory-dbs, a clone of
# https://github.com/RustSec/advisory-db), and says how old it is; with neither, the check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

DENY_VERSION=0.20.2
if ! cargo deny --version 2>/dev/null | grep -q "$DENY_VERSION"; then
  echo "deps: installing cargo-deny $DENY_VERSION" >&2
  cargo install --locked cargo-deny --version "$DENY_VERSION"
fi

cargo deny --locked check licenses bans sources

db_date() {
  local db
  db=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/advisory-dbs/advisory-db-* 2>/dev/null | head -n 1 || true)
  [[ -n "$db" ]] && git -C "$db" log -1 --format=%cs 2>/dev/null || echo "(unknown)"
}
if cargo deny --locked check advisories 2>/tmp/larder-deny-advisories.log; then
  cat /tmp/larder-deny-advisories.log >&2
  echo "deps: advisories checked against the RustSec database as of $(db_date)" >&2
  exit 0
fi
if grep -q "failed to fetch advisory database" /tmp/larder-deny-advisories.log; then
  db=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/advisory-dbs/advisory-db-* 2>/dev/null | head -n 1 || true)
  if [[ -z "$db" ]]; then
    cat /tmp/larder-deny-advisories.log >&2
    echo "deps: the RustSec advisory database could not be fetched and no copy is present" >&2
    exit 1
  fi
  echo "deps: GitHub is unreachable; checking against the local advisory database $db," \
    "last updated $(git -C "$db" log -1 --format=%cs 2>/dev/null || echo '(unknown)')" >&2
  cargo deny --locked --offline check advisories
else
  cat /tmp/larder-deny-advisories.log >&2
  exit 1
fi
