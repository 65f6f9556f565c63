#!/usr/bin/env bash
# Seconds from `npm start` to the first answer of `GET /`, for two revisions of Kindling in one run
# (same machine, same load): BEFORE (default: the parent of the commit that replaced prestart's
# full rebuild)
# and AFTER (default: HEAD), their runs interleaved. Each is exported with `git archive` into a temporary directory that
# shares this checkout's node_modules, then started:
#   fresh      no dist/ yet (a new clone after `npm ci`)
#   restart    dist/ built, no source changed
#   changed    one source file changed (a comment appended to src/config/options.ts)
# and, for reference, `node dist/cmd/kindling.js serve` with no build at all.
#
# Each figure is the median of RUNS (default 3) runs; every run is printed on stderr.
#
# usage: [RUNS=N] bench/npm-start-time.sh [BEFORE_REV [AFTER_REV]]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
after=${2:-HEAD}
runs=${RUNS:-3}
before=${1:-$(git log -1 --format=%H -S'"prestart": "npm run build"' -- package.json)^}
[ -n "$before" ] || {
  echo "no BEFORE revision found; pass one" >&2
  exit 2
}

work=$(mktemp -d /tmp/kindling-start-time.XXXXXX)
pgid=
cleanup() {
  [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

checkout() { # NAME REV
  mkdir -p "$work/$1"
  git archive "$2" | tar -x -C "$work/$1"
  ln -s "$repo/node_modules" "$work/$1/node_modules"
}

free_port() {
  node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Starts `$@` in DIR (its own process group), prints the seconds until GET / answers, stops it.
first_answer() { # DIR COMMAND...
  local dir=$1 port state t0 t1
  shift
  port=$(free_port)
  state=$(mktemp -d "$work/state.XXXXXX")
  t0=$(date +%s.%N)
  (cd "$dir" && KINDLING_PORT=$port KINDLING_STATE_DIR=$state exec setsid "$@" >"$state.log" 2>&1) &
  pgid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)" != 000 ]; do
    if ! kill -0 "$pgid" 2>/dev/null; then
      echo "failed to start; its output:" >&2
      cat "$state.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  t1=$(date +%s.%N)
  kill -TERM -- "-$pgid" 2>/dev/null || true
  while kill -0 "$pgid" 2>/dev/null; do sleep 0.05; done
  pgid=
  echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}'
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

declare -A times # "<rev> <case>" -> the run's figures, space-separated

one_run() { # NAME DIR I
  rm -rf "$2/dist"
  times["$1 fresh"]+=" $(first_answer "$2" npm start)"
  times["$1 restart"]+=" $(first_answer "$2" npm start)"
  sleep 1 # the changed file must be newer than the last build's outputs
  echo "// changed by bench/npm-start-time.sh ($3)" >>"$2/src/config/options.ts"
  times["$1 changed"]+=" $(first_answer "$2" npm start)"
}

row() { # NAME
  local c cells=()
  for c in fresh restart changed; do cells+=("$(echo "${times["$1 $c"]}" | median)"); done
  printf '| %s | %s | %s | %s |\n' "$1" "${cells[@]}"
  for c in fresh restart changed; do echo "  $1 $c:${times["$1 $c"]}" >&2; done
}

checkout before "$before"
checkout after "$after"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "before = $(git rev-parse --short "$before"), after = $(git rev-parse --short "$after")"
echo
echo "| \`npm start\` to the first answer (s, median of $runs) | fresh clone | restart, nothing changed | restart, one file changed |"
echo '|---|---|---|---|'
# NOTE: interleaved, so that both revisions see the same load
for i in $(seq 1 "$runs"); do
  one_run before "$work/before" "$i"
  one_run after "$work/after" "$i"
done
row before
row after
echo
direct=()
for _ in $(seq 1 "$runs"); do direct+=("$(first_answer "$work/after" node dist/cmd/kindling.js serve)"); done
echo "node dist/cmd/kindling.js serve (no build): $(echo "${direct[@]}" | median) s (runs: ${direct[*]})"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
