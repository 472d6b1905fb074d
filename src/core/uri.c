/* sipreply core: SIP/SIPS/tel URI parsing, unescaping and comparison, without allocation.
 * RFC 3261 §19.1 and §25.1 (grammar); RFC 3966 (tel); RFC 5118 §4 (IPv6). Comparison: uri_eq.c. */
#include <stdint.h>
#include <string.h>

#include "sipreply/uri.h"

#include "core_int.h"
#include "uri_int.h"

/* ------------------------------------------------------------------ character classes */

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}

/*
 * Character classes of RFC 3261 §25.1 and RFC 3966 §3 as one constant table, so scanning a
 * URI costs one load per byte. Each class includes unreserved = alphanum / mark.
 */
enum {
    C_UNRES = 1 << 0, /* alphanum / mark */
    C_USER = 1 << 1,  /* user: unreserved / user-unreserved (& = + $ , ; ? /) */
    C_PASS = 1 << 2,  /* password: unreserved / & = + $ , */
    C_PARAM = 1 << 3, /* paramchar (SIP and tel): unreserved / param-unreserved ([ ] / : & + $) */
    C_HNV = 1 << 4,   /* hname/hvalue: unreserved / hnv-unreserved ([ ] / ? : + $) */
    C_URIC = 1 << 5,  /* uric (tel isub): unreserved / reserved (; / ? : @ & = + $ ,) */
    C_HOST = 1 << 6,  /* hostname/IPv4 characters: alphanum / - / . */
    C_RESERVED = 1 << 7, /* reserved: ; / ? : @ & = + $ , */
};

#define CH_ALNUM(c) \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9'))
#define CH_MARK(c)                                                                       \
    ((c) == '-' || (c) == '_' || (c) == '.' || (c) == '!' || (c) == '~' || (c) == '*' || \
     (c) == '\'' || (c) == '(' || (c) == ')')
#define CH_PASS_X(c) ((c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || (c) == ',')
#define CH_USER_X(c) (CH_PASS_X(c) || (c) == ';' || (c) == '?' || (c) == '/')
#define CH_PARAM_X(c) \
    ((c) == '[' || (c) == ']' || (c) == '/' || (c) == ':' || (c) == '&' || (c) == '+' || (c) == '$')
#define CH_HNV_X(c) \
    ((c) == '[' || (c) == ']' || (c) == '/' || (c) == '?' || (c) == ':' || (c) == '+' || (c) == '$')
#define CH_RESERVED(c) \
    (CH_PASS_X(c) || (c) == ';' || (c) == '/' || (c) == '?' || (c) == ':' || (c) == '@')
#define CH_CLASS(c)                                                                              \
    ((CH_ALNUM(c) || CH_MARK(c) ? C_UNRES | C_USER | C_PASS | C_PARAM | C_HNV | C_URIC : 0) |    \
     (CH_USER_X(c) ? C_USER : 0) | (CH_PASS_X(c) ? C_PASS : 0) | (CH_PARAM_X(c) ? C_PARAM : 0) | \
     (CH_HNV_X(c) ? C_HNV : 0) | (CH_RESERVED(c) ? C_URIC | C_RESERVED : 0) |                    \
     (CH_ALNUM(c) || (c) == '-' || (c) == '.' ? C_HOST : 0))
#define CH4(c)  CH_CLASS(c), CH_CLASS((c) + 1), CH_CLASS((c) + 2), CH_CLASS((c) + 3)
#define CH16(c) CH4(c), CH4((c) + 4), CH4((c) + 8), CH4((c) + 12)
#define CH64(c) CH16(c), CH16((c) + 16), CH16((c) + 32), CH16((c) + 48)

static const uint8_t uri_class[256] = {CH64(0), CH64(64)}; /* bytes >= 0x80: no class */

static bool has_class(int c, unsigned cls)
{
    return (uri_class[(unsigned char)c] & cls) != 0;
}

/* RFC 3261 §25.1 reserved: a reserved character and its escape are not equivalent (§19.1.4) */
bool sr__uri_is_reserved(int c)
{
    return has_class(c, C_RESERVED);
}

static bool is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ------------------------------------------------------------------ errors */

