#!/bin/bash
# openstack-host's `ebtables` (its private /etc/alternatives/ebtables points here). Debian 12's
# ebtables-nft cannot delete a rule with an among match by its spec ("RULE_DELETE failed
# (Invalid argument)"), and this kernel has no legacy ebtables nat table. Neutron's linuxbridge
# agent deletes its MAC anti-spoofing rules (`--among-src <mac>`) exactly that way whenever a
# port changes (allowed address pairs), and retries forever, so later security-group updates of
# that port are never applied. When such a delete fails, this deletes the identical rule by its
# number instead. Every other call goes to ebtables-nft unchanged.
real=/usr/sbin/ebtables-nft
"$real" "$@" && exit 0
rc=$?
table=filter chain="" spec=() del=0 among=0 prev=""
for a in "$@"; do
  case $prev in
    -t) table=$a ;;
    -D) chain=$a del=1 ;;
    *)
      case $a in
        -t | -D | --concurrent) ;;
        *) [ "$del" = 1 ] && [ -n "$chain" ] && [ "$a" != "$chain" ] && spec+=("$a") ;;
      esac
      ;;
  esac
  case $a in --among-src | --among-dst) among=1 ;; esac
  prev=$a
done
[ "$del" = 1 ] && [ "$among" = 1 ] && [ -n "$chain" ] || exit "$rc"
want="${spec[*]}"
num=$("$real" -t "$table" --concurrent -L "$chain" --Ln 2>/dev/null |
  awk -v want="$want" '{ n = $1; $1 = ""; sub(/^ /, ""); gsub(/, /, " "); if ($0 == want) { print n; exit } }')
[ -n "$num" ] || exit "$rc"
exec "$real" -t "$table" --concurrent -D "$chain" "$num"
