#!/usr/bin/env bash
# Writes real secrets for deploy/compose into an env file (default: deploy/compose/.env, which compose
# reads), one random value per secret the platform and its data stores read. An existing file keeps its
# secrets (they are the deployment's, and changing them would lock the data stores' volumes out); a secret
# it lacks, one a newer platform reads, is added to it.
# Usage: deploy/compose/secrets.sh [file]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
file="${1:-$here/.env}"

random() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c "${1:-40}"; }
# The access-token signing key: a private Ed25519 JWK with a key id (see services/user/src/domain/signing-keys.ts).
jwk=$(node -e '
  const { generateKeyPairSync, randomUUID } = require("node:crypto");
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  process.stdout.write(JSON.stringify({ ...jwk, kid: randomUUID(), alg: "EdDSA" }));
')

umask 077
secrets=$(cat <<SECRETS
COMPOSE_PROJECT_NAME=tiketi
POSTGRES_PASSWORD=$(random)
REDIS_PASSWORD=$(random)
RABBITMQ_PASSWORD=$(random)
INTERNAL_TOKEN=$(random 48)
OPS_TOKEN=$(random 48)
QUEUE_TOKEN_SECRET=$(random 48)
TOKEN_ATTESTATION_KEY=$(random 48)
TICKET_SIGNING_SECRET=$(random 48)
CHALLENGE_HMAC_KEY=$(random 48)
GOOGLE_CLIENT_SECRET=$(random)
ADMIN_PASSWORD=$(random 24)
TOSS_SECRET_KEY=test_sk_$(random 32)
JWT_PRIVATE_JWK=$jwk
SECRETS
)
if [ ! -s "$file" ]; then
  printf '%s\n' "$secrets" >"$file"
  echo "wrote $file"
  exit 0
fi
added=0
while IFS= read -r line; do
  if ! grep -q "^${line%%=*}=" "$file"; then
    printf '%s\n' "$line" >>"$file"
    echo "added ${line%%=*} to $file"
    added=1
  fi
done <<<"$secrets"
[ "$added" = 1 ] || echo "$file exists: keeping its secrets"
