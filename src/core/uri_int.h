/* sipreply core: helpers shared by uri.c (parsing) and uri_eq.c (comparison).
 * RFC 3261 §25.1 character classes and RFC 5118 address forms; internal, never installed. */
#ifndef SIPREPLY_URI_INT_H
#define SIPREPLY_URI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of a hex digit, or -1. */
static inline int sr__uri_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 3261 §25.1 reserved: ; / ? : @ & = + $ , */
bool sr__uri_is_reserved(int c);

/* RFC 3966 §3 visual-separator: - . ( ) */
static inline bool sr__uri_is_visual_sep(int c)
{
    return c == '-' || c == '.' || c == '(' || c == ')';
}

/* IPv4address (1*3DIGIT, each <= 255) of exactly n bytes into out. */
bool sr__uri_parse_ipv4(const char *s, size_t n, uint8_t out[4]);

/* IPv6address of RFC 3261 §25.1 / RFC 5118 §4.5 (IPv4 tail allowed), without brackets. */
bool sr__uri_parse_ipv6(const char *s, size_t n, uint8_t out[16]);

#endif /* SIPREPLY_URI_INT_H */
