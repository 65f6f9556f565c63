#!/usr/bin/env bash
# Tempest's volume API tests, and those of Cinder's Tempest plugin, against Kindling in keystone
# mode (docs/conformance.md).
#
# Installs Debian's `tempest` and `cinder-tempest-plugin` if missing, starts a Keystone of its own
# (scripts/keystone-up.sh on its own port and state dir, so the catalog can point at this run's
# Kindling without moving any other test's), a Glance registered in it (scripts/glance-up.sh
# --keystone, on a free port, fresh state under the run's dir) holding a small qcow2 image for
# `[compute] image_ref`, starts `kindling serve` in keystone mode with two `file` backends (it
# finds Glance in the catalog), writes tempest.conf with the feature flags saying what Kindling
# does and the storage protocol and vendor its backends report, runs
# `tempest run --regex '^(tempest|cinder_tempest_plugin)\.api\.volume\.' --concurrency 2` (the
# plugin's scenario tests need Nova and are left out), prints the figures and the failing ids, and
# writes the lists and the conformance table.
#
#   scripts/tempest-run.sh                 # then read $KINDLING_TEMPEST_DIR/results/
#   KINDLING_TEMPEST_WRITE_DOC=0 scripts/tempest-run.sh   # leave docs/conformance.md alone
#
# Environment (defaults in brackets):
#   KINDLING_TEMPEST_DIR [/tmp/kindling-tempest]  workspace, Kindling's state, Keystone's state
#   KINDLING_TEMPEST_RESULTS [$KINDLING_TEMPEST_DIR/results]
#   KINDLING_TEMPEST_KS_PORT [5002]      its Keystone (scripts/keystone-up.sh's KINDLING_KS_PORT)
#   KINDLING_TEMPEST_PORT [a free port]  its Kindling
#   KINDLING_TEMPEST_REGEX ['^(tempest|cinder_tempest_plugin)\.api\.volume\.']
#   KINDLING_TEMPEST_CONCURRENCY [2]
#   KINDLING_TEMPEST_TIMEOUT [2400]      seconds the `tempest run` may take
#   KINDLING_TEMPEST_BACKUP [auto: True iff GET /os-services shows a cinder-backup up]
#   KINDLING_TEMPEST_GLANCE [1]          0: no Glance (service_available.glance = false)
#   KINDLING_TEMPEST_GLANCE_PORT [a free port]  its Glance (state in $KINDLING_TEMPEST_DIR/glance)
#   KINDLING_TEMPEST_WRITE_DOC [1]       copy the generated conformance.md over docs/conformance.md
#
# Results ($KINDLING_TEMPEST_RESULTS): summary.txt, listed.txt, {passed,failed,skipped}.txt,
# {failed,skipped}-reasons.txt, unexplained.txt, missing.txt, conformance.md, results.subunit,
# console.log, kindling.log, tempest.conf, tempest.log. A class skipped in its setUpClass is one
# result for all its tests; missing.txt lists the listed tests with no result of their own or of
# their class (summary.txt's missing=). Glance's logs stay in $KINDLING_TEMPEST_DIR/glance/log.
#
# Exit status: 0 when every failure and skip is explained in docs/conformance.md; 1 when one is
# not (listed in unexplained.txt); 2 when the run could not be made (Keystone, Kindling or Tempest
# did not start, or Tempest ran nothing); 3 when Tempest, Keystone or Glance cannot be installed
# here (no root or sudo, no apt).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${KINDLING_TEMPEST_DIR:-/tmp/kindling-tempest}
RESULTS=${KINDLING_TEMPEST_RESULTS:-$DIR/results}
KS_PORT=${KINDLING_TEMPEST_KS_PORT:-5002}
KS_DIR=$DIR/keystone
KS_PASSWORD=secret
REGEX=${KINDLING_TEMPEST_REGEX:-'^(tempest|cinder_tempest_plugin)\.api\.volume\.'}
CONCURRENCY=${KINDLING_TEMPEST_CONCURRENCY:-2}
RUN_TIMEOUT=${KINDLING_TEMPEST_TIMEOUT:-2400}
WRITE_DOC=${KINDLING_TEMPEST_WRITE_DOC:-1}
DOC=$ROOT/docs/conformance.md
WS=$DIR/workspace
STATE=$DIR/kindling-state
BACKENDS=(file1 file2)
GLANCE=${KINDLING_TEMPEST_GLANCE:-1}
GLANCE_DIR=$DIR/glance
# NOTE: the node that runs Kindling is looked up before PATH puts Debian's programs first.
NODE=${KINDLING_TEMPEST_NODE:-$(command -v node)}
PY=/usr/bin/python3 # Debian's python (Tempest's, subunit's): a pyenv python may come first on PATH
export PATH=/usr/bin:/usr/sbin:/bin:/sbin:$PATH

