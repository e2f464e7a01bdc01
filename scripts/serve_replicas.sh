#!/usr/bin/env bash
# Serve a class: N dashboard replicas on loopback ports behind nginx, one public port.
#
#   bash scripts/serve_replicas.sh N [PORT]          # N replicas here (ports PORT+1 .. PORT+N), nginx on PORT (8501)
#   UPSTREAMS="10.0.0.5:8501 10.0.0.6:8501" bash scripts/serve_replicas.sh 0 8080
#                                                     # nginx only, in front of replicas on other machines
#                                                     # (there: scripts/run_dashboard.sh or
#                                                     #  python -m ui.serve --server.address 0.0.0.0 --server.port 8501)
#
# nginx's configuration is deploy/nginx.conf.template filled by envsubst (LISTEN_PORT, UPSTREAM_SERVERS,
# RUN_DIR); affinity by a cookie, websocket upgrade on /_stcore/stream, passive health checks (stock
# nginx has no active ones: this script waits for each local replica's /_stcore/health before nginx
# starts, and nginx skips a replica that refuses connections). Ctrl-C (or the end of this script)
# stops nginx and every replica.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?usage: serve_replicas.sh N [PORT]}
PORT=${2:-8501}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$NGINX" ] || { echo "nginx not found: apt-get install nginx" >&2; exit 1; }
command -v envsubst >/dev/null || { echo "envsubst not found: apt-get install gettext-base" >&2; exit 1; }

RUN_DIR=$(mktemp -d /tmp/vae-nginx-XXXXXX)
chmod 755 "$RUN_DIR"  # nginx's workers run as nobody when started by root
PIDS=()
stop() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do  # 10 s for a clean shutdown, then SIGKILL
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN_DIR"
}
trap stop EXIT
trap 'exit 130' INT TERM

ADDRESSES=(${UPSTREAMS:-})
for i in $(seq 1 "$N"); do
  port=$((PORT + i))
  "$PYTHON" -m ui.serve --server.port "$port" --server.address 127.0.0.1 --server.headless true \
    --browser.gatherUsageStats false --server.fileWatcherType none >"$RUN_DIR/replica$i.log" 2>&1 &
  PIDS+=($!)
  ADDRESSES+=("127.0.0.1:$port")
done
[ ${#ADDRESSES[@]} -gt 0 ] || { echo "no replicas: N=0 needs UPSTREAMS" >&2; exit 1; }
for i in $(seq 1 "$N"); do
  port=$((PORT + i))
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1 && break
    kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null || { cat "$RUN_DIR/replica$i.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "replica $i: http://127.0.0.1:$port (log $RUN_DIR/replica$i.log)"
done

UPSTREAM_SERVERS=""
for a in "${ADDRESSES[@]}"; do UPSTREAM_SERVERS+="server $a max_fails=1 fail_timeout=10s; "; done
UPSTREAM_SERVERS=${UPSTREAM_SERVERS% }
LISTEN_PORT=$PORT UPSTREAM_SERVERS=$UPSTREAM_SERVERS RUN_DIR=$RUN_DIR \
  envsubst '${LISTEN_PORT} ${UPSTREAM_SERVERS} ${RUN_DIR}' <deploy/nginx.conf.template >"$RUN_DIR/nginx.conf"
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf"
"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
echo "nginx: http://0.0.0.0:$PORT -> ${ADDRESSES[*]}   (Ctrl-C stops everything)"
wait -n "${PIDS[@]}"  # the first one to exit (a crashed replica is survived: nginx fails over; nginx itself is not)
echo "a process exited; nginx still up: $(kill -0 "${PIDS[-1]}" 2>/dev/null && echo yes || echo no)" >&2
wait "${PIDS[-1]}"
