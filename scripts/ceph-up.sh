#!/usr/bin/env bash
# A throwaway single-node Ceph (Debian's ceph 16.2 "pacific") for the RBD backend's tests and for
# trying it out: installs the packages (apt, only what is missing), then bootstraps — or restarts —
# 1 mon, 1 mgr and 1 bluestore OSD whose block device is a sparse file, everything under DIR and
# listening on 127.0.0.1 only. No systemd, no kernel modules, no LVM. ~15 s from nothing to
# HEALTH_OK (plus the install the first time); a re-run starts only the daemons that are down.
#
#   scripts/ceph-up.sh DIR [OSD_SIZE]      # OSD_SIZE: sparse block file size [10G]
#   scripts/ceph-down.sh DIR [--keep] [DAEMON...]
#
# Environment (defaults in brackets):
#   CEPH_MON_PORT [6789] (msgr v1)   CEPH_MON_PORT2 [3300] (msgr v2): the mon's ports; mgr and OSD
#                                    take free ports from 6800-7300. Two clusters side by side need
#                                    different mon ports.
#   CEPH_POOL [volumes]              RBD pool made (and `rbd pool init`-ed) at bootstrap
#   CEPH_OSD_MEMORY_TARGET [1 GiB]   osd memory target, bytes
#
# Prints, as its last lines on stdout, shell assignments to eval:
#   CEPH_CONF=DIR/ceph.conf CEPH_KEYRING=DIR/ceph.client.admin.keyring CEPH_POOL=… CEPH_DIR=DIR
# then: rbd --conf "$CEPH_CONF" --keyring "$CEPH_KEYRING" ls "$CEPH_POOL"
# Memory: mon ~40 MB, mgr ~320 MB, osd 170-400 MB.
#
# Exit status 3: Ceph cannot be installed here (not root and no sudo, or apt failed); tests skip on it.
set -euo pipefail

DIR=${1:?usage: ceph-up.sh DIR [OSD_SIZE e.g. 10G]}
# NOTE: keep it much bigger than anything written: a full bluestore OSD aborts and cannot restart.
OSD_SIZE=${2:-10G}
MON_PORT=${CEPH_MON_PORT:-6789}
MON_PORT2=${CEPH_MON_PORT2:-3300}
OSD_MEM=${CEPH_OSD_MEMORY_TARGET:-1073741824}
POOL=${CEPH_POOL:-volumes}
PY=/usr/bin/python3 # Debian's python (python3-rados); a pyenv python may come first on PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { echo "[ceph-up $(date +%H:%M:%S)] $*" >&2; }
cannot_install() {
  log "cannot install Ceph here: $*"
  exit 3
}

########## packages ##########
# shellcheck source=lib/apt-ensure.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-ensure.sh"
apt_ensure ceph-mon ceph-mon ceph-mgr ceph-osd ceph-common uuid-runtime

########## bootstrap / restart ##########
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
CONF=$DIR/ceph.conf
ADMIN_KR=$DIR/ceph.client.admin.keyring
MON_KR=$DIR/mon.keyring
# NOTE: a caller's CEPH_ARGS (e.g. --keyring) would apply to the daemons too and break the mgr's auth.
unset CEPH_ARGS CEPH_CONF

running() { # running NAME: its pid file names a live process (a zombie counts as dead)
  local pf=$DIR/run/$1.pid
  [[ -s $pf ]] && kill -0 "$(cat "$pf")" 2>/dev/null && [[ $(ps -o stat= -p "$(cat "$pf")") != Z* ]]
}
C() { ceph --conf "$CONF" --keyring "$ADMIN_KR" --connect-timeout 20 "$@"; }

if [[ ! -f $DIR/.bootstrapped && ! -f $DIR/.mon_made ]]; then
  if [[ -e $CONF ]]; then
    log "found a half-made cluster in $DIR: run scripts/ceph-down.sh $DIR first"
    exit 1
  fi
  FSID=$(uuidgen)
  mkdir -p "$DIR"/{mon,mgr,osd,run,log,crash}
  cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon initial members = a
