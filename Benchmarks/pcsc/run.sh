#!/usr/bin/env bash
# The PC/SC throughput benchmark: APDU/s and latency through pcscd + vpcd for
# SSCard's virtual card against a minimal C echo card (echo-card.c). Both
# take turns in the same vpcd slot (slot 0), round after round, because
# vpcd's slots do not perform alike. Starts everything it needs and stops it
# by PID. Needs pcscd and vsmartcard-vpcd (scripts/ensure-deps.sh) and no
# other pcscd running.
#
# Usage: run.sh [APDUS_PER_ROUND] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${1:-3000}
rounds=${2:-5}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if pgrep -x pcscd >/dev/null; then echo "another pcscd is running; stop it first" >&2; exit 1; fi
cc -O2 -o "$work/echo-card" "$here/echo-card.c"
(cd "$root" && make -s release >/dev/null)
(cd "$root/Benchmarks" && swift build -c release --product PCSCThroughput >/dev/null)
sscard="$root/.build/release/sscard"
driver="$root/Benchmarks/.build/release/PCSCThroughput"

pcscd --foreground >"$work/pcscd.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done

wait_card() { # present|absent
    for _ in $(seq 100); do
        if [ "$1" = present ]; then "$sscard" readers 2>/dev/null | grep -q "00 00: card present" && return; else
            "$sscard" readers 2>/dev/null | grep -q "00 00: no card" && return; fi
        sleep 0.05
    done
    echo "the card did not become $1" >&2; exit 1
}

start_card() { # virtual|echo
    if [ "$1" = virtual ]; then
        local t0; t0=$(date +%s%N)
        "$sscard" serve --vpcd 35963 --card iso-test >"$work/serve.log" 2>&1 & card_pid=$!
        until grep -q inserted "$work/serve.log"; do sleep 0.002; done
        echo "sscard serve start → connected to vpcd: $(( ($(date +%s%N) - t0) / 1000000 )) ms" >>"$work/startup"
    else
        "$work/echo-card" 35963 & card_pid=$!
    fi
    pids+=($card_pid)
    wait_card present
}

for round in $(seq "$rounds"); do
    for card in virtual echo; do
        start_card "$card"
        "$driver" "Virtual PCD 00 00" "$count" "$work/$card.lat" >>"$work/$card.runs"
        kill "$card_pid"; wait "$card_pid" 2>/dev/null || true
        wait_card absent
    done
done

echo "through pcscd + vpcd: $rounds rounds × $count GET CHALLENGE per card, taking turns in slot 0"
sort -t: -k2 "$work/startup" | head -1
for card in virtual echo; do
    apdus=$(awk '{n += $1} END {print n}' "$work/$card.runs")
    secs=$(awk '{s += $2} END {print s}' "$work/$card.runs")
    sort -n "$work/$card.lat" > "$work/$card.sorted"
    n=$(wc -l < "$work/$card.sorted")
    p50=$(sed -n "$(( n / 2 ))p" "$work/$card.sorted")
    p99=$(sed -n "$(( n * 99 / 100 ))p" "$work/$card.sorted")
    rate=$(awk -v a="$apdus" -v s="$secs" 'BEGIN {printf "%.0f", a / s}')
    printf "%-8s %6s APDU/s   p50 %6s µs   p99 %6s µs\n" "$card" "$rate" "$p50" "$p99"
    eval "rate_$card=$rate"
done
awk -v v="$rate_virtual" -v e="$rate_echo" 'BEGIN {printf "virtual card / echo card: %.1f %%\n", 100 * v / e}'
