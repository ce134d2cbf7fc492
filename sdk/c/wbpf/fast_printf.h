/* printf for the lines tools print per event, without musl's general printf engine.
 *
 * wasi-libc's printf (musl's printf_core) handles every conversion through one large function:
 * argument tables, a state machine per conversion, a call per piece of output. Bootstrap's
 * per-event line takes about 10,800 wasm-compiled instructions in it, where glibc's printf takes
 * about 3,700 machine instructions (docs/PERFORMANCE.md), so it was most of a tool's user-space
 * work per event.
 *
 * wbpf_vsnprintf_fast() formats what tools print: literal text, %%, and the conversions
 * d i u o x X c s with the flags - 0 + and space, a width and a precision (digits or *), and the
 * length modifiers hh h l ll j z t. Anything else (floats, %p, %n, the # and ' flags, positional
 * arguments, wide characters, a field wider than 4096) or output that does not fit makes it give
 * up, and the caller hands the whole call to the libc, which then decides everything. So the
 * output is always the libc's (tests/wasi/guests/fast_printf.c compares the two).
 *
 * wbpf_printf() and the others format into a buffer on the stack and write it with one fwrite(),
 * which buffers and flushes exactly as printf does (line-buffered stdout writes at the newline).
 *
 * This file defines printf, fprintf, vprintf, vfprintf, snprintf and vsnprintf as function-like
 * macros for the C code that includes it, after <stdio.h>: format(printf, ...) attributes and
 * pointers to the functions keep the libc's names. <wbpf/libbpf.h> includes it, so guests built
 * on the SDK get it; define WBPF_NO_FAST_PRINTF before including to keep the libc's. C++ sources
 * and native builds keep the libc's.
 */
#ifndef WBPF_FAST_PRINTF_H
#define WBPF_FAST_PRINTF_H

#if defined(__wasi__) && !defined(__cplusplus)

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(size_t) == sizeof(long) && sizeof(ptrdiff_t) == sizeof(long),
               "z and t are read as long");
_Static_assert(sizeof(long long) == 8, "j is read as long long");

enum {
    WBPF_PRINTF_LEFT = 1,  /* '-' */
    WBPF_PRINTF_ZERO = 2,  /* '0' */
    WBPF_PRINTF_PLUS = 4,  /* '+' */
    WBPF_PRINTF_SPACE = 8, /* ' ' */
    /* Widths and precisions above this go to the libc: no line is that wide, and the bound keeps
     * every size computation below far from overflow. */
    WBPF_PRINTF_MAX_FIELD = 4096,
    /* The stack buffer of wbpf_vfprintf(): longer output goes to the libc. */
    WBPF_PRINTF_BUFFER = 512,
};

/* Writes the digits of `value` in base 8, 10 or 16 backwards, ending just before `end`; returns
 * the first digit (== end for 0). Base 10 divides by a constant, 32 bits at a time when the value
 * fits, so the compiler multiplies instead of dividing. */
static inline char* wbpf_printf_digits_(unsigned long long value, unsigned base, int upper,
                                        char* end) {
    const char* symbols = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    if (base == 10) {
        for (; value > 0xffffffffu; value /= 10)
            *--end = (char)('0' + value % 10);
        for (unsigned small = (unsigned)value; small; small /= 10)
            *--end = (char)('0' + small % 10);
    } else {
        unsigned shift = base == 16 ? 4 : 3;
        for (; value; value >>= shift)
            *--end = symbols[value & (base - 1)];
    }
    return end;
}

/* Reads the decimal digits at *format and moves past them: their value (0 for none), or -1
 * once it exceeds WBPF_PRINTF_MAX_FIELD. Always inlined: as a call (-Oz) it would keep the
 * caller's `format` in linear memory, 5% more instructions per bootstrap event. */
__attribute__((always_inline)) static inline int wbpf_printf_decimal_(const char** format) {
    int value = 0;
    for (; (unsigned)(**format - '0') < 10; ++*format) {
        value = value * 10 + (**format - '0');
        if (value > WBPF_PRINTF_MAX_FIELD) return -1;
    }
    return value;
}

/* Formats like vsnprintf(buffer, size, format, args) when the fast path covers the whole format
 * and the result fits with its NUL: returns the length. Otherwise returns -1, `args` is spent
 * and `buffer` holds a partial result; the caller must then use the libc with a copy of the
 * arguments. */
