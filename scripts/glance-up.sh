#!/usr/bin/env bash
# A Glance (OpenStack's image service; Debian's glance-api 25, "Zed") for Kindling's development
# and CI (docs/images.md): installs the packages (apt, only what is missing) and starts glance-api
# by hand — one eventlet process, no systemd — on 127.0.0.1, with its own SQLite database, images
# in its `file` store under DIR and, with --rbd, an `rbd` store on a Ceph of scripts/ceph-up.sh.
# Idempotent: a re-run starts it when it is down and restarts it when its configuration changed.
#
#   scripts/glance-up.sh DIR [--keystone] [--rbd]     # then: eval "$(scripts/glance-up.sh DIR)"
#   scripts/glance-down.sh DIR [--wipe]
#
#   --keystone  Glance validates tokens against the Keystone of scripts/keystone-up.sh (run first:
#               it starts that Keystone when it is down and registers the `glance` service user
#               and the `image` service with its endpoints at GLANCE_URL in the catalog).
#               Default: noauth — Glance's unauthenticated pipeline, every caller is an admin and
#               needs no token (what Kindling in its default noauth mode talks to).
#   --rbd       Also enable Glance's `rbd` store, and make it the default store: images become RBD
#               images `<pool>/<image id>` with a snapshot `snap`, and Glance shows their location
#               rbd://<fsid>/<pool>/<image id>/snap (direct_url and locations), as Cinder's RBD
#               driver's clone_image needs. Needs CEPH_CONF and CEPH_KEYRING (eval the output of
#               scripts/ceph-up.sh); the pool is made when missing. The `file` store stays
#               enabled (header X-Image-Meta-Store: file picks it).
#
# Environment (defaults in brackets):
#   GLANCE_PORT [9292]          listen port (127.0.0.1 only)
#   GLANCE_AUTH [noauth]        noauth | keystone (same as --keystone)
#   GLANCE_RBD [0]              1: same as --rbd
#   GLANCE_RBD_POOL [images]    pool of the rbd store
#   CEPH_CONF, CEPH_KEYRING     the cluster of the rbd store (scripts/ceph-up.sh prints them)
#   KINDLING_KS_PORT, KINDLING_KS_DIR, KINDLING_KS_PASSWORD   with --keystone: which Keystone
#                               (as for scripts/keystone-up.sh: 5001, /tmp/kindling-keystone, secret)
#
# Prints, as its last lines on stdout, shell assignments to eval:
#   GLANCE_URL=http://127.0.0.1:PORT GLANCE_DIR=DIR GLANCE_AUTH=noauth|keystone
#   GLANCE_STORES=file[,rbd] GLANCE_DEFAULT_STORE=file|rbd GLANCE_CONF=DIR/etc/glance-api.conf
#   GLANCE_KINDLING_CONF=DIR/kindling-glance.conf   (glance_api_servers for Kindling's config)
# Timings and memory: docs/images.md. Exit status 3: Glance cannot be installed here (not root and
# no sudo, or apt failed); the tests skip on it.
set -euo pipefail

usage() {
  echo "usage: glance-up.sh DIR [--keystone] [--rbd]" >&2
  exit 2
}
DIR=${1:-}
[[ -n $DIR && $DIR != -* ]] || usage
shift
AUTH=${GLANCE_AUTH:-noauth}
RBD=${GLANCE_RBD:-0}
for arg in "$@"; do
  case $arg in
    --keystone) AUTH=keystone ;;
    --noauth) AUTH=noauth ;;
    --rbd) RBD=1 ;;
    *) usage ;;
  esac
done
[[ $AUTH == noauth || $AUTH == keystone ]] || {
  echo "glance-up.sh: GLANCE_AUTH must be noauth or keystone" >&2
  exit 2
}
PORT=${GLANCE_PORT:-9292}
RBD_POOL=${GLANCE_RBD_POOL:-images}
KS_PORT=${KINDLING_KS_PORT:-5001}
KS_DIR=${KINDLING_KS_DIR:-/tmp/kindling-keystone}
PW=${KINDLING_KS_PASSWORD:-secret}
URL=http://127.0.0.1:$PORT
PY=/usr/bin/python3 # Debian's python: a pyenv python may come first on PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[glance-up %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cannot_install() {
  log "cannot install Glance here: $*"
  exit 3
}

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
# NOTE: test files run in parallel: one run at a time per state dir. Descriptor 8, not 9: the
# keystone-up.sh this runs takes its own lock on 9.
exec 8>"$DIR.lock"
flock -w 900 8 || {
  log "another glance-up.sh holds $DIR.lock"
  exit 1
}

