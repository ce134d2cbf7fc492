#!/bin/sh
# Checks `wbpf-gen types|skeleton` on layout_fixture.bpf.c: the generated headers must compile,
# with their _Static_asserts (taken from the BPF object's BTF) holding, both for the BPF target
# and for wasm32.
# usage: check_gen_layout.sh WBPF_GEN CLANG SDK_DIR SOURCE_DIR WORK_DIR
set -eu
gen=$1 clang=$2 sdk=$3 src=$4 work=$5
mkdir -p "$work"
cd "$work"
"$clang" -target bpf -O2 -g -c "$src/layout_fixture.bpf.c" -o layout_fixture.bpf.o
"$gen" types layout_fixture.bpf.o -o layout.types.h
"$gen" types layout_fixture.bpf.o --type tricky --type "enum color" --type anon_t \
    -o tricky.types.h
"$gen" skeleton layout_fixture.bpf.o -o layout_fixture.skel.h
for header in layout.types.h tricky.types.h; do
    "$clang" -target bpf -fsyntax-only -Wall -Werror -include "$src/bpf_stdint.h" \
        -include "$header" -x c /dev/null
    "$clang" --target=wasm32-wasi --sysroot=/usr -fsyntax-only -Wall -Werror \
        -include "$header" -x c /dev/null
done
grep -q 'enum color' tricky.types.h
"$clang" --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror -I"$sdk" -I. \
    "$src/skeleton_user.c" -o skeleton_user.wasm
echo "generated headers compile with identical layouts for bpf and wasm32"
