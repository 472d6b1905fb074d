/* sipreply tests: stream and datagram framing (frame.h).
 * RFC 3261 §18.3, RFC 5626 §3.5.1; every RFC 4475 vector whole, byte by byte and at a guard page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ------------------------------------------------------------------ expectations */

enum verdict {
    V_WHOLE,   /* one message spanning the whole file */
    V_AGAIN,   /* stream: incomplete */
    V_FRAMING, /* stream: SR_EFRAMING */
    V_FIRST,   /* one message shorter than the file, the rest is something else */
    V_BAD,     /* datagram: SR_EBADMSG */
};

typedef struct vec {
    const char *file;
    enum verdict stream, dgram;
    const char *phrase; /* expected phrase on error (stream, then datagram: the same) */
} vec;

/* From MANIFEST.tsv and README.rfc4475.md: Content-Length is wrong only in clerr, ncl, mcl01
 * and dblreq; inv2543 has none; baddn has no empty line. */
static const vec vectors[] = {
    {"badaspec", V_WHOLE, V_WHOLE, NULL},
    {"badbranch", V_WHOLE, V_WHOLE, NULL},
    {"baddate", V_WHOLE, V_WHOLE, NULL},
    {"baddn", V_AGAIN, V_WHOLE, NULL},
    {"badinv01", V_WHOLE, V_WHOLE, NULL},
    {"badvers", V_WHOLE, V_WHOLE, NULL},
    {"bcast", V_WHOLE, V_WHOLE, NULL},
    {"bext01", V_WHOLE, V_WHOLE, NULL},
    {"bigcode", V_WHOLE, V_WHOLE, NULL},
    {"clerr", V_AGAIN, V_BAD, "Content-Length larger than datagram"},
    {"cparam01", V_WHOLE, V_WHOLE, NULL},
    {"cparam02", V_WHOLE, V_WHOLE, NULL},
    {"dblreq", V_FIRST, V_FIRST, NULL},
    {"esc01", V_WHOLE, V_WHOLE, NULL},
    {"esc02", V_WHOLE, V_WHOLE, NULL},
    {"escnull", V_WHOLE, V_WHOLE, NULL},
    {"escruri", V_WHOLE, V_WHOLE, NULL},
    {"insuf", V_WHOLE, V_WHOLE, NULL},
    {"intmeth", V_WHOLE, V_WHOLE, NULL},
    {"inv2543", V_FRAMING, V_WHOLE, "Missing Content-Length header field"},
    {"invut", V_WHOLE, V_WHOLE, NULL},
    {"longreq", V_WHOLE, V_WHOLE, NULL},
    {"ltgtruri", V_WHOLE, V_WHOLE, NULL},
    {"lwsdisp", V_WHOLE, V_WHOLE, NULL},
    {"lwsruri", V_WHOLE, V_WHOLE, NULL},
    {"lwsstart", V_WHOLE, V_WHOLE, NULL},
    {"mcl01", V_FRAMING, V_BAD, "Conflicting Content-Length header fields"},
    {"mismatch01", V_WHOLE, V_WHOLE, NULL},
    {"mismatch02", V_WHOLE, V_WHOLE, NULL},
    {"mpart01", V_WHOLE, V_WHOLE, NULL},
    {"multi01", V_WHOLE, V_WHOLE, NULL},
    {"ncl", V_FRAMING, V_BAD, "Negative Content-Length value"},
    {"noreason", V_WHOLE, V_WHOLE, NULL},
    {"novelsc", V_WHOLE, V_WHOLE, NULL},
    {"quotbal", V_WHOLE, V_WHOLE, NULL},
    {"regaut01", V_WHOLE, V_WHOLE, NULL},
    {"regbadct", V_WHOLE, V_WHOLE, NULL},
    {"regescrt", V_WHOLE, V_WHOLE, NULL},
    {"scalar02", V_WHOLE, V_WHOLE, NULL},
    {"scalarlg", V_WHOLE, V_WHOLE, NULL},
    {"sdp01", V_WHOLE, V_WHOLE, NULL},
    {"semiuri", V_WHOLE, V_WHOLE, NULL},
    {"transports", V_WHOLE, V_WHOLE, NULL},
    {"trws", V_WHOLE, V_WHOLE, NULL},
    {"unkscm", V_WHOLE, V_WHOLE, NULL},
    {"unksm2", V_WHOLE, V_WHOLE, NULL},
    {"unreason", V_WHOLE, V_WHOLE, NULL},
    {"wsinv", V_WHOLE, V_WHOLE, NULL},
    {"zeromf", V_WHOLE, V_WHOLE, NULL},
};