log() { printf '[tempest-run] %s\n' "$*" >&2; }
die() {
  log "$2"
  exit "$1"
}

# NOTE: one run at a time per workspace (two test runners may start it at once).
mkdir -p "$DIR"
exec 8>"$DIR.lock"
flock -w 3600 8 || die 2 "another tempest-run.sh holds $DIR.lock"

########## Tempest and Cinder's plugin ##########
cannot_install() { die 3 "cannot install Tempest here: $*"; }
# shellcheck source=lib/apt-ensure.sh
. "$ROOT/scripts/lib/apt-ensure.sh"
apt_ensure tempest tempest cinder-tempest-plugin
# qemu-img makes the image Tempest's image tests use (Kindling needs it to convert images anyway)
if ((GLANCE)); then apt_ensure qemu-utils qemu-utils; fi

########## stopping what this run starts, on any exit ##########
GLANCE_STARTED=0
stop_glance() {
  if ((GLANCE_STARTED)); then bash "$ROOT/scripts/glance-down.sh" "$GLANCE_DIR" 8>&- 2>/dev/null; fi
  GLANCE_STARTED=0
}
KINDLING_PID=
stop_kindling() {
  if [[ -n $KINDLING_PID ]] && kill -0 "$KINDLING_PID" 2>/dev/null; then
    kill -TERM "$KINDLING_PID"
    for _ in $(seq 1 100); do
      kill -0 "$KINDLING_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$KINDLING_PID" 2>/dev/null; then kill -KILL "$KINDLING_PID"; fi
  fi
  KINDLING_PID=
}
TEMPEST_PID=
stop_all() {
  if [[ -n $TEMPEST_PID ]]; then kill -TERM "$TEMPEST_PID" 2>/dev/null; fi
  stop_kindling
  stop_glance
}
trap stop_all EXIT
# NOTE: so that a TERM (a test runner's timeout) still stops what this run started.
trap 'exit 143' TERM INT

########## Kindling's and Glance's ports, then Keystone with the catalog pointing at both ##########
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=${KINDLING_TEMPEST_PORT:-$(free_port)}
KINDLING_URL=http://127.0.0.1:$PORT
GLANCE_URL=
if ((GLANCE)); then
  GLANCE_PORT=${KINDLING_TEMPEST_GLANCE_PORT:-$(free_port)}
  GLANCE_URL=http://127.0.0.1:$GLANCE_PORT
fi
# NOTE: keystone-up.sh keeps the endpoint of a service whose URL it is not given as the last run
# registered it: both URLs are given here and to the keystone-up.sh that glance-up.sh runs, so
# the catalog has this run's Kindling and this run's Glance at once. (Without Glance the image
# endpoint a former run registered stays in the catalog; nothing here reads it then.)
KINDLING_KS_PORT=$KS_PORT KINDLING_KS_DIR=$KS_DIR KINDLING_KS_PASSWORD=$KS_PASSWORD \
  KINDLING_URL=$KINDLING_URL GLANCE_URL=$GLANCE_URL bash "$ROOT/scripts/keystone-up.sh" 8>&-
ks_status=$?
if ((ks_status == 3)); then die 3 "cannot start Keystone here (scripts/keystone-up.sh exit 3)"; fi
if ((ks_status != 0)); then die 2 "scripts/keystone-up.sh failed (exit $ks_status)"; fi

