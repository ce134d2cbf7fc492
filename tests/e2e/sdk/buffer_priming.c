/* Test guest for bpf_buffer__open's priming poll. Loads execsnoop's object with only the exec
 * tracepoint, for one user id (argv[1]), attaches it and says "attached"; then waits for a line
 * on stdin while the test runs programs as that user, so their records wait in the ring buffer.
 * Then it opens the buffer (whose priming poll takes the first record), prints how many times
 * the callback ran inside bpf_buffer__open ("in open: N", must be 0), and polls until nothing is
 * left, printing "pid P" for every record and the polls' results. */
#include <stdio.h>
#include <stdlib.h>

#include "execsnoop.h"
#include "execsnoop.skel.h"

static int calls;

static int on_event(void* ctx, void* data, size_t size) {
    (void)ctx;
    const struct event* e = data;
    if (size >= sizeof(*e)) printf("pid %d\n", e->pid);
    calls++;
    return 0;
}

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    struct execsnoop_bpf* skel = execsnoop_bpf__open();
    if (!skel) return 1;
    skel->rodata->targ_uid = (uint32_t)strtoul(argv[1], NULL, 10);
    bpf_program__set_autoload(skel->progs.execsnoop_ent, false);
    bpf_program__set_autoload(skel->progs.execsnoop_entat, false);
    bpf_program__set_autoload(skel->progs.execsnoop_ret, false);
    bpf_program__set_autoload(skel->progs.execsnoop_retat, false);
    if (execsnoop_bpf__load(skel) || execsnoop_bpf__attach(skel)) {
        fprintf(stderr, "buffer_priming: load or attach failed\n");
        return 1;
    }
    printf("attached\n");
    fflush(stdout);
    (void)getchar();

    struct bpf_buffer* buffer = bpf_buffer__new_with_size(skel->maps.events, sizeof(struct event));
    int err = buffer ? bpf_buffer__open(buffer, on_event, NULL) : -1;
    if (err) {
        fprintf(stderr, "buffer_priming: open failed: %d\n", err);
        return 1;
    }
    printf("in open: %d\n", calls);
    int first = bpf_buffer__poll(buffer, 0), last = first;
    while (last > 0)
        last = bpf_buffer__poll(buffer, 0);
    printf("first poll: %d, last poll: %d, records: %d\n", first, last, calls);
    bpf_buffer__free(buffer);
    execsnoop_bpf__destroy(skel);
    return 0;
}
