#!/usr/bin/env bash
# Brings up what Tiketi runs on, starting only what does not answer yet: PostgreSQL, Redis and RabbitMQ
# (the default), and with `engine` the Docker engine the container test builds and runs images on.
# One script for `npm start`, .ci/run and `npm run test:containers`; plain bash, as .ci/run calls it
# before any Node is installed.
#
# A server that does not answer is started through a Docker engine when one answers (the service of that
# name in deploy/compose/servers.yaml; POSTGRES_IMAGE, REDIS_IMAGE and RABBITMQ_IMAGE choose the images),
# else from the system's packages when this runs as root on Debian or Ubuntu (installed with apt-get when
# missing); otherwise the script says how to start it and fails. The Docker engine is started the same
# way (docker.io), with the flags this kind of machine needs. TIKETI_NO_DOCKER=1 skips the engine.
#
#   scripts/infra-up.sh [postgres] [redis] [rabbitmq] [engine]
#
# POSTGRES_PORT, REDIS_PORT and AMQP_PORT move the servers (5432, 6379, 5672). With TIKETI_INFRA_DIR
# set, each server started is a private one keeping its data in that folder (PostgreSQL by initdb and
# pg_ctl instead of the system cluster, RabbitMQ as its own node): a second set beside the usual one.
set -uo pipefail

POSTGRES_PORT="${POSTGRES_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
AMQP_PORT="${AMQP_PORT:-5672}"
DIR="${TIKETI_INFRA_DIR:-}"
repo="$(cd "$(dirname "$0")/.." && pwd)"

