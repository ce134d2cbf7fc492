#!/usr/bin/env bash
# Builds the engine's libFuzzer target (clang-19, ASan+UBSan) in build-fuzz/ and runs it.
#
#   scripts/fuzz.sh [SECONDS]      default 1800; run from anywhere
#
# Seeds: the corpus kept in build-fuzz/corpus from earlier runs, plus every non-SIMD .wasm of
# the spec suite (WBPF_SPEC_DIR, default ../shared/spec/core beside the repository).
# Runs WBPF_FUZZ_JOBS fuzzing processes (default: the core count, at most 2) in libFuzzer's
# fork mode, which keeps fuzzing after a crash and saves every reproducer under
# build-fuzz/artifacts/. Prints executions/s and the corpus size; exits 1 if any crash,
# timeout, OOM or leak reproducer was written by this run.
set -euo pipefail

# All in one function, so bash has parsed the whole script before running it: editing the
# file during a long run cannot change what the running copy does.
main() {

    seconds="${1:-1800}"
    if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
        echo "usage: $0 [SECONDS]" >&2
        exit 2
    fi

    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    build="${WBPF_FUZZ_BUILD_DIR:-$repo/build-fuzz}"
    spec_dir="${WBPF_SPEC_DIR:-$repo/../shared/spec/core}"
    cores="$(nproc)"
    jobs="${WBPF_FUZZ_JOBS:-$((cores < 2 ? cores : 2))}"

    for tool in clang-19 clang++-19 cmake ninja; do
        if ! command -v "$tool" >/dev/null; then
            echo "fuzz: $tool not found (run scripts/install-deps.sh)" >&2
            exit 1
        fi
    done

    if [ ! -f "$build/build.ninja" ]; then
        CC=clang-19 CXX=clang++-19 cmake -S "$repo" -B "$build" -G Ninja \
            -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWBPF_FUZZ=ON
    fi
    cmake --build "$build" --target wbpf_fuzz_engine -j "$jobs"

    corpus="$build/corpus"
    seeds="$build/seeds"
    artifacts="$build/artifacts"
    mkdir -p "$corpus" "$seeds" "$artifacts"
    if [ -d "$spec_dir" ]; then
        # Flattened (names are <test>.<n>.wasm); the spec's SIMD files are out of scope for now.
        find "$spec_dir" -mindepth 2 -maxdepth 2 -name '*.wasm' ! -path '*/simd_*/*' \
            -exec cp -u -t "$seeds" {} +
    else
        echo "fuzz: no spec suite at $spec_dir; starting from build-fuzz/corpus only" >&2
    fi

    stamp="$build/.fuzz-started"
    touch "$stamp"
    new_artifacts() { find "$artifacts" -type f -newer "$stamp"; }
    log="$build/fuzz.log"
    echo "fuzz: $jobs job(s) for ${seconds}s; corpus $corpus;" \
        "seeds $seeds ($(find "$seeds" -type f | wc -l) files)"
    echo "fuzz: log in $log"

    # -fork keeps going after crashes/timeouts/OOMs (each saved under artifacts/).
    status=0
    "$build/tests/fuzz/wbpf_fuzz_engine" \
        -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 \
        "$corpus" "$seeds" >"$log" 2>&1 || status=$?

    # Fork mode reports "#<runs>: cov: .. corp: <n>/<size> exec/s: <n> ..." lines.
    last="$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 || true)"
    runs="$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last")"
    exec_rate="$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$last")"
    new_count="$(new_artifacts | wc -l)"
    corpus_files="$(find "$corpus" -type f | wc -l)"
    corpus_bytes="$(du -sb "$corpus" | cut -f1)"

    corp="$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")"
    wall="$(sed -nE 's/.* time: ([0-9]+)s.*/\1/p' <<<"$last")"
    overall="?"
    if [ -n "$runs" ] && [ -n "$wall" ] && [ "$wall" -gt 0 ]; then overall=$((runs / wall)); fi
    echo "fuzz: ${runs:-?} executions in ${wall:-?}s: $overall exec/s overall ($jobs jobs);" \
        "last job averaged ${exec_rate:-?} exec/s"
    echo "fuzz: corpus ${corp:-?} inputs in use (seeds included); $corpus_files files," \
        "$corpus_bytes bytes saved in $corpus"
    echo "fuzz: $new_count new reproducer(s) in $artifacts"
    if [ "$new_count" -ne 0 ]; then
        new_artifacts | head -n 20
        grep -E 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehavior)|runtime error:' "$log" |
            sort | uniq -c | head -n 20
        exit 1
    fi
    if [ "$status" -ne 0 ]; then
        echo "fuzz: libFuzzer exited with status $status (see $log)" >&2
        exit "$status"
    fi
}

main "$@"
