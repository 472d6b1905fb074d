/* sipreply core: the allocation-free head parser (start line and header fields).
 * RFC 3261 §7.1-§7.3 (message format, folding), §25.1 (Request-Line, Status-Line, HCOLON). */
#include <string.h>

#include "sipreply/parse.h"

#include "core_int.h"
#include "hdr_int.h"
#include "msg_int.h"
#include "scan.h"

#define PERR(off, phrase) sr__perr(err, SR_EBADMSG, (off), SR_HDR_NONE, (phrase))

/* "SIP/" 1*DIGIT "." 1*DIGIT (RFC 3261 §7.1). Numbers saturate at 999 so nothing overflows.
 * Returns the index after it, or 0. */
static size_t scan_version(const char *p, size_t i, size_t end, unsigned *maj, unsigned *min)
{
    if (end - i < 7 || memcmp(p + i, "SIP/", 4) != 0)
        return 0;
    if (memcmp(p + i + 4, "2.0", 3) == 0 &&
        (end - i == 7 || !sr__is((unsigned char)p[i + 7], SR__C_DIGIT))) {
        *maj = 2; /* the usual case in one comparison */
        *min = 0;
        return i + 7;
    }
    i += 4;
    unsigned *dst[2] = {maj, min};
    for (int k = 0; k < 2; k++) {
        size_t s = i;
        unsigned v = 0;
        while (i < end && sr__is((unsigned char)p[i], SR__C_DIGIT)) {
            v = v * 10 + (unsigned)(p[i] - '0');
            if (v > 999)
                v = 999;
            i++;
        }
        if (i == s)
            return 0;
        *dst[k] = v;
        if (k == 0) {
            if (i >= end || p[i] != '.')
                return 0;
            i++;
        }
    }
    return i;
}

/*
 * The Request-URI check of the head parser: what the Request-Line grammar and RFC 3261
 * §19.1.1 require without a URI parser: an absolute URI "scheme:..." with no <> around it
 * (RFC 4475 §3.1.2.7) and, for sip/sips, no escaped headers ("?", §19.1.1 table: headers are
 * not allowed in a Request-URI; RFC 4475 §3.1.2.11). The full URI grammar is sr_uri_parse()'s
 * (uri.h), which callers apply to the URI when they need its parts.
 * Returns 0 or SR_EBADMSG with @p err filled (offset @p off = start of the URI).
 */
static int check_request_uri(const char *p, size_t len, size_t off, sr_parse_error *err)
{
    if (len && (p[0] == '<' || p[len - 1] == '>'))
        return PERR(off, "Request-URI in angle brackets");
    size_t i = 0;
    if (len == 0 || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))
        return PERR(off, "Bad Request-URI");
    /* "sip:" in any case, the usual scheme, at once (OR-ing 0x20 maps only the upper-case
     * letter onto each lower-case one): the loop below would stop at the same ':' */
    bool sip3 = len > 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' &&
                p[3] == ':';
    if (sip3)
        i = 3;
    while (!sip3 && i < len && (sr__is((unsigned char)p[i], SR__C_TOKEN) && p[i] != '%'))
        i++;
    if (i >= len || p[i] != ':' || i + 1 == len)
        return PERR(off + i, "Bad Request-URI scheme");
    bool sip = sip3 ||
               (i == 3 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p') ||
               (i == 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' &&
                (p[3] | 0x20) == 's');
    /* userinfo may hold '?' (user-unreserved) but never a raw '@': headers can only
     * follow the first '@' (or the scheme when there is no userinfo) */
    const char *at = memchr(p + i, '@', len - i);
    size_t hs = at ? (size_t)(at - p) : i;
    size_t bad = sr__scan_uri(p, i + 1, len);
    if (bad < len)
        return PERR(off + bad, "Bad Request-URI");
    const char *q = sip && hs + 1 < len ? memchr(p + hs + 1, '?', len - hs - 1) : NULL;
    if (q)
        return PERR(off + (size_t)(q - p), "Headers not allowed in Request-URI");
    return 0;
}

int sr__check_request_uri(const char *p, size_t len)
{
    return check_request_uri(p, len, 0, NULL);
}

