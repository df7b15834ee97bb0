#!/usr/bin/env bash
# Benchmarks (apart from the tests): each compares its subject with a baseline in the same run and prints the ratio.
#   build/bench.sh keys    BenchmarkDotNet: refusing malformed / typo'd / wrong-environment keys vs hashing a valid key
#   build/bench.sh login   sign-in refusal time for known vs unknown e-mails (does timing reveal an account?)
#   build/bench.sh         both
set -euo pipefail
cd "$(dirname "$0")/.."
# The in-memory host finds its content root (appsettings) here; the test projects learn it from their build.
export ASPNETCORE_TEST_CONTENTROOT_IDUNOX_HOST="$PWD/host/Idunox.Host"
dotnet run -c Release --project bench/Idunox.Benchmarks -- "$@"
