/* String formatting of event-like records with snprintf, what tools do all day: each record
 * (timestamp, pid, ppid, comm, filename, exit code, duration) becomes a table row, a
 * key=value line and a JSON object, and the text is hashed. */
#include "bench.h"

#include <string.h>

struct event {
    uint64_t timestamp_ns;
    uint64_t duration_ns;
    uint32_t pid;
    uint32_t ppid;
    int32_t exit_code;
    uint8_t exit_event;
    char comm[16];
    char filename[128];
};

static const char* const commands[] = {"bash",  "sshd",        "systemd-journal",
                                       "cron",  "python3",     "containerd-shim",
                                       "nginx", "kworker/u4:2"};
static const char* const directories[] = {"/usr/bin", "/usr/lib/x86_64-linux-gnu", "/etc",
                                          "/var/log/nginx", "/home/user/src/project"};
static const char* const basenames[] = {"ls",         "libc.so.6", "passwd",
                                        "access.log", "main.c",    "ld-linux-x86-64.so.2"};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

static void make_event(uint64_t* seed, uint64_t sequence, struct event* event) {
    uint64_t random = bench_next_random(seed);
    event->timestamp_ns = 1700000000000000000ull + sequence * 1234567ull + (random & 0xfffff);
    event->duration_ns = (random >> 20) & 0xffffffffull;
    event->pid = (uint32_t)(1 + ((random >> 8) % 4194304));
    event->ppid = (uint32_t)(1 + ((random >> 30) % 65536));
    event->exit_code = (int32_t)((random >> 50) & 0xff) - 64;
    event->exit_event = (uint8_t)(random >> 63);
    snprintf(event->comm, sizeof event->comm, "%s", commands[(random >> 40) % COUNT_OF(commands)]);
    snprintf(event->filename, sizeof event->filename, "%s/%s",
             directories[(random >> 44) % COUNT_OF(directories)],
             basenames[(random >> 47) % COUNT_OF(basenames)]);
}

/* The three renderings of one event; returns the total length written into buffer. */
static size_t format_event(const struct event* event, char* buffer, size_t capacity) {
    uint64_t seconds = event->timestamp_ns / 1000000000ull;
    unsigned hour = (unsigned)(seconds / 3600 % 24), minute = (unsigned)(seconds / 60 % 60);
    unsigned second = (unsigned)(seconds % 60);
    int length;
    if (event->exit_event) {
        length = snprintf(buffer, capacity, "%02u:%02u:%02u %-5s %-16s %-7u %-7u [%d] (%llums)\n",
                          hour, minute, second, "EXIT", event->comm, event->pid, event->ppid,
                          event->exit_code, (unsigned long long)(event->duration_ns / 1000000ull));
    } else {
        length =
            snprintf(buffer, capacity, "%02u:%02u:%02u %-5s %-16s %-7u %-7u %s\n", hour, minute,
                     second, "EXEC", event->comm, event->pid, event->ppid, event->filename);
    }
    size_t used = (size_t)length;
    length = snprintf(buffer + used, capacity - used,
                      "ts=%llu.%09llu pid=%u ppid=%u comm=%s file=%s exit=%d dur=%.3fms "
                      "flags=0x%08x\n",
                      (unsigned long long)seconds,
                      (unsigned long long)(event->timestamp_ns % 1000000000ull), event->pid,
                      event->ppid, event->comm, event->filename, event->exit_code,
                      (double)event->duration_ns / 1e6, event->pid ^ event->ppid);
    used += (size_t)length;
    length = snprintf(buffer + used, capacity - used,
                      "{\"timestamp\":%llu,\"pid\":%u,\"comm\":\"%s\",\"filename\":\"%s\","
                      "\"exit_code\":%d,\"duration_ns\":%llu}\n",
                      (unsigned long long)event->timestamp_ns, event->pid, event->comm,
                      event->filename, event->exit_code, (unsigned long long)event->duration_ns);
    return used + (size_t)length;
}

int main(int argc, char** argv) {
    long events = bench_size(argc, argv, 150000);
    char text[1024];
    struct event event;
    uint64_t seed = 5, hash = BENCH_FNV1A_SEED, bytes = 0;
    size_t length = 0;
    for (long i = 0; i < events; ++i) {
        make_event(&seed, (uint64_t)i, &event);
        length = format_event(&event, text, sizeof text);
        hash = bench_fnv1a(hash, text, length);
        bytes += length;
    }
    printf("format: %ld events, %llu bytes, fnv1a %016llx\nlast:\n%s", events,
           (unsigned long long)bytes, (unsigned long long)hash, text);
    return 0;
}
