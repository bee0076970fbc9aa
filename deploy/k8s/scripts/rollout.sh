#!/usr/bin/env bash
# CI's deploy step: rollout.sh <namespace> <service> <image> [migrates=true|false]
# A service that owns a database first runs its migration Job from the release image; a failing migration
# stops the deploy before any pod changes. Then the Deployment gets the new image:
# - gateway, reservation and payment are driven by their Argo Rollout (canary or blue/green with analysis,
#   deploy/k8s/components/progressive-delivery); this waits for its verdict. Argo itself aborts a release
#   whose analysis fails and returns traffic to the stable pods; the job then fails.
# - the other services roll with the Deployment (maxSurge 1, maxUnavailable 0); one that does not become
#   ready is undone.
set -euo pipefail
ns=$1 service=$2 image=$3 migrates=${4:-false}
timeout_seconds=${ROLLOUT_TIMEOUT_SECONDS:-1800}

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

if kubectl -n "$ns" get "rollout.argoproj.io/$service" >/dev/null 2>&1; then
  deadline=$((SECONDS + timeout_seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    phase=$(kubectl -n "$ns" get "rollout.argoproj.io/$service" -o jsonpath='{.status.phase}')
    message=$(kubectl -n "$ns" get "rollout.argoproj.io/$service" -o jsonpath='{.status.message}')
    echo "rollout $service: ${phase:-Pending} ${message}"
    case "$phase" in
      Healthy) exit 0 ;;
      Degraded) echo "release of $service aborted by its analysis; stable pods serve" >&2; exit 1 ;;
    esac
    sleep 15
  done
  echo "release of $service did not finish within ${timeout_seconds}s" >&2
  exit 1
fi

if ! kubectl -n "$ns" rollout status "deployment/$service" --timeout=10m; then
  echo "rollout of $service did not become ready: undoing" >&2
  kubectl -n "$ns" rollout undo "deployment/$service"
  kubectl -n "$ns" rollout status "deployment/$service" --timeout=10m
  exit 1
fi
