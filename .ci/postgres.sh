# Sourced by .ci/run: starts a throwaway PostgreSQL on 127.0.0.1 for the
# roster-scim store tests, exports ROSTER_SCIM_POSTGRES_URL, and stops it
# when the calling shell exits. Where it cannot (no apt-get, no root to
# install), it says why and the tests skip with the same reason printed.

# The newest installed server's bin directory (one with initdb: a client-only
# install has psql there but no server), or nothing.
roster_pg_bindir() {
  local initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$initdb" ] && dirname "$initdb"
  return 0
}

roster_pg_start() {
  local bindir
  bindir=$(roster_pg_bindir)
  if [ -z "$bindir" ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      echo "installing postgresql from the distribution's packages"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
        || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
        || { echo "SKIP PostgreSQL: apt-get install postgresql failed"; return 0; }
      bindir=$(roster_pg_bindir)
      [ -n "$bindir" ] || { echo "SKIP PostgreSQL: installed, but no initdb found"; return 0; }
    else
      echo "SKIP PostgreSQL: not installed, and no apt-get as root to install it"
      return 0
    fi
  fi
  local as=()
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: the package's postgres user owns it.
    as=(runuser -u postgres --)
  fi
  ROSTER_PG_DIR=$(mktemp -d /tmp/roster-pg.XXXXXX)
  chmod 755 "$ROSTER_PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$ROSTER_PG_DIR"
  # A port nothing listens on (a distribution's own cluster may hold 5432).
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
  "${as[@]}" "$bindir/initdb" -D "$ROSTER_PG_DIR/data" -U roster --auth=trust >/dev/null \
    || { echo "SKIP PostgreSQL: initdb failed"; return 0; }
  "${as[@]}" "$bindir/pg_ctl" -D "$ROSTER_PG_DIR/data" -w -l "$ROSTER_PG_DIR/log" \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$ROSTER_PG_DIR -c fsync=off" start >/dev/null \
    || { echo "SKIP PostgreSQL: it did not start (see $ROSTER_PG_DIR/log)"; return 0; }
  ROSTER_PG_STOP=("${as[@]}" "$bindir/pg_ctl" -D "$ROSTER_PG_DIR/data" -m fast stop)
  trap 'roster_pg_stop' EXIT
  trap 'roster_pg_stop; exit 130' INT
  trap 'roster_pg_stop; exit 143' TERM
  "${as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U roster roster_scim \
    || { echo "SKIP PostgreSQL: createdb failed"; return 0; }
  export ROSTER_SCIM_POSTGRES_URL="postgres://roster@127.0.0.1:$port/roster_scim"
  echo "PostgreSQL running: $ROSTER_SCIM_POSTGRES_URL"
}

roster_pg_stop() {
  if [ -n "${ROSTER_PG_STOP:-}" ]; then
    "${ROSTER_PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$ROSTER_PG_DIR"
    ROSTER_PG_STOP=
  fi
}

roster_pg_start
