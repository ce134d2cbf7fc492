#!/bin/bash
# Runs one case of the hostile-guest suite against the real kernel and checks its output,
# exit status, and that no program of the suite (all named hx_*) is left in the kernel.
#   run_hostile.sh WBPF GUEST_DIR CASE
# CASE: abi events loaders trap exit return sigint sigterm sigkill. Exit 77 = skipped.
set -u
wbpf=$1 dir=$2 case=$3

if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root"; exit 77; fi
if ! command -v bpftool > /dev/null; then echo "SKIP: needs bpftool"; exit 77; fi
cgroup2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$cgroup2" ]; then echo "SKIP: no cgroup v2 mount"; exit 77; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/stdout err=$work/stderr
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
suite_programs() { bpftool prog show 2> /dev/null | grep -c ' name hx_'; }
expect_status() { [ "$1" = "$2" ] || fail "exit status $1, expected $2"; }
expect_out() { grep -qF -- "$1" "$out" || fail "stdout lacks '$1'"; }
expect_err() { grep -qF -- "$1" "$err" || fail "stderr lacks '$1'"; }
# The kernel frees programs of a killed process asynchronously: allow it a moment.
expect_released() {
    for _ in $(seq 50); do
        [ "$(suite_programs)" = "$before" ] && return
        sleep 0.1
    done
    fail "hx_ programs left in the kernel: $(suite_programs) (before: $before)"
    bpftool prog show | grep -A3 ' name hx_'
}

# Starts the waiting guest in the background and waits for its "ready" line.
start_waiting() {
    "$wbpf" run "$dir/hostile_lifecycle.wasm" wait "$cgroup2" > "$out" 2> "$err" &
    pid=$!
    for _ in $(seq 100); do
        grep -q ready "$out" && return
        sleep 0.05
    done
    fail "guest never became ready"
}

before=$(suite_programs)
case $case in
abi)
    "$wbpf" run "$dir/hostile_abi.wasm" "$cgroup2" > "$out" 2> "$err"
    expect_status $? 0
    expect_out "hostile_abi: "
    expect_out ", 0 failures"
    ;;
events)
    "$wbpf" run "$dir/hostile_events.wasm" > "$out" 2> "$err"
    expect_status $? 0
    expect_out "hostile_events: "
    expect_out ", 0 failures"
    ;;
loaders)
    "$wbpf" run "$dir/hostile_loaders.wasm" > "$out" 2> "$err"
    expect_status $? 0
    expect_err "wbpf: program 'hx_unchecked' rejected by the kernel verifier (run with -v for the log)"
    if grep -q "fentry object handle 0" "$out"; then
        expect_err "wbpf: cannot load program 'hx_fentry': fentry programs are not available in this kernel"
    fi
    [ "$(grep -c . "$err")" -le 2 ] || fail "more than one line per failure on stderr"
    ;;
trap)
    "$wbpf" run "$dir/hostile_lifecycle.wasm" trap "$cgroup2" > "$out" 2> "$err"
    status=$?
    [ "$status" != 0 ] || fail "a trapping guest exited 0"
    expect_out "trapping in callback"
    expect_err "unreachable"
    ;;
exit)
    "$wbpf" run "$dir/hostile_lifecycle.wasm" exit "$cgroup2" > "$out" 2> "$err"
    expect_status $? 7
    expect_out "exiting in callback"
    ;;
return)
    "$wbpf" run "$dir/hostile_lifecycle.wasm" return "$cgroup2" > "$out" 2> "$err"
    expect_status $? 0
    expect_out "returning with everything attached"
    ;;
sigint | sigterm)
    start_waiting
    [ "$(suite_programs)" -gt "$before" ] || fail "nothing attached while running"
    kill -"${case#sig}" "$pid"
    wait "$pid"
    expect_status $? 0
    expect_out "poll returned -4"
    expect_out "poll after shutdown returned -4"
    ;;
sigkill)
    start_waiting
    kill -KILL "$pid"
    wait "$pid"
    expect_status $? 137
    ;;
*)
    echo "unknown case $case"
    exit 2
    ;;
esac
expect_released

if [ "$failures" != 0 ]; then
    echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"
    exit 1
fi
echo "PASS: hostile $case"
