// random_get, sched_yield, sockets on a non-socket (stdin is a pipe in the harness), and
// proc_raise (wasm only: wasi-libc no longer calls it; lines starting "wasi:" are wasm-only).
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __wasi__
#include <wasi/api.h>
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int
wasi_proc_raise(int signal);
#endif

static const char* err_name(int e) {
    switch (e) {
    case 0: return "OK";
    case ENOTSOCK: return "ENOTSOCK";
    case EBADF: return "EBADF";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    default: return "E?";
    }
}

int main(void) {
    unsigned char a[64] = {0}, b[64] = {0};
    int rc = getentropy(a, sizeof a);
    getentropy(b, sizeof b);
    int nonzero = 0;
    for (int i = 0; i < 64; ++i)
        nonzero |= a[i];
    printf("getentropy: %d random=%d differ=%d\n", rc, nonzero != 0, memcmp(a, b, 64) != 0);
    printf("sched_yield: %d\n", sched_yield());

    char buf[8];
    long rc2;
    errno = 0;
    rc2 = recv(0, buf, sizeof buf, 0);
    printf("recv on pipe: %ld %s\n", rc2, err_name(errno));
    errno = 0;
    rc2 = send(1, "x", 1, 0);
    printf("send on pipe: %ld %s\n", rc2, err_name(errno));
    errno = 0;
    rc2 = shutdown(0, SHUT_RDWR);
    printf("shutdown on pipe: %ld %s\n", rc2, err_name(errno));
    errno = 0;
    rc2 = accept(0, NULL, NULL);
    printf("accept on pipe: %ld %s\n", rc2, err_name(errno));
    errno = 0;
    rc2 = recv(77, buf, sizeof buf, 0);
    printf("recv on bad fd: %ld %s\n", rc2, err_name(errno));
#ifdef __wasi__
    printf("wasi: proc_raise: %d (ENOSYS is 52)\n", wasi_proc_raise(2));
    // Guest pointers out of bounds: EFAULT (21), never a trap or a host crash.
    __wasi_size_t n = 0;
    const __wasi_ciovec_t* bad_iov = (const __wasi_ciovec_t*)0xfffffff0u;
    printf("wasi: fd_write bad iovec: %d\n", __wasi_fd_write(1, bad_iov, 4, &n));
    __wasi_ciovec_t iov = {(const uint8_t*)0xffffff00u, 0x1000};
    printf("wasi: fd_write bad buffer: %d\n", __wasi_fd_write(1, &iov, 1, &n));
    printf("wasi: random_get bad buffer: %d\n", __wasi_random_get((uint8_t*)0xfffffff0u, 64));
    printf("wasi: clock_time_get bad result: %d\n",
           __wasi_clock_time_get(0, 1, (__wasi_timestamp_t*)0xfffffffcu));
    printf("wasi: args_get bad buffer: %d\n",
           __wasi_args_get((uint8_t**)0xfffffff0u, (uint8_t*)0xfffffff0u));
#endif
    return 0;
}
