# shellcheck shell=bash
# Source this file (do not execute it) to get the offline Pulumi engine on PATH:
#
#   source toolchain/env.sh
#
# It runs toolchain/ensure.sh (which builds the pinned toolchain once, then returns in
# seconds) and exports the settings the engine needs to work without the internet. It sets no
# passphrase: the caller provides PULUMI_CONFIG_PASSPHRASE / PULUMI_CONFIG_PASSPHRASE_FILE.
#
# Honoured: LABFABRIC_CACHE, LABFABRIC_STATE_DIR, LABFABRIC_BUILD_TOOLCHAIN, PULUMI_HOME,
# PULUMI_BACKEND_URL (kept when already set).

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "env.sh must be sourced: source ${BASH_SOURCE[0]}" >&2
  exit 1
fi

__labfabric_env() {
  local here cache bindir state
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  cache="${LABFABRIC_CACHE:-$HOME/.cache/labfabric}"

  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_HOME="${PULUMI_HOME:-$cache/pulumi-home}"

  bindir="$(bash "$here/ensure.sh" | tail -n 1)" || return 1
  [[ -n "$bindir" && -x "$bindir/pulumi" ]] || {
    echo "env.sh: ensure.sh did not report a toolchain directory" >&2
    return 1
  }
  case ":$PATH:" in
    *":$bindir:"*) ;;
    *) export PATH="$bindir:$PATH" ;;
  esac

  if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
    state="${LABFABRIC_STATE_DIR:-$HOME/.cache/labfabric/state}"
    mkdir -p "$state" || return 1
    state="$(cd "$state" && pwd)"
    export PULUMI_BACKEND_URL="file://$state"
  fi
}

__labfabric_env
__labfabric_env_rc=$?
unset -f __labfabric_env
if [[ $__labfabric_env_rc -ne 0 ]]; then
  unset __labfabric_env_rc
  echo "env.sh: could not set up the Pulumi toolchain" >&2
  return 1
fi
unset __labfabric_env_rc
