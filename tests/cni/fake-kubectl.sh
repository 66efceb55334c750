#!/bin/sh
# A stand-in kubectl for running the rendered proof script: pods from FAKE_PODS
# ("node pod ip;..."), DF pings dropped for FAKE_BLACKHOLE pairs ("from>to ..."), all pings
# dropped for FAKE_BLOCKED pairs, DNS failing on FAKE_DNS_FAIL nodes, no DF support with
# FAKE_NO_DF=1, DF pings above the pods' MTU (FAKE_POD_MTU, 1450) refused as the pod's own
# interface refuses them. Every call is logged to $FAKE_DIR/log.
echo "$*" >> "$FAKE_DIR/log"
if [ "$1" = "-n" ]; then shift 2; fi
case "$1" in
  wait | rollout | delete) exit 0 ;;
  apply) cat > "$FAKE_DIR/manifest.yaml"; exit 0 ;;
  get) printf '%s\n' "$FAKE_PODS" | tr ';' '\n'; exit 0 ;;
  exec) ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 2 ;;
esac
pod=$2
shift 3
from=$(printf '%s\n' "$FAKE_PODS" | tr ';' '\n' | awk -v p="$pod" '$2 == p { print $1 }')
if [ "$1" = nslookup ]; then
  case " ${FAKE_DNS_FAIL:-} " in *" $from "*) exit 1 ;; esac
  exit 0
fi
df=0
size=56
prev=''
for a in "$@"; do
  [ "$prev" = -s ] && size=$a
  [ "$a" = -M ] && df=1
  prev=$a
  target=$a
done
if [ "$target" = 127.0.0.1 ]; then
  [ "$df" = 1 ] && [ "${FAKE_NO_DF:-0}" = 1 ] && exit 2
  exit 0
fi
to=$(printf '%s\n' "$FAKE_PODS" | tr ';' '\n' | awk -v ip="$target" '$3 == ip { print $1 }')
[ "$df" = 1 ] && [ "$size" -gt $((${FAKE_POD_MTU:-1450} - 28)) ] && exit 1
case " ${FAKE_BLOCKED:-} " in *" $from>$to "*) exit 1 ;; esac
case " ${FAKE_BLACKHOLE:-} " in *" $from>$to "*) [ "$size" -gt 100 ] && exit 1 ;; esac
exit 0