########## Glance: keystone mode, in the same Keystone, fresh state ##########
if ((GLANCE)); then
  # A Glance a killed run left behind is stopped, its database and images removed.
  bash "$ROOT/scripts/glance-down.sh" "$GLANCE_DIR" --wipe 8>&- 2>/dev/null
  log "starting Glance on $GLANCE_URL (state $GLANCE_DIR)"
  GLANCE_STARTED=1
  GLANCE_PORT=$GLANCE_PORT KINDLING_KS_PORT=$KS_PORT KINDLING_KS_DIR=$KS_DIR \
    KINDLING_KS_PASSWORD=$KS_PASSWORD KINDLING_URL=$KINDLING_URL \
    bash "$ROOT/scripts/glance-up.sh" "$GLANCE_DIR" --keystone 8>&- >/dev/null
  glance_status=$?
  if ((glance_status == 3)); then
    GLANCE_STARTED=0
    die 3 "cannot start Glance here: scripts/glance-up.sh exit 3 (glance-api cannot be installed: it needs root or password-less sudo and apt)"
  fi
  if ((glance_status != 0)); then
    stop_glance
    die 2 "scripts/glance-up.sh failed (exit $glance_status; logs in $GLANCE_DIR/log)"
  fi
fi

########## Kindling: keystone mode, two file backends, fresh state ##########
rm -rf "$STATE" "$RESULTS"
mkdir -p "$STATE" "$RESULTS"
KCONF=$DIR/kindling-tempest.conf
{
  cat "$KS_DIR/kindling-keystone.conf"
  cat <<EOF

[DEFAULT]
enabled_backends = ${BACKENDS[0]},${BACKENDS[1]}
# no glance_api_servers: Glance is the image endpoint of each caller's catalog (as in Cinder)
EOF
  for b in "${BACKENDS[@]}"; do
    printf '\n[%s]\nvolume_driver = file\nvolume_backend_name = %s\nfile_volume_dir = %s\n' \
      "$b" "$b" "$STATE/volumes-$b"
  done
} >"$KCONF"

[[ -n $NODE ]] || die 2 "no node on PATH"
log "starting Kindling on $KINDLING_URL (state $STATE)"
# NOTE: no KINDLING_* of the caller may leak in; NODE_TEST_CONTEXT would make node a test worker.
(
  cd "$ROOT" || exit 1
  for v in $(compgen -e); do [[ $v == KINDLING_* ]] && unset "$v"; done
  unset NODE_TEST_CONTEXT
  export KINDLING_PORT=$PORT KINDLING_STATE_DIR=$STATE
  exec "$NODE" --import tsx src/cmd/kindling.ts serve --config-file "$KCONF"
) >"$RESULTS/kindling.log" 2>&1 8>&- &
KINDLING_PID=$!
for _ in $(seq 1 300); do
  curl -sf -o /dev/null "$KINDLING_URL/" && break
  kill -0 "$KINDLING_PID" 2>/dev/null || break
  sleep 0.1
done
curl -sf -o /dev/null "$KINDLING_URL/" || {
  tail -n 40 "$RESULTS/kindling.log" >&2
  die 2 "Kindling did not answer on $KINDLING_URL (log: $RESULTS/kindling.log)"
}