/* Parse the start line in [i, end) (end excludes the CRLF). */
static int parse_start_line(const char *p, size_t i, size_t end, sr_start_line *sl,
                            sr_parse_error *err)
{
    memset(sl, 0, sizeof *sl);
    size_t s = i;
    if (end - i >= 4 && memcmp(p + i, "SIP/", 4) == 0) {
        /* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (RFC 3261 §7.2) */
        sl->is_request = false;
        size_t v = scan_version(p, i, end, &sl->version_major, &sl->version_minor);
        if (!v)
            return PERR(i, "Bad SIP version");
        sl->version.p = p + s;
        sl->version.len = v - s;
        i = v;
        if (i >= end || p[i] != ' ')
            return PERR(i, "Bad Status-Line");
        i++;
        size_t ds = i;
        unsigned code = 0;
        while (i < end && sr__is((unsigned char)p[i], SR__C_DIGIT) && i - ds < 4)
            code = code * 10 + (unsigned)(p[i++] - '0');
        /* Status-Code = 3DIGIT; RFC 4475 §3.1.2.19 bigcode: never overflow, reject */
        if (i - ds != 3 || code < 100 || code > 699)
            return PERR(ds, "Bad status code");
        sl->status = code;
        if (i < end) {
            if (p[i] != ' ')
                return PERR(i, "Bad status code");
            i++;
        }
        /* Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP
         * / HTAB): anything but CTLs; receivers never act on it (RFC 3261 §7.2, §21). */
        size_t bad = sr__span(p, i, end, SR__C_NOCTL);
        if (bad < end)
            return PERR(bad, "Bad reason phrase");
        sl->reason.p = p + i;
        sl->reason.len = end - i;
        return 0;
    }

    /* Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 §7.1, §25.1) */
    sl->is_request = true;
    while (i < end && sr__is((unsigned char)p[i], SR__C_TOKEN))
        i++;
    if (i == s || i >= end || p[i] != ' ')
        return PERR(i, i == s ? "Bad request method" : "Bad Request-Line");
    sl->method.p = p + s;
    sl->method.len = i - s;
    sl->method_id = sr_method_from_str(sl->method);
    i++;
    if (i < end && (p[i] == ' ' || p[i] == '\t'))
        return PERR(i, "Extra whitespace in Request-Line"); /* RFC 4475 §3.1.2.9 lwsstart */
    size_t us = i;
    i = sr__scan_spctl(p, i, end); /* SR__C_NOSPCTL, 16 bytes at a time */
    if (i == us || i >= end || p[i] != ' ')
        return PERR(i, "Bad Request-Line");
    sl->uri.p = p + us;
    sl->uri.len = i - us;
    i++;
    size_t vs = i;
    size_t v = scan_version(p, i, end, &sl->version_major, &sl->version_minor);
    if (!v) {
        /* Tell apart whitespace inside the URI (RFC 4475 §3.1.2.8 lwsruri) from a bad version */
        for (size_t j = i; j < end; j++) {
            if (p[j] == ' ')
                return PERR(us, "Whitespace in Request-URI");
        }
        if (i < end && p[i] == ' ')
            return PERR(i, "Extra whitespace in Request-Line");
        return PERR(i, "Bad SIP version");
    }
    sl->version.p = p + vs;
    sl->version.len = v - vs;
    if (v != end) {
        if (p[v] == ' ' || p[v] == '\t') /* RFC 4475 §3.1.2.10 trws */
            return PERR(v, "Trailing whitespace in Request-Line");
        return PERR(v, "Bad SIP version");
    }
    return check_request_uri(sl->uri.p, sl->uri.len, us, err);
}

/* The head parser itself, on the start line and its CRLF alone: it stops, wanting more, where
 * the header fields would start (parse_start_line keeps its one caller, inlined). */
int sr__parse_start_line(const char *buf, size_t end, sr_start_line *sl, sr_parse_error *err)
{
    if (!buf || buf[end] != '\r' || buf[end + 1] != '\n')
        return SR_EINVAL;
    size_t n = 0;
    bool plain;
    ptrdiff_t r = sr__parse_head_plain(buf, end + 2, 0, sl, NULL, &n, err, &plain);
    return r == SR_EAGAIN ? 0 : r < 0 ? (int)r : SR_EINVAL;
}

/* Index of the first byte of the empty line that ends a head in [from, len), or 0 when none
 * (a head cannot end at 0). Used for the cheap prev_len re-check. */
static bool has_head_end(const char *buf, size_t from, size_t len)
{
    while (from < len) {
        const char *nl = memchr(buf + from, '\n', len - from);
        if (!nl)
            return false;
        size_t k = (size_t)(nl - buf) + 1;
        if (k < len && (buf[k] == '\n' || (buf[k] == '\r' && k + 1 < len && buf[k + 1] == '\n')))
            return true;
        from = k;
    }
    return false;
}

/* The head parser of both entry points (sr_parse_head() below); *plain is written on success
 * only (msg_int.h). */
