/* sipreply core: name-addr / addr-spec values with header parameters, and Contact.
 * RFC 3261 §20.10 (Contact), §20.20 (From), §20.39 (To), §25.1 (name-addr, display-name). */
#include <string.h>

#include "sipreply/msg.h"

#include "core_int.h"
#include "scan.h"

#define NA_ERR(phrase) sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, (phrase))

/* Check a URI as the name-addr grammar alone requires: scheme ":" then no whitespace and no
 * <>" (the full URI grammar belongs to sr_uri_parse, RFC 3261 §19.1). */
static bool uri_scheme_ok(const char *p, size_t n)
{
    if (n == 0 || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))
        return false;
    /* scheme: token characters but "!%*_`'~" (SR__C_SCHEME), up to the ':' */
    size_t i = sr__span(p, 0, n, SR__C_SCHEME);
    return i < n && p[i] == ':' && i + 1 != n;
}

static bool uri_ok(const char *p, size_t n, bool in_angle)
{
    if (!uri_scheme_ok(p, n))
        return false;
    if (sr__scan_uri(p, 0, n) != n)
        return false;
    /* RFC 3261 §20.10: an addr-spec with ',', '?' or ';' must be in <> */
    if (!in_angle && (memchr(p, '?', n) || memchr(p, ',', n)))
        return false;
    return true;
}

int sr_nameaddr_parse(sr_nameaddr *na, sr_str s, sr_parse_error *err)
{
    const char *p = s.p;
    size_t n = s.len, i = sr__skip_lws(p, 0, n);
    na->display = SR_STR_NULL;
    na->display_quoted = false;
    na->angle = false;
    na->tag = SR_STR_NULL;
    na->params = SR_STR_NULL;
    if (i >= n)
        return NA_ERR("Empty address");

    size_t ds = i;
    if (p[i] == '"') {
        size_t e = sr__scan_quoted(p, i, n);
        if (!e) {
            i = n;
            return NA_ERR("Unterminated quoted display name");
        }
        na->display.p = p + ds;
        na->display.len = e - ds;
        na->display_quoted = true;
        i = sr__skip_lws(p, e, n);
        if (i >= n || p[i] != '<')
            return NA_ERR("Missing < after display name");
    } else if (p[i] != '<') {
        /* display-name = *(token LWS), or the start of an addr-spec. Look ahead: tokens and
         * LWS up to a '<' make a display name (RFC 4475 §3.1.1.6 lwsdisp: no LWS needed). */
        size_t j = i, last = i;
        while (j < n) {
            if (sr__is((unsigned char)p[j], SR__C_TOKEN)) {
                j++;
                last = j;
            } else if (p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n') {
                j++;
            } else {
                break;
            }
        }
        if (j < n && p[j] == '<') {
            na->display.p = p + ds;
            na->display.len = last - ds;
            i = j;
        } else {
            /* addr-spec: the URI runs to the first ';' (its parameters are header
             * parameters, RFC 3261 §20.10) or whitespace */
            size_t us = i;
            while (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
                   p[i] != '\n')
                i++;
            if (!uri_ok(p + us, i - us, false))
                return NA_ERR("Bad address");
            na->uri.p = p + us;
            na->uri.len = i - us;
            goto params;
        }
    }
    /* p[i] == '<': LAQUOT addr-spec RAQUOT, no whitespace inside (RFC 3261 §25.1) */
    {
        size_t us = ++i;
        /* the usual case in one scan: URI bytes up to the '>' */
        size_t e = sr__scan_uri(p, i, n);
        bool ok;
        if (e < n && p[e] == '>') {
            i = e;
            ok = uri_scheme_ok(p + us, i - us);
        } else {
            const char *gt = e < n ? memchr(p + e, '>', n - e) : NULL;
            i = gt ? (size_t)(gt - p) : n;
            if (i >= n)
                return NA_ERR("Missing > in address");
            ok = uri_ok(p + us, i - us, true);
        }
        if (!ok)
            return NA_ERR("Bad address in <>");
        na->uri.p = p + us;
        na->uri.len = i - us;
        na->angle = true;
        i++;
    }
params:
    i = sr__skip_lws(p, i, n);
    {
        size_t ps = i;
        while (i < n && p[i] == ';') {
            sr_str name, val;
            if (sr__param_one(p, n, &i, &name, &val))
                return NA_ERR("Bad address parameter");
            if (name.len == 3 && sr__lower[(unsigned char)name.p[0]] == 't' &&
                SR__TOK_EQ(name, "tag")) {
                if (!val.p || val.len == 0)
                    return NA_ERR("Bad tag parameter");
                na->tag = val;
            }
            i = sr__skip_lws(p, i, n);
        }
        if (i != n)
            return NA_ERR("Bad address");
        size_t pe = n;
        while (pe > ps &&
               (p[pe - 1] == ' ' || p[pe - 1] == '\t' || p[pe - 1] == '\r' || p[pe - 1] == '\n'))
            pe--;
        i = pe;
        na->params.p = p + ps;
        na->params.len = i - ps;
    }
    return 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 3261 §25.1) */
static int parse_q(sr_str v)
{
    if (v.len == 0 || v.len > 5 || (v.p[0] != '0' && v.p[0] != '1'))
        return -1;
    int q = (v.p[0] - '0') * 1000;
    if (v.len == 1)
        return q;
    if (v.p[1] != '.')
        return -1;
    int scale = 100;
    for (size_t i = 2; i < v.len; i++, scale /= 10) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        q += (v.p[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

int sr_contact_parse(sr_contact *c, sr_str s, sr_parse_error *err)
{
    const char *p = s.p;
    size_t n = s.len, i = sr__skip_lws(p, 0, n);
    c->star = false;
    c->q = -1;
    c->expires = -1;
    if (i < n && p[i] == '*' && sr__skip_lws(p, i + 1, n) == n) {
        c->star = true;
        c->addr.display = c->addr.uri = c->addr.tag = c->addr.params = SR_STR_NULL;
        c->addr.display_quoted = c->addr.angle = false;
        return 0;
    }
    int rc = sr_nameaddr_parse(&c->addr, s, err);
    if (rc)
        return rc;
    size_t pos = 0;
    sr_str name, val;
    while (sr_param_next(c->addr.params, &pos, &name, &val)) {
        if (sr_str_caseeq_cstr(name, "q")) {
            c->q = val.p ? parse_q(val) : -1;
            if (c->q < 0) {
                i = (size_t)(name.p - p);
                return NA_ERR("Bad Contact q parameter");
            }
        } else if (sr_str_caseeq_cstr(name, "expires")) {
            uint32_t e;
            int r = val.p ? sr_uint32_parse(val, &e) : SR_EBADMSG;
            if (r == SR_ERANGE) {
                e = UINT32_MAX; /* RFC 3261 §20.19 / RFC 4475 §3.1.2.4: cap, do not fail */
            } else if (r) {
                i = (size_t)(name.p - p);
                return NA_ERR("Bad Contact expires parameter");
            }
            c->expires = e;
        }
    }
    return 0;
}