########## packages ##########
# shellcheck source=lib/apt-ensure.sh
. "$HERE/lib/apt-ensure.sh"
# debconf's defaults already say no; say it explicitly: no database, RabbitMQ or Keystone set-up.
APT_ENSURE_PRESEED='glance-common glance/configure_db boolean false
glance-common glance/configure_rabbit boolean false
glance-common glance/configure_ksat boolean false
glance-api glance/configure_api-endpoint boolean false'
pkgs=(glance-api python3-glanceclient curl)
if ((RBD)); then pkgs+=(python3-rbd python3-rados ceph-common); fi
apt_ensure glance-api "${pkgs[@]}"

########## Keystone ##########
if [[ $AUTH == keystone ]]; then
  log "registering the image service at $URL in the Keystone on 127.0.0.1:$KS_PORT"
  ks_status=0
  KINDLING_KS_PORT=$KS_PORT KINDLING_KS_DIR=$KS_DIR KINDLING_KS_PASSWORD=$PW GLANCE_URL=$URL \
    bash "$HERE/keystone-up.sh" 8>&- >&2 || ks_status=$?
  if ((ks_status == 3)); then cannot_install "Keystone cannot be installed (scripts/keystone-up.sh exit 3)"; fi
  if ((ks_status != 0)); then
    log "scripts/keystone-up.sh failed (exit $ks_status)"
    exit 1
  fi
fi

