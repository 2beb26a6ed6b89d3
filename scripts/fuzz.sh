#!/usr/bin/env bash
# Fuzzing with libFuzzer: builds Fuzz/ (AddressSanitizer, libFuzzer's
# coverage) and runs each target for SECONDS over a working corpus in
# .build-fuzz/corpus/NAME, seeded from the committed Fuzz/corpus/NAME.
# A crash or a broken invariant stops that target and leaves its input in
# .build-fuzz/crashes/NAME-crash-…; replay it with
#   SSCARD_FUZZ_TARGET=NAME Fuzz/.build/release/sscard-fuzz FILE
# and, once fixed, copy it into Fuzz/corpus/NAME/ (make test replays it).
# `scripts/fuzz.sh --merge` (no SECONDS: no new run) adds what earlier runs
# found to the committed corpora, only the inputs that reach something the
# corpus does not (libFuzzer's -merge=1).
#
# Usage: scripts/fuzz.sh [--jobs N] [SECONDS] [TARGET ...]
#        scripts/fuzz.sh --merge [TARGET ...]
#   SECONDS  per target (default 600); TARGETs default to all of them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=1
merge=0
while [ $# -gt 0 ]; do
    case "$1" in
        --jobs) jobs=$2; shift 2 ;;
        --merge) merge=1; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
if [ "$merge" -eq 1 ]; then
    seconds=0
else
    seconds=${1:-600}
    shift || true
fi
all=(apdu tlv script card-image profile vpcd fault-plan backoffice-json driver-strings card-runtime)
targets=("${@:-${all[@]}}")
targets_to_run=("${targets[@]}")
for t in "${targets[@]}"; do
    [ -d "$root/Fuzz/corpus/$t" ] || { echo "fuzz.sh: no target $t (the targets: ${all[*]})" >&2; exit 2; }
done

# libFuzzer's runtime without its main (SwiftPM links the executable's own
# entry point as main; Fuzz/Sources/sscard-fuzz calls LLVMFuzzerRunDriver).
nomain=$(ls "$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)
[ -f "$nomain" ] || { echo "fuzz.sh: libclang_rt.fuzzer_no_main not found beside swiftc" >&2; exit 2; }
(cd "$root/Fuzz" && swift build -c release -Xswiftc -sanitize=address \
    -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xlinker "$nomain" -Xlinker -lstdc++)
fuzzer="$root/Fuzz/.build/release/sscard-fuzz"
work="$root/.build-fuzz"
mkdir -p "$work/crashes" "$work/logs"

run_one() {
    local t=$1
    mkdir -p "$work/corpus/$t"
    echo "fuzzing $t for ${seconds}s (log: .build-fuzz/logs/$t.log)"
    local status=0
    SSCARD_FUZZ_TARGET=$t "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 \
        -artifact_prefix="$work/crashes/$t-" "$work/corpus/$t" "$root/Fuzz/corpus/$t" > "$work/logs/$t.log" 2>&1 || status=$?
    local done_line runs eps
    done_line=$(grep -E '^#[0-9]+' "$work/logs/$t.log" | tail -1 || true)
    runs=$(grep -E '^stat::number_of_executed_units' "$work/logs/$t.log" | awk '{print $2}' || true)
    eps=$(grep -E '^stat::average_exec_per_sec' "$work/logs/$t.log" | awk '{print $2}' || true)
    local cov ft
    cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<< "$done_line")
    ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<< "$done_line")
    if [ "$status" -eq 0 ]; then
        echo "$t: ${runs:-?} runs, ${eps:-?} exec/s, coverage ${cov:-?} edges, ${ft:-?} features: no finding"
    else
        echo "$t: FINDING (exit $status): see .build-fuzz/logs/$t.log and .build-fuzz/crashes/$t-*"
    fi
    return "$status"
}

failed=0
pids=()
[ "$seconds" -gt 0 ] || targets_to_run=()  # --merge alone: no new run
for t in "${targets_to_run[@]}"; do
    run_one "$t" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done

if [ "$merge" -eq 1 ]; then
    for t in "${targets[@]}"; do
        [ -d "$work/corpus/$t" ] || { echo "$t: no run to merge (.build-fuzz/corpus/$t)"; continue; }
        before=$(ls "$root/Fuzz/corpus/$t" | wc -l)
        SSCARD_FUZZ_TARGET=$t "$fuzzer" -merge=1 "$root/Fuzz/corpus/$t" "$work/corpus/$t" > "$work/logs/$t-merge.log" 2>&1
        echo "$t: $before → $(ls "$root/Fuzz/corpus/$t" | wc -l) inputs in Fuzz/corpus/$t"
    done
fi
exit "$failed"
