#!/usr/bin/env bash
# Event-path benchmarks: bootstrap and ratebench under `wbpf run` beside their native libbpf
# twins (same BPF object, same user-space work), measured by build/bench/events/event-bench
# (bench/events/event_bench.c). Prints one table with ratios to native. `make bench-events`
# runs this script. Needs root and at least 2 CPUs: the load runs on CPU 0, the consumer on CPU 1.
#
#   scripts/bench-events.sh [BUILD_DIR]     BUILD_DIR defaults to $BUILD_DIR, else build/
#
# Environment:
#   EVENTS_STARTUP_RUNS=10    runs of start -> header and start -> exit (medians reported)
#   EVENTS_STORM_SECONDS=6    length of each fork+exec storm (with and without a CPU hog)
#   EVENTS_STORM_PAIRS=7      storms per case, native and wbpf alternately: the table shows
#                             medians, the worst loss, and the median of the paired ratios
#                             (this machine's speed drifts by tens of % within minutes: one
#                             pair's ratio ranges over +-0.3x, so many short pairs beat a few
#                             long ones)
#   EVENTS_RATE_SECONDS=1     length of each ratebench trial (about 10 trials per case)
#   EVENTS_ONLY="startup storm rate"   a subset of the three
#   EVENTS_VERBOSE=1          also print every raw measurement line
#   EVENTS_NO_BUILD=1         use the binaries as they are (no `cmake --build` first)
#   EVENTS_WBPF=PATH          the wbpf binary to measure (default BUILD_DIR/wbpf)
#
# Exit status: 0 when every measurement ran, 1 otherwise.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-${BUILD_DIR:-build}}"
[[ "${build_dir}" = /* ]] || build_dir="${repo_dir}/${build_dir}"
startup_runs="${EVENTS_STARTUP_RUNS:-10}"
storm_seconds="${EVENTS_STORM_SECONDS:-6}"
storm_pairs="${EVENTS_STORM_PAIRS:-7}"
rate_seconds="${EVENTS_RATE_SECONDS:-1}"
only="${EVENTS_ONLY:-startup storm rate}"
verbose="${EVENTS_VERBOSE:-0}"

die() {
    echo "bench-events: $*" >&2
    exit 1
}

[[ "$(id -u)" = 0 ]] || die "needs root (BPF programs are loaded)"
[[ "$(nproc)" -ge 2 ]] || die "needs 2 CPUs (load on CPU 0, consumer on CPU 1)"
[[ -f "${build_dir}/CMakeCache.txt" ]] ||
    die "${build_dir} is not a configured build directory (run 'make build' first)"
targets=(wbpf example_bootstrap bootstrap_native ratebench_wasm ratebench_native event_bench)
if [[ "${EVENTS_NO_BUILD:-0}" != 1 ]] &&
    ! build_log="$(cmake --build "${build_dir}" --target "${targets[@]}" 2>&1)"; then
    echo "${build_log}" >&2
    die "building ${targets[*]} in ${build_dir} failed"
fi

wbpf="${EVENTS_WBPF:-${build_dir}/wbpf}"
bench="${build_dir}/bench/events"
harness="${bench}/event-bench"
bootstrap_wasm=("${wbpf}" run "${build_dir}/examples/bootstrap.wasm")
bootstrap_native=("${bench}/bootstrap_native")
ratebench_wasm=("${wbpf}" run "${bench}/ratebench.wasm" -p "{pid}")
ratebench_native=("${bench}/ratebench_native" -p "{pid}")

failed=0
# measure NAME ARGS...: runs the harness, keeps its last line (key=value words) in results[NAME].
declare -A results
measure() {
    local name="$1"
    shift
    local output
    if ! output="$("${harness}" "$@")"; then
        echo "bench-events: ${name}: event-bench failed" >&2
        failed=1
    fi
    [[ "${verbose}" = 1 ]] && printf '%s: %s\n' "${name}" "${output//$'\n'/$'\n'  }" >&2
    results["${name}"]="$(tail -n 1 <<<"${output}")"
}
# get NAME KEY: the value of KEY in results[NAME], or "-".
get() {
    local word
    for word in ${results["$1"]:-}; do
        [[ "${word}" = "$2="* ]] && { echo "${word#*=}"; return; }
    done
    echo "-"
}
# row LABEL NATIVE WBPF [FORMAT]: one table row; ratio = wbpf / native.
row() {
    local ratio="-"
    if [[ "$2" != "-" && "$3" != "-" ]]; then
        ratio="$(awk -v n="$2" -v w="$3" \
            'BEGIN { if (n > 0) printf "%.2fx", w / n; else print "-" }')"
    fi
    printf '%-44s %12s %12s %8s\n' "$1" "$2" "$3" "${ratio}"
}
# median: the median of the numbers on stdin, one per line.
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# median_of CASE KEY: the median of KEY over runs CASE-1 .. CASE-storm_pairs ("-" if none).
median_of() {
    local i values=()
    for ((i = 1; i <= storm_pairs; i++)); do
        local v
        v="$(get "$1-${i}" "$2")"
        [[ "${v}" != "-" ]] && values+=("${v}")
    done
    [[ ${#values[@]} -eq 0 ]] && { echo "-"; return; }
    printf '%s\n' "${values[@]}" | median
}
# max_of CASE KEY: the largest KEY over the runs of CASE.
max_of() {
    local i max="-"
    for ((i = 1; i <= storm_pairs; i++)); do
        local v
        v="$(get "$1-${i}" "$2")"
        [[ "${v}" = "-" ]] && continue
        if [[ "${max}" = "-" ]] || awk -v a="${v}" -v b="${max}" 'BEGIN { exit !(a > b) }'; then
            max="${v}"
        fi
    done
    echo "${max}"
}
# paired_ratio CASE KEY: the median over pairs i of wbpf-i KEY / native-i KEY, and the ratios.
paired_ratio() {
    local i ratios=()
    for ((i = 1; i <= storm_pairs; i++)); do
        local n w
        n="$(get "$1-native-${i}" "$2")"
        w="$(get "$1-wbpf-${i}" "$2")"
        [[ "${n}" = "-" || "${w}" = "-" ]] && continue
        ratios+=("$(awk -v n="${n}" -v w="${w}" 'BEGIN { printf "%.2f", w / n }')")
    done
    [[ ${#ratios[@]} -eq 0 ]] && { echo "-"; return; }
    echo "$(printf '%s\n' "${ratios[@]}" | median)x (pairs: ${ratios[*]})"
}
kib_to_mib() {
    [[ "$1" = "-" ]] && { echo "-"; return; }
    awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

echo "bench-events: $(date -Is), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for what in ${only}; do
    case "${what}" in
    startup)
        echo "bench-events: start-up, ${startup_runs} runs each" >&2
        measure startup-native startup -n "${startup_runs}" -- "${bootstrap_native[@]}"
        measure startup-wbpf startup -n "${startup_runs}" -- "${bootstrap_wasm[@]}"
        ;;
    storm)
        echo "bench-events: fork+exec storm, ${storm_seconds} s each," \
            "${storm_pairs} pairs with and without a hog" >&2
        for ((pair = 1; pair <= storm_pairs; pair++)); do
            measure "storm-native-${pair}" storm -s "${storm_seconds}" -- "${bootstrap_native[@]}"
            measure "storm-wbpf-${pair}" storm -s "${storm_seconds}" -- "${bootstrap_wasm[@]}"
            measure "hog-native-${pair}" storm -s "${storm_seconds}" -H -- "${bootstrap_native[@]}"
            measure "hog-wbpf-${pair}" storm -s "${storm_seconds}" -H -- "${bootstrap_wasm[@]}"
        done
        ;;
    rate)
        echo "bench-events: ratebench, ${rate_seconds} s trials, 4 searches" >&2
        measure rate64-native rate -s "${rate_seconds}" -- "${ratebench_native[@]}"
        measure rate64-wbpf rate -s "${rate_seconds}" -- "${ratebench_wasm[@]}"
        measure rate1k-native rate -s "${rate_seconds}" -- "${ratebench_native[@]}" -l
        measure rate1k-wbpf rate -s "${rate_seconds}" -- "${ratebench_wasm[@]}" -l
        ;;
    *) die "unknown EVENTS_ONLY entry '${what}'" ;;
    esac
done
echo "bench-events: done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo
printf '%-44s %12s %12s %8s\n' "event path (ratio = wbpf / native)" native wbpf ratio
printf '%-44s %12s %12s %8s\n' "--------------------------------------------" ------------ \
    ------------ --------
if [[ " ${only} " = *" startup "* ]]; then
    row "bootstrap start -> header (ms, median)" "$(get startup-native ready_ms)" \
        "$(get startup-wbpf ready_ms)"
    row "bootstrap start -> exit after SIGINT (ms)" "$(get startup-native exit_ms)" \
        "$(get startup-wbpf exit_ms)"
    row "bootstrap start-up peak RSS (MiB)" "$(kib_to_mib "$(get startup-native peak_rss_kb)")" \
        "$(kib_to_mib "$(get startup-wbpf peak_rss_kb)")"
fi
if [[ " ${only} " = *" storm "* ]]; then
    for case in storm hog; do
        label="storm"
        [[ "${case}" = hog ]] && label="storm + hog"
        n="${case}-native"
        w="${case}-wbpf"
        row "${label}: events/s seen (median)" "$(median_of "${n}" event_rate)" \
            "$(median_of "${w}" event_rate)"
        row "${label}: storm events lost (worst run)" \
            "$(max_of "${n}" lost)/$(median_of "${n}" expected)" \
            "$(max_of "${w}" lost)/$(median_of "${w}" expected)" | sed 's/ [^ ]*x$/  -/'
        row "${label}: CPU per event (us, steady, median)" "$(median_of "${n}" us_per_event)" \
            "$(median_of "${w}" us_per_event)"
        printf '%-44s %s\n' "${label}: CPU per event, paired ratio" \
            "$(paired_ratio "${case}" us_per_event)"
        row "${label}: CPU per event (us, whole run)" "$(median_of "${n}" us_per_event_total)" \
            "$(median_of "${w}" us_per_event_total)"
        row "${label}: peak RSS (MiB)" "$(kib_to_mib "$(max_of "${n}" peak_rss_kb)")" \
            "$(kib_to_mib "$(max_of "${w}" peak_rss_kb)")"
        row "${label}: RSS mid-run (MiB)" "$(kib_to_mib "$(median_of "${n}" steady_rss_kb)")" \
            "$(kib_to_mib "$(median_of "${w}" steady_rss_kb)")"
    done
fi
if [[ " ${only} " = *" rate "* ]]; then
    any_capped=0
    for size in 64 1k; do
        label="ratebench 1 KiB"
        [[ "${size}" = 64 ]] && label="ratebench 64 B"
        capped=""
        if [[ "$(get rate${size}-native capped)" = 1 ||
            "$(get rate${size}-wbpf capped)" = 1 ]]; then
            capped=" (*)"
            any_capped=1
        fi
        row "${label}: loss-free rate (rec/s)${capped}" "$(get rate${size}-native max_rate)" \
            "$(get rate${size}-wbpf max_rate)"
        row "${label}: CPU per record there (us)" "$(get rate${size}-native us_per_event)" \
            "$(get rate${size}-wbpf us_per_event)"
        row "${label}: flat-out rate (rec/s)" "$(get rate${size}-native flat_rate)" \
            "$(get rate${size}-wbpf flat_rate)"
        row "${label}: flat-out lost (%)" "$(get rate${size}-native flat_lost_pct)" \
            "$(get rate${size}-wbpf flat_lost_pct)"
        row "${label}: CPU per record flat out (us)" "$(get rate${size}-native flat_us_per_event)" \
            "$(get rate${size}-wbpf flat_us_per_event)"
        row "${label}: RSS mid-run (MiB)" \
            "$(kib_to_mib "$(get rate${size}-native steady_rss_kb)")" \
            "$(kib_to_mib "$(get rate${size}-wbpf steady_rss_kb)")"
    done
    [[ "${any_capped}" = 0 ]] ||
        echo "(*) the generator, not the consumer, set the limit: nothing was lost even flat out"
fi
exit "${failed}"
