#!/bin/sh
# A stand-in kubectl for running the rendered registration step: one file per Node under
# $FAKE_DIR/nodes, holding its labels one per line. Knows only what that step and its delete call.
set -eu
nodes="$FAKE_DIR/nodes"
echo "$*" >> "$FAKE_DIR/log"
[ "${1:-}" = --kubeconfig ] && shift 2
verb=$1
shift
[ "$1" = node ] || [ "$1" = nodes ] || { echo "fake kubectl: unexpected $*" >&2; exit 2; }
shift
selected() { # names of the nodes carrying label $1
  for f in "$nodes"/*; do
    [ -e "$f" ] || continue
    if grep -qxF "$1" "$f"; then basename "$f"; fi
  done
}
case "$verb" in
  get)
    if [ "$1" = -o ]; then
      for f in "$nodes"/*; do [ -e "$f" ] && echo "node/$(basename "$f")"; done
    else
      selected "$2" | tr '\n' ' '
    fi
    ;;
  label)
    names=''
    for a in "$@"; do
      case "$a" in
        --*) ;;
        *=*) label=$a ;;
        *) names="$names $a" ;;
      esac
    done
    for n in $names; do
      [ -e "$nodes/$n" ] || { echo "Error: nodes \"$n\" not found" >&2; exit 1; }
      grep -vx "${label%%=*}=.*" "$nodes/$n" > "$nodes/$n.tmp" || true
      echo "$label" >> "$nodes/$n.tmp"
      mv "$nodes/$n.tmp" "$nodes/$n"
    done
    ;;
  delete)
    if [ "$1" = -l ]; then
      for n in $(selected "$2"); do rm -f "$nodes/$n"; done
    else
      rm -f "$nodes/$1"
    fi
    ;;
  *) echo "fake kubectl: unexpected $verb $*" >&2; exit 2 ;;
esac
