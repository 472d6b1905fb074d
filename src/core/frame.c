/* sipreply core: stream and datagram framing by Content-Length, CRLF keep-alives.
 * RFC 3261 §18.3 (framing), §7.5 (CRLF before the start line), §20.14; RFC 5626 §3.5.1. */
#include <stdint.h>
#include <string.h>

#include "sipreply/frame.h"
#include "sipreply/str.h"

#include "core_int.h"
#include "msg_int.h"

#define NOT_FOUND SIZE_MAX

typedef struct limits {
    size_t max_header;
    size_t max_body;
    bool pong_eager;
} limits;

static limits get_limits(const sr_frame_opts *o)
{
    limits l = {SR_FRAME_DEFAULT_MAX_HEADER, SR_FRAME_DEFAULT_MAX_BODY, false};
    if (o) {
        if (o->max_header_bytes)
            l.max_header = o->max_header_bytes;
        if (o->max_body_bytes)
            l.max_body = o->max_body_bytes;
        l.pong_eager = o->crlf_pong_eager;
    }
    return l;
}

static ptrdiff_t fail(sr_parse_error *err, int code, size_t off, const char *phrase)
{
    if (err) {
        err->code = code;
        err->offset = off;
        err->hdr = 0;
        err->phrase = phrase;
    }
    return code;
}

/*
 * The index just past the first CRLFCRLF in buf[0..len), searching only for a terminating
 * LF at or after @p from (the bytes before were searched by an earlier call).
 */
static size_t find_blank(const char *buf, size_t from, size_t len)
{
    size_t i = from;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        if (!nl)
            return NOT_FOUND;
        i = (size_t)(nl - buf);
        if (i >= 3 && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return i + 1;
        i++;
    }
    return NOT_FOUND;
}

static bool is_lws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One Content-Length value: 1*DIGIT after trimming LWS (RFC 3261 §20.14, §25.1). */
static ptrdiff_t parse_cl_value(const char *buf, size_t s, size_t e, int bad, size_t *value,
                                sr_parse_error *err)
{
    *value = 0; /* on failure too: gcc -O1 cannot see that fail() is negative */
    while (s < e && is_lws(buf[s]))
        s++;
    while (e > s && is_lws(buf[e - 1]))
        e--;
    if (s == e)
        return fail(err, bad, s, "Bad Content-Length value");
    if (buf[s] == '-')
        return fail(err, bad, s, "Negative Content-Length value");
    size_t v = 0;
    for (size_t i = s; i < e; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return fail(err, bad, i, "Bad Content-Length value");
        size_t d = (size_t)(buf[i] - '0');
        if (v > (SIZE_MAX - d) / 10)
            return fail(err, bad, s, "Content-Length value overflows");
        v = v * 10 + d;
    }
    *value = v;
    return 0;
}

/* "Content-Length" or its compact form "l" (RFC 3261 §7.3.3, §20.14), in any case. */
static bool is_cl_name(const char *p, size_t n)
{
    static const char want[] = "content-length";
    if (n == 1)
        return (p[0] | 0x20) == 'l';
    if (n != 14)
        return false;
    for (size_t i = 0; i < 14; i++) {
        char c = p[i];
        if (want[i] != '-') /* a letter: either case */
            c = (char)(c | 0x20);
        if (c != want[i])
            return false;
    }
    return true;
}

/*
 * Find Content-Length (or compact "l") among the header fields of buf[0..hlen). Header
 * lines may be folded (a CRLF followed by SP/HT continues the line, RFC 3261 §7.3.1).
 * Returns 0 with *found and *value, or the error @p bad / SR_ETOOBIG.
 */