static int wbpf_vsnprintf_fast(char* buffer, size_t size, const char* format, va_list args) {
    if (size == 0 || size > INT_MAX) return -1;
    char* out = buffer;
    const char* const limit = buffer + size - 1; /* the NUL's place */
    for (;;) {
        const char* text = format;
        while (*format && *format != '%')
            ++format;
        size_t text_length = (size_t)(format - text);
        if (text_length > (size_t)(limit - out)) return -1;
        __builtin_memcpy(out, text, text_length);
        out += text_length;
        if (!*format) break;
        if (format[1] == '%') {
            if (out == limit) return -1;
            *out++ = '%';
            format += 2;
            continue;
        }
        ++format;

        unsigned flags = 0;
        for (;; ++format) {
            if (*format == '-')
                flags |= WBPF_PRINTF_LEFT;
            else if (*format == '0')
                flags |= WBPF_PRINTF_ZERO;
            else if (*format == '+')
                flags |= WBPF_PRINTF_PLUS;
            else if (*format == ' ')
                flags |= WBPF_PRINTF_SPACE;
            else
                break;
        }
        int width;
        if (*format == '*') {
            ++format;
            width = va_arg(args, int);
            if (width < 0) { /* left-justified; -width would overflow for INT_MIN */
                flags |= WBPF_PRINTF_LEFT;
                width = width < -WBPF_PRINTF_MAX_FIELD ? -1 : -width;
            }
        } else {
            width = wbpf_printf_decimal_(&format);
        }
        if (width < 0 || width > WBPF_PRINTF_MAX_FIELD) return -1;
        int precision = -1; /* none */
        if (*format == '.') {
            ++format;
            if (*format == '*') {
                ++format;
                precision = va_arg(args, int);
                if (precision < 0) precision = -1; /* a negative one counts as none */
            } else if ((precision = wbpf_printf_decimal_(&format)) < 0) {
                return -1;
            }
            if (precision > WBPF_PRINTF_MAX_FIELD) return -1;
        }
        enum { INT, CHAR, SHORT, LONG, LONG_LONG } length = INT;
        switch (*format) {
        case 'h':
            length = format[1] == 'h' ? CHAR : SHORT;
            format += length == CHAR ? 2 : 1;
            break;
        case 'l':
            length = format[1] == 'l' ? LONG_LONG : LONG;
            format += length == LONG_LONG ? 2 : 1;
            break;
        case 'j':
            length = LONG_LONG;
            ++format;
            break;
        case 'z':
        case 't':
            length = LONG;
            ++format;
            break;
        default: break;
        }

        /* The field: [spaces] [sign] [zeros] body [spaces]. */
        char digits[24];
        char* const digits_end = digits + sizeof(digits);
        const char* body;
        size_t body_length;
        char sign = 0;
        size_t zeros = 0;
        char conversion = *format++;
        switch (conversion) {
        case 'c':
        case 's':
            if (length != INT) return -1; /* wide characters */
            if (conversion == 'c') {
                digits[0] = (char)va_arg(args, int);
                body = digits;
                body_length = 1;
            } else {
                body = va_arg(args, const char*);
                if (!body) body = "(null)";
                body_length = precision < 0 ? strlen(body) : strnlen(body, (size_t)precision);
            }
            flags &= ~WBPF_PRINTF_ZERO;
            break;
        case 'd':
        case 'i':
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            unsigned long long value;
            if (conversion == 'd' || conversion == 'i') {
                long long signed_value;
                switch (length) {
                case CHAR: signed_value = (signed char)va_arg(args, int); break;
                case SHORT: signed_value = (short)va_arg(args, int); break;
                case LONG: signed_value = va_arg(args, long); break;
                case LONG_LONG: signed_value = va_arg(args, long long); break;
                default: signed_value = va_arg(args, int); break;
                }
                if (signed_value < 0) {
                    sign = '-';
                    value = 0ULL - (unsigned long long)signed_value;
                } else {
                    value = (unsigned long long)signed_value;
                    sign = flags & WBPF_PRINTF_PLUS ? '+' : flags & WBPF_PRINTF_SPACE ? ' ' : 0;
                }
            } else {
                switch (length) {
                case CHAR: value = (unsigned char)va_arg(args, unsigned); break;
                case SHORT: value = (unsigned short)va_arg(args, unsigned); break;
                case LONG: value = va_arg(args, unsigned long); break;
                case LONG_LONG: value = va_arg(args, unsigned long long); break;
                default: value = va_arg(args, unsigned); break;
                }
            }
            unsigned base = conversion == 'o'                        ? 8
                            : conversion == 'x' || conversion == 'X' ? 16
                                                                     : 10;
            body = wbpf_printf_digits_(value, base, conversion == 'X', digits_end);
            body_length = (size_t)(digits_end - body);
            /* The precision is the minimum number of digits: 1 by default, so 0 prints as "0",
             * and %.0d of 0 prints nothing. A precision turns the 0 flag off. */
            size_t minimum = precision < 0 ? 1 : (size_t)precision;
            if (minimum > body_length) zeros = minimum - body_length;
            if (precision >= 0) flags &= ~WBPF_PRINTF_ZERO;
            break;
        }
        default: return -1; /* floats, %p, %n, '#', positional arguments, invalid */
        }
        size_t field = (sign != 0) + zeros + body_length;
        size_t padding = (size_t)width > field ? (size_t)width - field : 0;
        if (field + padding > (size_t)(limit - out)) return -1;
        if (padding && !(flags & WBPF_PRINTF_LEFT)) {
            if (flags & WBPF_PRINTF_ZERO) {
                zeros += padding; /* after the sign */
            } else {
                __builtin_memset(out, ' ', padding);
                out += padding;
            }
            padding = 0;
        }
        if (sign) *out++ = sign;
        __builtin_memset(out, '0', zeros);
        out += zeros;
        __builtin_memcpy(out, body, body_length);
        out += body_length;
        __builtin_memset(out, ' ', padding);
        out += padding;
    }
    *out = '\0';
    return (int)(out - buffer);
}