static char *load(const char *name, size_t *n)
{
    char path[64];
    snprintf(path, sizeof path, "rfc4475/%s.dat", name);
    return tu_read_vector(path, n);
}

static ptrdiff_t frame_stream_fresh(const char *b, size_t n, sr_frame *f, sr_parse_error *e)
{
    memset(f, 0, sizeof *f);
    return sr_frame_stream(b, n, NULL, f, e);
}

/* ------------------------------------------------------------------ RFC 4475 */

static void check_stream_verdict(const vec *v, const char *m, size_t n)
{
    sr_frame f;
    sr_parse_error e = {0, 0, 0, NULL};
    ptrdiff_t r = frame_stream_fresh(m, n, &f, &e);
    switch (v->stream) {
    case V_WHOLE:
        if (r != (ptrdiff_t)n)
            print_error("%s: stream %td, file %zu (%s)\n", v->file, r, n, e.phrase);
        assert_int_equal(r, (ptrdiff_t)n);
        assert_int_equal(f.kind, SR_FRAME_MESSAGE);
        assert_int_equal(f.len, n);
        assert_int_equal(f.header_len + f.body_len, n);
        assert_memory_equal(m + f.header_len - 4, "\r\n\r\n", 4);
        assert_true(f.has_content_length);
        break;
    case V_AGAIN: assert_int_equal(r, SR_EAGAIN); break;
    case V_FRAMING:
        assert_int_equal(r, SR_EFRAMING);
        assert_int_equal(e.code, SR_EFRAMING);
        assert_string_equal(e.phrase, v->phrase);
        break;
    case V_FIRST:
        assert_true(r > 0 && (size_t)r < n);
        assert_int_equal(f.body_len, 0);
        break;
    case V_BAD:
    default: fail();
    }
}

static void check_dgram_verdict(const vec *v, const char *m, size_t n)
{
    sr_frame f;
    sr_parse_error e = {0, 0, 0, NULL};
    ptrdiff_t r = sr_frame_datagram(m, n, NULL, &f, &e);
    switch (v->dgram) {
    case V_WHOLE:
        if (r != (ptrdiff_t)n)
            print_error("%s: datagram %td, file %zu (%s)\n", v->file, r, n, e.phrase);
        assert_int_equal(r, (ptrdiff_t)n);
        assert_int_equal(f.kind, SR_FRAME_MESSAGE);
        assert_int_equal(f.trailing, 0);
        assert_int_equal(f.header_len + f.body_len, n);
        break;
    case V_BAD:
        assert_int_equal(r, SR_EBADMSG);
        assert_string_equal(e.phrase, v->phrase);
        break;
    case V_FIRST:
        assert_true(r > 0 && (size_t)r < n);
        assert_int_equal(f.trailing, n - (size_t)r);
        break;
    case V_AGAIN:
    case V_FRAMING:
    default: fail();
    }
}

static void test_frame_rfc4475_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t n;
        char *m = load(vectors[i].file, &n);
        check_stream_verdict(&vectors[i], m, n);
        check_dgram_verdict(&vectors[i], m, n);
        /* the same at a guard page: no byte past the end is read */
        char *g = tu_guarded_copy(m, n);
        check_stream_verdict(&vectors[i], g, n);
        check_dgram_verdict(&vectors[i], g, n);
        tu_guarded_free(g, n);
        free(m);
    }
}

/* Byte-at-a-time feeding (one growing guarded buffer per step is too slow for 49 files,
 * so the buffer is the file itself and only the length grows): SR_EAGAIN until complete,
 * then the same result as the whole buffer; and every prefix alone at a guard page. */
