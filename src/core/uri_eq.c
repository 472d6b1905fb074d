/* sipreply core: URI comparison (sr_uri_eq) and escape-aware parameter lookup.
 * RFC 3261 §19.1.4 (SIP/SIPS URI comparison), RFC 3966 §4 (tel URI comparison). */
#include <stdint.h>
#include <string.h>

#include "sipreply/uri.h"

#include "core_int.h"
#include "uri_int.h"

/*
 * The next character of an escaped slice in canonical form for §19.1.4: an escape of an
 * unreserved character is that character; an escape of a reserved one stays marked as
 * escaped (a reserved character and its escape differ). Returns the character or -1 at end;
 * the escaped flag is returned in bit 8.
 */
static int canon_next(sr_str s, size_t *i, bool icase)
{
    if (*i >= s.len)
        return -1;
    int c = (unsigned char)s.p[*i];
    int flag = 0;
    if (c == '%' && s.len - *i >= 3 && sr__uri_hexval((unsigned char)s.p[*i + 1]) >= 0 &&
        sr__uri_hexval((unsigned char)s.p[*i + 2]) >= 0) {
        c = sr__uri_hexval((unsigned char)s.p[*i + 1]) * 16 +
            sr__uri_hexval((unsigned char)s.p[*i + 2]);
        *i += 3;
        if (sr__uri_is_reserved(c) || c == '%')
            flag = 0x100;
    } else {
        *i += 1;
    }
    if (icase)
        c = sr__tolower(c);
    return c | flag;
}

static bool esc_eq(sr_str a, sr_str b, bool icase)
{
    size_t i = 0, j = 0;
    for (;;) {
        int x = canon_next(a, &i, icase);
        int y = canon_next(b, &j, icase);
        if (x != y)
            return false;
        if (x < 0)
            return true;
    }
}

bool sr_uri_param_find(const sr_uri *uri, const char *name, sr_str *value)
{
    if (!uri || !name)
        return false;
    sr_str cur = uri->params, n, v;
    sr_str want = sr_str_from_cstr(name);
    while (sr_uri_param_next(&cur, &n, &v)) {
        /* names compare case-insensitively and escape-equivalently: %6C%72 is lr */
        if (esc_eq(n, want, true)) {
            if (value)
                *value = v;
            return true;
        }
    }
    return false;
}

/*
 * Find the @p nth (0-based) parameter named @p name (escape-equivalent, case-insensitive) in
 * a ';' list. Returns true with its value; *any tells whether the name occurs at all.
 */
static bool find_param_nth(sr_str list, sr_str name, size_t nth, sr_str *value, bool *any)
{
    sr_str n, v;
    *any = false;
    while (sr_uri_param_next(&list, &n, &v)) {
        if (!esc_eq(n, name, true))
            continue;
        *any = true;
        if (nth-- == 0) {
            *value = v;
            return true;
        }
    }
    return false;
}

/* How many parameters before @p upto (a pointer into @p list) are named @p name. */
static size_t occurrences_before(sr_str list, sr_str name, const char *upto)
{
    sr_str n, v;
    size_t k = 0;
    while (sr_uri_param_next(&list, &n, &v) && n.p < upto)
        k += esc_eq(n, name, true);
    return k;
}

static bool value_eq(sr_str a, sr_str b, bool icase)
{
    if ((a.p == NULL) != (b.p == NULL))
        return false; /* "lr" never equals "lr=x" */
    return esc_eq(a, b, icase);
}

/* §19.1.4 uri-parameter rules, checked from a's side (called both ways). */
static bool params_match_one_way(sr_str pa, sr_str pb)
{
    static const char *const must_both[] = {"user", "ttl", "method", "maddr", "transport"};
    sr_str n, v, w, all = pa;
    bool any;
    while (sr_uri_param_next(&pa, &n, &v)) {
        /* RFC 3261 leaves repeated names undefined: the k-th occurrence in one URI is
         * compared with the k-th in the other, so equality stays reflexive and symmetric. */
        size_t k = occurrences_before(all, n, n.p);
        if (find_param_nth(pb, n, k, &w, &any)) {
            if (!value_eq(v, w, true))
                return false;
            continue;
        }
        if (any)
            return false; /* present in both, but not as often */
        for (size_t m = 0; m < sizeof must_both / sizeof must_both[0]; m++) {
            if (esc_eq(n, sr_str_from_cstr(must_both[m]), true))
                return false;
        }
    }
    return true;
}

/* More parameters than any real URI carries: compared in order (see params_eq). */
#define MAX_UNORDERED_PARAMS 64

static size_t count_params(sr_str list)
{
    sr_str n, v;
    size_t k = 0;
    while (k <= MAX_UNORDERED_PARAMS && sr_uri_param_next(&list, &n, &v))
        k++;
    return k;
}

