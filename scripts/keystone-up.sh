#!/usr/bin/env bash
# A Keystone for Kindling's development and CI (docs/keystone.md): installs Debian's `keystone`
# (apt, only what is missing) and starts it on 127.0.0.1 under uwsgi with fernet tokens and its
# own SQLite database, bootstraps `admin`, makes the projects and users below, registers Kindling's
# endpoints (`block-storage` and `volumev3`) — and Glance's (`image`) when GLANCE_URL is given —
# and writes an openrc file per user. Idempotent: re-running starts what is down, and moves the
# endpoints when KINDLING_URL (or GLANCE_URL) is given.
#
#   scripts/keystone-up.sh            # then: . $KINDLING_KS_DIR/demorc; openstack token issue
#   scripts/keystone-down.sh [--wipe]
#
# Environment (defaults in brackets):
#   KINDLING_KS_PORT [5001]   KINDLING_KS_DIR [/tmp/kindling-keystone]   KINDLING_KS_PASSWORD [secret]
#   KINDLING_URL  Kindling's endpoint in the catalog: $KINDLING_URL/v3/%(project_id)s
#                 [unset: as the last run registered it, at first http://127.0.0.1:8776]
#   GLANCE_URL    registers the image service (type `image`, name `glance`) with its endpoints at
#                 this URL, and Glance's service user `glance` (scripts/glance-up.sh --keystone
#                 passes it) [unset: as the last run registered it, at first none]
#   KINDLING_KS_PROCESSES [1]  (uwsgi workers; more than one makes SQLite answer `database is locked`)
#   KINDLING_KS_TOKEN_EXPIRATION [3600] (seconds a token lives)
#
# Users (all in domain Default, password KINDLING_KS_PASSWORD):
#   admin     admin of project admin (adminrc)
#   demo      member + reader of project demo (demorc)
#   alt_demo  member + reader of project alt_demo (alt_demorc), for isolation tests
#   kindling  service role in project service: Kindling's own user ([keystone_authtoken])
#   glance    service role in project service: Glance's own user (only once GLANCE_URL was given)
# Also written: $KINDLING_KS_DIR/kindling-keystone.conf, a config file that switches Kindling to
# keystone mode against this Keystone (pass it as one more --config-file).
#
# Exit status 3: Keystone cannot be installed here (not root and no sudo, or apt failed); the
# tests skip on it.
set -euo pipefail