static void test_frame_rfc4475_bytewise(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t n;
        char *m = load(vectors[i].file, &n);
        sr_frame whole, f;
        sr_parse_error e;
        ptrdiff_t want = frame_stream_fresh(m, n, &whole, &e);
        memset(&f, 0, sizeof f);
        ptrdiff_t r = SR_EAGAIN;
        size_t k;
        for (k = 1; k <= n && r == SR_EAGAIN; k++)
            r = sr_frame_stream(m, k, NULL, &f, &e);
        assert_int_equal(r, want);
        if (r > 0) {
            assert_int_equal(k - 1, (size_t)r); /* complete exactly at its last byte */
            assert_int_equal(f.header_len, whole.header_len);
            assert_int_equal(f.body_len, whole.body_len);
        }
        for (k = 0; k < n; k++) {
            char *g = tu_guarded_copy(m, k);
            r = frame_stream_fresh(g, k, &f, &e);
            assert_true(r == SR_EAGAIN || r == want || (want < 0 && r < 0) ||
                        (r > 0 && (size_t)r <= k));
            ptrdiff_t d = sr_frame_datagram(g, k, NULL, &f, &e);
            assert_true(d < 0 || (size_t)d <= k);
            tu_guarded_free(g, k);
        }
        free(m);
    }
}

static void test_frame_dblreq(void **state)
{
    (void)state;
    size_t n;
    char *m = load("dblreq", &n);
    sr_frame f;
    sr_parse_error e;
    /* datagram: the REGISTER, the INVITE-looking rest is ignored (RFC 4475 §3.1.1.8) */
    ptrdiff_t r = sr_frame_datagram(m, n, NULL, &f, &e);
    assert_true(r > 0);
    assert_memory_equal(m, "REGISTER ", 9);
    assert_int_equal(f.body_len, 0);
    assert_true(f.has_content_length);
    assert_int_equal(f.trailing, n - (size_t)r);
    assert_memory_equal(m + r, "\r\nINVITE ", 9);
    /* stream: the same first frame; then the CRLF is a pong to drop, then the INVITE
     * (whose 150-byte body is complete in the archive bytes, with 5 bytes to spare) */
    sr_frame s;
    assert_int_equal(frame_stream_fresh(m, n, &s, &e), r);
    size_t off = (size_t)r;
    assert_int_equal(sr_frame_stream(m + off, n - off, NULL, &s, &e), 2);
    assert_int_equal(s.kind, SR_FRAME_PONG);
    off += 2;
    r = sr_frame_stream(m + off, n - off, NULL, &s, &e);
    assert_int_equal(s.body_len, 150);
    assert_int_equal(r, (ptrdiff_t)(n - off - 5));
    free(m);
}

/* ------------------------------------------------------------------ streams */

static const char msg_a[] = "OPTIONS sip:a@example.com SIP/2.0\r\n"
                            "Content-Length: 5\r\n\r\nhello";
static const char msg_b[] = "MESSAGE sip:b@example.com SIP/2.0\r\n"
                            "l:3\r\n\r\nabc";
static const char msg_c[] = "BYE sip:c@example.com SIP/2.0\r\n"
                            "content-length  :\r\n 0\r\n\r\n";

static void test_frame_back_to_back(void **state)
{
    (void)state;
    char buf[512];
    size_t n = 0;
#define PUT(s)                               \
    do {                                     \
        memcpy(buf + n, (s), sizeof(s) - 1); \
        n += sizeof(s) - 1;                  \
    } while (0)
    PUT("\r\n\r\n");
    PUT(msg_a);
    PUT("\r\n");
    PUT(msg_b);
    PUT("\r\n\r\n");
    PUT("\r\n\r\n");
    PUT(msg_c);
    PUT(msg_a);
#undef PUT
    static const struct {
        sr_frame_kind kind;
        size_t len;
    } want[] = {
        {SR_FRAME_PING, 4},
        {SR_FRAME_MESSAGE, sizeof msg_a - 1},
        {SR_FRAME_PONG, 2},
        {SR_FRAME_MESSAGE, sizeof msg_b - 1},
        {SR_FRAME_PING, 4},
        {SR_FRAME_PING, 4},
        {SR_FRAME_MESSAGE, sizeof msg_c - 1},
        {SR_FRAME_MESSAGE, sizeof msg_a - 1},
    };
    char *g = tu_guarded_copy(buf, n);
    sr_frame f;
    sr_parse_error e;
    memset(&f, 0, sizeof f);
    size_t off = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ptrdiff_t r = sr_frame_stream(g + off, n - off, NULL, &f, &e);
        assert_int_equal(r, (ptrdiff_t)want[i].len);
        assert_int_equal(f.kind, want[i].kind);
        assert_int_equal(f.len, want[i].len);
        off += (size_t)r;
    }
    assert_int_equal(off, n);
    assert_int_equal(sr_frame_stream(g + off, 0, NULL, &f, &e), SR_EAGAIN);
    tu_guarded_free(g, n);

    /* the same stream fed one byte at a time, dropping each frame as it completes */
    memset(&f, 0, sizeof f);
    off = 0;
    size_t got = 0;
    for (size_t end = 1; end <= n; end++) {
        ptrdiff_t r = sr_frame_stream(buf + off, end - off, NULL, &f, &e);
        if (r == SR_EAGAIN)
            continue;
        assert_true(got < sizeof want / sizeof want[0]);
        assert_int_equal(r, (ptrdiff_t)want[got].len);
        assert_int_equal(f.kind, want[got].kind);
        got++;
        off += (size_t)r;
    }
    assert_int_equal(got, sizeof want / sizeof want[0]);
}

