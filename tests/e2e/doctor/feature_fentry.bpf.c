// An fentry program: loading it must fail with a one-line message on kernels without BPF
// trampolines.
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/do_nanosleep")
int wbpf_test_fentry(void* ctx) {
    return 0;
}
