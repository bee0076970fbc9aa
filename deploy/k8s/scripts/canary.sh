#!/usr/bin/env bash
# Canary for the critical path (gateway, reservation, payment as one lane):
#   canary.sh <namespace> start <image-tag>   run the candidate tag on the canary lane at weight 10
#   canary.sh <namespace> weight <10|50|100>  move that share of API traffic to the lane
#   canary.sh <namespace> promote             roll the stable Deployments to the candidate, then close the lane
#   canary.sh <namespace> abort               weight 0 and scale the lane to zero
# ingress-nginx splits by weight at the edge (Ingress tiketi-canary); inside the lane the canary gateway calls
# the canary reservation and payment, so a request runs candidate code end to end.
set -euo pipefail
ns=$1 action=$2
lane=(gateway reservation payment)

weight() {
  kubectl -n "$ns" annotate ingress/tiketi-canary --overwrite "nginx.ingress.kubernetes.io/canary-weight=$1"
  echo "canary weight $1%"
}

case "$action" in
  start)
    tag=$3
    for s in "${lane[@]}"; do
      image=$(kubectl -n "$ns" get "deployment/$s" -o jsonpath='{.spec.template.spec.containers[0].image}')
      kubectl -n "$ns" set image "deployment/$s-canary" "$s=${image%:*}:$tag"
      kubectl -n "$ns" scale "deployment/$s-canary" --replicas=2
    done
    for s in "${lane[@]}"; do kubectl -n "$ns" rollout status "deployment/$s-canary" --timeout=10m; done
    weight 10
    ;;
  weight) weight "$3" ;;
  promote)
    for s in "${lane[@]}"; do
      image=$(kubectl -n "$ns" get "deployment/$s-canary" -o jsonpath='{.spec.template.spec.containers[0].image}')
      kubectl -n "$ns" set image "deployment/$s" "$s=$image"
    done
    for s in "${lane[@]}"; do kubectl -n "$ns" rollout status "deployment/$s" --timeout=10m; done
    weight 0
    for s in "${lane[@]}"; do kubectl -n "$ns" scale "deployment/$s-canary" --replicas=0; done
    ;;
  abort)
    weight 0
    for s in "${lane[@]}"; do kubectl -n "$ns" scale "deployment/$s-canary" --replicas=0; done
    ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
