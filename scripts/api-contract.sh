#!/usr/bin/env bash
# Holds the server to its OpenAPI document: runs schemathesis (pinned, from PyPI, in a virtual
# environment this script creates under target/) with every check, a fixed seed and a bounded
# number of examples per operation, against `larder serve` on SQLite and on PostgreSQL, and
# fails on any failure. The run's configuration, with the reason for each allowance, is in
# scripts/schemathesis.toml.
#
# Needs a built `target/debug/larder` (scripts/test.sh builds it) and, for the PostgreSQL run,
# PostgreSQL at LARDER_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# LARDER_SKIP_POSTGRES=1 runs SQLite only. Usage: scripts/api-contract.sh [sqlite|postgres]...
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
venv=target/schemathesis-venv
if [[ ! -x "$venv/bin/schemathesis" ]] || ! "$venv/bin/schemathesis" --version | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "api-contract: installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
  # Python 3.11's AST module can fail inside hypothesis ("AST constructor recursion depth
  # mismatch"); a newer Python is used where the machine has one.
  python=python3
  for candidate in python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3; do
    if "$candidate" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      python=$candidate
      break
    fi
  done
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

larder=target/debug/larder
[[ -x "$larder" ]] || cargo build --locked --bin larder
pg_url="${LARDER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

backends=("$@")
if [[ ${#backends[@]} -eq 0 ]]; then
  backends=(sqlite)
  [[ "${LARDER_SKIP_POSTGRES:-0}" == 1 ]] || backends+=(postgres)
fi

run_backend() {
  local backend=$1 port=$2
  local dir
  dir=$(mktemp -d)
  local env=(env -u DATABASE_URL LARDER_JWT_SECRET=contract-secret-contract-secret-0123)
  if [[ "$backend" == postgres ]]; then
    local db="larder_contract_$(date +%s)_$$"
    env+=(DATABASE_URL="${pg_url%/*}/$db")
  fi
  "${env[@]}" "$larder" serve --port "$port" --data-dir "$dir" >"$dir/server.log" 2>&1 &
  local server=$!
  trap "kill $server 2>/dev/null || true" RETURN
  local base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -sf "$base/health/ready" >/dev/null && break
    sleep 0.2
  done
  curl -sf "$base/health/ready" >/dev/null || { cat "$dir/server.log" >&2; echo "api-contract: $backend server did not start" >&2; return 1; }

  # An owner with a location, an item, a recipe and a menu item, so that reads find data.
  local email="contract-$backend@example.com" password="contract run password"
  curl -sf -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"tenant_name\":\"Contract $backend\",\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Owner\"}" >/dev/null
  # The sign-up's link, as the operator issues it while there is no mail.
  local link
  link=$("${env[@]}" "$larder" users sign-up-link --email "$email" --data-dir "$dir" \
    | sed -n 's/^sign-up token (single use): //p')
  curl -sf -X POST "$base/api/v1/auth/register/confirm" -H 'content-type: application/json' \
    -d "{\"token\":\"$link\",\"password\":\"$password\"}" >/dev/null
  local token
  token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  local auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
  curl -sf -X POST "$base/api/v1/locations" "${auth[@]}" -d '{"name":"Kitchen","kind":"outlet"}' >/dev/null
  local item
  item=$(curl -sf -X POST "$base/api/v1/items" "${auth[@]}" -d '{"name":"Rice","base_unit":"g","unit_cost":"0.002"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  local recipe
  recipe=$(curl -sf -X POST "$base/api/v1/recipes" "${auth[@]}" \
    -d "{\"name\":\"Plain rice\",\"yield_quantity\":\"1\",\"yield_unit\":\"ea\",\"lines\":[{\"item_id\":\"$item\",\"quantity\":\"150\",\"unit\":\"g\"}]}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -sf -X POST "$base/api/v1/menu-items" "${auth[@]}" -d "{\"name\":\"Plain Rice\",\"recipe_id\":\"$recipe\",\"price\":\"2.50\"}" >/dev/null

  echo "api-contract: schemathesis against $backend at $base" >&2
  local status=0
  local st=(env LARDER_CONTRACT_TOKEN="$token" "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml
    run "$base/api/v1/openapi.json" --url "$base")
  # Logout, member administration and the two-factor rule can end or bar the session the run
  # authenticates with (the fuzzer learns the owner's id from the members list, makes another
  # member owner and deactivates the first; requiring a second factor bars an owner without
  # one), so they run last, on their own; the rest must still be
  # authenticated when it ends, or its answers would be 401s that test nothing.
  local last='^/api/v1/(auth/logout|members/[^/]+/(role|active)|tenant/mfa)$'
  # The live event stream never ends by itself (server-sent events): a fuzzer reading its whole
  # body would wait forever. Its query is GET /events's, which is fuzzed; the API tests read
  # the stream.
  local endless='^/api/v1/events/stream$'
  "${st[@]}" --exclude-path-regex "($last)|($endless)" \
    --report junit --report-dir "target/schemathesis-$backend" || status=$?
  if ! curl -sf "$base/api/v1/auth/me" -H "authorization: Bearer $token" >/dev/null; then
    echo "api-contract: $backend: the run's session ended before its end; its answers test nothing" >&2
    status=1
  fi
  "${st[@]}" --include-path-regex "$last" || status=$?
  if [[ $status -ne 0 ]]; then
    echo "api-contract: $backend: schemathesis found failures (server log: $dir/server.log)" >&2
    tail -n 20 "$dir/server.log" >&2
  fi
  return $status
}

port=18180
failed=0
for b in "${backends[@]}"; do
  run_backend "$b" "$port" || failed=1
  port=$((port + 1))
done
exit $failed
