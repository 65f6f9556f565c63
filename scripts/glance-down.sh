#!/usr/bin/env bash
# Stops the Glance that scripts/glance-up.sh DIR started (only the glance-api its pid file names,
# and only if it runs with DIR's configuration); `--wipe` also deletes DIR (database and images),
# so the next start begins anew. Idempotent. The catalog entry in Keystone stays (a later
# `scripts/glance-up.sh --keystone` with another port moves it).
#
#   scripts/glance-down.sh DIR [--wipe]
set -euo pipefail

DIR=${1:?usage: glance-down.sh DIR [--wipe]}
[[ -d $DIR ]] || exit 0
DIR=$(cd "$DIR" && pwd)
PIDFILE=$DIR/glance-api.pid

if [[ -s $PIDFILE ]]; then
  pid=$(cat "$PIDFILE")
  # NOTE: a stale pid file may name a pid reused by another program: only stop our glance-api.
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--config-file $DIR/etc/glance-api.conf"; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    echo "[glance-down] stopped Glance (pid $pid)" >&2
  fi
  rm -f "$PIDFILE" "$DIR/etc/glance-api.conf.running"
fi
if [[ ${2:-} == --wipe ]]; then
  # only a directory glance-up.sh made
  if [[ -f $DIR/etc/glance-api.conf ]]; then rm -rf "$DIR" "$DIR.lock"; fi
  echo "[glance-down] removed $DIR" >&2
fi