########## what Kindling reports: backup service, the backends' protocol and vendor ##########
# GET $1 of this run's Kindling as Keystone's admin (the endpoint from the catalog); prints the JSON.
kindling_get() {
  "$PY" - "http://127.0.0.1:$KS_PORT/v3" "$KS_PASSWORD" "$1" <<'PYEOF'
import json, sys, urllib.request
url, pw, path = sys.argv[1:4]
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin",
        "password": pw, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
r = urllib.request.urlopen(urllib.request.Request(url + "/auth/tokens", data=json.dumps(body).encode(),
    headers={"Content-Type": "application/json"}), timeout=10)
tok = r.headers["X-Subject-Token"]
cat = json.load(r)["token"]["catalog"]
ep = [e["url"] for s in cat if s["type"] == "volumev3" for e in s["endpoints"] if e["interface"] == "public"][0]
print(json.dumps(json.load(urllib.request.urlopen(urllib.request.Request(ep.rstrip("/") + path,
    headers={"X-Auth-Token": tok}), timeout=10))))
PYEOF
}
# backup: on when a backup service reports up (GET /os-services?binary=cinder-backup), as the
# shared run-tempest.sh decides it; a service takes a moment to report after the start.
if [[ -z ${KINDLING_TEMPEST_BACKUP:-} ]]; then
  FEAT_BACKUP=False
  for _ in $(seq 1 20); do
    FEAT_BACKUP=$(kindling_get '/os-services?binary=cinder-backup' 2>/dev/null | "$PY" -c '
import json, sys
svcs = json.load(sys.stdin)["services"]
print("True" if any(s.get("state") == "up" and s.get("status") == "enabled" for s in svcs) else "False")
' 2>/dev/null || echo False)
    [[ $FEAT_BACKUP == True ]] && break
    sleep 0.5
  done
else
  FEAT_BACKUP=$KINDLING_TEMPEST_BACKUP
fi
log "backup service: $FEAT_BACKUP"
# [volume] storage_protocol and vendor_name: what the backends report in their pools' capabilities
# (Tempest puts them in a volume type's extra specs, and a volume of that type must find a backend).
STORAGE_PROTOCOL= VENDOR_NAME=
for _ in $(seq 1 20); do
  caps=$(kindling_get '/scheduler-stats/get_pools?detail=True' 2>/dev/null | "$PY" -c '
import json, sys
pools = [p.get("capabilities") or {} for p in json.load(sys.stdin)["pools"]]
if len(pools) >= int(sys.argv[1]) and all(c.get("storage_protocol") and c.get("vendor_name") for c in pools):
    print(pools[0]["storage_protocol"] + "\t" + pools[0]["vendor_name"])
' "${#BACKENDS[@]}" 2>/dev/null)
  if [[ -n $caps ]]; then
    IFS=$'\t' read -r STORAGE_PROTOCOL VENDOR_NAME <<<"$caps"
    break
  fi
  sleep 0.5
done
[[ -n $STORAGE_PROTOCOL ]] || die 2 "Kindling's pools did not report storage_protocol and vendor_name"
log "backends report storage_protocol=$STORAGE_PROTOCOL vendor_name=$VENDOR_NAME"

########## the image of [compute] image_ref ##########
# Tempest's volume tests make their volumes from images with CONF.compute.image_ref (no Nova
# needed), an image that must be there before the run; devstack uploads CirrOS. Here it is a
# small qcow2 (64 MiB virtual, its first MiB written with a pattern, 1.3 MiB in the file) made
# with qemu-img, uploaded by admin as a public image so every project Tempest makes sees it.
IMAGE_REF=
if ((GLANCE)); then
  IMAGE_FILE=$GLANCE_DIR/tempest-image.qcow2
  rm -f "$IMAGE_FILE"
  { qemu-img create -q -f qcow2 "$IMAGE_FILE" 64M &&
    qemu-io -f qcow2 -c 'write -q -P 0x42 0 1M' "$IMAGE_FILE"; } >/dev/null ||
    die 2 "qemu-img could not make $IMAGE_FILE"
  IMAGE_REF=$("$PY" - "http://127.0.0.1:$KS_PORT/v3" "$KS_PASSWORD" "$IMAGE_FILE" "$GLANCE_URL" <<'PYEOF'
import json, sys, time, urllib.request
url, pw, path, glance_url = sys.argv[1:5]
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin",
        "password": pw, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
r = urllib.request.urlopen(urllib.request.Request(url + "/auth/tokens", data=json.dumps(body).encode(),
    headers={"Content-Type": "application/json"}), timeout=30)
tok = r.headers["X-Subject-Token"]
cat = json.load(r)["token"]["catalog"]
# the image endpoint as Tempest and Kindling find it: the catalog's, which must be this run's Glance
ep = [e["url"] for s in cat if s["type"] == "image" for e in s["endpoints"] if e["interface"] == "public"]
if ep != [glance_url]:
    sys.exit(f"the catalog's image endpoint is {ep}, not {glance_url}")
ep = ep[0].rstrip("/")
def call(method, path, data=None, ctype="application/json"):
    req = urllib.request.Request(ep + path, data=data, method=method,
                                 headers={"X-Auth-Token": tok, "Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=60) as r:
        raw = r.read()
        return json.loads(raw) if raw else None
img = call("POST", "/v2/images", json.dumps({"name": "kindling-tempest-image", "disk_format": "qcow2",
           "container_format": "bare", "visibility": "public"}).encode())
with open(path, "rb") as f:
    call("PUT", f"/v2/images/{img['id']}/file", f.read(), "application/octet-stream")
for _ in range(300):
    if call("GET", f"/v2/images/{img['id']}")["status"] == "active":
        print(img["id"])
        break
    time.sleep(0.2)
else:
    sys.exit(f"image {img['id']} did not become active")
PYEOF
  ) || die 2 "could not upload $IMAGE_FILE to Glance"
  log "image_ref: $IMAGE_REF (kindling-tempest-image, qcow2, public)"
fi

########## tempest.conf ##########
if [[ ! -f $WS/etc/tempest.conf || ! -f $WS/.stestr.conf ]]; then
  rm -rf "$WS"
  tempest init "$WS" >/dev/null || die 2 "tempest init $WS failed"
fi
# NOTE: Tempest appends to its log; each run starts a new one (the log lands in the workspace).
rm -rf "$WS/logs" "$WS/tempest.log"
mkdir -p "$WS/logs"
# NOTE: the flags say what Kindling does: snapshots, clones, revert (3.40), extend, extending an
# attached (in-use, 3.42) volume, two backends and manage/unmanage of volumes and snapshots (the
# file driver's names: volume-<id>, snapshot-<id>), yes; consistency groups (the plugin's
# consistency_group: the v2 /consistencygroups API) and encrypted volumes (no key manager), no;
# backup as detected above. Glance is on (KINDLING_TEMPEST_GLANCE=0: off), with the image
# above as [compute] image_ref; no Nova, Swift, Neutron or Barbican: the tests that attach to a
# server skip on that. volume_revert and consistency_group are the plugin's options
# (cinder_tempest_plugin/config.py).
GLANCE_ON=false IMAGE_CONF=
if ((GLANCE)); then
  GLANCE_ON=true
  # [image]: Glance as the catalog has it (Tempest's defaults, said out loud)
  IMAGE_CONF="
[compute]
image_ref = $IMAGE_REF
image_ref_alt = $IMAGE_REF

[image]
catalog_type = image
region = RegionOne
endpoint_type = publicURL
build_timeout = 300"
fi
cat >"$WS/etc/tempest.conf" <<EOF
[DEFAULT]
log_dir = $WS/logs
log_file = tempest.log
use_stderr = false

[auth]
admin_username = admin
admin_password = $KS_PASSWORD
admin_project_name = admin
admin_domain_name = Default
use_dynamic_credentials = true
create_isolated_networks = false
tempest_roles = member

[identity]
uri_v3 = http://127.0.0.1:$KS_PORT/v3
auth_version = v3
region = RegionOne
v3_endpoint_type = public
disable_ssl_certificate_validation = true

[identity-feature-enabled]
api_v2 = false

[service_available]
cinder = true
nova = false
glance = $GLANCE_ON
swift = false
neutron = false
horizon = false
barbican = false

[validation]
run_validation = false
$IMAGE_CONF

[volume]
catalog_type = volumev3
region = RegionOne
endpoint_type = publicURL
backend_names = ${BACKENDS[0]},${BACKENDS[1]}
storage_protocol = $STORAGE_PROTOCOL
vendor_name = $VENDOR_NAME
min_microversion = 3.0
max_microversion = 3.70
build_timeout = 120
build_interval = 1
volume_size = 1
manage_volume_ref = source-name,volume-%s
manage_snapshot_ref = source-name,snapshot-%s

[volume-feature-enabled]
multi_backend = True
backup = $FEAT_BACKUP
snapshot = True
clone = True
manage_volume = True
manage_snapshot = True
extend_attached_volume = True
extend_attached_encrypted_volume = False
api_extensions = all
volume_revert = True
consistency_group = False
EOF
cp "$WS/etc/tempest.conf" "$RESULTS/tempest.conf"

########## run ##########
(cd "$WS" && tempest run --list-tests --regex "$REGEX" 2>/dev/null) | grep -E '^[a-z_]+\.' \
  >"$RESULTS/listed.txt"
listed=$(wc -l <"$RESULTS/listed.txt")
log "running $listed tests: tempest run --regex '$REGEX' --concurrency $CONCURRENCY"
# NOTE: `stestr last` would give the previous run's results if this one recorded none.
stream_before=$(cat "$WS/.stestr/next-stream" 2>/dev/null || echo none)
t0=$(date +%s)
(cd "$WS" && exec timeout "$RUN_TIMEOUT" tempest run --regex "$REGEX" --concurrency "$CONCURRENCY") \
  >"$RESULTS/console.log" 2>&1 8>&- &
TEMPEST_PID=$!
wait "$TEMPEST_PID"
run_status=$?
TEMPEST_PID=
seconds=$(($(date +%s) - t0))
stop_kindling
if [[ $(cat "$WS/.stestr/next-stream" 2>/dev/null || echo none) != "$stream_before" ]]; then
  (cd "$WS" && stestr last --subunit) >"$RESULTS/results.subunit" 2>/dev/null
else
  : >"$RESULTS/results.subunit"
fi
for f in "$WS/logs/tempest.log" "$WS/tempest.log"; do [[ -f $f ]] && cp "$f" "$RESULTS/tempest.log"; done
log "tempest run exit $run_status after ${seconds}s"

########## summary, lists, conformance.md ##########
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain -- src 2>/dev/null) ]]; then commit="$commit + uncommitted changes in src/"; fi
tempest_version=$(dpkg-query -W -f='${Version}' tempest 2>/dev/null)
plugin_version=$(dpkg-query -W -f='${Version}' cinder-tempest-plugin 2>/dev/null)
glance_version=$(dpkg-query -W -f='${Version}' glance-api 2>/dev/null)
"$PY" - "$RESULTS" "$DOC" "$listed" "$seconds" "$commit" "$tempest_version" "$REGEX" "$CONCURRENCY" \
  "$plugin_version" "$glance_version" <<'PYEOF'
import configparser, datetime, re, sys
import subunit, testtools

(results, doc_path, listed, seconds, commit, tempest_version, regex, concurrency, plugin_version,
 glance_version) = sys.argv[1:11]
# The suites counted apart in the table: Tempest's own volume API tests and Cinder's plugin's.
SUITES = (("tempest.api.volume", "Tempest"), ("cinder_tempest_plugin.api.volume", "Cinder's plugin"))
BEGIN = "<!-- BEGIN generated by scripts/tempest-run.sh"
END = "<!-- END generated by scripts/tempest-run.sh -->"

def base(tid):
    """The test id without Tempest's tags ([id-…,smoke])."""
    return tid[: tid.index("[")] if tid.endswith("]") and "[" in tid else tid

def reason_of(t):
    details = t.get("details") or {}
    for key in ("reason", "traceback"):
        if key in details:
            lines = [l.strip() for l in details[key].as_text().strip().splitlines() if l.strip()]
            if not lines:
                return ""
            if key == "reason":
                return lines[0].strip()
            # from the exception line (the last one not indented, after the frames) to the end
            raw = details[key].as_text().rstrip().splitlines()
            exc = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Failure|Mismatch|Fault|NotFound)\w*(:|$)")
            starts = [i for i, l in enumerate(raw) if exc.match(l)]
            start = starts[-1] if starts else len(raw) - 1
            return " ".join(l.strip() for l in raw[start:] if l.strip())
    return ""