########## Ceph ##########
mkdir -p "$DIR"/{etc,log,images,staging,tasks,lock}
STORES=file
DEFAULT_STORE=file
if ((RBD)); then
  [[ -n ${CEPH_CONF:-} && -f $CEPH_CONF && -n ${CEPH_KEYRING:-} && -f $CEPH_KEYRING ]] || {
    log "--rbd needs CEPH_CONF and CEPH_KEYRING (eval \"\$(scripts/ceph-up.sh DIR)\")"
    exit 2
  }
  # Glance's rbd store opens the cluster with librados from a ceph.conf and a user name only: a
  # copy of the cluster's ceph.conf naming the keyring, the user the keyring's first one.
  CEPH_USER=$(sed -n 's/^[[:space:]]*\[client\.\(.*\)\][[:space:]]*$/\1/p' "$CEPH_KEYRING" | head -1)
  [[ -n $CEPH_USER ]] || {
    log "no [client.NAME] in $CEPH_KEYRING"
    exit 2
  }
  awk -v kr="$CEPH_KEYRING" '
    /^[[:space:]]*\[/ { sect = $0; gsub(/[[:space:]\[\]]/, "", sect); print; if (sect == "global") print "keyring = " kr; next }
    (sect == "global" || sect == "client") && /^[[:space:]]*keyring[[:space:]]*=/ { next }
    { print }' "$CEPH_CONF" >"$DIR/etc/ceph.conf"
  C=(ceph --conf "$DIR/etc/ceph.conf" --id "$CEPH_USER" --connect-timeout 20)
  if ! "${C[@]}" osd pool ls | grep -qx "$RBD_POOL"; then
    log "creating the pool $RBD_POOL"
    "${C[@]}" osd pool create "$RBD_POOL" 8 8 replicated >/dev/null
    rbd --conf "$DIR/etc/ceph.conf" --id "$CEPH_USER" pool init "$RBD_POOL"
  fi
  STORES=file,rbd
  DEFAULT_STORE=rbd
fi

########## configuration ##########
CONF=$DIR/etc/glance-api.conf
cp /etc/glance/glance-api-paste.ini "$DIR/etc/glance-api-paste.ini"
FLAVOR=
if [[ $AUTH == keystone ]]; then FLAVOR=keystone; fi
{
  cat <<EOF
# written by scripts/glance-up.sh: every run rewrites it
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $PORT
# one process (eventlet, a pool of green threads): one pid, ~120 MB
workers = 0
log_file = $DIR/log/glance-api.log
debug = false
use_stderr = false
enabled_backends = file:file$(((RBD)) && echo ,rbd:rbd)
# what Cinder's RBD clone_image (and allowed_direct_url_schemes = file) look at
show_image_direct_url = true
show_multiple_locations = true
# no web-download: this Glance never fetches URLs
enabled_import_methods = [glance-direct,copy-image]
image_size_cap = 1099511627776
[database]
connection = sqlite:///$DIR/glance.sqlite
[glance_store]
default_backend = $DEFAULT_STORE
[file]
filesystem_store_datadir = $DIR/images
[os_glance_staging_store]
filesystem_store_datadir = $DIR/staging
[os_glance_tasks_store]
filesystem_store_datadir = $DIR/tasks
[image_format]
disk_formats = ami,ari,aki,vhd,vhdx,vmdk,raw,qcow2,vdi,iso,ploop
container_formats = ami,ari,aki,bare,ovf,ova,docker,compressed
[oslo_concurrency]
lock_path = $DIR/lock
[paste_deploy]
config_file = $DIR/etc/glance-api-paste.ini
flavor = $FLAVOR
EOF
  if ((RBD)); then
    cat <<EOF
[rbd]
rbd_store_pool = $RBD_POOL
rbd_store_user = $CEPH_USER
rbd_store_ceph_conf = $DIR/etc/ceph.conf
rbd_store_chunk_size = 8
rados_connect_timeout = 20
EOF
  fi
  if [[ $AUTH == keystone ]]; then
    cat <<EOF
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KS_PORT
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
username = glance
password = $PW
project_name = service
user_domain_name = Default
project_domain_name = Default
EOF
  fi
} >"$CONF.new"
mv "$CONF.new" "$CONF"
cat >"$DIR/kindling-glance.conf" <<EOF
# Kindling's image service: the Glance of scripts/glance-up.sh ($AUTH)
[DEFAULT]
glance_api_servers = $URL
EOF

if [[ ! -f $DIR/.db-synced ]]; then
  log "glance-manage db_sync (first start)"
  glance-manage --config-file "$CONF" db_sync >"$DIR/log/manage.log" 2>&1 || {
    log "glance-manage db_sync failed: see $DIR/log/manage.log"
    exit 1
  }
  touch "$DIR/.db-synced"
fi

########## glance-api ##########
PIDFILE=$DIR/glance-api.pid
alive() {
  [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$(cat "$PIDFILE")/cmdline" 2>/dev/null | grep -q -- "--config-file $CONF"
}
RUNNING_CONF=$CONF.running
if alive && ! cmp -s "$CONF" "$RUNNING_CONF"; then
  log "glance-api.conf changed: restarting Glance"
  bash "$HERE/glance-down.sh" "$DIR" 8>&-
fi
if ! alive; then
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    log "port $PORT is taken by another program: set GLANCE_PORT"
    exit 1
  fi
  log "starting glance-api on $URL ($AUTH, stores $STORES)"
  cp "$CONF" "$RUNNING_CONF"
  # (8>&-: glance-api must not inherit the lock, or it would hold it for its whole life)
  (cd "$DIR" && exec setsid glance-api --config-file "$CONF" </dev/null >>"$DIR/log/glance-api.out" 2>&1 8>&-) &
  echo $! >"$PIDFILE"
fi
for _ in $(seq 1 600); do
  alive || break
  curl -sf -o /dev/null "$URL/versions" && break
  sleep 0.1
done
curl -sf -o /dev/null "$URL/versions" || {
  log "Glance does not answer on $URL; see $DIR/log/"
  tail -5 "$DIR/log/glance-api.out" "$DIR/log/glance-api.log" >&2 2>/dev/null || true
  exit 1
}
log "Glance at $URL ($AUTH; stores $STORES, default $DEFAULT_STORE)"
echo "GLANCE_URL=$URL"
echo "GLANCE_DIR=$DIR"
echo "GLANCE_AUTH=$AUTH"
echo "GLANCE_STORES=$STORES"
echo "GLANCE_DEFAULT_STORE=$DEFAULT_STORE"
echo "GLANCE_CONF=$CONF"
echo "GLANCE_KINDLING_CONF=$DIR/kindling-glance.conf"
