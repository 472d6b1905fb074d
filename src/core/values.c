/* sipreply core: zero-allocation value helpers — list splitting, generic params, quoted strings,
 * numbers, CSeq, RAck, Retry-After, credentials. RFC 3261 §7.3.1, §20, §25.1; RFC 3262 §7. */
#include <string.h>

#include "sipreply/msg.h"

#include "core_int.h"

size_t sr__scan_quoted(const char *p, size_t i, size_t n)
{
    /* quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE (RFC 3261 §25.1) */
    for (i++; i < n; i++) {
        i = sr__span(p, i, n, SR__C_QPLAIN);
        if (i >= n)
            break;
        unsigned char c = (unsigned char)p[i];
        if (c == '"')
            return i + 1;
        if (c == '\\') {
            /* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): never CR or LF */
            if (i + 1 >= n || p[i + 1] == '\r' || p[i + 1] == '\n')
                return 0;
            i++;
        }
    }
    return 0;
}

bool sr_msg_has_option(const sr_msg *msg, enum sr_hdr_id id, const char *tag)
{
    for (const sr_header *h = sr_msg_header_find(msg, id, NULL); h != NULL;
         h = sr_msg_header_find(msg, id, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item))
            if (sr_str_caseeq_cstr(item, tag))
                return true;
    }
    return false;
}

bool sr_value_next(sr_str value, size_t *pos, sr_str *item)
{
    const char *p = value.p;
    size_t n = value.len, i = *pos;
    /* i == n happens after a trailing comma: one more (empty) value, which parsers reject */
    if (n == 0 || i > n)
        return false;
    size_t start = i;
    int angle = 0, paren = 0;
    /* fast path: no comma left means one value (most headers) */
    if (!memchr(p + i, ',', n - i))
        i = n;
    while (i < n) {
        i = sr__span(p, i, n, SR__C_LPLAIN);
        if (i >= n)
            break;
        char c = p[i];
        if (c == '"') {
            size_t e = sr__scan_quoted(p, i, n);
            i = e ? e : n; /* unterminated: the rest is one value (the value parser rejects it) */
            continue;
        }
        if (c == '<')
            angle = 1;
        else if (c == '>')
            angle = 0;
        else if (c == '(' && !angle)
            paren++;
        else if (c == ')' && paren)
            paren--;
        else if (c == ',' && !angle && !paren)
            break;
        i++;
    }
    size_t end = i;
    start = sr__skip_lws(p, start, end);
    while (end > start &&
           (p[end - 1] == ' ' || p[end - 1] == '\t' || p[end - 1] == '\r' || p[end - 1] == '\n'))
        end--;
    item->p = p + start;
    item->len = end - start;
    /* After the last value *pos is n + 1 so the next call stops even for a trailing comma. */
    *pos = i < n ? i + 1 : n + 1;
    return true;
}

bool sr_param_next(sr_str params, size_t *pos, sr_str *name, sr_str *value)
{
    const char *p = params.p;
    size_t n = params.len, i = *pos;
    for (;;) {
        while (i < n &&
               (p[i] == ';' || p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
            i++;
        if (i >= n) {
            *pos = n;
            return false;
        }
        size_t ns = i;
        while (i < n && p[i] != '=' && p[i] != ';' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
               p[i] != '\n')
            i++;
        name->p = p + ns;
        name->len = i - ns;
        value->p = NULL;
        value->len = 0;
        size_t j = sr__skip_lws(p, i, n);
        if (j < n && p[j] == '=') {
            j = sr__skip_lws(p, j + 1, n);
            size_t vs = j;
            if (j < n && p[j] == '"') {
                size_t e = sr__scan_quoted(p, j, n);
                j = e ? e : n;
            } else {
                while (j < n && p[j] != ';' && p[j] != ' ' && p[j] != '\t' && p[j] != '\r' &&
                       p[j] != '\n')
                    j++;
            }
            value->p = p + vs;
            value->len = j - vs;
            i = j;
        }
        *pos = i;
        if (name->len)
            return true;
    }
}

bool sr_param_find(sr_str params, const char *name, sr_str *value)
{
    size_t pos = 0;
    sr_str n, v;
    while (sr_param_next(params, &pos, &n, &v)) {
        if (sr_str_caseeq_cstr(n, name)) {
            if (value)
                *value = v;
            return true;
        }
    }
    return false;
}

ptrdiff_t sr_str_unquote(sr_str quoted, char *out, size_t cap)
{
    const char *p = quoted.p;
    size_t n = quoted.len;
    if (n < 2 || p[0] != '"' || sr__scan_quoted(p, 0, n) != n)
        return SR_EBADMSG;
    size_t o = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        char c = p[i];
        if (c == '\\')
            c = p[++i];
        if (o >= cap)
            return SR_ENOSPC;
        out[o++] = c;
    }
    return (ptrdiff_t)o;
}

int sr_uint32_parse(sr_str s, uint32_t *out)
{
    if (s.len == 0)
        return SR_EBADMSG;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
        if (d > 9)
            return SR_EBADMSG;
        v = v * 10 + d;
        if (v > UINT32_MAX) {
            /* keep checking the syntax so "99999999999x" is EBADMSG, not ERANGE */
            for (i++; i < s.len; i++) {
                if ((unsigned)(unsigned char)s.p[i] - '0' > 9)
                    return SR_EBADMSG;
            }
            return SR_ERANGE;
        }
    }
    *out = (uint32_t)v;
    return 0;
}