static int fail(sr_parse_error *err, const char *p, size_t len, size_t off, const char *phrase)
{
    if (err) {
        /* Whitespace inside a URI is the commonest error (RFC 4475 lwsruri): name it. */
        if (off < len && is_ws((unsigned char)p[off]))
            phrase = "Bad URI: whitespace";
        err->code = SR_EBADMSG;
        err->offset = off;
        err->hdr = 0;
        err->phrase = phrase;
    }
    return SR_EBADMSG;
}

/*
 * Scan [i, end) while chars satisfy ok() or are %HH escapes. Returns the index of the first
 * character that does not; *bad_esc is set to the offset of a malformed escape, if any.
 */
static size_t scan_esc(const char *p, size_t i, size_t end, unsigned cls, size_t *bad_esc)
{
    *bad_esc = SIZE_MAX;
    while (i < end) {
        int c = (unsigned char)p[i];
        if (c == '%') {
            if (end - i < 3 || sr__uri_hexval((unsigned char)p[i + 1]) < 0 ||
                sr__uri_hexval((unsigned char)p[i + 2]) < 0) {
                *bad_esc = i;
                return i;
            }
            i += 3;
        } else if (has_class(c, cls)) {
            i++;
        } else {
            break;
        }
    }
    return i;
}

/* ------------------------------------------------------------------ hosts */

/* IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each <= 255 */
bool sr__uri_parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        unsigned v = 0;
        size_t digits = 0;
        while (i < n && is_digit((unsigned char)s[i]) && digits < 3) {
            v = v * 10u + (unsigned)(s[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || v > 255)
            return false;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

/*
 * RFC 5118 §4.10: RFC 3261's ABNF (hexpart [ ":" IPv4address ], hexpart ending in "::")
 * wrongly allows a third colon between "::" and an IPv4 tail ("2001:db8:::192.0.2.1");
 * implementations must tolerate it and read it as "2001:db8::192.0.2.1". At s[i], just
 * after a "::": true when one more ':' stands before an IPv4-looking tail.
 */
static bool abnf_bug_colon(const char *s, size_t n, size_t i)
{
    if (i >= n || s[i] != ':' || i + 1 >= n)
        return false;
    bool dot = false;
    for (size_t k = i + 1; k < n; k++) {
        if (s[k] == '.')
            dot = true;
        else if ((unsigned)((unsigned char)s[k] - '0') >= 10u)
            return false;
    }
    return dot;
}

/* RFC 3261 §25.1 / RFC 5118 §4.5: IPv6address with an optional trailing IPv4address */
bool sr__uri_parse_ipv6(const char *s, size_t n, uint8_t out[16])
{
    uint16_t words[8];
    int count = 0;
    int gap = -1; /* index in words where "::" sits */
    size_t i = 0;

    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
        if (i == n)
            goto done;
        if (abnf_bug_colon(s, n, i))
            i++;
    } else if (n >= 1 && s[0] == ':') {
        return false;
    }
    for (;;) {
        /* one group: 1*4HEXDIG, or an IPv4 tail */
        size_t start = i;
        unsigned v = 0;
        while (i < n && i - start < 5 && sr__uri_hexval((unsigned char)s[i]) >= 0) {
            v = (v << 4) | (unsigned)sr__uri_hexval((unsigned char)s[i]);
            i++;
        }
        if (i < n && s[i] == '.') {
            uint8_t v4[4];
            if (count > 6 || !sr__uri_parse_ipv4(s + start, n - start, v4))
                return false;
            words[count++] = (uint16_t)((v4[0] << 8) | v4[1]);
            words[count++] = (uint16_t)((v4[2] << 8) | v4[3]);
            break;
        }
        if (i == start || i - start > 4 || count >= 8)
            return false;
        words[count++] = (uint16_t)v;
        if (i == n)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < n && s[i] == ':') {
            if (gap >= 0)
                return false;
            gap = count;
            i++;
            if (i == n)
                break;
            if (abnf_bug_colon(s, n, i))
                i++;
        } else if (i == n) {
            return false; /* trailing single ':' */
        }
    }
done:
    if (gap < 0 && count != 8)
        return false;
    if (gap >= 0 && count > 7)
        return false;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : count - gap;
    int head = count - tail;
    for (int k = 0; k < head; k++) {
        out[2 * k] = (uint8_t)(words[k] >> 8);
        out[2 * k + 1] = (uint8_t)(words[k] & 0xff);
    }
    for (int k = 0; k < tail; k++) {
        int dst = 8 - tail + k;
        out[2 * dst] = (uint8_t)(words[head + k] >> 8);
        out[2 * dst + 1] = (uint8_t)(words[head + k] & 0xff);
    }
    return true;
}

