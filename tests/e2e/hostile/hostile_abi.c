// Calls every wasm_bpf import with bad handles, fds it does not own, out-of-bounds and
// unterminated pointers, huge sizes, missing programs, bad targets, non-buffer maps and
// garbage objects, and checks each gets its -errno. Usage: hostile_abi.wasm CGROUP2_DIR
#include "hostile_guest.h"
#include "linux_errno.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char object[] = {
#embed "hostile.bpf.o"
};

static int never_called(void* ctx, void* data, int size) {
    (void)ctx, (void)data, (void)size;
    printf("FAIL callback called\n");
    return 0;
}

static void wrong_type(void) {
}

static unsigned char scratch[64];
static char fresh_page_text[] = "unterminated";

/// A fresh page at the end of memory, filled with non-NUL bytes: a string there never ends.
static char* unterminated_at_end(void) {
    uint32_t old_pages = (uint32_t)__builtin_wasm_memory_grow(0, 1);
    char* page = (char*)(uintptr_t)(old_pages * 65536u);
    memset(page, 'A', 65536);
    return page;
}

static int is_own_fd(const int* fds, int count, int fd) {
    for (int i = 0; i < count; i++)
        if (fds[i] == fd) return 1;
    return 0;
}

int main(int argc, char** argv) {
    const char* cgroup_dir = argc > 1 ? argv[1] : "/sys/fs/cgroup";
    char* endless = unterminated_at_end();
    uint32_t end = memory_end();
    (void)fresh_page_text;

    // --- garbage objects: handle 0, no crash
    unsigned char garbage[1000];
    for (unsigned i = 0; i < sizeof garbage; i++)
        garbage[i] = (unsigned char)(i * 7 + 3);
    CHECK_EQ("load garbage", wasm_load_bpf_object(garbage, sizeof garbage), 0);
    CHECK_EQ("load empty", wasm_load_bpf_object(object, 0), 0);
    CHECK_EQ("load NULL", wasm_load_bpf_object(NULL, 100), 0);
    CHECK_EQ("load out of bounds", wasm_load_bpf_object(GUEST_PTR(end + 16), 100), 0);
    CHECK_EQ("load straddling end", wasm_load_bpf_object(GUEST_PTR(end - 10), 100), 0);
    CHECK_EQ("load huge size", wasm_load_bpf_object(object, 0x7fffffff), 0);
    CHECK_EQ("load negative size", wasm_load_bpf_object(object, -1), 0);
    CHECK_EQ("load truncated", wasm_load_bpf_object(object, sizeof object / 3), 0);
    unsigned char* header_only = calloc(1, 4096);
    memcpy(header_only, object, 64);
    CHECK_EQ("load ELF header + zeros", wasm_load_bpf_object(header_only, 4096), 0);
    unsigned char* corrupted = malloc(sizeof object);
    memcpy(corrupted, object, sizeof object);
    for (unsigned i = 64; i < sizeof object; i += 61)
        corrupted[i] ^= 0xff;
    CHECK_EQ("load corrupted", wasm_load_bpf_object(corrupted, sizeof object), 0);

    // --- bad handles before any object exists
    CHECK_EQ("attach handle 0", wasm_attach_bpf_program(0, "hx_xdp", NULL), -LX_EINVAL);
    CHECK_EQ("attach handle 1", wasm_attach_bpf_program(1, "hx_xdp", NULL), -LX_EINVAL);
    CHECK_EQ("attach handle -1", wasm_attach_bpf_program(~0ull, "hx_xdp", NULL), -LX_EINVAL);
    CHECK_EQ("map_fd handle 0", wasm_bpf_map_fd_by_name(0, "pairs"), -LX_EINVAL);
    CHECK_EQ("map_fd handle big", wasm_bpf_map_fd_by_name(0x123456789ull, "pairs"), -LX_EINVAL);
    CHECK_EQ("poll handle 1",
             wasm_bpf_buffer_poll(1, 0, TABLE_INDEX(never_called), 0, scratch, 64, 0), -LX_EINVAL);
    CHECK_EQ("close handle 0", wasm_close_bpf_object(0), -LX_EINVAL);
    CHECK_EQ("close handle 1", wasm_close_bpf_object(1), -LX_EINVAL);

    // --- two real objects
    uint64_t obj = wasm_load_bpf_object(object, sizeof object);
    CHECK_EQ("first handle", obj, 1);
    uint64_t other = wasm_load_bpf_object(object, sizeof object);
    CHECK_EQ("second handle", other, 2);

    // --- map names, skeleton names of internal maps
    int pairs = wasm_bpf_map_fd_by_name(obj, "pairs");
    CHECK("pairs fd", pairs >= 3);
    int rodata = wasm_bpf_map_fd_by_name(obj, "hostile.rodata");
    CHECK("hostile.rodata fd", rodata >= 3);
    CHECK_EQ("any_prefix.rodata", wasm_bpf_map_fd_by_name(obj, "bootstra.rodata"), rodata);
    int bss = wasm_bpf_map_fd_by_name(obj, "hostile.bss");
    CHECK("hostile.bss fd", bss >= 3 && bss != rodata);
    CHECK_EQ("x.bss", wasm_bpf_map_fd_by_name(obj, "x.bss"), bss);
    CHECK_EQ("missing map", wasm_bpf_map_fd_by_name(obj, "nope"), -LX_ENOENT);
    CHECK_EQ("missing internal map", wasm_bpf_map_fd_by_name(obj, "hostile.data"), -LX_ENOENT);
    CHECK_EQ("empty map name", wasm_bpf_map_fd_by_name(obj, ""), -LX_ENOENT);
    CHECK_EQ("map name out of bounds", wasm_bpf_map_fd_by_name(obj, GUEST_PTR(end + 100)),
             -LX_EFAULT);
    CHECK_EQ("map name unterminated", wasm_bpf_map_fd_by_name(obj, endless), -LX_EFAULT);
    CHECK_EQ("map name at last byte", wasm_bpf_map_fd_by_name(obj, GUEST_PTR(end - 1)), -LX_EFAULT);

    const char* names[] = {"pairs",       "trigger",  "big_events", "small_events",
                           "perf_events", "x.rodata", "x.bss"};
    int own[16], own_count = 0;
    for (int i = 0; i < 7; i++) {
        own[own_count++] = wasm_bpf_map_fd_by_name(obj, names[i]);
        own[own_count++] = wasm_bpf_map_fd_by_name(other, names[i]);
    }
    int other_small = wasm_bpf_map_fd_by_name(other, "small_events");
    int small = wasm_bpf_map_fd_by_name(obj, "small_events");

    // --- fds the guest does not own
    uint32_t key = 1;
    unsigned char value[8] = {0};
    CHECK_EQ("map_operate stdin", wasm_bpf_map_operate(0, MAP_LOOKUP, &key, value, NULL, 0),
             -LX_EBADF);
    CHECK_EQ("map_operate stdout", wasm_bpf_map_operate(1, MAP_LOOKUP, &key, value, NULL, 0),
             -LX_EBADF);
    CHECK_EQ("map_operate fd -1", wasm_bpf_map_operate(-1, MAP_LOOKUP, &key, value, NULL, 0),
             -LX_EBADF);
    CHECK_EQ("map_operate fd 1e6", wasm_bpf_map_operate(1000000, MAP_DELETE, &key, value, NULL, 0),
             -LX_EBADF);
    int guessed_bad = 0, guessed = 0;
    for (int fd = 3; fd <= 64; fd++) {
        if (is_own_fd(own, own_count, fd)) continue;
        guessed++;
        if (wasm_bpf_map_operate(fd, MAP_LOOKUP, &key, value, NULL, 0) != -LX_EBADF ||
            wasm_bpf_map_operate(fd, MAP_UPDATE, &key, value, NULL, 0) != -LX_EBADF ||
            wasm_bpf_map_operate(fd, MAP_DELETE, &key, NULL, NULL, 0) != -LX_EBADF ||
            wasm_bpf_map_operate(fd, MAP_NEXT_KEY, NULL, NULL, &key, 0) != -LX_EBADF ||
            wasm_bpf_buffer_poll(obj, fd, TABLE_INDEX(never_called), 0, scratch, 64, 0) !=
                -LX_EBADF)
            guessed_bad++;
    }
    CHECK("guessed some fds", guessed > 40);
    CHECK_EQ("guessed fds 3..64 not owned -> all -EBADF", guessed_bad, 0);

    // --- pointers and sizes on an owned map (key u32, value 8 bytes)
    CHECK_EQ("lookup key out of bounds",
             wasm_bpf_map_operate(pairs, MAP_LOOKUP, GUEST_PTR(end + 4), value, NULL, 0),
             -LX_EFAULT);
    CHECK_EQ("lookup key straddling end",
             wasm_bpf_map_operate(pairs, MAP_LOOKUP, GUEST_PTR(end - 2), value, NULL, 0),
             -LX_EFAULT);
    CHECK_EQ("lookup value straddling end",
             wasm_bpf_map_operate(pairs, MAP_LOOKUP, &key, GUEST_PTR(end - 4), NULL, 0),
             -LX_EFAULT);
    CHECK_EQ("update value out of bounds",
             wasm_bpf_map_operate(pairs, MAP_UPDATE, &key, GUEST_PTR(0xfffffff0u), NULL, 0),
             -LX_EFAULT);
    CHECK_EQ("delete key out of bounds",
             wasm_bpf_map_operate(pairs, MAP_DELETE, GUEST_PTR(end), NULL, NULL, 0), -LX_EFAULT);
    CHECK_EQ("next_key out of bounds",
             wasm_bpf_map_operate(pairs, MAP_NEXT_KEY, NULL, NULL, GUEST_PTR(end - 1), 0),
             -LX_EFAULT);
    CHECK_EQ("command 0", wasm_bpf_map_operate(pairs, 0, &key, value, NULL, 0), -LX_EINVAL);
    CHECK_EQ("command 5", wasm_bpf_map_operate(pairs, 5, &key, value, NULL, 0), -LX_EINVAL);
    CHECK_EQ("command -1", wasm_bpf_map_operate(pairs, -1, &key, value, NULL, 0), -LX_EINVAL);
    CHECK_EQ("lookup missing key", wasm_bpf_map_operate(pairs, MAP_LOOKUP, &key, value, NULL, 0),
             -LX_ENOENT);
    unsigned char written[8] = {1, 2, 3, 4, 5, 6, 7, 8}, read_back[8] = {0};
    CHECK_EQ("update", wasm_bpf_map_operate(pairs, MAP_UPDATE, &key, written, NULL, 0), 0);
    CHECK_EQ("update with bad flags",
             wasm_bpf_map_operate(pairs, MAP_UPDATE, &key, written, NULL, 0xff00), -LX_EINVAL);
    CHECK_EQ("lookup", wasm_bpf_map_operate(pairs, MAP_LOOKUP, &key, read_back, NULL, 0), 0);
    CHECK_EQ("round trip", memcmp(written, read_back, 8), 0);
    uint32_t first = 0;
    CHECK_EQ("first key", wasm_bpf_map_operate(pairs, MAP_NEXT_KEY, NULL, NULL, &first, 0), 0);
    CHECK_EQ("first key value", first, 1);
    CHECK_EQ("no key after last",
             wasm_bpf_map_operate(pairs, MAP_NEXT_KEY, &first, NULL, &first, 0), -LX_ENOENT);
    CHECK_EQ("delete", wasm_bpf_map_operate(pairs, MAP_DELETE, &key, NULL, NULL, 0), 0);
    CHECK_EQ("delete again", wasm_bpf_map_operate(pairs, MAP_DELETE, &key, NULL, NULL, 0),
             -LX_ENOENT);
    int perf = wasm_bpf_map_fd_by_name(obj, "perf_events");
    uint32_t zero = 0, some_fd = 0;
    CHECK_EQ("update perf event array (host fds inside)",
             wasm_bpf_map_operate(perf, MAP_UPDATE, &zero, &some_fd, NULL, 0), -LX_EOPNOTSUPP);

    // --- attach: names, targets
    CHECK_EQ("attach missing program", wasm_attach_bpf_program(obj, "nope", NULL), -LX_ENOENT);
    CHECK_EQ("attach empty name", wasm_attach_bpf_program(obj, "", NULL), -LX_ENOENT);
    CHECK_EQ("attach name out of bounds", wasm_attach_bpf_program(obj, GUEST_PTR(end + 8), NULL),
             -LX_EFAULT);
    CHECK_EQ("attach name unterminated", wasm_attach_bpf_program(obj, endless, NULL), -LX_EFAULT);
    CHECK_EQ("attach target out of bounds",
             wasm_attach_bpf_program(obj, "hx_xdp", GUEST_PTR(0xffffff00u)), -LX_EFAULT);
    CHECK_EQ("attach target unterminated", wasm_attach_bpf_program(obj, "hx_xdp", endless),
             -LX_EFAULT);
    CHECK_EQ("tracepoint given a target", wasm_attach_bpf_program(obj, "hx_trigger", "x"),
             -LX_EINVAL);
    CHECK_EQ("xdp unknown interface", wasm_attach_bpf_program(obj, "hx_xdp", "nosuchif0"),
             -LX_ENODEV);
    CHECK_EQ("xdp bad interface name", wasm_attach_bpf_program(obj, "hx_xdp", "a/b"), -LX_EINVAL);
    CHECK_EQ("xdp interface name too long",
             wasm_attach_bpf_program(obj, "hx_xdp", "abcdefghijklmnopq"), -LX_EINVAL);
    CHECK_EQ("tc bad direction", wasm_attach_bpf_program(obj, "hx_tc", "lo:sideways"), -LX_EINVAL);
    CHECK_EQ("socket unknown interface", wasm_attach_bpf_program(obj, "hx_socket", "nosuchif0"),
             -LX_ENODEV);
    CHECK_EQ("cgroup not cgroup2", wasm_attach_bpf_program(obj, "hx_cgroup", "/tmp"), -LX_EINVAL);
    CHECK_EQ("cgroup missing dir", wasm_attach_bpf_program(obj, "hx_cgroup", "/nonexistent"),
             -LX_ENOENT);
    CHECK_EQ("uprobe without symbol", wasm_attach_bpf_program(obj, "hx_uprobe", "nocolon"),
             -LX_EINVAL);
    CHECK_EQ("uprobe empty binary", wasm_attach_bpf_program(obj, "hx_uprobe", ":main"), -LX_EINVAL);
    CHECK_EQ("uprobe bad offset", wasm_attach_bpf_program(obj, "hx_uprobe", "/bin/sh:f+zz"),
             -LX_EINVAL);
    CHECK("uprobe missing binary",
          wasm_attach_bpf_program(obj, "hx_uprobe", "/nonexistent/bin:main") < 0);
    int kprobe = wasm_attach_bpf_program(obj, "hx_kprobe", NULL);
    CHECK("kprobe: attached or -EOPNOTSUPP", kprobe == 0 || kprobe == -LX_EOPNOTSUPP);
    CHECK_EQ("auto-attach tracepoint", wasm_attach_bpf_program(obj, "hx_trigger", NULL), 0);
    CHECK_EQ("xdp on lo", wasm_attach_bpf_program(obj, "hx_xdp", "lo"), 0);
    CHECK_EQ("tc on lo:ingress", wasm_attach_bpf_program(obj, "hx_tc", "lo:ingress"), 0);
    CHECK_EQ("tc on lo:egress", wasm_attach_bpf_program(obj, "hx_tc", "lo:egress"), 0);
    CHECK_EQ("socket filter on lo", wasm_attach_bpf_program(obj, "hx_socket", "lo"), 0);
    CHECK_EQ("cgroup_skb on cgroup2 dir", wasm_attach_bpf_program(obj, "hx_cgroup", cgroup_dir), 0);
    CHECK_EQ("uprobe /bin/bash:readline",
             wasm_attach_bpf_program(obj, "hx_uprobe", "/bin/bash:readline"), 0);
    CHECK_EQ("uprobe pid:binary:symbol+offset",
             wasm_attach_bpf_program(obj, "hx_uprobe", "1:/bin/bash:readline+0"), 0);

    // --- polls with bad arguments
    int trigger = wasm_bpf_map_fd_by_name(obj, "trigger");
    CHECK_EQ("poll non-buffer map",
             wasm_bpf_buffer_poll(obj, trigger, TABLE_INDEX(never_called), 0, scratch, 64, 0),
             -LX_EINVAL);
    CHECK_EQ("poll .rodata",
             wasm_bpf_buffer_poll(obj, rodata, TABLE_INDEX(never_called), 0, scratch, 64, 0),
             -LX_EINVAL);
    CHECK_EQ("poll stdin",
             wasm_bpf_buffer_poll(obj, 0, TABLE_INDEX(never_called), 0, scratch, 64, 0), -LX_EBADF);
    CHECK_EQ("poll other object's ring buffer",
             wasm_bpf_buffer_poll(obj, other_small, TABLE_INDEX(never_called), 0, scratch, 64, 0),
             -LX_EBADF);
    CHECK_EQ("poll null callback", wasm_bpf_buffer_poll(obj, small, 0, 0, scratch, 64, 0),
             -LX_EINVAL);
    CHECK_EQ("poll callback beyond table",
             wasm_bpf_buffer_poll(obj, small, 1000000, 0, scratch, 64, 0), -LX_EINVAL);
    CHECK_EQ("poll callback of wrong type",
             wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(wrong_type), 0, scratch, 64, 0),
             -LX_EINVAL);
    CHECK_EQ("poll data out of bounds",
             wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(never_called), 0, GUEST_PTR(end), 64, 0),
             -LX_EFAULT);
    CHECK_EQ("poll huge max_size",
             wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(never_called), 0, scratch, 0x7fffffff, 0),
             -LX_EFAULT);
    CHECK_EQ("poll negative max_size",
             wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(never_called), 0, scratch, -1, 0),
             -LX_EFAULT);
    CHECK_EQ("poll nothing pending",
             wasm_bpf_buffer_poll(obj, small, TABLE_INDEX(never_called), 0, scratch, 64, 0), 0);
    CHECK_EQ("poll perf buffer, nothing pending",
             wasm_bpf_buffer_poll(obj, perf, TABLE_INDEX(never_called), 0, scratch, 64, 10), 0);

    // --- closing
    CHECK_EQ("close other", wasm_close_bpf_object(other), 0);
    CHECK_EQ("close other again", wasm_close_bpf_object(other), -LX_EINVAL);
    CHECK_EQ("map_fd on closed", wasm_bpf_map_fd_by_name(other, "pairs"), -LX_EINVAL);
    CHECK_EQ("attach on closed", wasm_attach_bpf_program(other, "hx_xdp", "lo"), -LX_EINVAL);
    CHECK_EQ("closed object's fd",
             wasm_bpf_map_operate(other_small, MAP_LOOKUP, &key, value, NULL, 0), -LX_EBADF);
    CHECK_EQ("pairs still usable", wasm_bpf_map_operate(pairs, MAP_DELETE, &key, NULL, NULL, 0),
             -LX_ENOENT);
    uint64_t third = wasm_load_bpf_object(object, sizeof object);
    CHECK_EQ("handles are not reused", third, 3);
    CHECK_EQ("close first", wasm_close_bpf_object(obj), 0);
    CHECK_EQ("closed first's fd", wasm_bpf_map_operate(pairs, MAP_DELETE, &key, NULL, NULL, 0),
             -LX_EBADF);
    // `third` is left open on purpose: the runtime must release it at exit.
    return hx_report("hostile_abi");
}
