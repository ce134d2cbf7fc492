// Prints its arguments and its whole environment (sorted), for byte comparison with the
// native twin run with the same arguments and environment.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static int compare(const void* a, const void* b) {
    return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
    // argv[0] is a path on both sides: compare its last component without extension.
    const char* base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    printf("argc=%d argv0=%.*s\n", argc, (int)strcspn(base, "."), base);
    for (int i = 1; i < argc; ++i)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    size_t n = 0;
    while (environ[n])
        ++n;
    char** sorted = malloc((n + 1) * sizeof *sorted);
    memcpy(sorted, environ, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare);
    printf("envc=%zu\n", n);
    for (size_t i = 0; i < n; ++i)
        printf("env[%s]\n", sorted[i]);
    const char* home = getenv("HOME");
    printf("HOME=%s\n", home ? home : "(unset)");
    free(sorted);
    return 0;
}
