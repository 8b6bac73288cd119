#!/bin/sh
# Runs one fuzz target for a number of executions (default ten million) and keeps its log.
#
#   fuzz/run.sh TARGET [RUNS] [extra libFuzzer flags...]
#
# New inputs go to fuzz/work/TARGET (not committed); the committed seeds in fuzz/corpus/TARGET and
# the crash regressions in fuzz/regressions/TARGET are only read. Crashes land in
# fuzz/artifacts/TARGET; the log in fuzz/work/TARGET.log ends with libFuzzer's final stats
# (stat::number_of_executed_units is the execution count).
set -eu
cd "$(dirname "$0")"
target=$1
runs=${2:-10000000}
[ $# -ge 2 ] && shift 2 || shift 1
mkdir -p "work/$target"
regressions=
[ -d "regressions/$target" ] && regressions="regressions/$target"
# shellcheck disable=SC2086 # $regressions is one folder or nothing
cargo fuzz run --sanitizer none "$target" "work/$target" "corpus/$target" $regressions -- \
    -runs="$runs" -max_len=4096 -timeout=10 -print_final_stats=1 "$@" \
    2>&1 | tee "work/$target.log" | grep -E --line-buffered 'pulse|DONE|NEW_FUNC|panicked|SUMMARY|stat::|Test unit' || true
