// An fentry program: its load must fail with a one-line message on kernels without BPF
// trampolines (and succeed elsewhere).
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/do_nanosleep")
int hx_fentry(void* ctx) {
    return 0;
}