/*
 * hostname = *( domainlabel "." ) toplabel [ "." ]; domainlabel = alphanum /
 * alphanum *( alphanum / "-" ) alphanum; toplabel starts with ALPHA (RFC 3261 §25.1).
 * Returns the offset of the first bad byte relative to s, or n when valid.
 */
static size_t check_hostname(const char *s, size_t n)
{
    size_t label = 0; /* start of the current label */
    size_t last_label = 0;
    for (size_t i = 0; i <= n; i++) {
        /* letters and digits change nothing below: skip a run of them in a tight loop */
        while (i < n && ((unsigned)(((unsigned char)s[i] | 0x20) - 'a') < 26u ||
                         (unsigned)((unsigned char)s[i] - '0') < 10u))
            i++;
        if (i == n || s[i] == '.') {
            if (i == label) {
                /* empty label: only allowed as the trailing "." after a toplabel */
                if (i == n && i > 0)
                    break;
                return i;
            }
            if (s[label] == '-' || s[i - 1] == '-')
                return s[label] == '-' ? label : i - 1;
            last_label = label;
            label = i + 1;
            continue;
        }
        if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
            return i;
    }
    if (!is_alpha((unsigned char)s[last_label]))
        return last_label;
    return n;
}

/* RFC 5118 §4.2: an IPv6 address written without its brackets ("sip:user@2001:db8::10") */
static bool bare_ipv6_at(const char *p, size_t hs, size_t len)
{
    size_t e = hs, colons = 0;
    uint8_t a6[16];
    /* every IPv6address has at least two colons ("::" at the least), "host:port" one: two
     * memchr calls settle the common case before the byte loop */
    const char *c1 = hs < len ? memchr(p + hs, ':', len - hs) : NULL;
    if (!c1 || !memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)))
        return false;
    while (e < len && (sr__uri_hexval((unsigned char)p[e]) >= 0 || p[e] == ':' || p[e] == '.')) {
        colons += p[e] == ':';
        e++;
    }
    /* every IPv6address has at least two colons ("::" at the least): "host:port" is not one,
     * so the common case skips the IPv6 parser */
    return colons >= 2 && sr__uri_parse_ipv6(p + hs, e - hs, a6);
}

/* ------------------------------------------------------------------ parameters */

/*
 * Validate ";"-separated uri-parameters in [i, end): pname = 1*paramchar, pvalue = 1*paramchar.
 * Returns true, or false with the offset of the problem in *where and *phrase saying what.
 */
static bool check_sip_params(const char *p, size_t i, size_t end, const char **phrase,
                             size_t *where)
{
    size_t bad;
    for (;;) {
        size_t j = scan_esc(p, i, end, C_PARAM, &bad);
        if (bad != SIZE_MAX) {
            *phrase = "Bad URI escape";
            *where = bad;
            return false;
        }
        if (j == i) {
            *phrase = "Bad URI parameter";
            *where = i;
            return false;
        }
        if (j < end && p[j] == '=') {
            size_t v = j + 1;
            j = scan_esc(p, v, end, C_PARAM, &bad);
            if (bad != SIZE_MAX) {
                *phrase = "Bad URI escape";
                *where = bad;
                return false;
            }
            if (j == v) {
                *phrase = "Bad URI parameter";
                *where = v;
                return false;
            }
        }
        if (j == end)
            return true;
        if (p[j] != ';') {
            *phrase = "Bad URI parameter";
            *where = j;
            return false;
        }
        i = j + 1;
    }
}

/* headers = "?" header *( "&" header ); header = hname "=" hvalue; hname = 1*(...) */
static bool check_headers(const char *p, size_t i, size_t end, const char **phrase, size_t *where)
{
    size_t bad;
    for (;;) {
        size_t j = scan_esc(p, i, end, C_HNV, &bad);
        if (bad != SIZE_MAX) {
            *phrase = "Bad URI escape";
            *where = bad;
            return false;
        }
        if (j == i || j == end || p[j] != '=') {
            *phrase = "Bad URI header";
            *where = j;
            return false;
        }
        j = scan_esc(p, j + 1, end, C_HNV, &bad);
        if (bad != SIZE_MAX) {
            *phrase = "Bad URI escape";
            *where = bad;
            return false;
        }
        if (j == end)
            return true;
        if (p[j] != '&') {
            *phrase = "Bad URI header";
            *where = j;
            return false;
        }
        i = j + 1;
    }
}

