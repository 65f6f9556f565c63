#!/usr/bin/env bash
# A userspace iSCSI target (Debian's `tgt`, tgtd 1.0.85) for trying the file driver's exports by
# hand and for the tests of `tgtd_control_port` mode: installs the packages (apt, only what is
# missing: tgt, libiscsi-bin for iscsi-ls/iscsi-inq, qemu-utils + qemu-block-extra for qemu-io/
# qemu-img over iscsi://), then starts tgtd on 127.0.0.1:PORT with management channel CONTROL_PORT
# (`tgtadm -C CONTROL_PORT`). No kernel modules. Idempotent: a tgtd recorded in DIR/tgtd.pid that is
# alive is left alone.
#
#   scripts/tgt-up.sh DIR [PORT=3260] [CONTROL_PORT=0]
#   scripts/tgt-down.sh DIR
#
# Prints, as its last lines on stdout, shell assignments to eval:
#   TGT_PID=… TGT_PORTAL=127.0.0.1:PORT TGT_CONTROL_PORT=… TGT_LOG=DIR/tgtd.log TGTADM='tgtadm -C N --lld iscsi'
# Kindling then uses it with `tgtd_control_port = CONTROL_PORT`, `target_port = PORT` (without
# tgtd_control_port Kindling runs a tgtd of its own and needs none of this but the packages).
# tgtd keeps targets, LUNs and accounts in memory only: a restarted one is empty.
#
# Exit status 3: the packages cannot be installed here (not root and no sudo, or apt failed); tests
# skip on it.
set -euo pipefail
DIR=${1:?usage: tgt-up.sh DIR [PORT] [CONTROL_PORT]}
PORT=${2:-3260}
CPORT=${3:-0}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { echo "[tgt-up $(date +%H:%M:%S)] $*" >&2; }
cannot_install() {
  log "cannot install tgt here: $*"
  exit 3
}

# shellcheck source=lib/apt-ensure.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-ensure.sh"
apt_ensure tgt tgt libiscsi-bin qemu-utils qemu-block-extra

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PIDF=$DIR/tgtd.pid
LOG=$DIR/tgtd.log

alive() { # the recorded pid is a live tgtd (a zombie counts as dead)
  [[ -s $PIDF ]] && kill -0 "$(cat "$PIDF")" 2>/dev/null && grep -qx tgtd "/proc/$(cat "$PIDF")/comm" &&
    [[ $(ps -o stat= -p "$(cat "$PIDF")") != Z* ]]
}

if ! alive; then
  if ss -Hltn "sport = :$PORT" | grep -q .; then
    log "port $PORT is already taken by another process"
    exit 1
  fi
  if tgtadm -C "$CPORT" --mode system --op show >/dev/null 2>&1; then
    log "another tgtd already answers on management channel $CPORT"
    exit 1
  fi
  mkdir -p /var/run/tgtd
  # -f: foreground, so $! is tgtd itself; portal= binds 127.0.0.1 only (tgtd's default is
  # 0.0.0.0:3260 and [::]:3260).
  nohup tgtd -f -C "$CPORT" --iscsi "portal=127.0.0.1:$PORT" >>"$LOG" 2>&1 &
  echo $! >"$PIDF"
  for _ in $(seq 1 100); do
    tgtadm -C "$CPORT" --mode system --op show >/dev/null 2>&1 && break
    sleep 0.1
  done
  tgtadm -C "$CPORT" --mode system --op show >/dev/null 2>&1 || {
    log "tgtd did not come up, see $LOG"
    "$(dirname "${BASH_SOURCE[0]}")/tgt-down.sh" "$DIR"
    exit 1
  }
  # NOTE: tgtd that cannot bind its portal does not exit; it falls back to 0.0.0.0:3260.
  portals=$(tgtadm -C "$CPORT" --lld iscsi --mode portal --op show)
  if [[ $portals != "Portal: 127.0.0.1:$PORT,1" ]]; then
    log "tgtd could not listen on 127.0.0.1:$PORT (it offers: ${portals//$'\n'/ }); stopping it"
    "$(dirname "${BASH_SOURCE[0]}")/tgt-down.sh" "$DIR"
    exit 1
  fi
  log "tgtd $(cat "$PIDF") on 127.0.0.1:$PORT, management channel $CPORT"
fi
echo "TGT_PID=$(cat "$PIDF")"
echo "TGT_PORTAL=127.0.0.1:$PORT"
echo "TGT_CONTROL_PORT=$CPORT"
echo "TGT_LOG=$LOG"
echo "TGTADM='tgtadm -C $CPORT --lld iscsi'"
