#!/usr/bin/env bash
# Sourced by build/test.sh and build/bench.sh: a throwaway PostgreSQL cluster on a free loopback port.
#   start_postgres [extra server options]   sets IDUNOX_TEST_POSTGRES (and pg_dir, pg_bin, pg_port)
#   stop_postgres                           stops it and removes its folder (call it from an EXIT trap)
pg_dir=""
pg_bin=""
pg_port=""

# initdb refuses to run as root: run the cluster as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    echo $(( 20000 + RANDOM % 20000 ))
}

start_postgres() {
  local extra=${1:-}
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$pg_bin" ]; then
    echo "build/${0##*/}: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2
    return 1
  fi
  pg_dir=$(mktemp -d)
  chmod 755 "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$pg_dir/initdb.log" 2>&1 ||
    { cat "$pg_dir/initdb.log" >&2; return 1; }
  for _ in 1 2 3 4 5; do
    pg_port=$(free_port)
    if as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 30 \
        -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 $extra" \
        start >/dev/null 2>&1; then
      export IDUNOX_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Pooling=true;Maximum Pool Size=20"
      echo "build/${0##*/}: PostgreSQL $(basename "$(dirname "$pg_bin")") on 127.0.0.1:$pg_port"
      return 0
    fi
  done
  cat "$pg_dir/log" >&2
  return 1
}

stop_postgres() {
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$pg_dir" ] && rm -rf "$pg_dir"
  pg_dir=""
}
