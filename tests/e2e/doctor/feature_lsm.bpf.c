// A BPF LSM program (allows everything): loading it must fail with a one-line message on
// kernels without BPF LSM.
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/file_open")
int wbpf_test_lsm(void* ctx) {
    return 0;
}
