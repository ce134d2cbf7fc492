// Events end to end: an event > 4 KiB delivered intact, two ring buffers and a perf buffer of
// one object, truncation to max_size (size = bytes copied), a callback's non-zero value
// stopping the poll, re-entrant calls from a callback, TinyGo's callback-wrapper import, and
// .bss/.rodata read through skeleton-style names.
#include "hostile_events.h"
#include "hostile_guest.h"
#include "linux_errno.h"

#include <string.h>

static const unsigned char object[] = {
#embed "hostile.bpf.o"
};

__attribute__((import_module("callback-wrapper"), import_name("wasm_bpf_buffer_poll"))) int
tinygo_buffer_poll(uint64_t obj, int fd, uint32_t ctx, void* data, int max_size, int timeout_ms);

static uint64_t obj;
static int trigger_fd, big_fd, small_fd, perf_fd;
static int calls, last_size, stop_with;
static unsigned char buffer[8192 + 64];

static void pull_trigger(void) {
    uint32_t key = HX_TRIGGER_KEY;
    // An array map refuses deletes (-EINVAL); the BPF side sees the attempt and emits events.
    wasm_bpf_map_operate(trigger_fd, MAP_DELETE, &key, NULL, NULL, 0);
}

static int count_event(void* ctx, void* data, int size) {
    (void)data;
    calls++;
    last_size = size;
    if (ctx) *(uint32_t*)ctx = *(uint32_t*)data;
    return stop_with;
}

static int big_intact(const unsigned char* data) {
    const struct hx_big_event* event = (const struct hx_big_event*)data;
    if (event->magic != HX_BIG_MAGIC) return 0;
    for (unsigned i = 0; i < HX_BIG_WORDS; i++)
        if (event->words[i] != hx_pattern(i)) return 0;
    return 1;
}

static int nested_close, nested_poll;
static int reenter(void* ctx, void* data, int size) {
    (void)ctx, (void)data, (void)size;
    nested_close = wasm_close_bpf_object(obj);
    nested_poll = wasm_bpf_buffer_poll(obj, small_fd, TABLE_INDEX(count_event), 0, buffer, 64, 0);
    return 0;
}

__attribute__((export_name("go-callback"))) int go_callback(uint32_t ctx, uint32_t data,
                                                            uint32_t size) {
    return count_event((void*)(uintptr_t)ctx, (void*)(uintptr_t)data, (int)size);
}

