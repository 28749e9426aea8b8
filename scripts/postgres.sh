# Sourced by scripts/test (not executed): a throwaway PostgreSQL cluster for the suite's second run.
# Usage: source scripts/postgres.sh; start_throwaway_postgres  → exports ONETHING_TEST_POSTGRES_URL, stops on exit.
# Durability is off (fsync, synchronous commit, full pages): the cluster dies with the run, and the tests'
# many small commits and database clones are faster without it. Each test folder gets its own database
# (tests/support/db.py), up to a few hundred at once: max_connections leaves room for their pools.

ensure_postgres() {
  if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "postgres: apt-get install postgresql (Debian) to run the tests on PostgreSQL too" >&2
    return 1
  fi
  echo "postgres: installing postgresql (Debian) for the tests on PostgreSQL" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

start_throwaway_postgres() {
  ensure_postgres || return 1
  local bin port folder as=()
  bin=$(dirname "$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -1)")
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  folder=$(mktemp -d /tmp/onething-postgres.XXXXXX)
  # initdb refuses to run as root: the cluster belongs to Debian's postgres user when we are root.
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$folder"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$folder/data" -A trust -U postgres >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$folder/data" -l "$folder/log" -w \
    -o "-p $port -k $folder -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  POSTGRES_STOP=("${as[@]}" "$bin/pg_ctl" -D "$folder/data" -m immediate stop)
  trap 'stop_throwaway_postgres' EXIT
  export ONETHING_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  echo "postgres: throwaway cluster on 127.0.0.1:$port ($folder)" >&2
}

stop_throwaway_postgres() {
  if [[ -n ${POSTGRES_STOP+x} ]]; then
    "${POSTGRES_STOP[@]}" >/dev/null 2>&1 || true
  fi
}
