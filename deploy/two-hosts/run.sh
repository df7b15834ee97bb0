#!/usr/bin/env bash
# Two Idunox hosts on one (throwaway) PostgreSQL behind nginx: the working example of README "Running several hosts".
#   deploy/two-hosts/run.sh            starts everything, prints the addresses, and stops it all on Ctrl-C
#   deploy/two-hosts/run.sh --check    starts everything, proves that it works as one service, and stops
# Host A is web-only (Jobs:Server:Enabled=false); host B also runs the Hangfire server. Installs nginx-light if missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
check=false
[ "${1:-}" = --check ] && check=true

if ! command -v nginx >/dev/null 2>&1; then
  echo "run.sh: installing nginx-light"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; } >/dev/null
fi

# shellcheck source=build/postgres.sh
source "$root/build/postgres.sh"
work=$(mktemp -d)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  stop_postgres
  rm -rf "$work"
}
trap stop EXIT INT TERM
start_postgres >/dev/null
psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE idunox_two_hosts" # step 1 of "Running against PostgreSQL"
dotnet build host/Idunox.Host -c Release -v q -nologo >/dev/null
host_dll="$root/host/Idunox.Host/bin/Release/net10.0/Idunox.Host.dll"

export ASPNETCORE_ENVIRONMENT=Production
export Database__Provider=Postgres
export ConnectionStrings__Idunox="$IDUNOX_TEST_POSTGRES;Database=idunox_two_hosts"
export Jwt__SigningKey="two-hosts-example-signing-key-$(date +%s)-0123456789" # the same on every host
export Email__Mode=Pickup Email__PickupDirectory="$work/mail"
export Http__SecureCookies=false # plain HTTP on loopback in this example; keep the default (true) behind TLS
export Hosts__AllowSharedOrigin=true # one origin on loopback here; give the staff area a host of its own (Hosts:Admin) in production
# The key ring is encrypted with one certificate that every host has (made here; keep yours in a secret store).
openssl req -x509 -newkey rsa:3072 -nodes -days 30 -subj /CN=idunox-data-protection -keyout "$work/dp.key" -out "$work/dp.crt" 2>/dev/null
openssl pkcs12 -export -inkey "$work/dp.key" -in "$work/dp.crt" -out "$work/data-protection.pfx" -passout pass:
export DataProtection__CertificatePath="$work/data-protection.pfx"
export Logging__LogLevel__Default=Warning
(cd "$(dirname "$host_dll")" && dotnet "$host_dll" migrate >/dev/null) # once, before the hosts start
(cd "$(dirname "$host_dll")" && dotnet "$host_dll" tenants add --name "Example Partner" --slug example >/dev/null)
printf '%s\n' "example-password-1234" | (cd "$(dirname "$host_dll")" && dotnet "$host_dll" partners add --tenant example --email it@partner.example --password-stdin >/dev/null)

port_a=$(free_port) port_b=$(free_port) port_proxy=$(free_port)
(cd "$(dirname "$host_dll")" && Urls="http://127.0.0.1:$port_a" Jobs__Server__Enabled=false exec dotnet "$host_dll" >"$work/host-a.log" 2>&1) & pids+=($!)
(cd "$(dirname "$host_dll")" && Urls="http://127.0.0.1:$port_b" exec dotnet "$host_dll" >"$work/host-b.log" 2>&1) & pids+=($!)
sed -e "s|__DIR__|$work|g" -e "s|__PORT_A__|$port_a|" -e "s|__PORT_B__|$port_b|" -e "s|__PORT_PROXY__|$port_proxy|" \
  deploy/two-hosts/nginx.conf >"$work/nginx.conf"
for port in "$port_a" "$port_b"; do
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
done
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log"
proxy="http://127.0.0.1:$port_proxy"
echo "run.sh: host A (web only) on :$port_a, host B (web and jobs) on :$port_b, nginx on $proxy"

if ! $check; then
  echo "run.sh: open $proxy/partner (it@partner.example / example-password-1234); Ctrl-C stops everything"
  wait "${pids[0]}"
  exit
fi

# The check: a key made through the proxy works on both hosts; revoked on A, B refuses it at once; jobs run on B only.
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
token=$(curl -fs "$proxy/v1/partner/auth/login" -H 'content-type: application/json' \
  -d '{"email":"it@partner.example","password":"example-password-1234"}' | json '["accessToken"]')
created=$(curl -fs "$proxy/v1/partner/credentials" -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"two hosts"}')
key=$(echo "$created" | json '["apiKey"]') id=$(echo "$created" | json '["credential"]["id"]')
for port in "$port_a" "$port_b"; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/partner-auth-probe" -H "X-Api-Key: $key")" = 200 ] ||
    { echo "run.sh: host on :$port refused a fresh key"; exit 1; }
done
curl -fs -X POST "http://127.0.0.1:$port_a/v1/partner/credentials/$id/revoke" -H "authorization: Bearer $token" >/dev/null
start=$(date +%s%N)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_b/v1/partner-auth-probe" -H "X-Api-Key: $key")" = 401 ]; do
  [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ] || { echo "run.sh: host B still accepted the revoked key after 5 s"; exit 1; }
done
echo "run.sh: revoked through host A, refused by host B after $(( ($(date +%s%N) - start) / 1000000 )) ms"
servers=$(psql -h 127.0.0.1 -p "$pg_port" -U postgres -d idunox_two_hosts -Atc "SELECT count(*) FROM hangfire.server")
[ "$servers" = 1 ] || { echo "run.sh: expected one Hangfire server (host B), found $servers"; exit 1; }
echo "run.sh: one Hangfire server among the two hosts; the example works"
