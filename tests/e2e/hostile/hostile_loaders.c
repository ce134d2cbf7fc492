// Objects the kernel refuses: a verifier rejection and (on kernels without BPF trampolines)
// an fentry program. Both give handle 0 with a one-line explanation on stderr, which the
// harness checks. Usage: hostile_loaders.wasm
#include "hostile_guest.h"

static const unsigned char rejected[] = {
#embed "hostile_rejected.bpf.o"
};
static const unsigned char fentry[] = {
#embed "hostile_fentry.bpf.o"
};

int main(void) {
    CHECK_EQ("verifier rejection gives handle 0", wasm_load_bpf_object(rejected, sizeof rejected),
             0);
    uint64_t handle = wasm_load_bpf_object(fentry, sizeof fentry);
    printf("fentry object handle %llu\n", (unsigned long long)handle);
    if (handle) CHECK_EQ("close fentry object", wasm_close_bpf_object(handle), 0);
    return hx_report("hostile_loaders");
}