/* ------------------------------------------------------------------ SIP / SIPS */

static int parse_sip(sr_uri *u, const char *p, size_t len, size_t i, sr_parse_error *err)
{
    const char *phrase = NULL;
    size_t bad;

    /* '@' is legal only in userinfo (never in host, params or headers), so the first one
     * ends it; user may contain ';' and '?' (RFC 4475 semiuri, intmeth). */
    const char *at = memchr(p + i, '@', len - i);
    if (at) {
        size_t ue = (size_t)(at - p);
        size_t j = scan_esc(p, i, ue, C_USER, &bad);
        if (bad != SIZE_MAX)
            return fail(err, p, len, bad, "Bad URI escape");
        if (j == i)
            return fail(err, p, len, j, "Bad URI user");
        u->has_user = true;
        u->user = (sr_str){p + i, j - i};
        if (j < ue) {
            if (p[j] != ':')
                return fail(err, p, len, j, "Bad URI user");
            size_t k = scan_esc(p, j + 1, ue, C_PASS, &bad);
            if (bad != SIZE_MAX)
                return fail(err, p, len, bad, "Bad URI escape");
            if (k != ue)
                return fail(err, p, len, k, "Bad URI password");
            u->has_password = true;
            u->password = (sr_str){p + j + 1, ue - j - 1};
        }
        i = ue + 1;
    }

    /* host */
    size_t hs = i;
    if (i < len && p[i] == '[') {
        const char *rb = memchr(p + i, ']', len - i);
        uint8_t a6[16];
        if (!rb)
            return fail(err, p, len, i, "Bad IPv6 reference");
        size_t he = (size_t)(rb - p);
        if (!sr__uri_parse_ipv6(p + i + 1, he - i - 1, a6))
            return fail(err, p, len, i, "Bad IPv6 reference");
        i = he + 1;
        u->host_kind = SR_URI_HOST_IPV6;
    } else {
        while (i < len && has_class(p[i], C_HOST))
            i++;
        if (i == hs)
            return fail(err, p, len, i, "Bad URI host");
        uint8_t a4[4];
        if (sr__uri_parse_ipv4(p + hs, i - hs, a4)) {
            u->host_kind = SR_URI_HOST_IPV4;
        } else {
            size_t off = check_hostname(p + hs, i - hs);
            if (off != i - hs && bare_ipv6_at(p, hs, len))
                return fail(err, p, len, hs, "Bad IPv6 reference");
            if (off != i - hs)
                return fail(err, p, len, hs + off, "Bad URI host");
            u->host_kind = SR_URI_HOST_NAME;
        }
    }
    u->host = (sr_str){p + hs, i - hs};

    /* port = 1*DIGIT, range-checked to 16 bits */
    if (i < len && p[i] == ':') {
        if (bare_ipv6_at(p, hs, len))
            return fail(err, p, len, hs, "Bad IPv6 reference");
        size_t ps = ++i;
        uint32_t v = 0;
        while (i < len && is_digit((unsigned char)p[i])) {
            v = v * 10u + (uint32_t)(p[i] - '0');
            if (v > 65535)
                return fail(err, p, len, ps, "Bad URI port");
            i++;
        }
        if (i == ps)
            return fail(err, p, len, i, "Bad URI port");
        if (i < len && p[i] != ';' && p[i] != '?')
            return fail(err, p, len, i, "Bad URI port");
        u->has_port = true;
        u->port = (uint16_t)v;
    }

    if (i < len && p[i] == ';') {
        size_t ps = i + 1;
        const char *q = memchr(p + ps, '?', len - ps);
        size_t pe = q ? (size_t)(q - p) : len;
        size_t off;
        if (!check_sip_params(p, ps, pe, &phrase, &off))
            return fail(err, p, len, off, phrase);
        u->has_params = true;
        u->params = (sr_str){p + ps, pe - ps};
        i = pe;
    }

    if (i < len && p[i] == '?') {
        size_t hstart = i + 1;
        size_t off;
        if (!check_headers(p, hstart, len, &phrase, &off))
            return fail(err, p, len, off, phrase);
        u->has_headers = true;
        u->headers = (sr_str){p + hstart, len - hstart};
        i = len;
    }

    if (i != len)
        return fail(err, p, len, i, "Bad URI host");
    return 0;
}

