#!/usr/bin/env bash
# Render deploy/nginx.conf.template to stdout (envsubst with exactly the template's eight names).
#
#   bash deploy/render_nginx_conf.sh LISTEN_PORT RUN_DIR HOST:PORT [HOST:PORT ...] > RUN_DIR/nginx.conf
#   bash deploy/render_nginx_conf.sh LISTEN_PORT RUN_DIR > RUN_DIR/nginx.conf    # editions only, no replica
#
# Student editions are served at /editions/NAME/ from EDITIONS_DIR/NAME (the environment's EDITIONS_DIR,
# default the repository's git-ignored editions/; made absolute here). Without any HOST:PORT the lines
# between the template's "dashboard: begin" and "dashboard: end" are left out: nginx serves the editions
# alone (and answers 404 to everything else).
#
# From the replica addresses: the hashed upstream's servers, one upstream block per replica (it, then every
# other replica as a backup) and the map from the vae_replica cookie to those blocks. The cookie holds the
# address nginx reports in $upstream_addr, which is an IP address: a HOST that is a name is resolved here
# (its first IPv4 address, as nginx itself resolves it once at start), so that map and cookie agree.
#
# The upload limit comes from .streamlit/config.toml (server.maxUploadSize, Streamlit's default 200 when
# it is not set) and the page paths from the files in pages/, so neither is written twice. Called by
# scripts/serve_replicas.sh and by deploy/systemd/vae-explorer-nginx.service.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: render_nginx_conf.sh LISTEN_PORT RUN_DIR [HOST:PORT ...]" >&2; exit 2; }
command -v envsubst >/dev/null || { echo "envsubst not found: apt-get install gettext-base" >&2; exit 1; }
LISTEN_PORT=$1
RUN_DIR=$2
shift 2
EDITIONS_DIR=${EDITIONS_DIR:-$PWD/editions}
case $EDITIONS_DIR in
  /*) ;;
  *) EDITIONS_DIR=$PWD/$EDITIONS_DIR ;;  # relative to the repository, where this script runs
esac
EDITIONS_DIR=${EDITIONS_DIR%/}
[[ $EDITIONS_DIR =~ ^[A-Za-z0-9_./+-]+$ ]] || { echo "EDITIONS_DIR must be a path of letters, digits and _./+- (nginx reads it unquoted): $EDITIONS_DIR" >&2; exit 2; }
ADDRESSES=()
for a in "$@"; do
  [[ $a =~ ^(.+):([0-9]+)$ ]] || { echo "not HOST:PORT: $a" >&2; exit 2; }
  host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
  if ! [[ $host =~ ^[0-9.]+$ || $host =~ ^\[.*\]$ ]]; then
    ip=$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }')
    [ -n "$ip" ] || { echo "cannot resolve $host (of $a)" >&2; exit 1; }
    host=$ip
  fi
  ADDRESSES+=("$host:$port")
done
[ "$(printf '%s\n' "${ADDRESSES[@]}" | sort | uniq -d)" = "" ] || { echo "a replica is listed twice: ${ADDRESSES[*]}" >&2; exit 2; }
SERVER_OPTIONS="max_fails=1 fail_timeout=10s"
UPSTREAM_SERVERS=""
REPLICA_UPSTREAMS=""
REPLICA_ROUTES=""
for i in "${!ADDRESSES[@]}"; do
  a=${ADDRESSES[$i]}
  UPSTREAM_SERVERS+="server $a $SERVER_OPTIONS; "
  REPLICA_UPSTREAMS+="upstream replica_$((i + 1)) { server $a $SERVER_OPTIONS; "
  for other in "${ADDRESSES[@]}"; do
    [ "$other" = "$a" ] || REPLICA_UPSTREAMS+="server $other $SERVER_OPTIONS backup; "
  done
  REPLICA_UPSTREAMS+="}
    "
  REPLICA_ROUTES+="\"$a\" replica_$((i + 1));
        "
done
UPSTREAM_SERVERS=${UPSTREAM_SERVERS% }
REPLICA_UPSTREAMS=${REPLICA_UPSTREAMS%$'\n    '}
REPLICA_ROUTES=${REPLICA_ROUTES%$'\n        '}
MAX_UPLOAD_MB=$(${CONFIG_PYTHON:-python3} -c '
import sys, tomllib
with open(".streamlit/config.toml", "rb") as f:
    size = tomllib.load(f).get("server", {}).get("maxUploadSize", 200)
if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
    sys.exit(f".streamlit/config.toml: server.maxUploadSize must be a positive whole number of MB, not {size!r}")
print(size)')
APP_PAGES=$(cd pages && ls -- *.py | sed 's/\.py$//' | sort | paste -sd '|')
[ -n "$APP_PAGES" ] || { echo "no pages in pages/" >&2; exit 1; }
export LISTEN_PORT RUN_DIR UPSTREAM_SERVERS REPLICA_UPSTREAMS REPLICA_ROUTES MAX_UPLOAD_MB APP_PAGES EDITIONS_DIR
if [ ${#ADDRESSES[@]} -gt 0 ]; then
  cat deploy/nginx.conf.template
else
  sed '/# --- dashboard: begin/,/# --- dashboard: end/d' deploy/nginx.conf.template
fi | envsubst '${LISTEN_PORT} ${UPSTREAM_SERVERS} ${REPLICA_UPSTREAMS} ${REPLICA_ROUTES} ${RUN_DIR} ${MAX_UPLOAD_MB} ${APP_PAGES} ${EDITIONS_DIR}'