static ptrdiff_t find_content_length(const char *buf, size_t hlen, size_t max_body, int bad,
                                     bool *found, size_t *value, sr_parse_error *err)
{
    *found = false;
    *value = 0;
    const char *nl = memchr(buf, '\n', hlen);
    if (!nl)
        return 0;
    size_t pos = (size_t)(nl - buf) + 1; /* skip the start line */
    while (pos < hlen && buf[pos] != '\r' && buf[pos] != '\n') {
        size_t s = pos, e = hlen, q = pos;
        for (;;) {
            nl = memchr(buf + q, '\n', hlen - q);
            if (!nl)
                break;
            e = (size_t)(nl - buf);
            if (e + 1 < hlen && (buf[e + 1] == ' ' || buf[e + 1] == '\t')) {
                q = e + 1;
                e = hlen;
                continue;
            }
            break;
        }
        pos = e < hlen ? e + 1 : hlen;

        /* only "Content-Length" and its compact form "l" matter: a line starting with
         * another letter is passed by without looking for its colon */
        if ((buf[s] | 0x20) != 'c' && (buf[s] | 0x20) != 'l')
            continue;
        const char *colon = memchr(buf + s, ':', e - s);
        if (!colon)
            continue; /* not a header field: the message parser reports it */
        size_t ne = (size_t)(colon - buf);
        while (ne > s && (buf[ne - 1] == ' ' || buf[ne - 1] == '\t'))
            ne--;
        if (!is_cl_name(buf + s, ne - s))
            continue;
        size_t v;
        ptrdiff_t rc = parse_cl_value(buf, (size_t)(colon - buf) + 1, e, bad, &v, err);
        if (rc < 0)
            return rc;
        if (*found && v != *value)
            return fail(err, bad, s, "Conflicting Content-Length header fields");
        if (v > max_body)
            return fail(err, SR_ETOOBIG, s, "Message body too large");
        *found = true;
        *value = v;
    }
    return 0;
}

static void reset_state(sr_frame *out)
{
    out->header_done = false;
    out->scanned = 0;
}

/* RFC 5626 §3.5.1 / RFC 3261 §7.5: a CRLF run before a start line. 0 when not at one. */
static ptrdiff_t leading_crlf(const char *buf, size_t len, bool stream, bool eager, sr_frame *out)
{
    if (len == 0 || buf[0] != '\r')
        return 0;
    if (len < 2)
        return stream ? SR_EAGAIN : 0;
    if (buf[1] != '\n')
        return 0;
    if (len >= 4 && buf[2] == '\r' && buf[3] == '\n') {
        out->kind = SR_FRAME_PING;
        out->len = 4;
        return 4;
    }
    /* may still become a CRLFCRLF ping; an eager caller only takes a bare CRLF at once */
    if (stream && ((len == 2 && !eager) || (len == 3 && buf[2] == '\r')))
        return SR_EAGAIN;
    out->kind = SR_FRAME_PONG;
    out->len = 2;
    return 2;
}

ptrdiff_t sr_frame_stream(const char *buf, size_t len, const sr_frame_opts *opts, sr_frame *out,
                          sr_parse_error *err)
{
    if (!out || (!buf && len))
        return fail(err, SR_EINVAL, 0, "Bad framing arguments");
    limits lim = get_limits(opts);
    ptrdiff_t rc;

    out->kind = SR_FRAME_NONE;
    out->len = 0;
    if (out->scanned > len || (out->header_done && out->header_len > len))
        reset_state(out); /* the caller changed buffers: start over */
    if (!out->header_done && out->scanned == 0) {
        if (len == 0)
            return SR_EAGAIN;
        rc = leading_crlf(buf, len, true, lim.pong_eager, out);
        if (rc != 0)
            return rc;
    }
    if (!out->header_done) {
        size_t h = find_blank(buf, out->scanned, len);
        if (h == NOT_FOUND) {
            if (len > lim.max_header) {
                reset_state(out);
                return fail(err, SR_ETOOBIG, lim.max_header, "Header block too large");
            }
            out->scanned = len;
            return SR_EAGAIN;
        }
        if (h > lim.max_header) {
            reset_state(out);
            return fail(err, SR_ETOOBIG, lim.max_header, "Header block too large");
        }
        bool found;
        size_t cl;
        rc = find_content_length(buf, h, lim.max_body, SR_EFRAMING, &found, &cl, err);
        if (rc < 0) {
            reset_state(out);
            return rc;
        }
        /* RFC 3261 §18.3 / §20.14: Content-Length is mandatory on stream transports. */
        if (!found) {
            reset_state(out);
            return fail(err, SR_EFRAMING, 0, "Missing Content-Length header field");
        }
        if (cl > (size_t)PTRDIFF_MAX - h) {
            reset_state(out);
            return fail(err, SR_ETOOBIG, 0, "Message body too large");
        }
        out->header_done = true;
        out->header_len = h;
        out->body_len = cl;
        out->has_content_length = true;
        out->trailing = 0;
        out->scanned = h;
    }
    size_t total = out->header_len + out->body_len;
    if (len < total)
        return SR_EAGAIN;
    reset_state(out);
    out->kind = SR_FRAME_MESSAGE;
    out->len = total;
    return (ptrdiff_t)total;
}