KS_PORT=${KINDLING_KS_PORT:-5001}
KS_DIR=${KINDLING_KS_DIR:-/tmp/kindling-keystone}
PW=${KINDLING_KS_PASSWORD:-secret}
if [[ -z ${KINDLING_URL:-} ]]; then KINDLING_URL=$(cut -d' ' -f1 "$KS_DIR/.setup-done" 2>/dev/null || true); fi
KINDLING_URL=${KINDLING_URL:-http://127.0.0.1:8776}
KINDLING_URL=${KINDLING_URL%/}
if [[ -z ${GLANCE_URL:-} ]]; then GLANCE_URL=$(cut -s -d' ' -f3 "$KS_DIR/.setup-done" 2>/dev/null || true); fi
GLANCE_URL=${GLANCE_URL%/}
PROCESSES=${KINDLING_KS_PROCESSES:-1}
TOKEN_EXPIRATION=${KINDLING_KS_TOKEN_EXPIRATION:-3600}
REGION=RegionOne
PY=/usr/bin/python3 # Debian's python: a pyenv python may come first on PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
AUTH_URL=http://127.0.0.1:$KS_PORT/v3

log() { printf '[keystone-up] %s\n' "$*" >&2; }

# NOTE: test files run in parallel and each calls this script: one at a time per state dir.
mkdir -p "$(dirname "$KS_DIR")"
exec 9>"$KS_DIR.lock"
flock -w 900 9 || {
  log "another keystone-up.sh holds $KS_DIR.lock"
  exit 1
}
cannot_install() {
  log "cannot install Keystone here: $*"
  exit 3
}

########## packages ##########
# shellcheck source=lib/apt-ensure.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-ensure.sh"
# debconf defaults already say no; say it explicitly: no database set-up, no admin tenant.
APT_ENSURE_PRESEED='keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false'
apt_ensure keystone keystone uwsgi-core uwsgi-plugin-python3 python3-openstacksdk python3-openstackclient curl

########## configuration ##########
mkdir -p "$KS_DIR"/{etc,log,fernet-keys,credential-keys}
chmod 700 "$KS_DIR"/fernet-keys "$KS_DIR"/credential-keys
KSC=$KS_DIR/etc/keystone.conf
# NOTE: Keystone's own cache (in process memory) only with one uwsgi process: without it every
# token validation rebuilds roles and catalog from SQL (~1 s a request under Tempest); with several
# processes a per-process cache would let a token revoked in one validate in another.
CACHE_ENABLED=false
if ((PROCESSES == 1)); then CACHE_ENABLED=true; fi
cat >"$KSC" <<EOF
[DEFAULT]
log_file = $KS_DIR/log/keystone.log
debug = false
[database]
connection = sqlite:///$KS_DIR/keystone.sqlite
[token]
provider = fernet
expiration = $TOKEN_EXPIRATION
[fernet_tokens]
key_repository = $KS_DIR/fernet-keys
[fernet_receipts]
key_repository = $KS_DIR/fernet-keys
[credential]
key_repository = $KS_DIR/credential-keys
[identity]
# bcrypt's fewest rounds: a throwaway Keystone need not spend ~0.3 s of CPU on every password
# (Tempest makes and logs in users for each test class).
password_hash_rounds = 4
[cache]
enabled = $CACHE_ENABLED
backend = dogpile.cache.memory
EOF
KM=(keystone-manage --config-file "$KSC")
if [[ ! -f $KS_DIR/.bootstrapped ]]; then
  log "db_sync, fernet keys and bootstrap (first start, about half a minute)"
  "${KM[@]}" db_sync >>"$KS_DIR/log/manage.log" 2>&1
  # NOTE: Keystone holds a read transaction open on one connection while it writes on another;
  # with SQLite's default rollback journal that writer waits for itself and fails with
  # `database is locked`. In WAL mode readers do not block the writer (the setting is persistent).
  "$PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$KS_DIR/keystone.sqlite"
  "${KM[@]}" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$KS_DIR/log/manage.log" 2>&1
  "${KM[@]}" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$KS_DIR/log/manage.log" 2>&1
  "${KM[@]}" bootstrap --bootstrap-password "$PW" --bootstrap-username admin \
    --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-service-name keystone --bootstrap-region-id "$REGION" \
    --bootstrap-admin-url "$AUTH_URL/" --bootstrap-internal-url "$AUTH_URL/" \
    --bootstrap-public-url "$AUTH_URL/" >>"$KS_DIR/log/manage.log" 2>&1
  touch "$KS_DIR/.bootstrapped"
fi

########## uwsgi ##########
PIDFILE=$KS_DIR/keystone.pid
alive() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
# A Keystone running on another configuration than the one just written is restarted.
RUNNING_CONF=$KS_DIR/etc/keystone.conf.running
if alive && ! cmp -s "$KSC" "$RUNNING_CONF"; then
  log "keystone.conf changed: restarting Keystone"
  KINDLING_KS_DIR=$KS_DIR bash "$(dirname "${BASH_SOURCE[0]}")/keystone-down.sh" 9>&-
fi
if ! alive; then
  if (exec 3<>"/dev/tcp/127.0.0.1/$KS_PORT") 2>/dev/null; then
    log "port $KS_PORT is taken by another program: set KINDLING_KS_PORT"
    exit 1
  fi
  log "starting Keystone on 127.0.0.1:$KS_PORT ($PROCESSES processes)"
  cp "$KSC" "$RUNNING_CONF"
  # (9>&-: uwsgi must not inherit the lock, or it would hold it for its whole life)
  setsid uwsgi --plugins-dir /usr/lib/uwsgi/plugins --plugin python3 \
    --http-socket "127.0.0.1:$KS_PORT" --wsgi-file /usr/bin/keystone-wsgi-public \
    --master --processes "$PROCESSES" --threads 1 --enable-threads --lazy-apps --die-on-term \
    --env "OS_KEYSTONE_CONFIG_FILES=$KSC" --buffer-size 65535 --add-header 'Connection: close' \
    --pidfile "$PIDFILE" --logto "$KS_DIR/log/uwsgi.log" --disable-logging </dev/null >/dev/null 2>&1 9>&- &
fi
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$AUTH_URL" && break
  sleep 0.1
done
curl -sf -o /dev/null "$AUTH_URL" || {
  log "Keystone does not answer on $AUTH_URL; see $KS_DIR/log/"
  exit 1
}

########## projects, users, catalog ##########
# One python process (openstacksdk) is much faster than a dozen `openstack` commands; it runs
# again only when the endpoint URL or the password changed since the last successful run.
SETUP_MARK=$KS_DIR/.setup-done
SETUP="$KINDLING_URL $PW${GLANCE_URL:+ $GLANCE_URL}"
if [[ ! -f $KS_DIR/projects.json || $(cat "$SETUP_MARK" 2>/dev/null) != "$SETUP" ]]; then
  log "projects, users and catalog"
  "$PY" - "$AUTH_URL" "$PW" "$KINDLING_URL" "$REGION" "$KS_DIR" "$GLANCE_URL" <<'PYEOF'
import json, sys
import openstack

auth_url, pw, kindling_url, region, ks_dir, glance_url = sys.argv[1:7]
conn = openstack.connect(auth_url=auth_url, username="admin", password=pw, project_name="admin",
                         user_domain_name="Default", project_domain_name="Default",
                         region_name=region, identity_api_version="3")
idn = conn.identity

def project(name):
    return idn.find_project(name, domain_id="default") or idn.create_project(name=name, domain_id="default")

def user(name, proj):
    u = idn.find_user(name, domain_id="default")
    if u is None:
        return idn.create_user(name=name, password=pw, domain_id="default", default_project_id=proj.id)
    return u

def role(name):
    return idn.find_role(name) or idn.create_role(name=name)

def grant(proj, usr, r):
    if not idn.validate_user_has_project_role(proj, usr, r):
        idn.assign_project_role_to_user(proj, usr, r)

member, reader, service_role = role("member"), role("reader"), role("service")
ids = {"admin": project("admin").id}
service = project("service")
ids["service"] = service.id
grant(service, user("kindling", service), service_role)
for name in ("demo", "alt_demo"):
    p = project(name)
    ids[name] = p.id
    u = user(name, p)
    grant(p, u, member)
    grant(p, u, reader)

url = kindling_url + "/v3/%(project_id)s"
services = [("block-storage", "kindling", "Kindling Block Storage", url),
            ("volumev3", "kindlingv3", "Kindling Block Storage", url)]
if glance_url:
    grant(service, user("glance", service), service_role)
    services.append(("image", "glance", "OpenStack Image (scripts/glance-up.sh)", glance_url))
for stype, sname, desc, url in services:
    svc = next((s for s in idn.services() if s.type == stype), None) or idn.create_service(
        name=sname, type=stype, description=desc)
    have = {e.interface: e for e in idn.endpoints(service_id=svc.id)}
    for iface in ("public", "internal", "admin"):
        e = have.get(iface)
        if e is None:
            idn.create_endpoint(service_id=svc.id, interface=iface, region_id=region, url=url)
        elif e.url != url:
            idn.update_endpoint(e, url=url)

with open(ks_dir + "/projects.json", "w") as f:
    json.dump(ids, f, indent=1)
PYEOF
  echo "$SETUP" >"$SETUP_MARK"
fi

for u in admin demo alt_demo; do
  cat >"$KS_DIR/${u}rc" <<EOF
export OS_AUTH_URL=$AUTH_URL OS_IDENTITY_API_VERSION=3 OS_AUTH_TYPE=password
export OS_USERNAME=$u OS_PASSWORD=$PW OS_PROJECT_NAME=$u
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=$REGION OS_INTERFACE=public OS_VOLUME_API_VERSION=3
unset OS_CLOUD OS_ENDPOINT OS_USER_ID OS_PROJECT_ID OS_TOKEN CINDER_ENDPOINT
EOF
done
cat >"$KS_DIR/kindling-keystone.conf" <<EOF
# Kindling in keystone mode against the Keystone of scripts/keystone-up.sh
[DEFAULT]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KS_PORT
auth_url = http://127.0.0.1:$KS_PORT
auth_type = password
username = kindling
password = $PW
project_name = service
user_domain_name = Default
project_domain_name = Default
EOF
log "Keystone at $AUTH_URL; users admin, demo, alt_demo (openrc files in $KS_DIR), catalog -> $KINDLING_URL${GLANCE_URL:+, image -> $GLANCE_URL}"
