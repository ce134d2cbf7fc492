/* strftime for the conversions tools print per event (%H:%M:%S and the other numeric fields),
 * without going through snprintf.
 *
 * wasi-libc's strftime (musl's) formats every field with snprintf: "%H:%M:%S" is three runs of
 * printf's engine, about 11,000 wasm instructions, where glibc's strftime takes about 700
 * machine instructions. Tools print a timestamp per event (bootstrap, wbpf_print_time, -T), so
 * that was half of bootstrap's user-space work per event (docs/PERFORMANCE.md).
 *
 * wbpf_strftime() writes the numeric conversions itself: %H %M %S %d %e %m %y %Y %j %I, the
 * composites %T %R %D, and %% %n %t. It hands the whole call to the libc's strftime, which then
 * decides everything, when the format has anything else (names, %c, %z, flags, widths, E/O
 * modifiers...), when a field is outside the range where its digits are fixed (a year outside
 * 0-9999, a negative hour...), or when the result does not fit. So its output is always the
 * libc's (tests/wasi/strftime.c compares the two).
 *
 * This file defines strftime as wbpf_strftime for the C code that includes it, after <time.h>.
 * <wbpf/libbpf.h> includes it, so guests built on the SDK get it; define
 * WBPF_NO_FAST_STRFTIME before including to keep the libc's. C++ sources keep the libc's (a
 * macro would break std::strftime), as do native builds.
 */
#ifndef WBPF_FAST_STRFTIME_H
#define WBPF_FAST_STRFTIME_H

#if defined(__wasi__) && !defined(__cplusplus)

#include <stddef.h>
#include <time.h>

static inline size_t wbpf_strftime_fast_(char* __restrict s, size_t max,
                                         const char* __restrict format,
                                         const struct tm* __restrict tm);

/* Writes conversion `c` of `tm` at s + *length and advances *length: 1 if done, 0 if the libc
 * must do the whole call (another conversion, a field out of range, no room). */
static inline int wbpf_strftime_field_(char c, const struct tm* tm, char* s, size_t max,
                                       size_t* length) {
    const char* composite = NULL;
    long long value = 0;
    unsigned digits = 2;
    int space_padded = 0;
    switch (c) {
    case '%':
    case 'n':
    case 't':
        if (max - *length <= 1) return 0;
        s[(*length)++] = c == '%' ? '%' : c == 'n' ? '\n' : '\t';
        return 1;
    case 'T': composite = "%H:%M:%S"; break;
    case 'R': composite = "%H:%M"; break;
    case 'D': composite = "%m/%d/%y"; break;
    case 'H': value = tm->tm_hour; break;
    case 'M': value = tm->tm_min; break;
    case 'S': value = tm->tm_sec; break;
    case 'd': value = tm->tm_mday; break;
    case 'e':
        value = tm->tm_mday;
        space_padded = 1;
        break;
    case 'm': value = tm->tm_mon + 1LL; break;
    case 'I':
        value = tm->tm_hour;
        if (value < 0 || value > 23) return 0;
        value = value == 0 ? 12 : value > 12 ? value - 12 : value;
        break;
    case 'j':
        value = tm->tm_yday + 1LL;
        digits = 3;
        break;
    case 'y':
    case 'Y':
        value = tm->tm_year + 1900LL;
        if (value < 0 || value > 9999) return 0;
        if (c == 'y')
            value %= 100;
        else
            digits = 4;
        break;
    default: return 0;
    }
    if (composite) {
        size_t written = wbpf_strftime_fast_(s + *length, max - *length, composite, tm);
        if (written == (size_t)-1) return 0;
        *length += written;
        return 1;
    }
    static const unsigned limits[] = {0, 10, 100, 1000, 10000};
    if (value < 0 || value >= limits[digits]) return 0; /* the libc's width and sign rules */
    if (max - *length <= digits) return 0;
    char* out = s + *length;
    unsigned rest = (unsigned)value; /* 32-bit: a multiplication per digit, no division */
    for (unsigned i = digits; i-- > 0;) {
        out[i] = (char)('0' + rest % 10);
        rest /= 10;
    }
    if (space_padded && out[0] == '0') out[0] = ' ';
    *length += digits;
    return 1;
}

/* The fast path alone: the length written, or (size_t)-1 when the libc must do the call (then
 * `s` holds a partial result). */
static inline size_t wbpf_strftime_fast_(char* __restrict s, size_t max,
                                         const char* __restrict format,
                                         const struct tm* __restrict tm) {
    size_t length = 0;
    for (; *format; ++format) {
        if (*format != '%') {
            if (max - length <= 1) return (size_t)-1;
            s[length++] = *format;
        } else if (!wbpf_strftime_field_(*++format, tm, s, max, &length)) {
            return (size_t)-1;
        }
    }
    if (length >= max) return (size_t)-1; /* max == 0 */
    s[length] = '\0';
    return length;
}

/* strftime(3): the fast path above, else the libc's strftime. */
static inline size_t wbpf_strftime(char* __restrict s, size_t max, const char* __restrict format,
                                   const struct tm* __restrict tm) {
    size_t length = wbpf_strftime_fast_(s, max, format, tm);
    return length != (size_t)-1 ? length : strftime(s, max, format, tm);
}

#ifndef WBPF_NO_FAST_STRFTIME
#define strftime wbpf_strftime
#endif

#endif /* __wasi__ && !__cplusplus */

#endif /* WBPF_FAST_STRFTIME_H */