/*
 * The common datagram in one pass: the start line and every header line end in CRLF, none is
 * folded or starts with white space, CR or LF, and the header ends at the first empty line.
 * Then the first CRLFCRLF (find_blank()) is that empty line and find_content_length() sees
 * exactly these lines, so one walk over them finds both (the general way walks them twice).
 * Returns the framed length with @p out filled, or 0 for anything else (errors included),
 * which the general way then frames.
 */
static ptrdiff_t datagram_common(const char *buf, size_t len, const limits *lim, sr_frame *out)
{
    if (buf[0] == '\r' || len > (size_t)PTRDIFF_MAX)
        return 0;
    const char *nl = memchr(buf, '\n', len);
    if (!nl || nl == buf || nl[-1] != '\r')
        return 0;
    size_t pos = (size_t)(nl - buf) + 1;
    bool found = false;
    size_t cl = 0;
    for (;;) {
        if (pos + 1 >= len)
            return 0;
        char c = buf[pos];
        if (c == '\r') {
            if (buf[pos + 1] != '\n')
                return 0;
            break; /* the empty line */
        }
        if (c == '\n' || c == ' ' || c == '\t')
            return 0;
        nl = memchr(buf + pos + 1, '\n', len - pos - 1);
        if (!nl)
            return 0;
        size_t e = (size_t)(nl - buf);
        if (buf[e - 1] != '\r' || (e + 1 < len && (buf[e + 1] == ' ' || buf[e + 1] == '\t')))
            return 0; /* a bare LF, or a folded line */
        /* only a line that can hold Content-Length ("co" with "l" 8 bytes on) or "l"
         * before its colon or white space is looked into (Call-ID, CSeq, Contact and
         * Content-Type are passed by) */
        char c1 = buf[pos + 1];
        bool maybe = (c | 0x20) == 'c'
                         ? (c1 | 0x20) == 'o' && e - pos > 14 && (buf[pos + 8] | 0x20) == 'l'
                         : (c | 0x20) == 'l' && (c1 == ':' || c1 == ' ' || c1 == '\t');
        if (maybe) {
            const char *colon = memchr(buf + pos, ':', e - pos);
            if (colon) {
                size_t ne = (size_t)(colon - buf);
                while (ne > pos && (buf[ne - 1] == ' ' || buf[ne - 1] == '\t'))
                    ne--;
                if (is_cl_name(buf + pos, ne - pos)) {
                    size_t v;
                    if (parse_cl_value(buf, (size_t)(colon - buf) + 1, e, SR_EBADMSG, &v, NULL) <
                            0 ||
                        (found && v != cl) || v > lim->max_body)
                        return 0;
                    found = true;
                    cl = v;
                }
            }
        }
        pos = e + 1;
    }
    size_t h = pos + 2;
    if (h > lim->max_header)
        return 0;
    if (found ? cl > len - h : len - h > lim->max_body)
        return 0;
    if (!found)
        cl = len - h;
    memset(out, 0, sizeof *out);
    out->kind = SR_FRAME_MESSAGE;
    out->header_len = h;
    out->body_len = cl;
    out->has_content_length = found;
    out->len = h + cl;
    out->trailing = len - h - cl;
    return (ptrdiff_t)out->len;
}

