#!/usr/bin/env bash
# Prints the environment that points the Debian `cinder` and `openstack` clients at a Kindling
# server in noauth mode (see docs/clients.md). Use it as:
#
#   eval "$(scripts/client-env.sh [URL] [PROJECT] [USER])"
#
# URL defaults to http://127.0.0.1:8776, PROJECT and USER to admin.
set -euo pipefail

url=${1:-http://127.0.0.1:8776}
project=${2:-admin}
user=${3:-admin}
url=${url%/}

cat <<ENV
unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_USER_DOMAIN_NAME OS_PROJECT_DOMAIN_NAME OS_TOKEN OS_CLIENT_CONFIG_FILE
export OS_AUTH_TYPE=noauth
export OS_USER_ID=${user}
export OS_PROJECT_ID=${project}
# cinder: the full endpoint (project id included; ${url}/v3 alone also works)
export CINDER_ENDPOINT=${url}/v3/${project}
# openstack: the noauth plugin appends the project id itself; read these OS_* variables as a cloud
export OS_ENDPOINT=${url}/v3
export OS_CLOUD=envvars
# openstack: no image service, so 'volume create' does not look for one
export OS_HAS_IMAGE=
ENV
