// A kprobe program: attaching it must fail with a one-line message on kernels without kprobes.
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe/do_nanosleep")
int wbpf_test_kprobe(void* ctx) {
    return 0;
}
