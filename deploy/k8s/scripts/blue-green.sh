#!/usr/bin/env bash
# Blue/green for the critical services (reservation, payment):
#   blue-green.sh <namespace> <service> stage <image>   put <image> on the idle colour and wait until ready
#   blue-green.sh <namespace> <service> switch          send all traffic to the idle colour (instant)
#   blue-green.sh <namespace> <service> status          which colour serves, and each colour's image
# Colours: Deployment <service> is blue, <service>-green is green; Service <service> selects one by the
# tiketi.gg/slot label. Rolling back is `switch` again: the previous colour is still running.
set -euo pipefail
ns=$1 service=$2 action=$3

active() { kubectl -n "$ns" get "service/$service" -o jsonpath='{.spec.selector.tiketi\.gg/slot}'; }
deployment_of() { if [ "$1" = blue ]; then echo "$service"; else echo "$service-green"; fi; }
idle() { if [ "$(active)" = blue ]; then echo green; else echo blue; fi; }

case "$action" in
  stage)
    image=$4 target=$(deployment_of "$(idle)")
    replicas=$(kubectl -n "$ns" get "deployment/$(deployment_of "$(active)")" -o jsonpath='{.spec.replicas}')
    kubectl -n "$ns" set image "deployment/$target" "$service=$image"
    kubectl -n "$ns" scale "deployment/$target" --replicas="$replicas"
    kubectl -n "$ns" rollout status "deployment/$target" --timeout=10m
    echo "$(idle) is ready on $image; try it at service/$service-preview, then: $0 $ns $service switch"
    ;;
  switch)
    to=$(idle)
    kubectl -n "$ns" patch "service/$service" --type=merge -p "{\"spec\":{\"selector\":{\"tiketi.gg/slot\":\"$to\"}}}"
    echo "$service now serves from $to; the other colour keeps running for an instant rollback"
    ;;
  status)
    echo "active: $(active)"
    for colour in blue green; do
      echo "$colour: $(kubectl -n "$ns" get "deployment/$(deployment_of "$colour")" -o jsonpath='{.spec.replicas} x {.spec.template.spec.containers[0].image}')"
    done
    ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