static void test_frame_crlf(void **state)
{
    (void)state;
    sr_frame f;
    sr_parse_error e;
    sr_frame_opts eager = {0, 0, true};
    assert_int_equal(frame_stream_fresh("\r", 1, &f, &e), SR_EAGAIN);
    assert_int_equal(frame_stream_fresh("\r\n", 2, &f, &e), SR_EAGAIN);
    assert_int_equal(frame_stream_fresh("\r\n\r", 3, &f, &e), SR_EAGAIN);
    assert_int_equal(frame_stream_fresh("\r\n\r\n", 4, &f, &e), 4);
    assert_int_equal(f.kind, SR_FRAME_PING);
    assert_int_equal(frame_stream_fresh("\r\nOPT", 5, &f, &e), 2);
    assert_int_equal(f.kind, SR_FRAME_PONG);
    memset(&f, 0, sizeof f);
    assert_int_equal(sr_frame_stream("\r\n", 2, &eager, &f, &e), 2);
    assert_int_equal(f.kind, SR_FRAME_PONG);
    assert_int_equal(sr_frame_stream("\r\n\r", 3, &eager, &f, &e), SR_EAGAIN);
    assert_int_equal(sr_frame_stream("\r\n\r\n", 4, &eager, &f, &e), 4);
    assert_int_equal(f.kind, SR_FRAME_PING);
    assert_int_equal(sr_frame_datagram("\r\n", 2, NULL, &f, &e), 2);
    assert_int_equal(f.kind, SR_FRAME_PONG);
    assert_int_equal(sr_frame_datagram("\r\n\r\n", 4, NULL, &f, &e), 4);
    assert_int_equal(f.kind, SR_FRAME_PING);
    assert_int_equal(frame_stream_fresh("", 0, &f, &e), SR_EAGAIN);
    assert_int_equal(frame_stream_fresh(NULL, 0, &f, &e), SR_EAGAIN);
    assert_int_equal(sr_frame_stream(NULL, 3, NULL, &f, &e), SR_EINVAL);
    assert_int_equal(sr_frame_stream("x", 1, NULL, NULL, &e), SR_EINVAL);
    assert_int_equal(sr_frame_datagram(NULL, 0, NULL, &f, &e), SR_EINVAL);
}

/* ------------------------------------------------------------------ Content-Length forms */

static ptrdiff_t frame_with_cl(const char *cl_lines, const char *body, sr_frame *f,
                               sr_parse_error *e, bool dgram)
{
    char buf[1024];
    int n =
        snprintf(buf, sizeof buf, "INVITE sip:x@example.com SIP/2.0\r\n%s\r\n%s", cl_lines, body);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    char *g = tu_guarded_copy(buf, (size_t)n);
    memset(f, 0, sizeof *f);
    ptrdiff_t r = dgram ? sr_frame_datagram(g, (size_t)n, NULL, f, e)
                        : sr_frame_stream(g, (size_t)n, NULL, f, e);
    tu_guarded_free(g, (size_t)n);
    return r;
}