tests = {}
def on_test(t):
    if t["status"] in ("exists", None):
        return
    tests[t["id"]] = (t["status"], reason_of(t))
with open(results + "/results.subunit", "rb") as f:
    stream = subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout")
    sink = testtools.StreamToDict(on_test)
    sink.startTestRun(); stream.run(sink); sink.stopTestRun()
# setUpClass failures are reported under the class id (e.g. "setUpClass (tempest.api…Test)")
buckets = {"success": [], "fail": [], "skip": [], "other": []}
for tid, (status, why) in sorted(tests.items()):
    buckets.get(status, buckets["other"]).append((base(tid), why))

# Explanations: rows `| `<test id, class or module>` | fail or skip | why |` outside the generated part.
text = open(doc_path).read() if __import__("os").path.exists(doc_path) else ""
hand = text.split(BEGIN)[0] + (text.split(END, 1)[1] if END in text else "")
explained = []
for m in re.finditer(r"^\|\s*`([^`]+)`\s*\|\s*(fail|skip)\s*\|(.*)\|\s*$", hand, re.M):
    explained.append((m.group(1).strip(), m.group(2), m.group(3).strip()))

def explain(tid, kind):
    # setUpClass (tempest.api.volume.x.Class) → the class id
    m = re.match(r"^(?:setUpClass|tearDownClass) \((.*)\)$", tid)
    key = m.group(1) if m else tid
    best = None
    for pattern, k, why in explained:
        if k == kind and (key == pattern or key.startswith(pattern + ".")):
            if best is None or len(pattern) > len(best[0]):
                best = (pattern, why)
    return best

