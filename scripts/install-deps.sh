#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install-deps.sh - install what pacedns needs to build, test and benchmark (Debian 12).
#
# Idempotent: when every package is already installed, apt is not touched at all, and
# a normal user needs neither root nor sudo. Otherwise it runs as root, or re-runs
# itself through sudo. The DNS servers it installs (nsd,
# unbound, knot, dnsdist) are only used by the tests on 127.0.0.1 high ports; their
# distro services must not run: they are kept from starting during the install and
# stopped afterwards if they run from the package's default configuration.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config libgetdns-dev libuv1-dev libcjson-dev libidn2-dev
  libunistring-dev # static links of libidn2 (pkg-config --static pacedns)
  libkrb5-dev libldap2-dev liblmdb-dev libnghttp2-dev libp11-kit-dev libpsl-dev librtmp-dev
  libssh2-1-dev libzstd-dev # static links of libknot and libcurl (pkg-config --static pacedns)
  libknot-dev libcurl4-openssl-dev libssl-dev # packet codec; DoH; TLS
  ldnsutils openssl chromium # test-time zone signing and certificates; report rendering
  nsd unbound knot dnsdist dnsperf adns-tools
  knot-module-geoip # ECS per input line: Knot answering by client subnet (test_ecs_lines)
  gnuplot-nox python3 python3-yaml jq time iproute2 nftables util-linux
  clang libclang-rt-14-dev valgrind strace file ca-certificates man-db groff-base
)
SERVICES=(nsd unbound knot dnsdist)

log() { printf 'install-deps: %s\n' "$*" >&2; }

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ "$(id -u)" -ne 0 ]; then
  if [ ${#missing[@]} -eq 0 ]; then
    # nothing to install; stopping distro DNS services (below) needs root and is only
    # for installs, so a normal user is done here
    log "all ${#PACKAGES[@]} packages already installed; nothing to do"
    exit 0
  fi
  if command -v sudo >/dev/null 2>&1; then
    log "missing: ${missing[*]}; installing through sudo"
    exec sudo -E bash "$0" "$@"
  fi
  log "missing: ${missing[*]}; run as root to install them (no sudo found)"
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  log "all ${#PACKAGES[@]} packages already installed; apt not run"
else
  log "missing: ${missing[*]}"
  # Keep package maintainer scripts from starting daemons (port 53) during the install.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  cleanup_policy() { if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi; }
  trap cleanup_policy EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
  cleanup_policy
  trap - EXIT
fi

# ---- no distro DNS service may stay up
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  for s in "${SERVICES[@]}"; do
    if systemctl is-active --quiet "$s" 2>/dev/null || systemctl is-enabled --quiet "$s" 2>/dev/null; then
      log "stopping and disabling the $s service"
      systemctl disable --now "$s" >/dev/null 2>&1 || systemctl stop "$s" || true
    fi
  done
fi

# Without systemd: end, by PID, only daemons running from the package's default config.
# args: process name, config option, default config path
stop_default() {
  local name=$1 opt=$2 def=$3 pid cfg cwd
  for pid in $(pgrep -x "$name" 2>/dev/null || true); do
    [ -r "/proc/$pid/cmdline" ] || continue
    mapfile -d '' argv <"/proc/$pid/cmdline" || true
    cfg=""
    for ((i = 1; i < ${#argv[@]}; i++)); do
      case "${argv[$i]}" in
        "$opt") cfg=${argv[$((i + 1))]:-} ;;
        "$opt"*) [ "${#opt}" -eq 2 ] && cfg=${argv[$i]#"$opt"} ;;
      esac
    done
    if [ -n "$cfg" ] && [ "${cfg#/}" = "$cfg" ]; then
      cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || echo /)
      cfg="$cwd/$cfg"
    fi
    if [ -z "$cfg" ] || [ "$(readlink -f "$cfg" 2>/dev/null || echo "$cfg")" = "$def" ]; then
      log "stopping $name (pid $pid, default config $def)"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
}
stop_default nsd -c /etc/nsd/nsd.conf
stop_default unbound -c /etc/unbound/unbound.conf
stop_default knotd -c /etc/knot/knot.conf
stop_default dnsdist -C /etc/dnsdist/dnsdist.conf
sleep 0.5

if command -v ss >/dev/null 2>&1; then
  busy=$(ss -H -lnup 'sport = :53' 2>/dev/null | grep -E '"(nsd|unbound|knotd|dnsdist)"' || true)
  if [ -n "$busy" ]; then
    log "warning: a DNS daemon still listens on port 53:"
    printf '%s\n' "$busy" >&2
  fi
fi

log "ok: $(nsd -v 2>&1 | head -n1); $(dnsdist --version 2>/dev/null | head -n1); $(knotd --version 2>/dev/null | head -n1); $(dnsperf -h 2>&1 | grep -m1 -i version || echo dnsperf)"
