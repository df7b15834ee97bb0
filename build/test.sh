#!/usr/bin/env bash
# The one test command: starts a throwaway PostgreSQL cluster, runs every test of Idunox.Modular.sln against it,
# tears the cluster down (also on failure) and ends with one line: "N passed, N failed[, N skipped]".
# Exits non-zero when a test failed, when none ran, or when the build failed.
#   build/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Tenancy]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

results=$(mktemp -d)
# shellcheck source=build/postgres.sh
source "$root/build/postgres.sh"

cleanup() {
  stop_postgres
  rm -rf "$results"
}
trap cleanup EXIT INT TERM

# The suite runs in a time zone far from UTC (with a 45-minute offset and daylight saving), so a timestamp that is
# converted where it should not be shows up as a failing test rather than a bug in production: the test processes, and
# the PostgreSQL sessions (the server's time zone: SQL that formats a timestamp must say which zone it means).
export TZ=${IDUNOX_TEST_TZ:-Pacific/Chatham}
if [ -z "${IDUNOX_TEST_POSTGRES:-}" ]; then
  start_postgres "-c timezone=$TZ" || { echo "0 passed, 1 failed"; exit 1; }
fi
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