/* ------------------------------------------------------------------ tel (RFC 3966) */

static bool is_phonedigit_hex(int c)
{
    return sr__uri_hexval(c) >= 0 || c == '*' || c == '#' || sr__uri_is_visual_sep(c);
}

/* global-number-digits = "+" *phonedigit DIGIT *phonedigit */
static bool check_global_digits(const char *s, size_t n)
{
    bool digit = false;
    if (n < 2 || s[0] != '+')
        return false;
    for (size_t i = 1; i < n; i++) {
        int c = (unsigned char)s[i];
        if (is_digit(c))
            digit = true;
        else if (!sr__uri_is_visual_sep(c))
            return false;
    }
    return digit;
}

/* domainname = *( domainlabel "." ) toplabel [ "." ] (same shape as RFC 3261 hostname) */
static bool check_domainname(const char *s, size_t n)
{
    return n > 0 && check_hostname(s, n) == n;
}

static int parse_tel(sr_uri *u, const char *p, size_t len, size_t i, sr_parse_error *err)
{
    size_t ns = i;
    bool global = i < len && p[i] == '+';
    bool has_digit = false;
    if (global)
        i++;
    while (i < len && p[i] != ';') {
        int c = (unsigned char)p[i];
        if (global ? !(is_digit(c) || sr__uri_is_visual_sep(c)) : !is_phonedigit_hex(c))
            return fail(err, p, len, i, "Bad tel URI number");
        if (global ? is_digit(c) : !sr__uri_is_visual_sep(c))
            has_digit = true;
        i++;
    }
    if (!has_digit)
        return fail(err, p, len, ns, "Bad tel URI number");
    u->user = (sr_str){p + ns, i - ns};
    u->tel_global = global;

    bool context = false;
    if (i < len) {
        size_t ps = i + 1;
        u->has_params = true;
        u->params = (sr_str){p + ps, len - ps};
        while (i < len) {
            /* p[i] == ';' here */
            size_t nm = ++i;
            while (i < len && (is_alnum((unsigned char)p[i]) || p[i] == '-'))
                i++;
            if (i == nm)
                return fail(err, p, len, i, "Bad tel URI parameter");
            sr_str name = {p + nm, i - nm};
            size_t vs = i, ve = i;
            if (i < len && p[i] == '=') {
                vs = ++i;
                bool is_isub = sr_str_caseeq_cstr(name, "isub");
                size_t bad;
                i = scan_esc(p, i, len, is_isub ? C_URIC : C_PARAM, &bad);
                if (bad != SIZE_MAX)
                    return fail(err, p, len, bad, "Bad URI escape");
                if (is_isub) {
                    /* uric includes ';': isub must be last to be unambiguous, so stop at ';' */
                    const char *semi = memchr(p + vs, ';', i - vs);
                    if (semi)
                        i = (size_t)(semi - p);
                }
                ve = i;
                if (ve == vs)
                    return fail(err, p, len, vs, "Bad tel URI parameter");
            }
            if (i < len && p[i] != ';')
                return fail(err, p, len, i, "Bad tel URI parameter");
            if (sr_str_caseeq_cstr(name, "phone-context")) {
                /* descriptor = domainname / global-number-digits (RFC 3966 §3) */
                if (ve == vs ||
                    !(check_global_digits(p + vs, ve - vs) || check_domainname(p + vs, ve - vs)))
                    return fail(err, p, len, vs, "Bad tel URI phone-context");
                context = true;
            } else if (sr_str_caseeq_cstr(name, "ext")) {
                for (size_t k = vs; k < ve; k++) {
                    if (!is_digit((unsigned char)p[k]) &&
                        !sr__uri_is_visual_sep((unsigned char)p[k]))
                        return fail(err, p, len, k, "Bad tel URI parameter");
                }
                if (ve == vs)
                    return fail(err, p, len, vs, "Bad tel URI parameter");
            }
        }
    }
    /* RFC 3966 §5.1.5: local numbers MUST carry phone-context */
    if (!global && !context)
        return fail(err, p, len, len, "Bad tel URI: missing phone-context");
    return 0;
}

/* ------------------------------------------------------------------ entry point */

