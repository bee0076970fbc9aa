#!/usr/bin/env bash
# CI's deploy step (the seed's "kubectl set image + rollout status"):
#   rollout.sh <namespace> <service> <image> [migrates=true|false]
# A service that owns a database first runs its migration Job from the release image; a failing migration
# stops the deploy before any pod changes. A rollout that does not become ready is undone.
set -euo pipefail
ns=$1 service=$2 image=$3 migrates=${4:-false}

if [ "$migrates" = true ]; then
  job="${service}-migrate-$(date +%s)"
  kubectl -n "$ns" set image "cronjob/${service}-migrate" migrate="$image"
  kubectl -n "$ns" create job "$job" --from="cronjob/${service}-migrate"
  if ! kubectl -n "$ns" wait --for=condition=complete --timeout=10m "job/$job"; then
    kubectl -n "$ns" logs "job/$job" --tail=100 || true
    echo "migration of $service failed: nothing was rolled out" >&2
    exit 1
  fi
fi

kubectl -n "$ns" set image "deployment/$service" "$service=$image"
if ! kubectl -n "$ns" rollout status "deployment/$service" --timeout=10m; then
  echo "rollout of $service did not become ready: undoing" >&2
  kubectl -n "$ns" rollout undo "deployment/$service"
  kubectl -n "$ns" rollout status "deployment/$service" --timeout=10m
  exit 1
fi
# Keep the idle blue/green and canary copies on the same release, ready for the next switch.
for copy in "${service}-green" "${service}-canary"; do
  if kubectl -n "$ns" get "deployment/$copy" >/dev/null 2>&1; then
    kubectl -n "$ns" set image "deployment/$copy" "$service=$image"
  fi
done