ptrdiff_t sr__parse_head_plain(const char *buf, size_t len, size_t prev_len, sr_start_line *sl,
                               sr_header *hdrs, size_t *num_hdrs, sr_parse_error *err,
                               bool *plain_out)
{
    if (!sl || !num_hdrs || (!buf && len) || (!hdrs && *num_hdrs))
        return sr__perr(err, SR_EINVAL, 0, SR_HDR_NONE, "Invalid argument");
    size_t cap = *num_hdrs, nh = 0;
    *num_hdrs = 0;
    if (prev_len && prev_len < len && !has_head_end(buf, prev_len > 3 ? prev_len - 3 : 0, len))
        return SR_EAGAIN;
    if (prev_len && prev_len >= len)
        return SR_EAGAIN;

    const char *p = buf;
    size_t i = 0;
    /* RFC 3261 §7.5: ignore CRLFs before the start line (stream keep-alives). */
    while (i < len && (p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= len)
        return SR_EAGAIN;
    /* plain: no CR/LF before the start line, every line ends in CRLF, none is folded */
    bool plain = i == 0;

    /* Start line: find its end, then parse it. */
    const char *nl = memchr(p + i, '\n', len - i);
    if (!nl) {
        /* Reject early what can never become a start line, so garbage does not wait. */
        for (size_t j = i; j < len; j++) {
            if (p[j] != '\r' && p[j] != '\t' && sr__is((unsigned char)p[j], SR__C_CTL))
                return PERR(j, "Bad start line");
        }
        return SR_EAGAIN;
    }
    size_t eol = (size_t)(nl - p);
    size_t end = (eol > i && p[eol - 1] == '\r') ? eol - 1 : eol;
    plain = plain && end != eol;
    int rc = parse_start_line(p, i, end, sl, err);
    if (rc)
        return rc;
    i = eol + 1;

    /* Header fields until the empty line. */
    for (;;) {
        if (i >= len)
            return SR_EAGAIN;
        unsigned char c = (unsigned char)p[i];
        if (c == '\r') {
            if (i + 1 >= len)
                return SR_EAGAIN;
            if (p[i + 1] != '\n')
                return PERR(i, "Bad line ending");
            i += 2;
            break;
        }
        if (c == '\n') {
            i += 1;
            plain = false;
            break;
        }
        size_t ns = i;
        /* field-name = token; RFC 3261 §7.3.1 allows whitespace before the colon (HCOLON).
         * Letters and '-' (every known name) go 16 at a time, other token bytes one by one. */
        i = sr__scan_name(p, i, len);
        if (i < len && p[i] != ':' && sr__is((unsigned char)p[i], SR__C_TOKEN))
            i = sr__span(p, i, len, SR__C_TOKEN);
        if (i >= len)
            return SR_EAGAIN;
        if (i == ns)
            return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE,
                            c == ' ' || c == '\t' ? "Bad folded line" : "Bad header field name");
        size_t ne = i;
        if (p[i] != ':') {
            while (i < len && (p[i] == ' ' || p[i] == '\t'))
                i++;
            if (i >= len)
                return SR_EAGAIN;
            if (p[i] != ':')
                return PERR(i, "Missing colon in header field");
        }
        i++;
        /* the usual single SP after the colon; any other LWS is trimmed below */
        if (i < len && p[i] == ' ')
            i++;
        size_t vs = i, line_end;
        /* Value: up to a line end not followed by SP/HTAB (folding, §7.3.1). */
        for (;;) {
            /* Any byte but CR/LF: quoted-pair admits %x00-09 / %x0B-0C / %x0E-7F inside
             * quoted strings (RFC 3261 §25.1; RFC 4475 §3.1.1.2 intmeth), so the structured
             * parsers, not this loop, decide what a value may hold. The scanner finds the
             * first CR or LF (scan.h); a CR must be followed by LF. */
            size_t k = sr__scan_eol(p, i, len);
            /* the usual line end, CRLF and a next line that is not a fold, in one test */
            if (k + 2 < len && p[k] == '\r' && p[k + 1] == '\n' && p[k + 2] != ' ' &&
                p[k + 2] != '\t') {
                line_end = k;
                i = k + 2;
                break;
            }
            if (k >= len)
                return SR_EAGAIN;
            size_t nlpos = k;
            if (p[k] == '\r') {
                if (k + 1 >= len)
                    return SR_EAGAIN;
                if (p[k + 1] != '\n')
                    return PERR(k, "Bad line ending");
                nlpos = k + 1;
            } else {
                plain = false; /* a bare LF */
            }
            if (nlpos + 1 >= len)
                return SR_EAGAIN;
            if (p[nlpos + 1] == ' ' || p[nlpos + 1] == '\t') {
                i = nlpos + 2;
                plain = false;
                continue;
            }
            line_end = k;
            i = nlpos + 1;
            break;
        }
        if (nh >= cap)
            return sr__perr(err, SR_ENOSPC, ns, SR_HDR_NONE, "Too many header fields");
        /* trim LWS (including folds) on both sides of the value */
        size_t ve = line_end;
        if (vs < ve && (unsigned char)p[vs] <= ' ')
            vs = sr__skip_lws(p, vs, ve);
        while (ve > vs && (unsigned char)p[ve - 1] <= ' ' &&
               (p[ve - 1] == ' ' || p[ve - 1] == '\t' || p[ve - 1] == '\r' || p[ve - 1] == '\n'))
            ve--;
        sr_header *h = &hdrs[nh++];
        h->id = sr__hdr_lookup_inline(p + ns, ne - ns, true);
        h->name.p = p + ns;
        h->name.len = ne - ns;
        h->value.p = p + vs;
        h->value.len = ve - vs;
        h->raw.p = p + ns;
        h->raw.len = i - ns;
    }
    *num_hdrs = nh;
    *plain_out = plain;
    return (ptrdiff_t)i;
}

ptrdiff_t sr_parse_head(const char *buf, size_t len, size_t prev_len, sr_start_line *sl,
                        sr_header *hdrs, size_t *num_hdrs, sr_parse_error *err)
{
    bool plain;
    return sr__parse_head_plain(buf, len, prev_len, sl, hdrs, num_hdrs, err, &plain);
}
