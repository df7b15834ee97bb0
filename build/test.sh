#!/usr/bin/env bash
# The one test command: starts a throwaway PostgreSQL cluster, runs every test of Idunox.Modular.sln against it,
# tears the cluster down (also on failure) and ends with one line: "N passed, N failed[, N skipped]".
# Exits non-zero when a test failed, when none ran, or when the build failed.
#   build/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Tenancy]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

results=$(mktemp -d)
pg_dir=""
pg_bin=""

cleanup() {
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$pg_dir" ] && rm -rf "$pg_dir"
  rm -rf "$results"
}
trap cleanup EXIT INT TERM

# initdb refuses to run as root: run the cluster as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    echo $(( 20000 + RANDOM % 20000 ))
}

start_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$pg_bin" ]; then
    echo "build/test.sh: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2
    return 1
  fi
  pg_dir=$(mktemp -d)
  chmod 755 "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$pg_dir/initdb.log" 2>&1 ||
    { cat "$pg_dir/initdb.log" >&2; return 1; }
  local port
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 30 \
        -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null 2>&1; then
      export IDUNOX_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Pooling=true;Maximum Pool Size=20"
      echo "build/test.sh: PostgreSQL $(basename "$(dirname "$pg_bin")") on 127.0.0.1:$port"
      return 0
    fi
  done
  cat "$pg_dir/log" >&2
  return 1
}

if [ -z "${IDUNOX_TEST_POSTGRES:-}" ]; then
  start_postgres || { echo "0 passed, 1 failed"; exit 1; }
fi

# The suite runs in a time zone far from UTC (with a 45-minute offset and daylight saving), so a timestamp that is
# converted where it should not be shows up as a failing test rather than a bug in production.
export TZ=${IDUNOX_TEST_TZ:-Pacific/Chatham}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet test Idunox.Modular.sln --logger "trx" --results-directory "$results" "$@"
status=$?

# Sum the counters of every TRX file (one per test project).
read -r passed failed skipped total < <(
  cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); c[kv[1]] += kv[2] } }
    END { printf "%d %d %d %d\n", c["passed"], c["failed"] + c["error"] + c["timeout"] + c["aborted"], c["notExecuted"] + c["inconclusive"], c["total"] }')
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the build or a test host failed before any result was written
  echo "build/test.sh: dotnet test failed (exit $status) without a failing test result: see the output above" >&2
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "build/test.sh: no test ran" >&2
  failed=1
fi

[ -d "$root/TestResults/screenshots" ] && echo "build/test.sh: screenshots of every page (both themes, 375 px) in TestResults/screenshots"
[ "$skipped" -gt 0 ] && echo "build/test.sh: $skipped test(s) skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
