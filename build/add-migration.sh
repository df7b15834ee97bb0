#!/usr/bin/env bash
# Adds one migration to a module, for both providers, generated from the same model.
#   build/add-migration.sh <Module> <MigrationName>      e.g. build/add-migration.sh Credentials AuditTrail
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: build/add-migration.sh <Identity|Credentials|Notifications|StaffAdmin> <MigrationName>" >&2; exit 2; }
module=$1 name=$2
project="modules/$module/Idunox.$module"
[ -d "$project" ] || { echo "no module '$module' (looked for $project)" >&2; exit 2; }
context=$(grep -ho "class Postgres[A-Za-z]*DbContext\b" "$project"/Persistence/*.cs | head -1 | awk '{print $2}')
[ -n "$context" ] || { echo "no Postgres*DbContext in $project/Persistence" >&2; exit 1; }
dotnet tool restore >/dev/null
dotnet build host/Idunox.Host -v q -nologo >/dev/null
for provider in Postgres Sqlite; do
  dotnet ef migrations add "$name" --no-build \
    --project "$project" --startup-project host/Idunox.Host \
    --context "${context/Postgres/$provider}" \
    --output-dir "Persistence/Migrations/$provider"
done
# Migrations are implementation details of the module: internal, like everything but the module type.
find "$project/Persistence/Migrations" -name '*.cs' -print0 |
  xargs -0 sed -i 's/^    public partial class /    internal partial class /'
