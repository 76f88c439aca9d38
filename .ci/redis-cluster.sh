#!/usr/bin/env bash
# A Redis Cluster of its own (3 masters, no replicas) on free ports, for tests and local runs.
#   .ci/redis-cluster.sh start DIR   starts it, prints REDIS_CLUSTER_NODES (host:port,host:port,host:port)
#   .ci/redis-cluster.sh stop DIR    stops the servers started in DIR and removes DIR
# e.g.  export REDIS_CLUSTER_NODES=$(.ci/redis-cluster.sh start /tmp/cluster) … ; .ci/redis-cluster.sh stop /tmp/cluster
set -euo pipefail
action=${1:?usage: $0 start|stop DIR}
dir=${2:?usage: $0 start|stop DIR}

case "$action" in
start)
  mkdir -p "$dir"
  # Three ports the OS says are free, whose cluster-bus port (port + 10000) is free too.
  ports=$(node -e '
    const net = require("node:net");
    const free = (port) => new Promise((ok) => { const s = net.createServer(); s.once("error", () => ok(0)); s.listen(port, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
    (async () => { const found = []; while (found.length < 3) { const p = await free(0); if (p && p < 55000 && !found.includes(p) && (await free(p + 10000))) found.push(p); } console.log(found.join(" ")); })();')
  nodes=()
  for port in $ports; do
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
      --cluster-node-timeout 5000 --dir "$dir/$port" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log"
    nodes+=("127.0.0.1:$port")
  done
  for port in $ports; do
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1
  for port in $ports; do
    for _ in $(seq 1 100); do redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break; sleep 0.1; done
    redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok'
  done
  (IFS=,; echo "${nodes[*]}") | tee "$dir/nodes"
  ;;
stop)
  for pidfile in "$dir"/*/redis.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 0.5
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
