/* The SDK's printf family (sdk/c/wbpf/fast_printf.h) against wasi-libc's: for random
 * conversions (flags, widths and precisions as digits or *, length modifiers, conversions the
 * fast path handles and ones it must hand over) with edge-case and random arguments, and for
 * the lines tools print, wbpf_vsnprintf() must return what the libc's vsnprintf() returns and
 * write the same string, into a roomy buffer and a random short one; and the fast path must be
 * taken whenever the conversion is one it covers. Then prints lines through wbpf_printf() and
 * wbpf_fprintf(), fast and handed over, for the test to compare. Exits 1 on any failure.
 *
 *   fast_printf [RANDOM_CASES [SEED]]      defaults: 200000, the fixed seed below */
#define WBPF_NO_FAST_PRINTF /* printf below is the libc's */
#include <wbpf/fast_printf.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

enum { ROOMY = 700 };

static int failures = 0;
static int comparisons = 0;
static int fast_taken = 0;
static int fast_misses = 0;

static unsigned long long rng_state = 0x2545f4914f6cdd1dULL;

static unsigned long long next_random(void) { /* xorshift64 */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned below(unsigned n) {
    return (unsigned)(next_random() % n);
}

static void fail(const char* format, size_t size, const char* what) {
    if (++failures <= 20) printf("FAIL %s: format \"%s\" size %zu\n", what, format, size);
}

/* Compares one call with its arguments, in a buffer of `size`; counts whether the fast path took
 * it (roomy buffer only). */
static void compare_in(size_t size, int must_be_fast, const char* format, va_list args) {
    char expected[ROOMY], got[ROOMY];
    memset(expected, '#', sizeof(expected));
    memset(got, '#', sizeof(got));
    va_list libc_args, wbpf_args;
    va_copy(libc_args, args);
    va_copy(wbpf_args, args);
    int want = vsnprintf(expected, size, format, libc_args);
    int have = wbpf_vsnprintf(got, size, format, wbpf_args);
    va_end(libc_args);
    va_end(wbpf_args);
    ++comparisons;
    if (want != have) {
        fail(format, size, "return value");
        if (failures <= 20) printf("  libc %d \"%s\", wbpf %d \"%s\"\n", want, expected, have, got);
        return;
    }
    if (want >= 0 && size > 0) {
        size_t written = (size_t)want < size - 1 ? (size_t)want : size - 1;
        if (memcmp(expected, got, written + 1) != 0) {
            fail(format, size, "string");
            if (failures <= 20) printf("  libc \"%s\", wbpf \"%s\"\n", expected, got);
        }
    }
    if (size == ROOMY) {
        va_list fast_args;
        va_copy(fast_args, args);
        int fast = wbpf_vsnprintf_fast(got, size, format, fast_args);
        va_end(fast_args);
        if (fast >= 0) {
            ++fast_taken;
        } else if (must_be_fast && want >= 0 && want < ROOMY) {
            if (++fast_misses <= 5) fail(format, size, "not fast");
        }
    }
}

/* Compares a call in the roomy buffer and in one of a random size from 0 to its length + 1. */
static void compare(int must_be_fast, const char* format, ...) {
    va_list args;
    va_start(args, format);
    compare_in(ROOMY, must_be_fast, format, args);
    va_list probe;
    va_copy(probe, args);
    int length = vsnprintf(NULL, 0, format, probe);
    va_end(probe);
    if (length >= 0 && length < ROOMY) compare_in(below((unsigned)length + 2), 0, format, args);
    va_end(args);
}

static long long random_integer(void) {
    static const long long edges[] = {0,
                                      1,
                                      -1,
                                      9,
                                      10,
                                      99,
                                      100,
                                      127,
                                      128,
                                      255,
                                      256,
                                      -128,
                                      -129,
                                      32767,
                                      32768,
                                      65535,
                                      65536,
                                      -32769,
                                      INT_MAX,
                                      INT_MIN,
                                      UINT_MAX,
                                      LLONG_MAX,
                                      LLONG_MIN,
                                      4294967296LL,
                                      1000000000LL,
                                      9999999999LL};
    switch (below(4)) {
    case 0: return edges[below(sizeof(edges) / sizeof(*edges))];
    case 1: return (long long)(next_random() % 1000) - 500;
    case 2: return (int)next_random();
    default: return (long long)next_random();
    }
}

static int random_field(void) {
    static const int edges[] = {0, 1, -1, 5, -7, 16, -16, 4096, 4097, -4096, -4097, INT_MIN};
    return below(3) ? (int)below(25) - 5 : edges[below(sizeof(edges) / sizeof(*edges))];
}

static const char* random_string(void) {
    static char long_string[600];
    if (!long_string[0]) {
        for (size_t i = 0; i < sizeof(long_string) - 1; ++i)
            long_string[i] = (char)('a' + i % 26);
    }
    static const char* const strings[] = {
        "", "a", "true", "/bin/true", "EXEC", "hello, world", "0123456789abcdef0123456789abcdef"};
    unsigned pick = below(10);
    if (pick == 8) return NULL;
    if (pick == 9) return long_string + below(sizeof(long_string));
    return strings[pick % (sizeof(strings) / sizeof(*strings))];
}

/* One random conversion between random literal text, called with matching arguments. */
static void compare_random_conversion(void) {
    static const char* const texts[] = {"", "", "x", "pid=", " [", "] ", "\n", "50%% "};
    static const char* const lengths[] = {"", "", "", "", "hh", "h", "l", "ll", "j", "z", "t"};
    static const char conversions[] = "diuoxXcsdiuxsp";
    char format[64];
    char* out = format;
    int must_be_fast = 1;
    out = stpcpy(out, texts[below(sizeof(texts) / sizeof(*texts))]);
    *out++ = '%';
    static const char flags[] = "-0+ -0#'";
    for (unsigned n = below(4); n-- > 0;) {
        char flag = flags[below(sizeof(flags) - 1)];
        if (flag == '#' || flag == '\'') must_be_fast = 0;
        *out++ = flag;
    }
    int star_width = 0, star_precision = 0;
    switch (below(5)) {
    case 0:
    case 1: break;
    case 2:
        star_width = 1;
        *out++ = '*';
        break;
    default: out += sprintf(out, "%u", below(4) ? below(30) : 4090 + below(10)); break;
    }
    switch (below(6)) {
    case 0:
    case 1:
    case 2: break;
    case 3:
        star_precision = 1;
        out = stpcpy(out, ".*");
        break;
    case 4: *out++ = '.'; break;
    default: out += sprintf(out, ".%u", below(4) ? below(25) : 4090 + below(10)); break;
    }
    char conversion = conversions[below(sizeof(conversions) - 1)];
    const char* length = lengths[below(sizeof(lengths) / sizeof(*lengths))];
    if (conversion == 'c' || conversion == 's' || conversion == 'p') length = "";
    out = stpcpy(out, length);
    *out++ = conversion;
    strcpy(out, texts[below(sizeof(texts) / sizeof(*texts))]);
    if (conversion == 'p' || strstr(format, "409") || strstr(format, "%'") || strchr(format, '\''))
        must_be_fast = 0;

    int width = random_field(), precision = random_field();
    if (star_width && (width < -4096 || width > 4096)) must_be_fast = 0;
    if (star_precision && precision > 4096) must_be_fast = 0;
    long long value = random_integer();
    const char* string = random_string();
    /* The arguments, as the conversion reads them. */
#define CALL(...)                                                                                  \
    do {                                                                                           \
        if (star_width && star_precision)                                                          \
            compare(must_be_fast, format, width, precision, __VA_ARGS__);                          \
        else if (star_width)                                                                       \
            compare(must_be_fast, format, width, __VA_ARGS__);                                     \
        else if (star_precision)                                                                   \
            compare(must_be_fast, format, precision, __VA_ARGS__);                                 \
        else                                                                                       \
            compare(must_be_fast, format, __VA_ARGS__);                                            \
    } while (0)
    if (conversion == 's')
        CALL(string);
    else if (conversion == 'p')
        CALL((void*)(uintptr_t)value);
    else if (!strcmp(length, "ll") || !strcmp(length, "j"))
        CALL(value);
    else if (!strcmp(length, "l") || !strcmp(length, "z") || !strcmp(length, "t"))
        CALL((long)value);
    else
        CALL((int)value);
#undef CALL
}

/* More cases, or another seed, by hand: the test runs the defaults. */
int main(int argc, char** argv) {
    long cases = argc > 1 ? atol(argv[1]) : 200000;
    if (argc > 2) rng_state = strtoull(argv[2], NULL, 0) | 1;
    for (long i = 0; i < cases; ++i)
        compare_random_conversion();

    /* The lines tools print, and formats the fast path must hand over whole. */
    for (int i = 0; i < 2000; ++i) {
        int pid = (int)random_integer();
        const char* comm = random_string();
        compare(1, "%-8s %-5s %-16s %-7d %-7d %s\n", "12:34:56", "EXEC", comm, pid, 4242,
                random_string());
        compare(1, "%-8s %-5s %-16s %-7d %-7d [%u]", "12:34:56", "EXIT", comm, pid, -pid,
                (unsigned)pid);
        compare(1, " (%llums)", (unsigned long long)random_integer());
        compare(1, "%-16s %-6d %5.1d%%|%08.3x|%+d|% i|%c%c", comm, pid, pid, (unsigned)pid, pid,
                pid, 'a' + i % 26, 0);
        compare(0, "%d %.2f %s", pid, pid / 7.0, comm);
        compare(0, "%s %5.3e", comm, 1e-300 * pid);
        compare(0, "%1$d %1$x", pid);
        compare(0, "%ls|%lc", L"wide", (wint_t)L'w');
        compare(0, "%#x %#o", (unsigned)pid, (unsigned)pid);
    }
    compare(1, "");
    compare(1, "plain text, no conversion");
    compare(1, "%%|%5%|%", 1);
    compare(0, "%y %d", 3);
    compare(0, "%");

    if (fast_taken < comparisons / 4) fail("(all)", ROOMY, "fast path rarely taken");
    failures += fast_misses;
    wbpf_printf("%d comparisons, %d failures\n", comparisons, failures);

    /* Through stdio: fast, handed over (a float; a line longer than the stack buffer), stderr. */
    wbpf_printf("%-8s %-5s %-16s %-7d %-7d %s\n", "12:34:56", "EXEC", "true", 1234, 42,
                "/bin/true");
    wbpf_printf("%-5s [%u]", "EXIT", 0u);
    wbpf_printf(" (%llums)", 12ULL);
    putchar('\n');
    wbpf_printf("%.3f %s\n", 2.5, "handed over");
    wbpf_printf("%0600d|\n", 7);
    wbpf_fprintf(stderr, "to stderr: %d\n", -1);
    return failures ? 1 : 0;
}
