/* sipreply core: the Via header value (via-parm).
 * RFC 3261 §20.42, §25.1 (sent-protocol, sent-by, via-params), RFC 3581 (rport), RFC 5118. */
#include <string.h>

#include "sipreply/msg.h"
#include "sipreply/print.h"

#include "core_int.h"

#define VIA_ERR(phrase) sr__perr(err, SR_EBADMSG, i, SR_HDR_VIA, (phrase))

/* Scan a token into @p out; returns false when empty. */
static bool token_at(const char *p, size_t n, size_t *i, sr_str *out)
{
    size_t s = *i;
    *i = sr__span(p, s, n, SR__C_TOKEN);
    out->p = p + s;
    out->len = *i - s;
    return out->len != 0;
}

/* SLASH = SWS "/" SWS */
static bool slash_at(const char *p, size_t n, size_t *i)
{
    size_t j = sr__skip_lws(p, *i, n);
    if (j >= n || p[j] != '/')
        return false;
    *i = sr__skip_lws(p, j + 1, n);
    return true;
}

int sr_via_parse(sr_via *v, sr_str s, sr_parse_error *err)
{
    const char *p = s.p;
    size_t n = s.len, i = sr__skip_lws(p, 0, n);
    v->port = 0;
    v->has_port = false;
    v->branch = v->received = v->maddr = SR_STR_NULL;
    v->rport = SR_RPORT_NONE;
    v->rport_value = 0;
    v->ttl = -1;
    v->raw.p = p + i;

    /* sent-protocol = protocol-name SLASH protocol-version SLASH transport; the usual
     * "SIP/2.0/" without LWS is taken in one comparison */
    if (n - i > 8 && memcmp(p + i, "SIP/2.0/", 8) == 0 &&
        sr__is((unsigned char)p[i + 8], SR__C_TOKEN)) {
        v->protocol.p = p + i;
        v->protocol.len = 3;
        v->version.p = p + i + 4;
        v->version.len = 3;
        i += 8;
        if (!token_at(p, n, &i, &v->transport))
            return VIA_ERR("Bad Via sent-protocol");
    } else if (!token_at(p, n, &i, &v->protocol) || !slash_at(p, n, &i) ||
               !token_at(p, n, &i, &v->version) || !slash_at(p, n, &i) ||
               !token_at(p, n, &i, &v->transport))
        return VIA_ERR("Bad Via sent-protocol");
    size_t j = sr__skip_lws(p, i, n);
    if (j == i)
        return VIA_ERR("Bad Via sent-by");
    i = j;

    /* sent-by = host [ COLON port ]; host = hostname / IPv4address / IPv6reference */
    size_t hs = i;
    if (i < n && p[i] == '[') {
        i++;
        i = sr__span(p, i, n, SR__C_HOST6);
        /* IPv6reference = "[" IPv6address "]": at least one ':' inside (RFC 3261 §25.1) */
        if (i >= n || p[i] != ']' || i - hs < 3 || !memchr(p + hs, ':', i - hs))
            return VIA_ERR("Bad Via sent-by");
        i++;
    } else {
        i = sr__span_an(p, i, n, SR__C_HOST);
    }
    if (i == hs)
        return VIA_ERR("Bad Via sent-by");
    v->host.p = p + hs;
    v->host.len = i - hs;
    j = sr__skip_lws(p, i, n);
    if (j < n && p[j] == ':') {
        i = sr__skip_lws(p, j + 1, n);
        unsigned port = 0, d;
        size_t ds = i, lim = n - i > 6 ? i + 6 : n; /* at most 6 digits read (a 7th: error) */
        while (i < lim && (d = (unsigned)(unsigned char)p[i] - '0') < 10) {
            port = port * 10 + d;
            i++;
        }
        if (i == ds || port > 65535 || (i < n && sr__is((unsigned char)p[i], SR__C_DIGIT)))
            return VIA_ERR("Bad Via port");
        v->port = (uint16_t)port;
        v->has_port = true;
        j = sr__skip_lws(p, i, n);
    }
    i = j;

    /* *( SEMI via-params ) */
    size_t ps = i;
    while (i < n && p[i] == ';') {
        sr_str name, val;
        if (sr__param_one(p, n, &i, &name, &val))
            return VIA_ERR("Bad Via parameter");
        /* dispatch on length first: most parameters are branch, received or rport */
        unsigned char c0 = sr__lower[(unsigned char)name.p[0]];
        if (name.len == 6 && c0 == 'b' && SR__TOK_EQ(name, "branch")) {
            if (!val.p)
                return VIA_ERR("Bad Via branch");
            v->branch = val;
        } else if (name.len == 8 && c0 == 'r' && SR__TOK_EQ(name, "received")) {
            if (!val.p)
                return VIA_ERR("Bad Via received");
            v->received = val;
        } else if (name.len == 5 && c0 == 'm' && SR__TOK_EQ(name, "maddr")) {
            if (!val.p)
                return VIA_ERR("Bad Via maddr");
            v->maddr = val;
        } else if (name.len == 5 && c0 == 'r' && SR__TOK_EQ(name, "rport")) {
            if (!val.p) {
                v->rport = SR_RPORT_EMPTY;
            } else {
                uint32_t rp;
                if (sr_uint32_parse(val, &rp) || rp > 65535)
                    return VIA_ERR("Bad Via rport");
                v->rport = SR_RPORT_VALUE;
                v->rport_value = (uint16_t)rp;
            }
        } else if (name.len == 3 && c0 == 't' && SR__TOK_EQ(name, "ttl")) {
            uint32_t t;
            if (!val.p || sr_uint32_parse(val, &t) || t > 255)
                return VIA_ERR("Bad Via ttl");
            v->ttl = (int)t;
        }
        i = sr__skip_lws(p, i, n);
    }
    if (i != n)
        return VIA_ERR("Bad Via header field");
    /* params: from the first ';' to the end, trailing LWS removed */
    size_t pe = n;
    while (pe > ps &&
           (p[pe - 1] == ' ' || p[pe - 1] == '\t' || p[pe - 1] == '\r' || p[pe - 1] == '\n'))
        pe--;
    v->params.p = p + ps;
    v->params.len = pe - ps;
    v->raw.len = (size_t)(p + pe - v->raw.p);
    return 0;
}

int sr__via_add(sr_msg *m, const char *transport, const char *host, uint16_t port,
                const char *branch, const sr_allocator *alloc)
{
    sr_buf b;
    sr_buf_init(&b, alloc);
    int err = sr_buf_append_cstr(&b, "SIP/2.0/");
    if (!err)
        err = sr_buf_append_cstr(&b, transport);
    if (!err)
        err = sr_buf_append_cstr(&b, " ");
    if (!err)
        err = sr_buf_append_cstr(&b, host);
    if (!err && port != 0) {
        err = sr_buf_append_cstr(&b, ":");
        if (!err)
            err = sr_buf_append_u64(&b, port);
    }
    if (!err)
        err = sr_buf_append_cstr(&b, ";branch=");
    if (!err)
        err = sr_buf_append_cstr(&b, branch);
    if (!err)
        err = sr_buf_append_cstr(&b, ";rport");
    if (!err)
        err = sr_msg_add_header(m, SR_HDR_VIA, SR_STR("Via"), (sr_str){b.p, b.len});
    sr_buf_cleanup(&b);
    return err;
}
