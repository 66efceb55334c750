#!/bin/sh
# labfabric: prove pod-to-pod traffic at the full pod MTU (1450) between every pair of nodes
set -eu

export KUBECONFIG='/etc/kubernetes/admin.conf'
ns='labfabric-proof'
mtu=1450
size=1422 # ping payload: pod MTU - 28 (IPv4 + ICMP headers)
pods=$(mktemp)
cleanup() { rm -f "$pods"; kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

# Bounded waits: every node Ready (the CNI is up), CoreDNS, then one probe pod per node
kubectl wait --for=condition=Ready node --all --timeout=300s
printf '%s\n' 'apiVersion: v1
kind: Namespace
metadata:
  labels:
    app.kubernetes.io/name: labfabric-proof
    app.kubernetes.io/part-of: labfabric
    pod-security.kubernetes.io/enforce: privileged
  name: labfabric-proof
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  labels:
    app.kubernetes.io/name: labfabric-proof
    app.kubernetes.io/part-of: labfabric
  name: labfabric-proof
  namespace: labfabric-proof
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: labfabric-proof
  template:
    metadata:
      labels:
        app.kubernetes.io/name: labfabric-proof
        app.kubernetes.io/part-of: labfabric
    spec:
      automountServiceAccountToken: false
      containers:
        - command:
            - sleep
            - "3600"
          image: docker.io/nicolaka/netshoot:v0.13
          name: probe
          resources:
            requests:
              cpu: 10m
              memory: 16Mi
          securityContext:
            capabilities:
              add:
                - NET_RAW
      terminationGracePeriodSeconds: 1
      tolerations:
        - operator: Exists' | kubectl apply -f - >/dev/null
kubectl -n kube-system rollout status deployment/coredns --timeout=300s
kubectl -n "$ns" rollout status daemonset/labfabric-proof --timeout=600s
kubectl -n "$ns" get pods -l app.kubernetes.io/name=labfabric-proof -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{.metadata.name}{" "}{.status.podIP}{"\n"}{end}' > "$pods"
pod_on() { awk -v n="$1" '$1 == n { print $2; exit }' "$pods"; }
ip_on() { awk -v n="$1" '$1 == n { print $3; exit }' "$pods"; }

missing=''
for n in 'master' 'k8s-worker-1' 'k8s-worker-2'; do
  [ -n "$(pod_on "$n")" ] || missing="$missing $n"
done
if [ -n "$missing" ]; then
  echo "labfabric proof FAILED: no probe pod on:$missing (node not registered, NoExecute-tainted, or the CNI is not running there)" >&2
  exit 1
fi
first=$(pod_on 'master')
if ! kubectl -n "$ns" exec "$first" -- ping -M 'do' -c 1 -s 56 127.0.0.1 >/dev/null 2>&1; then
  echo 'labfabric proof FAILED: the probe image (docker.io/nicolaka/netshoot:v0.13) has no ping that sets DF (-M do); use an image with iputils ping' >&2
  exit 1
fi

# Every ordered pair: 1422-byte payload (= 1450-byte packets) with DF set, and one
# byte more refused; on failure a small ping tells an MTU black hole (post A) from no
# connectivity at all
failures=''
fail() { failures="$failures
  $1"; }
printf '%-14s' 'from \ to'
for to in 'master' 'k8s-worker-1' 'k8s-worker-2'; do printf ' %-14s' "$to"; done
printf ' %s\n' 'DNS'
for from in 'master' 'k8s-worker-1' 'k8s-worker-2'; do
  fpod=$(pod_on "$from")
  fip=$(ip_on "$from")
  row=$(printf '%-14s' "$from")
  for to in 'master' 'k8s-worker-1' 'k8s-worker-2'; do
    if [ "$from" = "$to" ]; then
      cell='-'
    else
      tip=$(ip_on "$to")
      if kubectl -n "$ns" exec "$fpod" -- ping -M 'do' -c 3 -W 2 -s "$size" "$tip" >/dev/null 2>&1; then
        # One byte more must be refused: the pods' MTU is the planned one, not larger
        if kubectl -n "$ns" exec "$fpod" -- ping -M 'do' -c 1 -W 2 -s "$((size + 1))" "$tip" >/dev/null 2>&1; then
          cell=BIG
          fail "$from -> $to (pod $fip -> $tip): $((mtu + 1))-byte packets with DF set pass: the pods' MTU is above the planned $mtu (flannel vxlan), so full-size packets from these pods exceed what the plan budgeted for the path"
        else
          cell=ok
        fi
      elif kubectl -n "$ns" exec "$fpod" -- ping -c 2 -W 2 -s 56 "$tip" >/dev/null 2>&1; then
        cell=MTU
        fail "$from -> $to (pod $fip -> $tip): $mtu-byte packets with DF set are dropped while small packets pass: an MTU black hole, some layer between these nodes carries less than the planned pod MTU $mtu (flannel vxlan)"
      else
        cell=FAIL
        fail "$from -> $to (pod $fip -> $tip): no reply even to small packets: pod traffic between these nodes is blocked (firewall or security group, the flannel vxlan encapsulation, or routes)"
      fi
    fi
    row="$row $(printf '%-14s' "$cell")"
  done
  if kubectl -n "$ns" exec "$fpod" -- nslookup 'kubernetes.default.svc.cluster.local' >/dev/null 2>&1; then
    dns=ok
  else
    dns=FAIL
    fail "$from: DNS lookup of kubernetes.default.svc.cluster.local failed: pods on this node cannot reach CoreDNS through its service IP (kube-proxy, or pod traffic to the node running CoreDNS)"
  fi
  printf '%s %s\n' "$row" "$dns"
done

if [ -n "$failures" ]; then
  printf 'labfabric proof FAILED (pod MTU %s, DF ping payload %s bytes, flannel vxlan):%s\n' "$mtu" "$size" "$failures" >&2
  exit 1
fi
echo 'labfabric proof passed: 6 ordered node pairs carry 1450-byte DF packets pod to pod and refuse 1451 (flannel vxlan), and kubernetes.default.svc.cluster.local resolves on every node'
