#!/usr/bin/env bash
# Stops the Ceph that scripts/ceph-up.sh DIR started — only the processes named by the pid files in
# DIR/run and running with DIR's ceph.conf — and deletes DIR.
#
#   scripts/ceph-down.sh DIR                 # stop everything, delete DIR
#   scripts/ceph-down.sh DIR --keep          # stop everything, keep the data (ceph-up.sh DIR restarts it)
#   scripts/ceph-down.sh DIR --keep mon.a    # stop only these daemons (mon.a, mgr.x, osd.0)
#
# Idempotent: a missing DIR or daemons already stopped are fine.
set -uo pipefail
DIR=${1:?usage: ceph-down.sh DIR [--keep] [DAEMON...]}
shift
KEEP=0
if [[ ${1:-} == --keep ]]; then
  KEEP=1
  shift
fi
DAEMONS=("$@")
if ((${#DAEMONS[@]} == 0)); then DAEMONS=(osd.0 mgr.x mon.a); fi # reverse start order
if ((${#DAEMONS[@]} < 3 && KEEP == 0)); then
  echo "ceph-down.sh: stopping single daemons needs --keep" >&2
  exit 2
fi

[[ -d $DIR ]] || exit 0
DIR=$(cd "$DIR" && pwd)
# only act on a directory made by ceph-up.sh
if [[ ! -f $DIR/ceph.conf || ! -d $DIR/run ]]; then
  ((KEEP)) || rm -rf "$DIR"
  exit 0
fi

gone() { ! kill -0 "$1" 2>/dev/null || [[ $(ps -o stat= -p "$1") == Z* ]]; }
for name in "${DAEMONS[@]}"; do
  pf=$DIR/run/$name.pid
  [[ -s $pf ]] || continue
  pid=$(cat "$pf")
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$DIR/ceph.conf"; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      gone "$pid" && break
      sleep 0.1
    done
    gone "$pid" || kill -KILL "$pid"
  fi
  rm -f "$pf"
done
((KEEP)) || rm -rf "$DIR"
exit 0
