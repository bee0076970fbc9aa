#!/bin/sh
# Makes the database cluster on first start, then runs the command (the official image's contract, in
# the part deploy/compose/servers.yaml uses).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ "${POSTGRES_HOST_AUTH_METHOD:-}" = trust ]; then
    initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --auth=trust >/dev/null
  else
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD or POSTGRES_HOST_AUTH_METHOD=trust}" >"$pwfile"
    initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --auth=scram-sha-256 --pwfile="$pwfile" >/dev/null
    rm -f "$pwfile"
  fi
fi
exec "$@"