int sr_uri_parse(sr_uri *out, const char *p, size_t len, sr_parse_error *err)
{
    if (!out || (!p && len)) {
        if (err) {
            err->code = SR_EINVAL;
            err->offset = 0;
            err->hdr = 0;
            err->phrase = "Bad URI";
        }
        return SR_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (len > 0 && (p[0] == '<' || p[len - 1] == '>'))
        return fail(err, p, len, p[0] == '<' ? 0 : len - 1, "Bad URI: angle brackets");

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3261 §25.1 absoluteURI) */
    size_t i = 0;
    if (len == 0 || !is_alpha((unsigned char)p[0]))
        return fail(err, p, len, 0, "Bad URI scheme");
    while (i < len && (is_alnum((unsigned char)p[i]) || p[i] == '+' || p[i] == '-' || p[i] == '.'))
        i++;
    if (i == len || p[i] != ':')
        return fail(err, p, len, i, "Bad URI scheme");
    out->scheme = (sr_str){p, i};
    i++;
    if (sr_str_caseeq_cstr(out->scheme, "sip")) {
        out->kind = SR_URI_SIP;
        return parse_sip(out, p, len, i, err);
    }
    if (sr_str_caseeq_cstr(out->scheme, "sips")) {
        out->kind = SR_URI_SIPS;
        return parse_sip(out, p, len, i, err);
    }
    if (sr_str_caseeq_cstr(out->scheme, "tel")) {
        out->kind = SR_URI_TEL;
        return parse_tel(out, p, len, i, err);
    }

    /* Any other absolute URI: accept its opaque part loosely so the UAS can answer 416
     * Unsupported URI Scheme (RFC 3261 §8.2.2.1, RFC 4475 §3.3.2 unkscm, §3.3.3 novelsc). */
    out->kind = SR_URI_OTHER;
    size_t os = i;
    if (i == len)
        return fail(err, p, len, i, "Bad URI");
    for (; i < len; i++) {
        int c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
            return fail(err, p, len, i, "Bad URI character");
        if (c == '%' && (len - i < 3 || sr__uri_hexval((unsigned char)p[i + 1]) < 0 ||
                         sr__uri_hexval((unsigned char)p[i + 2]) < 0))
            return fail(err, p, len, i, "Bad URI escape");
    }
    out->opaque = (sr_str){p + os, len - os};
    return 0;
}

/* ------------------------------------------------------------------ iteration, unescaping */

static bool split_next(sr_str *cursor, char sep, sr_str *name, sr_str *value)
{
    if (!cursor || !cursor->p || cursor->len == 0)
        return false;
    const char *s = cursor->p;
    const char *e = memchr(s, sep, cursor->len);
    size_t n = e ? (size_t)(e - s) : cursor->len;
    const char *eq = memchr(s, '=', n);
    if (eq) {
        *name = (sr_str){s, (size_t)(eq - s)};
        *value = (sr_str){eq + 1, n - (size_t)(eq - s) - 1};
    } else {
        *name = (sr_str){s, n};
        *value = SR_STR_NULL;
    }
    if (e) {
        cursor->p = e + 1;
        cursor->len -= n + 1;
    } else {
        cursor->p = s + n;
        cursor->len = 0;
    }
    return true;
}

bool sr_uri_param_next(sr_str *cursor, sr_str *name, sr_str *value)
{
    return split_next(cursor, ';', name, value);
}

bool sr_uri_header_next(sr_str *cursor, sr_str *name, sr_str *value)
{
    return split_next(cursor, '&', name, value);
}

int sr_uri_unescape(char *dst, size_t cap, sr_str in, size_t *out_len)
{
    if (!out_len || (in.len && (!dst || !in.p)))
        return SR_EINVAL;
    size_t o = 0;
    for (size_t i = 0; i < in.len;) {
        int c = (unsigned char)in.p[i];
        if (c == '%') {
            if (in.len - i < 3)
                return SR_EBADMSG;
            int hi = sr__uri_hexval((unsigned char)in.p[i + 1]);
            int lo = sr__uri_hexval((unsigned char)in.p[i + 2]);
            if (hi < 0 || lo < 0)
                return SR_EBADMSG;
            c = hi * 16 + lo;
            i += 3;
        } else {
            i++;
        }
        if (o == cap)
            return SR_ENOSPC;
        dst[o++] = (char)c;
    }
    *out_len = o;
    return 0;
}
