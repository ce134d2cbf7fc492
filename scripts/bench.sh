#!/usr/bin/env bash
# Compute benchmarks: each program in bench/compute runs natively (clang-19 -O2) and under
# `wbpf run` (the same source, clang-19 -O2, wasm32-wasi); prints per benchmark the median
# whole-process wall time of both, their ratio and whether the outputs match, then the geomean
# of the ratios, then hello-world start-up time and peak RSS. `make bench` runs this script.
#
#   scripts/bench.sh [BUILD_DIR]          BUILD_DIR defaults to $BUILD_DIR, else build/
#
# Environment:
#   BENCH_RUNS=5            measured runs per benchmark and side (the median is reported)
#   BENCH_WARMUP=1          unmeasured runs before those (they also produce the checked output)
#   BENCH_STARTUP_RUNS=200  measured runs of hello world (after 5 warm-up runs)
#   BENCH_FILTER=REGEX      only the benchmarks whose name matches (e.g. 'fib|nbody')
#   BENCH_CLOCK=wall        wall (whole-process wall time) or cpu (user + system CPU time: far
#                           steadier on a shared, busy machine; start-up is always wall time)
#   BENCH_NATIVE_ONLY=1     skip wbpf (also automatic while the tree has no src/cli)
#
# Exit status: 0 when every wasm output matched the native one, 1 otherwise.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-${BUILD_DIR:-build}}"
[[ "${build_dir}" = /* ]] || build_dir="${repo_dir}/${build_dir}"
runs="${BENCH_RUNS:-5}"
warmup="${BENCH_WARMUP:-1}"
startup_runs="${BENCH_STARTUP_RUNS:-200}"
filter="${BENCH_FILTER:-}"
native_only="${BENCH_NATIVE_ONLY:-0}"
clock="${BENCH_CLOCK:-wall}"
[[ -f "${repo_dir}/src/cli/CMakeLists.txt" ]] || native_only=1

# NAME NATIVE_PROGRAM WASM_MODULE: memops-bulk is memops' native twin against the bulk build.
benchmarks=(
    "fib fib fib"
    "chacha20 chacha20 chacha20"
    "crc32 crc32 crc32"
    "nbody nbody nbody"
    "hashmap hashmap hashmap"
    "memops memops memops"
    "memops-bulk memops memops-bulk"
    "format format format"
)

die() {
    echo "bench: $*" >&2
    exit 1
}

[[ "${clock}" = wall || "${clock}" = cpu ]] || die "BENCH_CLOCK must be wall or cpu"
[[ -f "${build_dir}/CMakeCache.txt" ]] ||
    die "${build_dir} is not a configured build directory (run 'make build' first)"
targets=(bench_compute)
[[ "${native_only}" = 1 ]] || targets+=(wbpf)
if ! build_log="$(cmake --build "${build_dir}" --target "${targets[@]}" 2>&1)"; then
    echo "${build_log}" >&2
    die "building ${targets[*]} in ${build_dir} failed"
fi

bench_dir="${build_dir}/bench/compute"
measure="${bench_dir}/bench-measure"
wbpf="${build_dir}/wbpf"
results_dir="${bench_dir}/results"
mkdir -p "${results_dir}"

# Formats seconds for the table: milliseconds resolution is plenty for 0.3-1 s runs.
seconds() { awk -v s="$1" 'BEGIN { printf "%.3f", s }'; }

# Prints "MEDIAN_SECONDS MIN_SECONDS PEAK_RSS_KIB MEDIAN_CPU_SECONDS" for COMMAND; OUTPUT gets
# its stdout.
measure_command() {
    local output="$1" runs="$2" warmup="$3"
    shift 3
    "${measure}" -n "${runs}" -w "${warmup}" -o "${output}" -- "$@"
}

cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
clock_name="whole-process wall time"
[[ "${clock}" = cpu ]] && clock_name="whole-process CPU time (user + system)"
echo "wbpf compute benchmarks: median of ${runs} runs, ${clock_name}"
echo "machine: ${cpu_model:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r)"
[[ "${native_only}" = 1 ]] && echo "wbpf: not measured (native only)"
echo

table_format="%-12s %11s %11s %9s  %s\n"
# shellcheck disable=SC2059 # the format is ours
printf "${table_format}" benchmark "native (s)" "wbpf (s)" ratio output
ratios=()
status=0
for entry in "${benchmarks[@]}"; do
    read -r name native_name wasm_name <<<"${entry}"
    [[ -z "${filter}" || "${name}" =~ ${filter} ]] || continue
    native_output="${results_dir}/${name}.native.out"
    read -r native_wall _ _ native_cpu < <(measure_command "${native_output}" "${runs}" \
        "${warmup}" "${bench_dir}/native/${native_name}") || die "${name}: native run failed"
    native_median="${native_wall}"
    [[ "${clock}" = cpu ]] && native_median="${native_cpu}"
    wasm_median="-" ratio="-" check="-"
    if [[ "${native_only}" != 1 ]]; then
        wasm_output="${results_dir}/${name}.wbpf.out"
        if read -r wasm_wall _ _ wasm_cpu < <(measure_command "${wasm_output}" "${runs}" \
            "${warmup}" "${wbpf}" run "${bench_dir}/wasm/${wasm_name}.wasm"); then
            wasm_median="${wasm_wall}"
            [[ "${clock}" = cpu ]] && wasm_median="${wasm_cpu}"
            ratio="$(awk -v w="${wasm_median}" -v n="${native_median}" \
                'BEGIN { printf "%.2f", w / n }')"
            ratios+=("${ratio}")
            if cmp -s "${native_output}" "${wasm_output}"; then
                check="ok"
            else
                check="MISMATCH (diff ${native_output} ${wasm_output})"
                status=1
            fi
            ratio="${ratio}x"
        else
            wasm_median="failed" check="wbpf run failed"
            status=1
        fi
    fi
    [[ "${wasm_median}" =~ ^[0-9] ]] && wasm_median="$(seconds "${wasm_median}")"
    # shellcheck disable=SC2059
    printf "${table_format}" "${name}" "$(seconds "${native_median}")" "${wasm_median}" "${ratio}" \
        "${check}"
done

if [[ ${#ratios[@]} -gt 0 ]]; then
    printf '%s\n' "${ratios[@]}" |
        awk '{ sum += log($1) } END { printf "geomean: %.2fx\n", exp(sum / NR) }'
else
    echo "geomean: n/a"
fi

echo
echo "start-up: hello world, median of ${startup_runs} runs after 5 warm-up runs"
startup_format="%-12s %11s %15s\n"
# shellcheck disable=SC2059
printf "${startup_format}" "" "time (ms)" "peak RSS (MiB)"
startup() {
    local label="$1"
    shift
    local median peak_rss_kib
    read -r median _ peak_rss_kib _ < <(measure_command "${results_dir}/hello.${label}.out" \
        "${startup_runs}" 5 "$@") || die "hello world (${label}) failed"
    local milliseconds mebibytes
    milliseconds="$(awk -v s="${median}" 'BEGIN { printf "%.2f", s * 1000 }')"
    mebibytes="$(awk -v k="${peak_rss_kib}" 'BEGIN { printf "%.1f", k / 1024 }')"
    # shellcheck disable=SC2059
    printf "${startup_format}" "${label}" "${milliseconds}" "${mebibytes}"
}
startup native "${bench_dir}/native/hello"
[[ "${native_only}" = 1 ]] || startup wbpf "${wbpf}" run "${bench_dir}/wasm/hello.wasm"
exit "${status}"
