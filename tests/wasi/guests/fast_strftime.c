/* The SDK's strftime (sdk/c/wbpf/fast_strftime.h) against wasi-libc's: for every format below,
 * over fields in and out of range and buffers from empty to roomy, wbpf_strftime() must return
 * what the libc's strftime returns and write the same string, and the formats tools use must
 * take the fast path. Prints one line per failure, then a summary; exits 1 on any failure. */
#define WBPF_NO_FAST_STRFTIME /* strftime below is the libc's */
#include <wbpf/fast_strftime.h>

#include <stdio.h>
#include <string.h>

static const char* const formats[] = {
    "%H:%M:%S",
    "%T",
    "%R",
    "%D",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%y",
    "[%e]",
    "%j",
    "%I",
    "%%",
    "%n%t",
    "time %H:%M:%S.",
    "",
    "x",
    "%Y",
    "%y",
    "%m%d",
    "%a %b",
    "%c",
    "%F",
    "%s",
    "%z",
    "%_H",
    "%-M",
    "%5S",
    "%EY",
    "%OH",
    "%+4Y",
    "%q",
    "%",
    "50%",
    "%H%",
    "%p %I",
};

/* Formats the fast path must handle whenever the fields are in range and the buffer is big. */
static const char* const fast_formats[] = {
    "%H:%M:%S", "%T", "%R", "%D", "%Y-%m-%d %H:%M:%S", "[%e]", "%j", "%I", "%%", "%n%t", ""};

static int failures = 0;
static int comparisons = 0;

static void fail(const char* format, const struct tm* tm, size_t max, const char* what) {
    if (++failures <= 20)
        printf("FAIL %s: format \"%s\" max %zu (year %d mon %d mday %d hour %d min %d sec %d "
               "yday %d)\n",
               what, format, max, tm->tm_year, tm->tm_mon, tm->tm_mday, tm->tm_hour, tm->tm_min,
               tm->tm_sec, tm->tm_yday);
}

static void compare(const char* format, const struct tm* tm, size_t max) {
    char expected[96], got[96];
    memset(expected, '#', sizeof(expected));
    memset(got, '#', sizeof(got));
    size_t want = strftime(expected, max, format, tm);
    size_t have = wbpf_strftime(got, max, format, tm);
    ++comparisons;
    if (want != have)
        fail(format, tm, max, "return value");
    else if (want != 0 && memcmp(expected, got, want + 1) != 0)
        fail(format, tm, max, "string");
}

static int in_range(const struct tm* tm) {
    return tm->tm_hour >= 0 && tm->tm_hour <= 23 && tm->tm_min >= 0 && tm->tm_min <= 59 &&
           tm->tm_sec >= 0 && tm->tm_sec <= 60 && tm->tm_mday >= 1 && tm->tm_mday <= 31 &&
           tm->tm_mon >= 0 && tm->tm_mon <= 11 && tm->tm_yday >= 0 && tm->tm_yday <= 365 &&
           tm->tm_year >= -1900 && tm->tm_year <= 9999 - 1900;
}

int main(void) {
    static const int hours[] = {0, 1, 9, 11, 12, 13, 23, 24, 99, 100, -1};
    static const int minutes[] = {0, 7, 59, 60, -5};
    static const int days[] = {1, 9, 10, 31, 0, 100};
    static const int months[] = {0, 8, 11, 12, -1};
    static const int years[] = {126, 0, 99, 100, -1900, -1901, 8099, 8100, 2000000};
    static const int ydays[] = {0, 8, 98, 99, 365, 999, -2};
    static const size_t sizes[] = {0, 1, 2, 3, 5, 8, 9, 10, 20, 96};
    int fast_misses = 0;
    for (size_t h = 0; h < sizeof(hours) / sizeof(*hours); ++h)
        for (size_t m = 0; m < sizeof(minutes) / sizeof(*minutes); ++m)
            for (size_t d = 0; d < sizeof(days) / sizeof(*days); ++d)
                for (size_t mo = 0; mo < sizeof(months) / sizeof(*months); ++mo)
                    for (size_t y = 0; y < sizeof(years) / sizeof(*years); ++y) {
                        struct tm tm = {0};
                        tm.tm_hour = hours[h];
                        tm.tm_min = minutes[m];
                        tm.tm_sec = minutes[(m + 1) % 5];
                        tm.tm_mday = days[d];
                        tm.tm_mon = months[mo];
                        tm.tm_year = years[y];
                        tm.tm_yday = ydays[(h + d) % 7];
                        tm.tm_wday = (int)(h % 7);
                        for (size_t f = 0; f < sizeof(formats) / sizeof(*formats); ++f)
                            for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); ++s)
                                compare(formats[f], &tm, sizes[s]);
                        if (!in_range(&tm)) continue;
                        for (size_t f = 0; f < sizeof(fast_formats) / sizeof(*fast_formats); ++f) {
                            char text[96];
                            if (wbpf_strftime_fast_(text, sizeof(text), fast_formats[f], &tm) ==
                                (size_t)-1) {
                                if (++fast_misses <= 5)
                                    fail(fast_formats[f], &tm, sizeof(text), "not fast");
                            }
                        }
                    }
    failures += fast_misses;
    printf("%d comparisons, %d failures\n", comparisons, failures);
    return failures ? 1 : 0;
}