used = set()
unexplained = []
rows = {"fail": [], "skip": []}
for kind in ("fail", "skip"):
    for tid, why in buckets[kind]:
        e = explain(tid, kind)
        if e is None:
            unexplained.append(f"{kind} {tid} | {why}")
        else:
            used.add((e[0], kind))
        rows[kind].append((tid, why, e[1] if e else "**not explained**"))
for tid, why in buckets["other"]:
    unexplained.append(f"other {tid} | {why}")

def write(name, lines):
    with open(f"{results}/{name}", "w") as f:
        f.write("".join(l + "\n" for l in lines))
write("passed.txt", [t for t, _ in buckets["success"]])
write("failed.txt", [t for t, _ in buckets["fail"]])
write("skipped.txt", [t for t, _ in buckets["skip"]])
write("failed-reasons.txt", [f"{t} | {w}" for t, w in buckets["fail"]])
write("skipped-reasons.txt", [f"{t} | {w}" for t, w in buckets["skip"]])
write("unexplained.txt", unexplained)
# Every listed test has a result, its own or its class's (setUpClass/tearDownClass).
have = {base(t) for t in tests}
have |= {m.group(1) for m in (re.match(r"^(?:setUpClass|tearDownClass) \((.*)\)$", t) for t in have) if m}
missing = [t for t in (base(l.strip()) for l in open(results + "/listed.txt") if l.strip())
           if t not in have and t.rsplit(".", 1)[0] not in have]