mon host = [v2:127.0.0.1:$MON_PORT2,v1:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $ADMIN_KR
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
log to stderr = false
err to stderr = true
crash dir = $DIR/crash
# single node, single OSD
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
auth allow insecure global id reclaim = false
# the mon stops below mon_data_avail_crit (default 5 % free on the fs holding DIR)
mon data avail warn = 2
mon data avail crit = 1
mon max pg per osd = 1000
osd memory target = $OSD_MEM
# a bluestore OSD that really runs out of space aborts: stop writes well before the failsafe
mon osd full ratio = 0.85
mon osd backfillfull ratio = 0.80
mon osd nearfull ratio = 0.75
osd failsafe full ratio = 0.90
# a single OSD has no peers to report it dead: let the mon notice within ~1 min
osd beacon report interval = 10
mon osd report timeout = 45

[client]
# the default 0 blocks a client forever on a down or full cluster
rados osd op timeout = 120
rados mon op timeout = 60

[mon]
mon data = $DIR/mon/\$cluster-\$id
keyring = $DIR/mon/\$cluster-\$id/keyring
mon cluster log file = $DIR/log/cluster.log

[mgr]
mgr data = $DIR/mgr/\$cluster-\$id
keyring = $DIR/mgr/\$cluster-\$id/keyring
mgr initial modules =

[osd]
osd data = $DIR/osd/\$cluster-\$id
keyring = $DIR/osd/\$cluster-\$id/keyring
osd objectstore = bluestore
bluestore block create = true
bluestore block size = $(numfmt --from=iec "$OSD_SIZE")
bluestore block db create = false
bluestore block wal create = false
bluestore fsck on mount = false
osd class dir = /usr/lib/x86_64-linux-gnu/rados-classes
osd op num shards = 1
osd op num threads per shard = 2
EOF
  log "keyrings + monmap"
  ceph-authtool --create-keyring "$MON_KR" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$ADMIN_KR" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$MON_KR" --import-keyring "$ADMIN_KR" >/dev/null
  monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT2,v1:127.0.0.1:$MON_PORT]" \
    "$DIR/monmap" >/dev/null
  log "mon --mkfs"
  ceph-mon --conf "$CONF" --cluster ceph --mkfs -i a --monmap "$DIR/monmap" --keyring "$MON_KR"
  touch "$DIR/.mon_made"
fi

if ! running mon.a; then
  log "starting mon.a"
  ceph-mon --conf "$CONF" -i a
fi
for _ in $(seq 1 60); do C -s >/dev/null 2>&1 && break; sleep 0.5; done
C -s >/dev/null

MGR_DIR=$DIR/mgr/ceph-x
if [[ ! -f $MGR_DIR/keyring ]]; then
  mkdir -p "$MGR_DIR"
  C auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$MGR_DIR/keyring"
fi
if ! running mgr.x; then
  log "starting mgr.x"
  ceph-mgr --conf "$CONF" -i x
fi

OSD_DIR=$DIR/osd/ceph-0
if [[ ! -f $OSD_DIR/.made ]]; then
  log "creating osd.0 (bluestore on the sparse file $OSD_DIR/block, $OSD_SIZE)"
  rm -rf "$OSD_DIR"
  mkdir -p "$OSD_DIR"
  OSD_UUID=$(uuidgen)
  SECRET=$(ceph-authtool --gen-print-key)
  echo "{\"cephx_secret\": \"$SECRET\"}" >"$DIR/osd-secret.json"
  ID=$(C osd new "$OSD_UUID" -i "$DIR/osd-secret.json")
  rm -f "$DIR/osd-secret.json"
  [[ $ID == 0 ]] || {
    log "expected osd id 0, got $ID"
    exit 1
  }
  ceph-authtool --create-keyring "$OSD_DIR/keyring" --name osd.0 --add-key "$SECRET" >/dev/null
  # mkfs prints harmless noise (_read_bdev_label, _read_fsid, "Falling back to public interface")
  ceph-osd --conf "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd-mkfs.out" 2>&1 || true
  [[ -f $OSD_DIR/fsid ]] || {
    log "osd mkfs failed, see $DIR/log/osd-mkfs.out and $DIR/log/osd.0.log"
    exit 1
  }
  touch "$OSD_DIR/.made"
fi
if ! running osd.0; then
  log "starting osd.0"
  ceph-osd --conf "$CONF" -i 0
fi
for _ in $(seq 1 180); do
  up=$(C osd stat -f json 2>/dev/null | "$PY" -c 'import sys,json;print(json.load(sys.stdin)["num_up_osds"])' 2>/dev/null || true)
  [[ $up == 1 ]] && break
  sleep 0.5
done

if [[ ! -f $DIR/.bootstrapped ]]; then
  C mgr module disable pg_autoscaler >/dev/null 2>&1 || true # not needed; saves CPU
  C osd pool create "$POOL" 32 32 replicated >/dev/null
  C osd pool set "$POOL" size 1 --yes-i-really-mean-it >/dev/null 2>&1 || true
  rbd --conf "$CONF" --keyring "$ADMIN_KR" pool init "$POOL"
  touch "$DIR/.bootstrapped"
fi

# the pool is usable once every PG is active
for _ in $(seq 1 240); do
  C pg stat 2>/dev/null | grep -qE '^[0-9]+ pgs: [0-9]+ active\+clean;' && break
  sleep 0.5
done
log "$(C health 2>&1 | head -1) / $(C pg stat 2>&1)"
echo "CEPH_CONF=$CONF"
echo "CEPH_KEYRING=$ADMIN_KR"
echo "CEPH_POOL=$POOL"
echo "CEPH_DIR=$DIR"