/* Expires (RFC 3261 §20.19), the first field's value (msg.h). */
int64_t sr_msg_expires(const sr_msg *msg)
{
    const sr_header *h = sr_msg_header_find(msg, SR_HDR_EXPIRES, NULL);
    uint32_t v;
    if (!h)
        return -1;
    int rc = sr_uint32_parse(h->value, &v);
    if (rc == SR_ERANGE)
        return UINT32_MAX; /* RFC 4475 §3.1.2.4: an oversized Expires may be capped */
    return rc ? -1 : (int64_t)v;
}

/* Read 1*DIGIT at p[*i] into a uint32. Returns 0, SR_EBADMSG, SR_ERANGE. */
static int scan_u32(const char *p, size_t n, size_t *i, uint32_t *out)
{
    size_t s = *i, k = s;
    uint64_t v = 0;
    for (; k < n; k++) {
        unsigned d = (unsigned)(unsigned char)p[k] - '0';
        if (d > 9)
            break;
        if (v <= UINT32_MAX) /* saturates above 2^32 - 1; the digits still count */
            v = v * 10 + d;
    }
    *i = k;
    if (k == s)
        return SR_EBADMSG;
    if (v > UINT32_MAX)
        return SR_ERANGE;
    *out = (uint32_t)v;
    return 0;
}

/* Read a token at p[*i]. Returns its length (0: none). */
static size_t scan_token(const char *p, size_t n, size_t *i)
{
    size_t s = *i;
    *i = sr__span(p, s, n, SR__C_TOKEN);
    return *i - s;
}

int sr_cseq_parse(sr_cseq *out, sr_str s, sr_parse_error *err)
{
    /* CSeq = "CSeq" HCOLON 1*DIGIT LWS Method (RFC 3261 §20.16, §25.1) */
    const char *p = s.p;
    size_t n = s.len, i = sr__skip_lws(p, 0, n);
    uint32_t num = 0;
    int rc = scan_u32(p, n, &i, &num);
    if (rc)
        return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, "Bad CSeq number");
    size_t j = sr__skip_lws(p, i, n);
    if (j == i)
        return sr__perr(err, SR_EBADMSG, j, SR_HDR_NONE, "Bad CSeq method");
    size_t ms = j;
    size_t ml = scan_token(p, n, &j);
    if (ml == 0 || sr__skip_lws(p, j, n) != n)
        return sr__perr(err, SR_EBADMSG, j, SR_HDR_NONE, "Bad CSeq method");
    out->num = num;
    out->method.p = p + ms;
    out->method.len = ml;
    out->method_id = sr_method_from_str(out->method);
    return 0;
}

int sr_rack_parse(sr_rack *out, sr_str s, sr_parse_error *err)
{
    /* RAck = "RAck" HCOLON response-num LWS CSeq-num LWS Method (RFC 3262 §7.2) */
    const char *p = s.p;
    size_t n = s.len, i = sr__skip_lws(p, 0, n);
    uint32_t a = 0, b = 0;
    if (scan_u32(p, n, &i, &a))
        return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, "Bad RAck response number");
    size_t j = sr__skip_lws(p, i, n);
    if (j == i || scan_u32(p, n, &j, &b))
        return sr__perr(err, SR_EBADMSG, j, SR_HDR_NONE, "Bad RAck CSeq number");
    size_t k = sr__skip_lws(p, j, n);
    size_t ms = k;
    size_t ml = scan_token(p, n, &k);
    if (k == j || ml == 0 || sr__skip_lws(p, k, n) != n)
        return sr__perr(err, SR_EBADMSG, k, SR_HDR_NONE, "Bad RAck method");
    out->rseq = a;
    out->cseq = b;
    out->method.p = p + ms;
    out->method.len = ml;
    out->method_id = sr_method_from_str(out->method);
    return 0;
}

