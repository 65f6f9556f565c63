#!/usr/bin/env bash
# Stops the tgtd that scripts/tgt-up.sh DIR started (only the pid recorded in DIR/tgtd.pid, and only
# if it is a tgtd). tgtd IGNORES SIGTERM: its targets are deleted (--force: sessions too), then it is
# asked with `tgtadm -C N --op delete --mode system`, and SIGKILLed if still there after 5 s.
# Idempotent; DIR itself is kept (its tgtd.log may tell why something failed).
#
#   scripts/tgt-down.sh DIR
set -uo pipefail
DIR=${1:?usage: tgt-down.sh DIR}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
PIDF=$DIR/tgtd.pid
[[ -s $PIDF ]] || exit 0
PID=$(cat "$PIDF")
gone() { ! kill -0 "$PID" 2>/dev/null || [[ $(ps -o stat= -p "$PID") == Z* ]]; }
if ! gone && grep -qx tgtd "/proc/$PID/comm" 2>/dev/null; then
  CPORT=$(tr '\0' '\n' <"/proc/$PID/cmdline" | grep -A1 -x -- '-C' | tail -1)
  # NOTE: the system delete is refused ("invalid request", --force or not) while targets exist.
  for tid in $(tgtadm -C "${CPORT:-0}" --lld iscsi --mode target --op show 2>/dev/null | sed -n 's/^Target \([0-9]*\): .*/\1/p'); do
    tgtadm -C "${CPORT:-0}" --lld iscsi --mode target --op delete --force --tid "$tid" >/dev/null 2>&1 || true
  done
  tgtadm -C "${CPORT:-0}" --op delete --mode system >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do
    gone && break
    sleep 0.1
  done
  gone || kill -KILL "$PID" 2>/dev/null
fi
rm -f "$PIDF"
exit 0