/*
 * §19.1.4 parameter comparison. It is quadratic in the number of parameters, so past
 * MAX_UNORDERED_PARAMS (a hostile URI, never a real one) the lists must match in order
 * (names and values case-insensitively), which may call two reordered huge lists unequal
 * but keeps the cost linear.
 */
static bool params_eq(sr_str pa, sr_str pb)
{
    if (count_params(pa) > MAX_UNORDERED_PARAMS || count_params(pb) > MAX_UNORDERED_PARAMS)
        return esc_eq(pa, pb, true);
    return params_match_one_way(pa, pb) && params_match_one_way(pb, pa);
}

/* Headers: every header of a is in b with an equal value, and the counts are equal. */
static bool headers_match(sr_str ha, sr_str hb)
{
    size_t na = 0, nb = 0;
    sr_str n, v, m, w, cur = hb;
    while (sr_uri_header_next(&cur, &m, &w))
        nb++;
    cur = ha;
    while (sr_uri_header_next(&cur, &m, &w))
        na++;
    if (na != nb)
        return false;
    if (na > MAX_UNORDERED_PARAMS)
        return esc_eq(ha, hb, false); /* hostile count: in order, byte-exact modulo escapes */
    na = 0;
    while (sr_uri_header_next(&ha, &n, &v)) {
        na++;
        bool ok = false;
        cur = hb;
        while (!ok && sr_uri_header_next(&cur, &m, &w))
            ok = esc_eq(n, m, true) && esc_eq(v, w, false);
        if (!ok)
            return false;
    }
    return na == nb;
}

static bool host_eq(const sr_uri *a, const sr_uri *b)
{
    if (a->host_kind != b->host_kind)
        return false; /* an address never equals a name, even one resolving to it */
    if (a->host_kind == SR_URI_HOST_IPV6) {
        uint8_t x[16], y[16];
        if (a->host.len < 2 || b->host.len < 2 ||
            !sr__uri_parse_ipv6(a->host.p + 1, a->host.len - 2, x) ||
            !sr__uri_parse_ipv6(b->host.p + 1, b->host.len - 2, y))
            return false;
        return memcmp(x, y, sizeof x) == 0;
    }
    if (a->host_kind == SR_URI_HOST_IPV4) {
        uint8_t x[4], y[4];
        if (!sr__uri_parse_ipv4(a->host.p, a->host.len, x) ||
            !sr__uri_parse_ipv4(b->host.p, b->host.len, y))
            return false;
        return memcmp(x, y, sizeof x) == 0;
    }
    return sr_str_caseeq(a->host, b->host);
}

/* RFC 3966 §4: numbers compare without visual separators, hex digits case-insensitively */
static bool tel_number_eq(sr_str a, sr_str b)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a.len && sr__uri_is_visual_sep((unsigned char)a.p[i]))
            i++;
        while (j < b.len && sr__uri_is_visual_sep((unsigned char)b.p[j]))
            j++;
        if (i == a.len || j == b.len)
            return i == a.len && j == b.len;
        if (sr__tolower((unsigned char)a.p[i]) != sr__tolower((unsigned char)b.p[j]))
            return false;
        i++;
        j++;
    }
}

static bool tel_params_one_way(sr_str pa, sr_str pb)
{
    sr_str n, v, w, all = pa;
    bool any;
    while (sr_uri_param_next(&pa, &n, &v)) {
        size_t k = occurrences_before(all, n, n.p);
        if (!find_param_nth(pb, n, k, &w, &any) || !value_eq(v, w, true))
            return false;
    }
    return true;
}

static bool tel_params_eq(sr_str pa, sr_str pb)
{
    if (count_params(pa) > MAX_UNORDERED_PARAMS || count_params(pb) > MAX_UNORDERED_PARAMS)
        return esc_eq(pa, pb, true);
    return tel_params_one_way(pa, pb) && tel_params_one_way(pb, pa);
}

bool sr_uri_eq(const sr_uri *a, const sr_uri *b)
{
    if (!a || !b || a->kind != b->kind || a->kind == SR_URI_NONE)
        return false;
    switch (a->kind) {
    case SR_URI_TEL:
        return a->tel_global == b->tel_global && tel_number_eq(a->user, b->user) &&
               tel_params_eq(a->params, b->params);
    case SR_URI_OTHER:
        return sr_str_caseeq(a->scheme, b->scheme) && sr_str_eq(a->opaque, b->opaque);
    case SR_URI_SIP:
    case SR_URI_SIPS: break;
    case SR_URI_NONE:
    default: return false;
    }
    /* RFC 3261 §19.1.4: userinfo is case-sensitive, the rest is not. */
    if (a->has_user != b->has_user || a->has_password != b->has_password)
        return false;
    if (!esc_eq(a->user, b->user, false) || !esc_eq(a->password, b->password, false))
        return false;
    if (!host_eq(a, b))
        return false;
    if (a->has_port != b->has_port || a->port != b->port)
        return false;
    if (!params_eq(a->params, b->params))
        return false;
    return headers_match(a->headers, b->headers);
}
