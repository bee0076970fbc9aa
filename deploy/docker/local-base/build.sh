#!/usr/bin/env bash
# Makes the base images Tiketi's Dockerfiles build from, on a machine that cannot pull images:
#   tiketi-local/debian:bookworm   a minimal Debian root (debootstrap, from the mirror apt already uses)
#   tiketi-local/node:24           that root with the repository's own Node (the `node` package) and npm
#   tiketi-local/nginx:bookworm    that root with Debian's nginx, laid out like nginx-unprivileged
#   tiketi-local/postgres:15, tiketi-local/redis:7, tiketi-local/rabbitmq:3
#                                  Debian's servers for deploy/compose/servers.yaml (only when asked for)
# Each is made once: an image already present is kept. Needs `npm ci` done (for the Node binary) and a
# running Docker engine. Usage: deploy/docker/local-base/build.sh [debian|node|nginx|postgres|redis|rabbitmq]...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

DEBIAN_IMAGE=tiketi-local/debian:bookworm
NODE_IMAGE=tiketi-local/node:24
NGINX_IMAGE=tiketi-local/nginx:bookworm

say() { printf '  base images: %s\n' "$*"; }
present() { docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror apt uses here (deb822 or one-line sources), so debootstrap reaches what apt reaches.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
  [ -n "$uri" ] || uri=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '{print $2}' | grep -v security | head -n1)
  echo "${uri:-http://deb.debian.org/debian}"
}

make_debian() {
  if present "$DEBIAN_IMAGE"; then say "$DEBIAN_IMAGE present"; return; fi
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
  local dir mirror
  dir=$(mktemp -d)
  mirror=$(debian_mirror)
  say "making $DEBIAN_IMAGE with debootstrap from $mirror (about 90 s)…"
  debootstrap --variant=minbase bookworm "$dir/root" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
    { tail -n 20 "$dir/debootstrap.log" >&2; rm -rf "$dir"; return 1; }
  rm -rf "$dir/root/var/cache/apt/archives/"*.deb "$dir/root/var/lib/apt/lists/"* "$dir/root/var/log/"*
  tar -C "$dir/root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$dir"
  say "$DEBIAN_IMAGE made"
}

make_node() {
  if present "$NODE_IMAGE"; then say "$NODE_IMAGE present"; return; fi
  make_debian
  local node_bin npm_dir ctx
  node_bin="$root/node_modules/node/bin/node"
  [ -x "$node_bin" ] || { echo "no $node_bin: run npm ci first" >&2; return 1; }
  npm_dir="$(npm root -g)/npm"
  [ -d "$npm_dir" ] || { echo "npm not found at $npm_dir" >&2; return 1; }
  ctx=$(mktemp -d)
  cp "$node_bin" "$ctx/node"
  cp -r "$npm_dir" "$ctx/npm"
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ca-certificates.crt"
  say "making $NODE_IMAGE (Node $("$node_bin" --version), npm $(npm --version))…"
  docker build -q --network host --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" -t "$NODE_IMAGE" \
    -f "$here/node.Dockerfile" "$ctx" >/dev/null
  rm -rf "$ctx"
  say "$NODE_IMAGE made"
}

make_nginx() {
  if present "$NGINX_IMAGE"; then say "$NGINX_IMAGE present"; return; fi
  make_debian
  say "making $NGINX_IMAGE…"
  docker build -q --network host --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" -t "$NGINX_IMAGE" \
    -f "$here/nginx.Dockerfile" "$here" >/dev/null
  say "$NGINX_IMAGE made"
}

# One of Debian's servers, as servers.Dockerfile's stage of that name.
make_server() {
  local image="tiketi-local/$1:$2"
  if present "$image"; then say "$image present"; return; fi
  make_debian
  say "making $image…"
  docker build -q --network host --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" --target "$1" -t "$image" \
    -f "$here/servers.Dockerfile" "$here" >/dev/null
  say "$image made"
}

[ $# -gt 0 ] || set -- debian node nginx
for image in "$@"; do
  case "$image" in
    debian) make_debian ;;
    node) make_node ;;
    nginx) make_nginx ;;
    postgres) make_server postgres 15 ;;
    redis) make_server redis 7 ;;
    rabbitmq) make_server rabbitmq 3 ;;
    *) echo "unknown base image: $image (debian, node, nginx, postgres, redis, rabbitmq)" >&2; exit 2 ;;
  esac
done
