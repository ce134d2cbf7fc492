// A program the verifier must reject: it dereferences a map value without a NULL check.
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} values SEC(".maps");

SEC("socket")
int hx_unchecked(struct __sk_buff* skb) {
    __u32 key = 0;
    __u32* value = bpf_map_lookup_elem(&values, &key);
    return *value; /* rejected: value may be NULL */
}