say() { printf '  %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
can_install() { [ "$(id -u)" = 0 ] && have apt-get; }
apt_ready=""
apt_install() {
  say "installing $* (apt-get)…"
  if [ -z "$apt_ready" ]; then apt-get update -qq >/dev/null || true; apt_ready=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
# Waits for a port, printing a dot every two seconds so a slow start shows it is alive.
wait_port() {
  local name="$1" port="$2" limit="${3:-90}"
  printf '  waiting for %s on port %s ' "$name" "$port"
  for _ in $(seq 1 "$limit"); do
    if port_open "$port"; then printf ' up\n'; return 0; fi
    printf '.'; sleep 2
  done
  printf ' no answer\n'; return 1
}
# Compose v2 (`docker compose`) or the standalone docker-compose.
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"
  elif have docker-compose; then docker-compose "$@"
  else echo "no docker compose" >&2; return 127
  fi
}
# Starts one server of deploy/compose/servers.yaml through a Docker engine that answers; fails quietly
# when there is none (or the folder of a private set is asked for), and says why when the engine refuses.
docker_up() {
  local service="$1" name="$2" port="$3" out
  [ -z "$DIR" ] && [ -z "${TIKETI_NO_DOCKER:-}" ] && have docker && docker info >/dev/null 2>&1 || return 1
  say "starting $name through the Docker engine (deploy/compose/servers.yaml, service $service)…"
  if ! out=$(POSTGRES_PORT="$POSTGRES_PORT" REDIS_PORT="$REDIS_PORT" AMQP_PORT="$AMQP_PORT" \
    compose -p "${TIKETI_SERVERS_PROJECT:-tiketi-servers}" -f "$repo/deploy/compose/servers.yaml" up -d "$service" 2>&1); then
    printf '%s\n' "$out" | tail -n 3 | sed 's/^/    /'
    say "the Docker engine could not start $name; trying the system's packages"
    return 1
  fi
  wait_port "$name" "$port" || return 1
  say "$name runs in Docker until \`docker compose -p ${TIKETI_SERVERS_PROJECT:-tiketi-servers} -f deploy/compose/servers.yaml down\`"
}
cannot() {
  echo "✗ $1 does not answer on port $2, no Docker engine answers, and this script installs servers only as root on Debian or Ubuntu." >&2
  echo "  $3" >&2
  return 1
}

start_postgres() {
  port_open "$POSTGRES_PORT" && { say "PostgreSQL answers on $POSTGRES_PORT"; return 0; }
  docker_up postgres PostgreSQL "$POSTGRES_PORT" && return 0
  can_install || cannot PostgreSQL "$POSTGRES_PORT" \
    'Start it (`docker compose -p tiketi-servers -f deploy/compose/servers.yaml up -d postgres`, or `apt-get install postgresql`, then `pg_ctlcluster <version> main start`) or point DATABASE_URL at a server.' || return 1
  have pg_ctlcluster || apt_install postgresql || return 1
  local version
  version=$(ls /usr/lib/postgresql | sort -n | tail -n1)
  if [ -n "$DIR" ]; then
    local data="$DIR/postgres"
    say "starting a private PostgreSQL $version in $data on port $POSTGRES_PORT…"
    mkdir -p "$data" && chmod 755 "$DIR" && chown postgres "$data"
    [ -f "$data/PG_VERSION" ] ||
      runuser -u postgres -- "/usr/lib/postgresql/$version/bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null || return 1
    runuser -u postgres -- "/usr/lib/postgresql/$version/bin/pg_ctl" -D "$data" -l "$data/server.log" \
      -o "-p $POSTGRES_PORT -k $data -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null || return 1
  else
    local cluster
    cluster=$(ls /etc/postgresql | sort -n | tail -n1)
    say "starting PostgreSQL $cluster (pg_ctlcluster)…"
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || return 1
  fi
  wait_port PostgreSQL "$POSTGRES_PORT"
}

start_redis() {
  port_open "$REDIS_PORT" && { say "Redis answers on $REDIS_PORT"; return 0; }
  docker_up redis Redis "$REDIS_PORT" && return 0
  can_install || cannot Redis "$REDIS_PORT" \
    'Start it (`docker compose -p tiketi-servers -f deploy/compose/servers.yaml up -d redis`, or `apt-get install redis-server`, then `redis-server --daemonize yes`) or point REDIS_URL at a server.' || return 1
  have redis-server || apt_install redis-server || return 1
  local data="${DIR:+$DIR/redis}"
  data="${data:-/var/lib/redis}"
  mkdir -p "$data"
  say "starting Redis on port $REDIS_PORT (redis-server --daemonize)…"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$data" --logfile "$data/redis-$REDIS_PORT.log" --pidfile "$data/redis-$REDIS_PORT.pid" || return 1
  wait_port Redis "$REDIS_PORT"
}

start_rabbitmq() {
  port_open "$AMQP_PORT" && { say "RabbitMQ answers on $AMQP_PORT"; return 0; }
  docker_up rabbitmq RabbitMQ "$AMQP_PORT" && return 0
  can_install || cannot RabbitMQ "$AMQP_PORT" \
    'Start it (`docker compose -p tiketi-servers -f deploy/compose/servers.yaml up -d rabbitmq`, or `apt-get install rabbitmq-server`, then `rabbitmq-server -detached`) or point AMQP_URL at a broker.' || return 1
  have rabbitmq-server || apt_install rabbitmq-server || return 1
  if [ -n "$DIR" ]; then
    # Its own node: name, folders, AMQP port and distribution port, so it never meets the usual one. The
    # distribution port stays below the kernel's range of ephemeral ports (32768 and up), where a client
    # connection of the moment could hold it and the node would not boot.
    local base="$DIR/rabbitmq"
    mkdir -p "$base" && chmod 755 "$DIR" && chown rabbitmq:rabbitmq "$base" 2>/dev/null
    export RABBITMQ_NODENAME="tiketi$AMQP_PORT@localhost" RABBITMQ_BASE="$base" \
      RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" RABBITMQ_NODE_PORT="$AMQP_PORT" \
      RABBITMQ_DIST_PORT="$((AMQP_PORT + 5000))" RABBITMQ_PID_FILE="$base/pid" \
      RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf"
    echo '[].' >"$base/enabled_plugins"
    echo "listeners.tcp.local = 127.0.0.1:$AMQP_PORT" >"$base/rabbitmq.conf"
  fi
  say "starting RabbitMQ on port $AMQP_PORT (rabbitmq-server -detached; about 20 s)…"
  rabbitmq-server -detached || return 1
  # Erlang boots slowly on a busy machine: up to four minutes before giving up.
  wait_port RabbitMQ "$AMQP_PORT" 120 && return 0
  [ -n "$DIR" ] && tail -n 30 "$DIR"/rabbitmq/log/*.log >&2 2>/dev/null
  return 1
}

start_engine() {
  if have docker && docker info >/dev/null 2>&1; then say "the Docker engine answers"; return 0; fi
  can_install || { echo "✗ no Docker engine answers, and this script starts one only as root on Debian or Ubuntu." >&2; return 1; }
  have dockerd || apt_install docker.io || return 1
  local log="${DIR:-/var/log}/dockerd.log"
  say "starting the Docker engine (dockerd, vfs storage, host networking; log in $log)…"
  # This kind of machine has no iptables and no bridge: containers use the host's network.
  nohup dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs >"$log" 2>&1 &
  printf '  waiting for the Docker engine '
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then printf ' up\n'; return 0; fi
    printf '.'; sleep 1
  done
  printf ' no answer\n'; tail -n 20 "$log" >&2; return 1
}

[ $# -gt 0 ] || set -- postgres redis rabbitmq
status=0
for part in "$@"; do
  case "$part" in
    postgres) start_postgres || status=1 ;;
    redis) start_redis || status=1 ;;
    rabbitmq) start_rabbitmq || status=1 ;;
    engine) start_engine || status=1 ;;
    *) echo "unknown part: $part (postgres, redis, rabbitmq, engine)" >&2; status=2 ;;
  esac
done
exit "$status"
