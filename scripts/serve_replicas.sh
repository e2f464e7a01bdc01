#!/usr/bin/env bash
# Serve a class: N dashboard replicas on loopback ports behind nginx, one public port, under supervisord.
#
#   bash scripts/serve_replicas.sh N [PORT]          # N replicas here (ports PORT+1 .. PORT+N), nginx on PORT (8501)
#   UPSTREAMS="10.0.0.5:8501 10.0.0.6:8501" bash scripts/serve_replicas.sh 0 8080
#                                                     # nginx only, in front of replicas on other machines
#                                                     # (there: scripts/run_dashboard.sh or
#                                                     #  .venv/bin/vae-explorer serve --server.address 0.0.0.0 --server.port 8501)
#   bash scripts/serve_replicas.sh 0 8080             # no replica at all: nginx serves the student editions alone
#
# Student editions (`vae-explorer share --model NAME --out EDITIONS_DIR/NAME`, static folders: index.html +
# assets/ with content-hashed names) are served by nginx itself at /editions/NAME/, whatever N is, from
# EDITIONS_DIR (environment; default the repository's git-ignored editions/, made if missing; another
# folder must exist and, when this script runs as root, be readable by `nobody`, nginx's workers):
#   EDITIONS_DIR=/srv/editions bash scripts/serve_replicas.sh 2 8501   # http://HOST:8501/editions/mnist-z16/
# assets/* are cached for a year (immutable), index.html is revalidated on each visit (ETag, 304), and
# text, JSON, WebAssembly and binary arrays are gzipped (deploy/nginx.conf.template says how).
#
# supervisord (Debian's `supervisor` package) runs the replicas and nginx: a replica that dies (a crash,
# SIGKILL, the kernel's OOM killer) is restarted at once and the others and nginx carry on; nginx skips
# it meanwhile (passive health checks) and sends its students to a survivor. Its configuration is
# deploy/supervisor/supervisord.conf.template (+ replica.conf.template once per replica), nginx's is
# deploy/nginx.conf.template (deploy/render_nginx_conf.sh), all rendered with envsubst into a temporary
# run folder, whose path is the first line printed ("run folder: /tmp/vae-hall-XXXXXX"). There:
# supervisord.conf (`supervisorctl -c RUN_DIR/supervisord.conf status`, `... pid replica1`), the logs
# (replicaI.log, supervisord.log, error.log of nginx) and the control socket.
#
# The script waits for each local replica's /_stcore/health (STARTUP_TIMEOUT_S, 300 s) before nginx
# starts, then stays in the foreground. Ctrl-C or SIGTERM stops everything (supervisord stops each
# program with SIGTERM, SIGKILL after 10 s, then exits) and removes the run folder. The environment is
# passed through: supervisord's programs inherit it (VAE_WARM_UP=0, OMP_NUM_THREADS, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
N=${1:?usage: serve_replicas.sh N [PORT]}
PORT=${2:-8501}
NGINX_BIN=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
unset NGINX  # nginx reads an NGINX variable in its environment as sockets inherited from a parent nginx
SUPERVISORD=${SUPERVISORD:-$(command -v supervisord || echo /usr/bin/supervisord)}
SUPERVISORCTL=${SUPERVISORCTL:-$(command -v supervisorctl || echo /usr/bin/supervisorctl)}
VENV=${VENV:-.venv}  # the replicas run its vae-explorer (scripts/setup.sh makes .venv)
case $VENV in  # supervisord needs an absolute path
  /*) ;;
  *) VENV=$REPO/$VENV ;;
esac
[ "$N" -eq 0 ] || [ -x "$VENV/bin/vae-explorer" ] || { echo "$VENV/bin/vae-explorer not found: bash scripts/setup.sh (or VENV=path/to/venv)" >&2; exit 1; }
if [ -z "${EDITIONS_DIR:-}" ]; then
  EDITIONS_DIR=$REPO/editions
  mkdir -p "$EDITIONS_DIR"
fi
case $EDITIONS_DIR in
  /*) ;;
  *) EDITIONS_DIR=$REPO/$EDITIONS_DIR ;;
esac
[ -d "$EDITIONS_DIR" ] || { echo "EDITIONS_DIR=$EDITIONS_DIR is not a folder" >&2; exit 1; }
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null && ! runuser -u nobody -- test -r "$EDITIONS_DIR" -a -x "$EDITIONS_DIR"; then
  echo "EDITIONS_DIR=$EDITIONS_DIR cannot be read by nobody (nginx's workers): its editions would answer 403 (chmod a+rx the folders on its path)" >&2
  exit 1
fi
export EDITIONS_DIR
bash deploy/precompress_editions.sh "$EDITIONS_DIR"  # assets/*.gz, sent as they are by nginx's gzip_static
STARTUP_TIMEOUT_S=${STARTUP_TIMEOUT_S:-300}
[ -x "$NGINX_BIN" ] || { echo "nginx not found: apt-get install nginx" >&2; exit 1; }
[ -x "$SUPERVISORD" ] && [ -x "$SUPERVISORCTL" ] || { echo "supervisord not found: apt-get install supervisor" >&2; exit 1; }
command -v envsubst >/dev/null || { echo "envsubst not found: apt-get install gettext-base" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl not found: apt-get install curl" >&2; exit 1; }
for p in $(seq "$PORT" $((PORT + N))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p is in use" >&2; exit 1; fi
done

RUN_DIR=$(mktemp -d /tmp/vae-hall-XXXXXX)
chmod 755 "$RUN_DIR"  # nginx's workers run as nobody when started by root
echo "run folder: $RUN_DIR"
SUPERVISOR_PID=""
stop() {
  trap - EXIT INT TERM
  if [ -n "$SUPERVISOR_PID" ] && kill -0 "$SUPERVISOR_PID" 2>/dev/null; then
    kill -TERM "$SUPERVISOR_PID"  # it stops every program (SIGTERM, SIGKILL after stopwaitsecs) before it exits
    wait "$SUPERVISOR_PID" 2>/dev/null || true
  fi
  rm -rf "$RUN_DIR"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export RUN_DIR VENV REPO
NGINX=$NGINX_BIN envsubst '${RUN_DIR} ${NGINX}' <deploy/supervisor/supervisord.conf.template >"$RUN_DIR/supervisord.conf"
ADDRESSES=(${UPSTREAMS:-})
for i in $(seq 1 "$N"); do
  REPLICA_NAME=replica$i REPLICA_PORT=$((PORT + i)) REPLICA_ADDRESS=127.0.0.1 \
    envsubst '${REPLICA_NAME} ${REPLICA_PORT} ${REPLICA_ADDRESS} ${VENV} ${REPO} ${RUN_DIR}' \
    <deploy/supervisor/replica.conf.template >>"$RUN_DIR/supervisord.conf"
  ADDRESSES+=("127.0.0.1:$((PORT + i))")
done
CONFIG_PYTHON=$( [ -x "$VENV/bin/python" ] && echo "$VENV/bin/python" || echo python3 ) \
  bash deploy/render_nginx_conf.sh "$PORT" "$RUN_DIR" "${ADDRESSES[@]}" >"$RUN_DIR/nginx.conf"
"$NGINX_BIN" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf"

"$SUPERVISORD" -c "$RUN_DIR/supervisord.conf" >>"$RUN_DIR/supervisord.out" 2>&1 &
SUPERVISOR_PID=$!
ctl() { "$SUPERVISORCTL" -c "$RUN_DIR/supervisord.conf" "$@"; }

deadline=$((SECONDS + STARTUP_TIMEOUT_S))
for i in $(seq 1 "$N"); do
  port=$((PORT + i))
  until curl -sf "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1; do
    kill -0 "$SUPERVISOR_PID" 2>/dev/null || { cat "$RUN_DIR/supervisord.out" >&2; echo "supervisord exited" >&2; exit 1; }
    if grep -q "gave up: replica$i " "$RUN_DIR/supervisord.log" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
      tail -n 40 "$RUN_DIR/replica$i.log" >&2 || true
      echo "replica $i did not start (log above)" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "replica $i: http://127.0.0.1:$port (log $RUN_DIR/replica$i.log, supervisorctl -c $RUN_DIR/supervisord.conf pid replica$i)"
done

until ctl pid >/dev/null 2>&1; do  # supervisord's control socket answers (no replica to wait for gives it no time)
  kill -0 "$SUPERVISOR_PID" 2>/dev/null || { cat "$RUN_DIR/supervisord.out" >&2; echo "supervisord exited" >&2; exit 1; }
  [ $SECONDS -le $deadline ] || { echo "supervisord did not answer" >&2; exit 1; }
  sleep 0.2
done
ctl start nginx >/dev/null || { cat "$RUN_DIR/nginx.out" "$RUN_DIR/error.log" >&2 2>/dev/null; echo "nginx did not start" >&2; exit 1; }
HOST=$(hostname -f 2>/dev/null || hostname)
if [ ${#ADDRESSES[@]} -gt 0 ]; then
  echo "nginx: http://0.0.0.0:$PORT -> ${ADDRESSES[*]}   (error log $RUN_DIR/error.log)"
  echo "public URL: http://$HOST:$PORT/   (Ctrl-C stops everything)"
else
  echo "nginx: http://0.0.0.0:$PORT, student editions only (no replica; error log $RUN_DIR/error.log)"
fi
for index in "$EDITIONS_DIR"/*/index.html; do
  [ -f "$index" ] || continue
  name=$(basename "$(dirname "$index")")
  echo "edition $name: http://$HOST:$PORT/editions/$name/"
done
[ ${#ADDRESSES[@]} -gt 0 ] || echo "(Ctrl-C stops everything)"
wait "$SUPERVISOR_PID" || true  # returns when a signal arrives (the trap stops everything) or supervisord ends
echo "supervisord exited" >&2
exit 1
