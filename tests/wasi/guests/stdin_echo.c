// Reads all of stdin (after poll() says it is readable), then echoes it upper-cased with line
// and byte counts. Exercises fd_read, poll_oneoff on fd subscriptions and fd_write.
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    // One fd at a time: stdout is writable at once, stdin only when the harness has written.
    struct pollfd in = {0, POLLIN, 0}, out = {1, POLLOUT, 0};
    int n = poll(&in, 1, 5000);
    printf("poll stdin: %d %s\n", n, (in.revents & (POLLIN | POLLHUP)) ? "readable" : "no");
    n = poll(&out, 1, 5000);
    printf("poll stdout: %d %s\n", n, (out.revents & POLLOUT) ? "writable" : "no");
    char buf[4096];
    size_t total = 0, lines = 0;
    ssize_t got;
    while ((got = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; ++i) {
            if (buf[i] == '\n') lines++;
            buf[i] = (char)toupper((unsigned char)buf[i]);
        }
        fwrite(buf, 1, (size_t)got, stdout);
        total += (size_t)got;
    }
    printf("\nread: %zu bytes, %zu lines, last read %zd\n", total, lines, got);
    fprintf(stderr, "to stderr\n");
    return 0;
}