ptrdiff_t sr_frame_datagram(const char *buf, size_t len, const sr_frame_opts *opts, sr_frame *out,
                            sr_parse_error *err)
{
    if (!out || !buf || len == 0)
        return fail(err, SR_EINVAL, 0, "Bad framing arguments");
    limits lim = get_limits(opts);
    ptrdiff_t rc = datagram_common(buf, len, &lim, out);
    if (rc > 0)
        return rc;
    memset(out, 0, sizeof *out);

    rc = leading_crlf(buf, len, false, true, out);
    if (rc != 0)
        return rc;
    if (len > (size_t)PTRDIFF_MAX)
        return fail(err, SR_ETOOBIG, 0, "Datagram too large");

    size_t h = find_blank(buf, 0, len);
    if (h == NOT_FOUND) {
        /* Lenient: a datagram whose last header line ends the datagram (RFC 4475 baddn's
         * archive bytes) has an empty body; anything else lost its end of headers. */
        if (len >= 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n')
            h = len;
        else if (len > lim.max_header)
            return fail(err, SR_ETOOBIG, lim.max_header, "Header block too large");
        else
            return fail(err, SR_EBADMSG, len, "Missing empty line after header fields");
    }
    if (h > lim.max_header)
        return fail(err, SR_ETOOBIG, lim.max_header, "Header block too large");

    bool found;
    size_t cl;
    rc = find_content_length(buf, h, lim.max_body, SR_EBADMSG, &found, &cl, err);
    if (rc < 0)
        return rc;
    if (found) {
        /* RFC 3261 §18.3: fewer octets than Content-Length in a datagram is an error */
        if (cl > len - h)
            return fail(err, SR_EBADMSG, h, "Content-Length larger than datagram");
    } else {
        /* RFC 3261 §18.3: without Content-Length the body runs to the end of the datagram */
        cl = len - h;
        if (cl > lim.max_body)
            return fail(err, SR_ETOOBIG, h, "Message body too large");
    }
    out->kind = SR_FRAME_MESSAGE;
    out->header_len = h;
    out->body_len = cl;
    out->has_content_length = found;
    out->len = h + cl;
    out->trailing = len - h - cl; /* ignored, never parsed as a second message (dblreq) */
    return (ptrdiff_t)out->len;
}

/*
 * Why a plain head (sr__parse_head_plain, msg_int.h) that sr_msg_parse() took whole, with
 * the caps respected, frames to the whole datagram: it does not start with CR, so neither
 * framing way takes a PING or PONG; its lines all end in CRLF and none is empty or folded
 * before the empty line, so the first CRLFCRLF (find_blank) ends the parser's head and the
 * lines find_content_length() and datagram_common() read are the parser's header lines.
 * A name is Content-Length for the framer (is_cl_name) exactly when the parser's lookup
 * says SR_HDR_CONTENT_LENGTH (a token; letters in any case, "-" itself, or "l"), and both
 * read its value as 1*DIGIT between LWS: the parser refuses a bad or conflicting one, so
 * the framer finds the same value (or none when the parser found none). The message ends
 * at the datagram's end, so that value is the rest of the datagram: the framer's length
 * is len, nothing trails. fuzz_frame_datagram_msg compares the two on any input.
 */
ptrdiff_t sr_frame_datagram_msg(const char *buf, size_t len, const sr_msg *parsed,
                                const sr_frame_opts *opts, sr_frame *out, sr_parse_error *err)
{
    if (!parsed || !out || !buf || len == 0 || !parsed->plain_head || parsed->built ||
        parsed->body_edited || parsed->size != len || parsed->head_len > len ||
        len > (size_t)PTRDIFF_MAX)
        return sr_frame_datagram(buf, len, opts, out, err);
    limits lim = get_limits(opts);
    size_t h = parsed->head_len;
    if (h > lim.max_header || len - h > lim.max_body)
        return sr_frame_datagram(buf, len, opts, out, err);
    out->kind = SR_FRAME_MESSAGE;
    out->len = len;
    out->header_len = h;
    out->body_len = len - h;
    out->trailing = 0;
    out->has_content_length = parsed->clen >= 0;
    out->header_done = false;
    out->scanned = 0;
    return (ptrdiff_t)len;
}
