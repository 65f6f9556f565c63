#!/usr/bin/env bash
# Stops the Keystone of scripts/keystone-up.sh (only the uwsgi it started, found by its pid file);
# `--wipe` also deletes its state (database, keys, openrc files), so the next start bootstraps anew.
#
#   scripts/keystone-down.sh [--wipe]      # KINDLING_KS_DIR [/tmp/kindling-keystone]
set -euo pipefail

KS_DIR=${KINDLING_KS_DIR:-/tmp/kindling-keystone}
PIDFILE=$KS_DIR/keystone.pid

if [[ -f $PIDFILE ]]; then
  pid=$(cat "$PIDFILE")
  # NOTE: a stale pid file may name a pid reused by another program: only stop our uwsgi.
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "OS_KEYSTONE_CONFIG_FILES=$KS_DIR/"; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    echo "[keystone-down] stopped Keystone (uwsgi pid $pid)" >&2
  fi
  rm -f "$PIDFILE"
else
  echo "[keystone-down] not running (no $PIDFILE)" >&2
fi
if [[ ${1:-} == --wipe ]]; then
  rm -rf "$KS_DIR"
  echo "[keystone-down] removed $KS_DIR" >&2
fi