int main(void) {
    obj = wasm_load_bpf_object(object, sizeof object);
    CHECK("load", obj != 0);
    trigger_fd = wasm_bpf_map_fd_by_name(obj, "trigger");
    big_fd = wasm_bpf_map_fd_by_name(obj, "big_events");
    small_fd = wasm_bpf_map_fd_by_name(obj, "small_events");
    perf_fd = wasm_bpf_map_fd_by_name(obj, "perf_events");
    CHECK("map fds", trigger_fd > 0 && big_fd > 0 && small_fd > 0 && perf_fd > 0);
    CHECK_EQ("attach trigger", wasm_attach_bpf_program(obj, "hx_trigger", NULL), 0);
    // Create the perf buffer before any event, so the first trigger's sample is not lost.
    CHECK_EQ("perf buffer empty",
             wasm_bpf_buffer_poll(obj, perf_fd, TABLE_INDEX(count_event), 0, buffer, 64, 0), 0);

    pull_trigger();
    calls = 0;
    memset(buffer, 0, sizeof buffer);
    CHECK_EQ("big: one record",
             wasm_bpf_buffer_poll(obj, big_fd, TABLE_INDEX(count_event), 0, buffer, 8192, 1000), 1);
    CHECK_EQ("big: size", last_size, sizeof(struct hx_big_event));
    CHECK("big: > 4 KiB", last_size > 4096);
    CHECK("big: intact", big_intact(buffer));

    uint32_t magic = 0;
    calls = 0;
    CHECK_EQ("small (second ring buffer): one record",
             wasm_bpf_buffer_poll(obj, small_fd, TABLE_INDEX(count_event), (uint32_t)&magic, buffer,
                                  64, 1000),
             1);
    CHECK_EQ("small: magic", magic, HX_SMALL_MAGIC);
    CHECK_EQ("small: size", last_size, sizeof(struct hx_small_event));
    CHECK_EQ("small: sequence", ((struct hx_small_event*)buffer)->sequence, 1);

    magic = 0;
    CHECK_EQ("perf: one record",
             wasm_bpf_buffer_poll(obj, perf_fd, TABLE_INDEX(count_event), (uint32_t)&magic, buffer,
                                  64, 1000),
             1);
    CHECK_EQ("perf: magic", magic, HX_PERF_MAGIC);
    CHECK("perf: size covers the event", last_size >= (int)sizeof(struct hx_small_event));

    // Truncation: size is what was copied, and nothing beyond max_size is written.
    pull_trigger();
    memset(buffer, 0xEE, sizeof buffer);
    CHECK_EQ("truncated: one record",
             wasm_bpf_buffer_poll(obj, big_fd, TABLE_INDEX(count_event), 0, buffer, 100, 1000), 1);
    CHECK_EQ("truncated: size = bytes copied", last_size, 100);
    CHECK_EQ("truncated: magic copied", ((struct hx_big_event*)buffer)->magic, HX_BIG_MAGIC);
    CHECK_EQ("truncated: byte after max_size untouched", buffer[100], 0xEE);
    CHECK_EQ("zero-size buffer: one record",
             wasm_bpf_buffer_poll(obj, small_fd, TABLE_INDEX(count_event), 0, buffer, 0, 1000), 1);
    CHECK_EQ("zero-size buffer: size 0", last_size, 0);
    wasm_bpf_buffer_poll(obj, perf_fd, TABLE_INDEX(count_event), 0, buffer, 64, 0);

    // A non-zero callback value stops the poll and is returned.
    pull_trigger();
    pull_trigger();
    calls = 0;
    stop_with = 42;
    CHECK_EQ("stop: poll returns the callback's value",
             wasm_bpf_buffer_poll(obj, small_fd, TABLE_INDEX(count_event), 0, buffer, 64, 1000),
             42);
    CHECK_EQ("stop: one callback", calls, 1);
    stop_with = -7;
    CHECK_EQ("stop: negative value too",
             wasm_bpf_buffer_poll(obj, small_fd, TABLE_INDEX(count_event), 0, buffer, 64, 1000),
             -7);
    stop_with = 0;
    CHECK_EQ("stop: nothing left",
             wasm_bpf_buffer_poll(obj, small_fd, TABLE_INDEX(count_event), 0, buffer, 64, 0), 0);
    calls = 0;
    CHECK_EQ("big: both records in one poll",
             wasm_bpf_buffer_poll(obj, big_fd, TABLE_INDEX(count_event), 0, buffer, 8192, 1000), 2);
    stop_with = 5;
    CHECK_EQ("perf: stop",
             wasm_bpf_buffer_poll(obj, perf_fd, TABLE_INDEX(count_event), 0, buffer, 64, 1000), 5);
    stop_with = 0;
    CHECK_EQ("perf: the other record",
             wasm_bpf_buffer_poll(obj, perf_fd, TABLE_INDEX(count_event), 0, buffer, 64, 1000), 1);

    // A timeout with nothing to read returns 0.
    CHECK_EQ("timeout",
             wasm_bpf_buffer_poll(obj, small_fd, TABLE_INDEX(count_event), 0, buffer, 64, 50), 0);

    // Re-entrant calls from a callback: closing the object or polling the same buffer is busy.
    pull_trigger();
    CHECK_EQ("reenter: poll",
             wasm_bpf_buffer_poll(obj, small_fd, TABLE_INDEX(reenter), 0, buffer, 64, 1000), 1);
    CHECK_EQ("reenter: close from callback", nested_close, -LX_EBUSY);
    CHECK_EQ("reenter: same buffer from callback", nested_poll, -LX_EBUSY);

    // TinyGo's import calls the exported go-callback.
    pull_trigger();
    magic = 0;
    CHECK_EQ("callback-wrapper: one record",
             tinygo_buffer_poll(obj, small_fd, (uint32_t)&magic, buffer, 64, 1000), 1);
    CHECK_EQ("callback-wrapper: magic", magic, HX_SMALL_MAGIC);
    CHECK_EQ("callback-wrapper: bad fd", tinygo_buffer_poll(obj, 0, 0, buffer, 64, 0), -LX_EBADF);

    // Internal maps through skeleton-style names.
    uint32_t zero = 0;
    uint64_t seen = 0;
    int bss = wasm_bpf_map_fd_by_name(obj, "hostile.bss");
    CHECK_EQ(".bss lookup", wasm_bpf_map_operate(bss, MAP_LOOKUP, &zero, &seen, NULL, 0), 0);
    CHECK_EQ(".bss triggers_seen", seen, 6);
    uint32_t small_magic = 1;
    int rodata = wasm_bpf_map_fd_by_name(obj, "hostile.rodata");
    CHECK_EQ(".rodata lookup",
             wasm_bpf_map_operate(rodata, MAP_LOOKUP, &zero, &small_magic, NULL, 0), 0);
    CHECK_EQ(".rodata small_magic", small_magic, 0);

    CHECK_EQ("close", wasm_close_bpf_object(obj), 0);
    return hx_report("hostile_events");
}
