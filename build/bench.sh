#!/usr/bin/env bash
# Benchmarks (apart from the tests): each compares its subject with a baseline in the same run and prints the ratio.
#   build/bench.sh keys    BenchmarkDotNet: refusing malformed / typo'd / wrong-environment keys vs hashing a valid key
#   build/bench.sh login   sign-in refusal time for known vs unknown e-mails (does timing reveal an account?)
#   build/bench.sh probe [--seconds 8] [--rounds 5] [--warm-up 15] [--connections 32] [--revocations 200]
#                          the built host (Release) over HTTP on SQLite and on a throwaway PostgreSQL: /health/live vs the
#                          data API's probe with a valid, a never-issued and a garbage key (wrk), ratios to /health/live,
#                          the probe's latency at half its peak, and revocation latency from one host to another
#   build/bench.sh gateway [--seconds 8] [--rounds 3] [--warm-up 15] [--connections 32]
#                          the data API gateway in the built host (Release, SQLite, environment Benchmark) in front of a
#                          minimal upstream (1 KB JSON): the upstream directly, bare YARP (a route without the key check),
#                          the gateway with a valid key, on a scoped route and with a revoked key (wrk), ratios to bare,
#                          upstream calls while refusing, the gateway's p99 over bare at half its peak, and the host's RSS
#                          during a 100 MB upload and a 100 MB download through the gateway
#   build/bench.sh jobs [--organisations 500] [--grace-keys 100000] [--reminder-keys 10000]
#                          the jobs at scale on a throwaway PostgreSQL: grace-sweep and expiry-reminders (to a real SMTP
#                          server in the benchmark's process) with bulk-inserted backlogs, on one process and on three;
#                          then a running host delivering the 100 000 events' outbox with 100 security notices behind them
#   build/bench.sh soak [minutes] [--rate 250] [--connections 16]
#                          the built host on a throwaway PostgreSQL with its job server, under mixed traffic (probe 90 %,
#                          portal list/create/rotate/revoke 9 %, sign-ins 1 %) at 250 req/s for 10 minutes (or as given): throughput,
#                          p50/p99 per kind, answers by status, host RSS and live GC heap at the start, minute 2 and the end
#   build/bench.sh         keys and login
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The in-memory host finds its content root (appsettings) here; the test projects learn it from their build.
export ASPNETCORE_TEST_CONTENTROOT_IDUNOX_HOST="$PWD/host/Idunox.Host"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Starts a throwaway PostgreSQL (unless IDUNOX_TEST_POSTGRES names one), builds the host (Release) and runs one
# benchmark against it: on_postgres <benchmark> "<postgres options>" <the benchmark's own arguments>.
on_postgres() {
  local benchmark=$1 server_options=$2
  shift 2
  # shellcheck source=build/postgres.sh
  source "$root/build/postgres.sh"
  trap stop_postgres EXIT INT TERM
  if [ -z "${IDUNOX_TEST_POSTGRES:-}" ]; then
    start_postgres "$server_options"
  fi
  dotnet build host/Idunox.Host -c Release -v q -nologo >/dev/null
  dotnet run -c Release --project bench/Idunox.Benchmarks -- "$benchmark" --host host/Idunox.Host/bin/Release/net10.0/Idunox.Host.dll "$@"
}

install_wrk() {
  if ! command -v wrk >/dev/null 2>&1; then
    echo "build/bench.sh: installing wrk"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >/dev/null
  fi
}

if [ "${1:-}" = probe ]; then
  install_wrk
  on_postgres probe "-c shared_preload_libraries=pg_stat_statements" "${@:2}"
  exit
fi
if [ "${1:-}" = gateway ]; then
  # SQLite only: after its first lookup the key check is served from the verifier's in-memory cache.
  install_wrk
  dotnet build host/Idunox.Host -c Release -v q -nologo >/dev/null
  dotnet run -c Release --project bench/Idunox.Benchmarks -- gateway --host host/Idunox.Host/bin/Release/net10.0/Idunox.Host.dll "${@:2}"
  exit
fi
if [ "${1:-}" = soak ]; then
  # The host's live GC heap is read with dotnet-gcdump (it induces a full collection and counts what survives).
  if [ ! -x "$HOME/.dotnet/tools/dotnet-gcdump" ]; then
    echo "build/bench.sh: installing dotnet-gcdump"
    dotnet tool install -g dotnet-gcdump >/dev/null
  fi
  on_postgres soak "" "${@:2}"
  exit
fi
if [ "${1:-}" = jobs ]; then
  on_postgres jobs "" "${@:2}"
  exit
fi
dotnet run -c Release --project bench/Idunox.Benchmarks -- "$@"
