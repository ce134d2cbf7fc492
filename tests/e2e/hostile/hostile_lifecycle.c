// Ends in a chosen way with programs attached everywhere, so the harness can check that the
// runtime releases everything whatever happens:
//   hostile_lifecycle.wasm MODE CGROUP2_DIR
//   MODE: trap    the event callback traps (unreachable)
//         exit    the event callback calls exit(7) (proc_exit)
//         return  main returns 0 without closing anything
//         wait    prints "ready", then polls with no timeout until a poll fails; prints
//                 "poll returned N" and returns 0 (SIGINT/SIGTERM: N = -4; SIGKILL: never)
#include "hostile_events.h"
#include "hostile_guest.h"
#include "linux_errno.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char object[] = {
#embed "hostile.bpf.o"
};

static unsigned char buffer[8192];

static int trap_callback(void* ctx, void* data, int size) {
    (void)ctx, (void)data, (void)size;
    printf("trapping in callback\n");
    fflush(stdout);
    __builtin_trap();
}

static int exit_callback(void* ctx, void* data, int size) {
    (void)ctx, (void)data, (void)size;
    printf("exiting in callback\n");
    exit(7);
}

static int quiet_callback(void* ctx, void* data, int size) {
    (void)ctx, (void)data, (void)size;
    return 0;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: hostile_lifecycle.wasm trap|exit|return|wait CGROUP2_DIR\n");
        return 2;
    }
    const char* mode = argv[1];
    uint64_t obj = wasm_load_bpf_object(object, sizeof object);
    if (!obj) return 3;
    int attached = wasm_attach_bpf_program(obj, "hx_trigger", NULL) == 0 &&
                   wasm_attach_bpf_program(obj, "hx_xdp", "lo") == 0 &&
                   wasm_attach_bpf_program(obj, "hx_tc", "lo:egress") == 0 &&
                   wasm_attach_bpf_program(obj, "hx_socket", "lo") == 0 &&
                   wasm_attach_bpf_program(obj, "hx_cgroup", argv[2]) == 0 &&
                   wasm_attach_bpf_program(obj, "hx_uprobe", "/bin/bash:readline") == 0;
    if (!attached) {
        printf("attach failed\n");
        return 4;
    }
    int small = wasm_bpf_map_fd_by_name(obj, "small_events");
    int trigger = wasm_bpf_map_fd_by_name(obj, "trigger");
    uint32_t key = HX_TRIGGER_KEY;
    wasm_bpf_map_operate(trigger, MAP_DELETE, &key, NULL, NULL, 0);

    if (strcmp(mode, "trap") == 0) {
        wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(trap_callback), 0, buffer, 64, 1000);
        printf("FAIL still running after the trap\n");
        return 5;
    }
    if (strcmp(mode, "exit") == 0) {
        wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(exit_callback), 0, buffer, 64, 1000);
        printf("FAIL still running after exit\n");
        return 5;
    }
    if (strcmp(mode, "wait") == 0) {
        printf("ready\n");
        fflush(stdout);
        int result;
        do {
            result =
                wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(quiet_callback), 0, buffer, 64, -1);
        } while (result >= 0);
        printf("poll returned %d\n", result);
        printf("poll after shutdown returned %d\n",
               wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(quiet_callback), 0, buffer, 64, 0));
        return 0;
    }
    printf("returning with everything attached\n");
    return 0;
}
