# Shared by the all-in-one OpenStack scripts (sourced). Names, addresses and paths of the
# openstack-host namespace, plus helpers: progress lines with elapsed time, running inside the
# host's network + mount namespace, waiting for a port.
# shellcheck shell=bash
NS=openstack-host
ROOT_VETH=os-root     # root namespace end, 10.252.0.1/24
HOST_VETH=os-eth0     # openstack-host end, 10.252.0.2/24: every API endpoint
ROOT_IP=10.252.0.1
HOST_IP=10.252.0.2
EXT_IF=os-ext         # flat "external" physnet of the linuxbridge agent
EXT_GW_IF=os-extgw    # its peer: the external network's upstream router, 10.253.0.1/24
EXT_CIDR=10.253.0.0/24
EXT_GW=10.253.0.1
OS_STATE=${LABFABRIC_OPENSTACK_STATE:-${LABFABRIC_CACHE:-$HOME/.cache/labfabric}/openstack}
ANCHOR_PID_FILE=$OS_STATE/anchor.pid
SECRETS=$OS_STATE/secrets.env     # generated passwords, mode 600, never in the repository
OS_START=${OS_START:-$(date +%s)}
DAEMON_LOGS=/var/log/labfabric  # inside the host: $OS_STATE/log/labfabric outside

step() {
  echo "openstack-aio: [$(($(date +%s) - OS_START))s] $*" >&2
  if [ -d "$OS_STATE" ]; then echo "$*" >"$OS_STATE/.step"; fi
}

# Every 30 s, which step is still running (long steps: migrations, agents, the upload).
# It ends with its script even when that is killed (a test's timeout): an orphan would keep the
# caller's stderr open.
heartbeat() {
  local parent=$$
  (while sleep 30 </dev/null >/dev/null 2>&1 && kill -0 "$parent" 2>/dev/null; do
    echo "openstack-aio: [$(($(date +%s) - OS_START))s] ... still: $(cat "$OS_STATE/.step" 2>/dev/null)" >&2
  done) >/dev/null &
  HEARTBEAT=$!
  disown "$HEARTBEAT" 2>/dev/null || true
  # Only the loop: its sleep holds no caller fd, and killing it first prints "Terminated".
  trap 'kill "$HEARTBEAT" 2>/dev/null' EXIT
}
die() { echo "openstack-aio: ERROR $*" >&2; exit 1; }

anchor_pid() {
  local pid
  [ -f "$ANCHOR_PID_FILE" ] || return 1
  pid=$(cat "$ANCHOR_PID_FILE")
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Runs a command inside openstack-host's network namespace and private mount namespace.
inhost() {
  local pid
  pid=$(anchor_pid) || die "openstack-host is not running (no anchor process)"
  nsenter -t "$pid" -m -n -- "$@"
}

# Starts a daemon inside the host, detached, its output appended to /var/log/<name>.out there.
# The background subshell that launches it stays the daemon's parent (nsenter and setsid exec,
# they do not fork), so it must not keep the caller's stdout/stderr: whoever reads start.sh's
# output through a pipe (the e2e, CI) would otherwise wait for EOF until the cloud is stopped.
daemon() {
  local name=$1
  shift
  inhost setsid sh -c 'log=$1 name=$2; shift 2; exec "$@" >>"$log/$name.out" 2>&1 </dev/null' \
    daemon "$DAEMON_LOGS" "$name" "$@" </dev/null >>"$OS_STATE/log/labfabric/launch.out" 2>&1 &
  disown
}

# Waits until TCP $1:$2 answers inside the host (bounded by $3 seconds, default 120).
wait_port() {
  local host=$1 port=$2 limit=${3:-120} n=0
  until inhost bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; do
    n=$((n + 1))
    [ "$n" -lt "$limit" ] || die "nothing answers on $host:$port after ${limit}s"
    sleep 1
  done
}

# Runs `openstack` as admin inside the host; extra args are passed through.
os_admin() { inhost env "${ADMIN_ENV[@]}" openstack "$@"; }

load_secrets() {
  [ -f "$SECRETS" ] || die "no $SECRETS: run start.sh"
  # shellcheck disable=SC1090
  . "$SECRETS"
  ADMIN_ENV=(OS_AUTH_URL="http://$HOST_IP:5000/v3" OS_USERNAME=admin OS_PASSWORD="$ADMIN_PASS"
    OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
    OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne)
}