int sr_retry_after_parse(sr_retry_after *out, sr_str s, sr_parse_error *err)
{
    /* Retry-After = HCOLON delta-seconds [ comment ] *( SEMI retry-param ) (RFC 3261 §20.33) */
    const char *p = s.p;
    size_t n = s.len, i = sr__skip_lws(p, 0, n);
    uint32_t secs = 0;
    if (scan_u32(p, n, &i, &secs))
        return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, "Bad Retry-After value");
    out->seconds = secs;
    out->comment = SR_STR_NULL;
    out->duration = -1;
    out->params = SR_STR_NULL;
    i = sr__skip_lws(p, i, n);
    if (i < n && p[i] == '(') {
        /* comment = LPAREN *(ctext / quoted-pair / comment) RPAREN */
        size_t cs = i + 1;
        int depth = 0;
        for (; i < n; i++) {
            if (p[i] == '\\' && i + 1 < n)
                i++;
            else if (p[i] == '(')
                depth++;
            else if (p[i] == ')' && --depth == 0)
                break;
        }
        if (i >= n)
            return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, "Bad Retry-After comment");
        out->comment.p = p + cs;
        out->comment.len = i - cs;
        i = sr__skip_lws(p, i + 1, n);
    }
    size_t ps = i;
    while (i < n && p[i] == ';') {
        sr_str name, val;
        if (sr__param_one(p, n, &i, &name, &val))
            return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, "Bad Retry-After parameter");
        if (sr_str_caseeq_cstr(name, "duration")) {
            uint32_t d;
            if (!val.p || sr_uint32_parse(val, &d))
                return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, "Bad Retry-After duration");
            out->duration = d;
        }
        i = sr__skip_lws(p, i, n);
    }
    if (i != n)
        return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, "Bad Retry-After value");
    out->params.p = p + ps;
    out->params.len = i - ps;
    return 0;
}

int sr_auth_parse(sr_auth *out, sr_str s, sr_parse_error *err)
{
    /* challenge / credentials = auth-scheme LWS auth-param *(COMMA auth-param)
     * (RFC 3261 §25.1; RFC 7616 §3.3-3.4) */
    const char *p = s.p;
    size_t n = s.len, i = sr__skip_lws(p, 0, n);
    size_t ss = i;
    if (scan_token(p, n, &i) == 0)
        return sr__perr(err, SR_EBADMSG, i, SR_HDR_NONE, "Bad authentication scheme");
    out->scheme.p = p + ss;
    out->scheme.len = i - ss;
    size_t j = sr__skip_lws(p, i, n);
    out->params.p = p + j;
    out->params.len = n - j;
    /* Validate the params: token EQUAL (token / quoted-string), comma separated. */
    while (j < n) {
        if (scan_token(p, n, &j) == 0)
            return sr__perr(err, SR_EBADMSG, j, SR_HDR_NONE, "Bad authentication parameter");
        j = sr__skip_lws(p, j, n);
        if (j >= n || p[j] != '=')
            return sr__perr(err, SR_EBADMSG, j, SR_HDR_NONE, "Bad authentication parameter");
        j = sr__skip_lws(p, j + 1, n);
        if (j < n && p[j] == '"') {
            j = sr__scan_quoted(p, j, n);
            if (!j)
                return sr__perr(err, SR_EBADMSG, n, SR_HDR_NONE,
                                "Unterminated quoted string in authentication parameter");
        } else if (scan_token(p, n, &j) == 0) {
            return sr__perr(err, SR_EBADMSG, j, SR_HDR_NONE, "Bad authentication parameter");
        }
        j = sr__skip_lws(p, j, n);
        if (j < n) {
            if (p[j] != ',')
                return sr__perr(err, SR_EBADMSG, j, SR_HDR_NONE, "Bad authentication parameter");
            j = sr__skip_lws(p, j + 1, n);
        }
    }
    return 0;
}

bool sr_auth_param_next(const sr_auth *a, size_t *pos, sr_str *name, sr_str *value)
{
    const char *p = a->params.p;
    size_t n = a->params.len, i = *pos;
    while (i < n && (p[i] == ',' || p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n)
        return false;
    size_t ns = i;
    while (i < n && p[i] != '=' && p[i] != ',' && p[i] != ' ' && p[i] != '\t')
        i++;
    name->p = p + ns;
    name->len = i - ns;
    i = sr__skip_lws(p, i, n);
    value->p = NULL;
    value->len = 0;
    if (i < n && p[i] == '=') {
        i = sr__skip_lws(p, i + 1, n);
        size_t vs = i;
        if (i < n && p[i] == '"') {
            size_t e = sr__scan_quoted(p, i, n);
            i = e ? e : n;
        } else {
            while (i < n && p[i] != ',' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
                   p[i] != '\n')
                i++;
        }
        value->p = p + vs;
        value->len = i - vs;
    }
    *pos = i;
    return true;
}
