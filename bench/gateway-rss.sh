#!/usr/bin/env bash
# gateway-rss.sh N TRANSPORT: the gateway's RSS per held Socket.IO socket.
#
# Builds cmd/siogate (default options: in-memory adapter, 25 s heartbeat) and
# bench/cmd/sioload, starts the gateway on 127.0.0.1:3999, holds N sockets
# over TRANSPORT (websocket or polling; sources 127.0.0.2 and .3) and prints
# the gateway's VmRSS before and 10 s after the last socket connected, per
# socket, with its goroutine count from /metrics. Both processes are stopped
# at the end (by PID). A polling socket holds two TCP connections (its
# parked GET and its POSTs), so N stays under about 9,500 here (20,000 fds).
#
#   bench/gateway-rss.sh 9000 polling
set -euo pipefail
n=${1:?N}
transport=${2:?websocket or polling}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill -9 ${gw:-} ${ld:-} 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/siogate" ./cmd/siogate
go build -o "$tmp/sioload" ./bench/cmd/sioload
ulimit -n 20000
"$tmp/siogate" -addr 127.0.0.1:3999 >"$tmp/gw.log" 2>&1 &
gw=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:3999/healthz >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/{print $2}' "/proc/$gw/status"; }
before=$(rss)
mkfifo "$tmp/cmd"
"$tmp/sioload" -addr 127.0.0.1:3999 -n "$n" -transport "$transport" -src 127.0.0.2,127.0.0.3 -hold 5m <"$tmp/cmd" >"$tmp/load.out" 2>&1 &
ld=$!
exec 3>"$tmp/cmd"
for _ in $(seq 120); do grep -q '"connected"' "$tmp/load.out" && break; sleep 1; done
grep -o '"connected":[0-9]*,"failed":[0-9]*' "$tmp/load.out" || { echo "sioload did not connect"; exit 1; }
sleep 10
after=$(rss)
goroutines=$(curl -s http://127.0.0.1:3999/metrics | awk '/^go_goroutines /{print $2}')
echo "N=$n transport=$transport gateway RSS ${before} KiB -> ${after} KiB: $(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN{printf "%.2f", (a-b)/n}') KiB per socket; goroutines $goroutines"
echo '{"cmd":"close"}' >&3
exec 3>&-