write("missing.txt", missing)
n = {k: len(v) for k, v in buckets.items()}
total = sum(n.values())
summary = (f"total={total} passed={n['success']} failed={n['fail']} skipped={n['skip']} "
           f"other={n['other']} listed={listed} missing={len(missing)} unexplained={len(unexplained)}")
write("summary.txt", [summary])
print(summary)

def cell(s, limit=300):
    s = " ".join(s.split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s.replace("|", "\\|")

def short(tid):
    return tid.replace("tempest.api.volume.", "", 1)

def suite_of(tid):
    m = re.match(r"^(?:setUpClass|tearDownClass) \((.*)\)$", tid)
    key = m.group(1) if m else tid
    return next((p for p, _ in SUITES if key.startswith(p + ".")), "")

conf = configparser.ConfigParser(interpolation=None)
conf.read(results + "/tempest.conf")
feat = dict(conf.items("volume-feature-enabled")) if conf.has_section("volume-feature-enabled") else {}
flags_on = ", ".join(k for k, v in feat.items() if v == "True") or "none"
flags_off = ", ".join(k for k, v in feat.items() if v == "False") or "none"
today = datetime.date.today().isoformat()
glance = (f"Glance {glance_version} in the catalog, `[compute] image_ref` a 64 MiB qcow2"
          if conf.get("service_available", "glance", fallback="false").lower() == "true" else "no Glance")
out = [
    f"{BEGIN} from the latest run; edit the explanations above it, not this -->",
    "## Latest run",
    "",
    f"{today}: Tempest {tempest_version} with cinder-tempest-plugin {plugin_version or 'not installed'},"
    f" `tempest run --regex '{regex}' --concurrency {concurrency}`"
    f" against Kindling {commit} (keystone mode, `kindling serve`, two `file` backends,"
    f" {glance}), {seconds} s."
    f" Feature flags (`[volume-feature-enabled]`): {flags_on} on; {flags_off} off."
    " Tempest's own test ids below are under `tempest.api.volume.`; the plugin's are written out.",
    "",
    "| suite | total | passed | failed | skipped |",
    "|---|---|---|---|---|",
]
for prefix, title in SUITES:
    c = {k: sum(1 for t, _ in v if suite_of(t) == prefix) for k, v in buckets.items()}
    out.append(f"| {title} (`{prefix}`) | {sum(c.values())} | {c['success']} | {c['fail']} | {c['skip']} |")
out += [f"| all | {total} | {n['success']} | {n['fail']} | {n['skip']} |", ""]
for kind, title in (("fail", "Failed"), ("skip", "Skipped")):
    out += [f"### {title} ({len(rows[kind])})", ""]
    if rows[kind]:
        out += ["| test | Tempest says | why |", "|---|---|---|"]
        out += [f"| `{short(t)}` | {cell(w)} | {cell(e, 1000)} |" for t, w, e in rows[kind]]
    else:
        out.append("None.")
    out.append("")
if buckets["other"]:
    out += [f"### Neither passed, failed nor skipped ({n['other']})", ""]
    out += [f"- `{short(t)}` {cell(w)}" for t, w in buckets["other"]] + [""]
stale = [(p, k) for p, k, _ in explained if (p, k) not in used]
if stale:
    out += ["### Explanations no test of this run needed", ""]
    out += [f"- `{p}` ({k})" for p, k in stale] + [""]
out.append(END)
generated = "\n".join(out) + "\n"
if BEGIN in text:
    before = text.split(BEGIN)[0]
    after = text.split(END, 1)[1] if END in text else ""
    new = before + generated + after.lstrip("\n")
else:
    new = (text.rstrip("\n") + "\n\n" if text else "# Conformance\n\n") + generated
with open(results + "/conformance.md", "w") as f:
    f.write(new)
PYEOF
summary_status=$?
((summary_status == 0)) || die 2 "could not read Tempest's results ($RESULTS/results.subunit)"

if [[ $WRITE_DOC == 1 ]]; then
  cp "$RESULTS/conformance.md" "$DOC"
  log "wrote $DOC"
fi
if [[ -s $RESULTS/failed.txt ]]; then
  log "failed:"
  sed 's/^/  /' "$RESULTS/failed.txt" >&2
fi
log "lists and reasons in $RESULTS"
total=$(grep -o 'total=[0-9]*' "$RESULTS/summary.txt" | cut -d= -f2)
if [[ ${total:-0} -eq 0 ]]; then
  tail -n 30 "$RESULTS/console.log" >&2
  die 2 "Tempest ran no test (exit $run_status; $RESULTS/console.log)"
fi
if [[ -s $RESULTS/unexplained.txt ]]; then
  log "not explained in docs/conformance.md:"
  sed 's/^/  /' "$RESULTS/unexplained.txt" >&2
  exit 1
fi
exit 0
