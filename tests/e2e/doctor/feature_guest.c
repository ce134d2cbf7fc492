// Loads and attaches one embedded BPF object that needs a kernel feature, printing what the
// host answered: "load FEATURE: handle N" and "attach FEATURE: R" (R: 0 or -errno, Linux
// numbering). The host explains a missing feature on stderr, which the test checks.
// Usage: feature_guest.wasm kprobe|fentry|lsm
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <wbpf/wasm_bpf.h>

static const unsigned char kprobe_object[] = {
#embed "feature_kprobe.bpf.o"
};
static const unsigned char fentry_object[] = {
#embed "feature_fentry.bpf.o"
};
static const unsigned char lsm_object[] = {
#embed "feature_lsm.bpf.o"
};

struct feature {
    const char* name;
    const unsigned char* object;
    int size;
    const char* program;
};

static const struct feature features[] = {
    {"kprobe", kprobe_object, sizeof kprobe_object, "wbpf_test_kprobe"},
    {"fentry", fentry_object, sizeof fentry_object, "wbpf_test_fentry"},
    {"lsm", lsm_object, sizeof lsm_object, "wbpf_test_lsm"},
};

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: feature_guest.wasm kprobe|fentry|lsm\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
        const struct feature* f = &features[i];
        if (strcmp(argv[1], f->name) != 0) continue;
        uint64_t handle = wasm_load_bpf_object(f->object, f->size);
        printf("load %s: handle %llu\n", f->name, (unsigned long long)handle);
        if (!handle) return 0;
        int attached = wasm_attach_bpf_program(handle, f->program, NULL);
        printf("attach %s: %d\n", f->name, attached);
        wasm_close_bpf_object(handle);
        return 0;
    }
    fprintf(stderr, "feature_guest: unknown feature '%s'\n", argv[1]);
    return 2;
}
