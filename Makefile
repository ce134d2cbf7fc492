# wbpf developer entry points. Every target installs missing Debian packages first
# (scripts/install-deps.sh, a no-op when all are present), so `make test` works on a fresh machine.
#
#   make / make build   configure (Ninja, Release) and build everything in build/
#   make test           build, then run every test with ctest (unit, spec, ...)
#   make run            build, then run the bootstrap example (root; Ctrl-C to stop)
#   make spec           build the spec runner and run the WebAssembly core spec suite
#                       (SPEC_ARGS="--verbose i32 call" narrows it down)
#   make sanitize       build with ASan+UBSan (clang-19) in build-asan/ and run every test
#   make bench          build, then run the compute benchmarks against native (BENCH_RUNS=N)
#   make bench-events   build, then run the event-path benchmarks against native libbpf (root)
#   make fuzz           libFuzzer (clang-19, ASan+UBSan) on the engine for FUZZ_SECONDS in build-fuzz/
#   make format         clang-format -i every project C/C++ file
#   make format-check   fail if any project C/C++ file is not formatted
#   make tidy           clang-tidy (.clang-tidy checks) on every source under src/; fails on a warning
#   make clean          remove the build directories
#
# CMAKE_FLAGS (e.g. CMAKE_FLAGS=-DWBPF_SPEC_DIR=/x) applies when a build directory is first
# configured; `make clean` (or cmake -B build ...) to change it later.
#
# To add a target: give it `build` (or `deps`) as a prerequisite, list it in .PHONY and in the
# comment above.

BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
BUILD_TYPE     ?= Release
JOBS           ?= $(shell nproc)
# The spec suite sits beside the repository (shared/ next to main/); CMake's WBPF_SPEC_DIR
# defaults to the same place for the ctest `spec` test.
SPEC_DIR       ?= $(abspath ../shared/spec/core)
CLANG_FORMAT   ?= clang-format
RUN_CLANG_TIDY ?= run-clang-tidy
CMAKE_FLAGS    ?=
SPEC_ARGS      ?=
FUZZ_SECONDS   ?= 1800
RUN_ARGS       ?=

# Project C/C++ sources: every C/C++ file outside build trees, minus generated headers.
FORMAT_EXCLUDE ?= %/vmlinux.h
FORMAT_FILES = $(filter-out $(FORMAT_EXCLUDE),$(shell find . \
    \( -path './build*' -o -path './.git' -o -path './.cache' -o -name node_modules \) -prune \
    -o -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.cpp' -o -name '*.hpp' \) \
    -print | sort))

.DEFAULT_GOAL := build
.PHONY: all deps configure build run test spec bench bench-events fuzz sanitize format format-check tidy clean

all: build

deps:
	@scripts/install-deps.sh

# Configure once; afterwards Ninja re-runs CMake by itself when a CMakeLists.txt changes.
$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/wbpf run $(BUILD_DIR)/examples/bootstrap.wasm $(RUN_ARGS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

spec: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target wbpf_spec_runner
	$(BUILD_DIR)/tests/spec/wbpf_spec_runner $(SPEC_DIR) $(SPEC_ARGS)

bench: build
	scripts/bench.sh $(BUILD_DIR)

bench-events: build
	scripts/bench-events.sh $(BUILD_DIR)

fuzz: | deps
	WBPF_SPEC_DIR=$(SPEC_DIR) scripts/fuzz.sh $(FUZZ_SECONDS)

$(ASAN_BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DWBPF_SANITIZE=ON \
	    $(CMAKE_FLAGS)

sanitize: $(ASAN_BUILD_DIR)/build.ninja
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -j $(JOBS)

format: | deps
	@test -n "$(FORMAT_FILES)" || { echo "format: no C/C++ files found"; exit 1; }
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check: | deps
	@test -n "$(FORMAT_FILES)" || { echo "format-check: no C/C++ files found"; exit 1; }
	$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES)

# The compile database comes from the GCC build: clang-tidy must ignore GCC-only warning flags.
# .clang-tidy makes every warning an error, so any finding fails the target.
tidy: configure
	$(RUN_CLANG_TIDY) -p $(BUILD_DIR) -quiet -j $(JOBS) -extra-arg=-Wno-unknown-warning-option \
	    '$(CURDIR)/src/'

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