/* vfprintf(3): the fast path into a stack buffer and one fwrite(), else the libc's. */
__attribute__((format(printf, 2, 0))) static inline int
wbpf_vfprintf(FILE* __restrict stream, const char* __restrict format, va_list args) {
    char buffer[WBPF_PRINTF_BUFFER];
    va_list fast_args;
    va_copy(fast_args, args);
    int length = wbpf_vsnprintf_fast(buffer, sizeof(buffer), format, fast_args);
    va_end(fast_args);
    if (length < 0) return vfprintf(stream, format, args);
    return fwrite(buffer, 1, (size_t)length, stream) == (size_t)length ? length : -1;
}

/* vsnprintf(3): the fast path straight into `buffer`, else the libc's. */
__attribute__((format(printf, 3, 0))) static inline int
wbpf_vsnprintf(char* __restrict buffer, size_t size, const char* __restrict format, va_list args) {
    va_list fast_args;
    va_copy(fast_args, args);
    int length = wbpf_vsnprintf_fast(buffer, size, format, fast_args);
    va_end(fast_args);
    return length >= 0 ? length : vsnprintf(buffer, size, format, args);
}

__attribute__((format(printf, 1, 0))) static inline int wbpf_vprintf(const char* __restrict format,
                                                                     va_list args) {
    return wbpf_vfprintf(stdout, format, args);
}

__attribute__((format(printf, 1, 2))) static inline int wbpf_printf(const char* __restrict format,
                                                                    ...) {
    va_list args;
    va_start(args, format);
    int length = wbpf_vfprintf(stdout, format, args);
    va_end(args);
    return length;
}

__attribute__((format(printf, 2, 3))) static inline int
wbpf_fprintf(FILE* __restrict stream, const char* __restrict format, ...) {
    va_list args;
    va_start(args, format);
    int length = wbpf_vfprintf(stream, format, args);
    va_end(args);
    return length;
}

__attribute__((format(printf, 3, 4))) static inline int
wbpf_snprintf(char* __restrict buffer, size_t size, const char* __restrict format, ...) {
    va_list args;
    va_start(args, format);
    int length = wbpf_vsnprintf(buffer, size, format, args);
    va_end(args);
    return length;
}

#ifndef WBPF_NO_FAST_PRINTF
#define printf(...) wbpf_printf(__VA_ARGS__)
#define fprintf(...) wbpf_fprintf(__VA_ARGS__)
#define vprintf(...) wbpf_vprintf(__VA_ARGS__)
#define vfprintf(...) wbpf_vfprintf(__VA_ARGS__)
#define snprintf(...) wbpf_snprintf(__VA_ARGS__)
#define vsnprintf(...) wbpf_vsnprintf(__VA_ARGS__)
#endif

#endif /* __wasi__ && !__cplusplus */

#endif /* WBPF_FAST_PRINTF_H */
