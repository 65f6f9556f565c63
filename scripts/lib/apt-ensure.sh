# Sourced by the project's scripts: installs the Debian packages that are missing, and nothing
# else. Needs `log` and `cannot_install` (exits 3: the tests skip on it) from the caller.
#
#   apt_ensure PROBE PKG...   # PROBE: a package whose candidate says the apt lists are fresh
#   APT_ENSURE_PRESEED        # optional debconf-set-selections lines, set before installing
#
# A policy-rc.d answering 101 keeps the packages from starting daemons of their own while they
# install (Debian's keystone would start one on port 5000, ceph its systemd units).

apt_ensure() {
  local probe=$1
  shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} > 0)) || return 0
  command -v apt-get >/dev/null || cannot_install "no apt-get (Debian/Ubuntu only); missing: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo -n true 2>/dev/null || cannot_install "not root and no password-less sudo; missing: ${missing[*]}"
    sudo=(sudo -n)
  fi
  log "installing ${missing[*]}"
  local own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local status=0
  (
    apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -y -q)
    if [[ -n ${APT_ENSURE_PRESEED:-} ]]; then
      printf '%s\n' "$APT_ENSURE_PRESEED" | "${sudo[@]}" debconf-set-selections || true
    fi
    if ! apt-cache policy "$probe" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      "${apt[@]}" update >/dev/null || exit 10
    fi
    "${apt[@]}" install --no-install-recommends "${missing[@]}" >/dev/null || exit 11
  ) || status=$?
  if ((own_policy)); then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi
  case $status in
    0) ;;
    10) cannot_install "apt-get update failed" ;;
    *) cannot_install "apt-get install ${missing[*]} failed" ;;
  esac
}