static void test_frame_content_length(void **state)
{
    (void)state;
    sr_frame f;
    sr_parse_error e;
    static const struct {
        const char *lines;
        size_t body;
    } ok[] = {
        {"Content-Length: 4\r\n", 4},
        {"CONTENT-LENGTH:4\r\n", 4},
        {"l: 4\r\n", 4},
        {"L:4\r\n", 4},
        {"Content-Length \t: 4 \t\r\n", 4},
        {"Content-Length:\r\n  4\r\n", 4},
        {"Content-Length: 04\r\n", 4},
        {"Content-Length: 4\r\nl: 4\r\n", 4},
        {"X-Content-Length: 9\r\nContent-Length: 4\r\nContent-Length-X: 7\r\n", 4},
        {"Subject: a\r\n b: 9\r\nContent-Length: 0\r\n", 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *body = ok[i].body ? "abcd" : "";
        ptrdiff_t r = frame_with_cl(ok[i].lines, body, &f, &e, false);
        if (r < 0)
            print_error("'%s': %td %s\n", ok[i].lines, r, e.phrase);
        assert_true(r > 0);
        assert_int_equal(f.body_len, ok[i].body);
        assert_int_equal(frame_with_cl(ok[i].lines, body, &f, &e, true), r);
    }

    static const struct {
        const char *lines;
        int code;
        const char *phrase;
    } bad[] = {
        {"", SR_EFRAMING, "Missing Content-Length header field"},
        {"Subject: x\r\n", SR_EFRAMING, "Missing Content-Length header field"},
        {"Content-Length: -1\r\n", SR_EFRAMING, "Negative Content-Length value"},
        {"Content-Length: 4a\r\n", SR_EFRAMING, "Bad Content-Length value"},
        {"Content-Length: 0x4\r\n", SR_EFRAMING, "Bad Content-Length value"},
        {"Content-Length: +4\r\n", SR_EFRAMING, "Bad Content-Length value"},
        {"Content-Length: 4 4\r\n", SR_EFRAMING, "Bad Content-Length value"},
        {"Content-Length:\r\n", SR_EFRAMING, "Bad Content-Length value"},
        {"Content-Length: 99999999999999999999999999\r\n", SR_EFRAMING,
         "Content-Length value overflows"},
        {"Content-Length: 4\r\nl: 5\r\n", SR_EFRAMING, "Conflicting Content-Length header fields"},
        {"Content-Length: 1048577\r\n", SR_ETOOBIG, "Message body too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ptrdiff_t r = frame_with_cl(bad[i].lines, "abcd", &f, &e, false);
        if (r != bad[i].code)
            print_error("'%s': %td\n", bad[i].lines, r);
        assert_int_equal(r, bad[i].code);
        assert_string_equal(e.phrase, bad[i].phrase);
        /* datagrams: the same problems are 400-able; a missing Content-Length is fine */
        r = frame_with_cl(bad[i].lines, "abcd", &f, &e, true);
        if (i < 2) {
            assert_int_equal(r, (ptrdiff_t)f.len);
            assert_int_equal(f.body_len, 4);
            assert_false(f.has_content_length);
        } else {
            assert_int_equal(r, bad[i].code == SR_EFRAMING ? SR_EBADMSG : bad[i].code);
            assert_string_equal(e.phrase, bad[i].phrase);
        }
    }
    /* datagram: fewer bytes than declared, and bytes after the body */
    assert_int_equal(frame_with_cl("Content-Length: 5\r\n", "abcd", &f, &e, true), SR_EBADMSG);
    assert_string_equal(e.phrase, "Content-Length larger than datagram");
    ptrdiff_t r = frame_with_cl("Content-Length: 2\r\n", "abcd", &f, &e, true);
    assert_true(r > 0);
    assert_int_equal(f.trailing, 2);
    /* datagram without an empty line and not ending in CRLF */
    assert_int_equal(sr_frame_datagram("OPTIONS sip:a SIP/2.0\r\nl: 0", 27, NULL, &f, &e),
                     SR_EBADMSG);
    assert_string_equal(e.phrase, "Missing empty line after header fields");
}

/* ------------------------------------------------------------------ caps, incremental state */

static void test_frame_caps(void **state)
{
    (void)state;
    sr_frame f;
    sr_parse_error e;
    sr_frame_opts o = {64, 8, false};
    const char big_hdr[] = "OPTIONS sip:a@example.com SIP/2.0\r\nSubject: 0123456789012345678901"
                           "234567890\r\nl: 0\r\n\r\n";
    memset(&f, 0, sizeof f);
    assert_int_equal(sr_frame_stream(big_hdr, sizeof big_hdr - 1, &o, &f, &e), SR_ETOOBIG);
    assert_string_equal(e.phrase, "Header block too large");
    /* no empty line yet, but already over the cap: fail now rather than buffer forever */
    memset(&f, 0, sizeof f);
    assert_int_equal(sr_frame_stream(big_hdr, 65, &o, &f, &e), SR_ETOOBIG);
    memset(&f, 0, sizeof f);
    assert_int_equal(sr_frame_stream(big_hdr, 64, &o, &f, &e), SR_EAGAIN);
    assert_int_equal(sr_frame_datagram(big_hdr, sizeof big_hdr - 1, &o, &f, &e), SR_ETOOBIG);

    const char body9[] = "M sip:a SIP/2.0\r\nl: 9\r\n\r\n123456789";
    memset(&f, 0, sizeof f);
    assert_int_equal(sr_frame_stream(body9, sizeof body9 - 1, &o, &f, &e), SR_ETOOBIG);
    assert_string_equal(e.phrase, "Message body too large");
    const char nocl9[] = "M sip:a SIP/2.0\r\n\r\n123456789";
    assert_int_equal(sr_frame_datagram(nocl9, sizeof nocl9 - 1, &o, &f, &e), SR_ETOOBIG);
    o.max_body_bytes = 9;
    memset(&f, 0, sizeof f);
    assert_int_equal(sr_frame_stream(body9, sizeof body9 - 1, &o, &f, &e),
                     (ptrdiff_t)sizeof body9 - 1);
}

/* A 64 KiB body fed one byte at a time: the state keeps the header result, so each call is
 * O(1) after the header (checked through the state, not the clock), and the result equals
 * the whole-buffer one. */
static void test_frame_incremental_large(void **state)
{
    (void)state;
    const size_t body = 65536;
    const char head[] = "MESSAGE sip:a@example.com SIP/2.0\r\nContent-Length: 65536\r\n\r\n";
    size_t hl = sizeof head - 1, n = hl + body;
    char *buf = malloc(n);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    memset(buf + hl, '\n', body); /* bare LFs and CRLFCRLF-free filler in the body */
    sr_frame f;
    sr_parse_error e;
    memset(&f, 0, sizeof f);
    for (size_t k = 1; k < n; k++) {
        assert_int_equal(sr_frame_stream(buf, k, NULL, &f, &e), SR_EAGAIN);
        if (k < hl)
            assert_int_equal(f.scanned, k); /* searched once, never again */
        else
            assert_true(f.header_done && f.header_len == hl && f.body_len == body);
    }
    assert_int_equal(sr_frame_stream(buf, n, NULL, &f, &e), (ptrdiff_t)n);
    assert_false(f.header_done); /* reset for the next message */
    /* a caller that wrongly hands a buffer shorter than what was scanned: start over,
     * never read past the new length */
    memset(&f, 0, sizeof f);
    assert_int_equal(sr_frame_stream(buf, n - 1, NULL, &f, &e), SR_EAGAIN);
    assert_int_equal(sr_frame_stream(buf, 10, NULL, &f, &e), SR_EAGAIN);
    assert_false(f.header_done);
    assert_int_equal(f.scanned, 10);
    free(buf);
}

/* sr_frame_datagram_msg() told by the parse of the same bytes == sr_frame_datagram(). */
static void same_as_framer(const char *m, size_t n, const sr_frame_opts *o)
{
    char *g = tu_guarded_copy(m, n);
    sr_msg *msg = NULL;
    if (sr_msg_parse(&msg, g, n, NULL, NULL) != 0)
        msg = NULL;
    sr_frame want, got;
    sr_parse_error we = {0, 0, 0, NULL}, ge = {0, 0, 0, NULL};
    ptrdiff_t r = sr_frame_datagram(g, n, o, &want, &we);
    assert_int_equal(sr_frame_datagram_msg(g, n, msg, o, &got, &ge), r);
    if (r > 0) {
        assert_int_equal(got.kind, want.kind);
        assert_int_equal(got.len, want.len);
        assert_int_equal(got.header_len, want.header_len);
        assert_int_equal(got.body_len, want.body_len);
        assert_int_equal(got.trailing, want.trailing);
        assert_int_equal(got.has_content_length, want.has_content_length);
    } else {
        assert_int_equal(ge.code, we.code);
        assert_int_equal(ge.offset, we.offset);
        assert_ptr_equal(ge.phrase, we.phrase);
    }
    sr_msg_free(msg);
    tu_guarded_free(g, n);
}

static void test_frame_datagram_msg(void **state)
{
    (void)state;
    sr_frame_opts small = {64, 8, false};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t n;
        char *m = load(vectors[i].file, &n);
        same_as_framer(m, n, NULL);
        same_as_framer(m, n, &small);
        free(m);
    }
    static const char *const cases[] = {
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>\r\n"
        "From: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n",
        /* the body as long as Content-Length says, then bytes after it (RFC 3261 §18.3) */
        "SIP/2.0 200 OK\r\nCall-ID: x\r\nl: 4\r\n\r\nbody",
        "SIP/2.0 200 OK\r\nCall-ID: x\r\nl: 4\r\n\r\nbodyTRAILING",
        "SIP/2.0 200 OK\r\nCall-ID: x\r\ncontent-LENGTH  :  2 \r\n\r\nab",
        /* no Content-Length: the rest of the datagram */
        "SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\nrest of it",
        /* bare LF line ends, a folded Content-Length, CRLFs before the start line */
        "SIP/2.0 200 OK\nCall-ID: x\nContent-Length: 2\n\nab\r\n\r\nzz",
        "SIP/2.0 200 OK\r\nCall-ID: x\nContent-Length: 2\r\n\r\nab",
        "SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length:\r\n 2\r\n\r\nabcd",
        "\r\nSIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        "\r\n\r\nSIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        /* Content-Length too large, conflicting, bad; no empty line */
        "SIP/2.0 200 OK\r\nContent-Length: 9\r\n\r\nab",
        "SIP/2.0 200 OK\r\nContent-Length: 2\r\nl: 3\r\n\r\nabc",
        "SIP/2.0 200 OK\r\nContent-Length: 2x\r\n\r\nab",
        "SIP/2.0 200 OK\r\nContent-Length: 0\r\n",
        /* a name that is not Content-Length; a head over the small cap */
        "SIP/2.0 200 OK\r\nContent-Lengthy: 2\r\nLa: 1\r\n\r\nabc",
        ("SIP/2.0 200 OK\r\nX-Long-Header-Name-For-The-Cap: 0123456789012345678901234567890\r\n"
         "\r\n"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        same_as_framer(cases[i], strlen(cases[i]), NULL);
        same_as_framer(cases[i], strlen(cases[i]), &small);
    }
    /* the plain head is taken from the parse, the bytes are not read again: other bytes of
     * the same length frame as the parsed ones (a caller breaking the precondition) */
    const char *ok = cases[1];
    size_t n = strlen(ok);
    sr_msg *msg = NULL;
    assert_int_equal(sr_msg_parse(&msg, ok, n, NULL, NULL), 0);
    char *other = malloc(n);
    assert_non_null(other);
    memset(other, 'x', n);
    sr_frame f;
    assert_true(sr_frame_datagram(other, n, NULL, &f, NULL) < 0);
    assert_int_equal(sr_frame_datagram_msg(other, n, msg, NULL, &f, NULL), (ptrdiff_t)n);
    assert_int_equal(f.header_len, n - 4);
    assert_int_equal(f.body_len, 4);
    assert_true(f.has_content_length);
    /* NULL: the framer itself */
    assert_int_equal(sr_frame_datagram_msg(ok, n, NULL, NULL, &f, NULL), (ptrdiff_t)n);
    assert_int_equal(sr_frame_datagram_msg(NULL, n, msg, NULL, &f, NULL), SR_EINVAL);
    free(other);
    sr_msg_free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_frame_rfc4475_whole), TU_TEST(test_frame_rfc4475_bytewise),
        TU_TEST(test_frame_dblreq),        TU_TEST(test_frame_back_to_back),
        TU_TEST(test_frame_crlf),          TU_TEST(test_frame_content_length),
        TU_TEST(test_frame_caps),          TU_TEST(test_frame_incremental_large),
        TU_TEST(test_frame_datagram_msg),
    };
    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
