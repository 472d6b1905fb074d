/* sipreply fuzzing: sr_frame_stream (incremental == whole buffer), sr_frame_datagram and
 * sr_frame_datagram_msg (== sr_frame_datagram after sr_msg_parse of the same bytes).
 * RFC 3261 §18.3 framing, RFC 5626 §3.5.1 keep-alives: lengths within bounds, no over-read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipreply/frame.h>
#include <sipreply/parse.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                               \
    do {                                                                                       \
        if (!(x)) {                                                                            \
            fprintf(stderr, "fuzz_stream_framer: check failed: %s (line %d)\n", #x, __LINE__); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define MAX_FRAMES 512

typedef struct result {
    size_t count;              /* frames produced */
    ptrdiff_t len[MAX_FRAMES]; /* their lengths */
    sr_frame_kind kind[MAX_FRAMES];
    ptrdiff_t final; /* what stopped the loop: SR_EAGAIN or an error */
} result;

static void check_frame(const sr_frame *f, ptrdiff_t r, size_t avail, bool stream)
{
    CHECK(r > 0 && (size_t)r <= avail && f->len == (size_t)r);
    /* a stream header block ends with CRLFCRLF; a datagram's may end with its last CRLF */
    if (f->kind == SR_FRAME_MESSAGE)
        CHECK(f->header_len + f->body_len == f->len && f->header_len >= (stream ? 4u : 2u));
    else
        CHECK((f->kind == SR_FRAME_PING && r == 4) || (f->kind == SR_FRAME_PONG && r == 2));
}

/* Frame the whole buffer repeatedly, dropping each frame. */
static void frame_whole(const char *p, size_t n, const sr_frame_opts *o, result *res)
{
    sr_frame f;
    size_t off = 0;
    memset(&f, 0, sizeof f);
    memset(res, 0, sizeof *res);
    for (;;) {
        sr_parse_error e;
        ptrdiff_t r = sr_frame_stream(p + off, n - off, o, &f, &e);
        if (r <= 0) {
            CHECK(r == SR_EAGAIN || r == SR_EFRAMING || r == SR_ETOOBIG);
            if (r != SR_EAGAIN)
                CHECK(e.code == r && e.phrase != NULL);
            res->final = r;
            return;
        }
        check_frame(&f, r, n - off, true);
        if (res->count == MAX_FRAMES) {
            res->final = 1; /* enough */
            return;
        }
        res->len[res->count] = r;
        res->kind[res->count] = f.kind;
        res->count++;
        off += (size_t)r;
    }
}

/* Feed the same bytes in chunks (sizes from a tiny PRNG), each prefix in an exact-size heap
 * copy so a read past the current end is caught; results must match frame_whole(). */
static void frame_chunks(const char *p, size_t n, const sr_frame_opts *o, const result *want,
                         uint32_t seed)
{
    bool eager = o && o->crlf_pong_eager;
    sr_frame f;
    size_t off = 0, end = 0, got = 0;
    memset(&f, 0, sizeof f);
    while (end < n) {
        seed = seed * 1103515245u + 12345u;
        size_t step = 1 + (seed >> 16) % 17;
        end = end + step > n ? n : end + step;
        for (;;) {
            size_t avail = end - off;
            char *copy = malloc(avail ? avail : 1);
            if (!copy)
                return;
            memcpy(copy, p + off, avail);
            ptrdiff_t r = sr_frame_stream(copy, avail, o, &f, NULL);
            free(copy);
            if (r == SR_EAGAIN)
                break;
            if (r < 0) {
                CHECK(r == SR_EFRAMING || r == SR_ETOOBIG);
                if (!eager)
                    CHECK(want->final == r && got == want->count);
                return;
            }
            if (got == MAX_FRAMES)
                return;
            check_frame(&f, r, avail, true);
            /* eager pongs split CRLF runs by arrival, so only the default mode must agree */
            if (!eager)
                CHECK(got < want->count && want->len[got] == r && want->kind[got] == f.kind);
            got++;
            off += (size_t)r;
        }
    }
    if (!eager && want->final != 1)
        CHECK(got == want->count && want->final == SR_EAGAIN);
}

/* sr_frame_datagram_msg() told by the parse of the same bytes gives sr_frame_datagram()'s
 * result exactly: return value, frame and error. The bytes go in an exact-size heap copy. */
static void frame_datagram_msg(const char *p, size_t n, const sr_frame_opts *o, ptrdiff_t want,
                               const sr_frame *wf, const sr_parse_error *we)
{
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return;
    memcpy(copy, p, n);
    sr_msg *m = NULL;
    sr_parse_error pe;
    if (sr_msg_parse(&m, copy, n, NULL, &pe) != 0)
        m = NULL;
    sr_frame f;
    sr_parse_error e;
    memset(&e, 0, sizeof e);
    ptrdiff_t r = sr_frame_datagram_msg(copy, n, m, o, &f, &e);
    CHECK(r == want);
    if (r > 0)
        CHECK(f.kind == wf->kind && f.len == wf->len && f.header_len == wf->header_len &&
              f.body_len == wf->body_len && f.trailing == wf->trailing &&
              f.has_content_length == wf->has_content_length);
    else
        CHECK(e.code == we->code && e.offset == we->offset && e.phrase == we->phrase);
    sr_msg_free(m);
    free(copy);
}

static void frame_datagrams(const char *p, size_t n, const sr_frame_opts *o)
{
    size_t off = 0;
    while (off < n) {
        sr_frame f;
        sr_parse_error e;
        memset(&e, 0, sizeof e);
        ptrdiff_t r = sr_frame_datagram(p + off, n - off, o, &f, &e);
        frame_datagram_msg(p + off, n - off, o, r, &f, &e);
        if (r < 0) {
            CHECK(r == SR_EBADMSG || r == SR_ETOOBIG);
            CHECK(e.code == r && e.phrase != NULL);
            return;
        }
        check_frame(&f, r, n - off, false);
        /* a datagram with Content-Length whose header ends in CRLFCRLF frames as the stream
         * framer frames those bytes (its one-pass common case against the general way) */
        sr_frame sf;
        memset(&sf, 0, sizeof sf);
        ptrdiff_t sr = sr_frame_stream(p + off, n - off, o, &sf, NULL);
        if (f.kind == SR_FRAME_MESSAGE && sr > 0 && sf.kind == SR_FRAME_MESSAGE)
            CHECK(sr == r && sf.header_len == f.header_len && sf.body_len == f.body_len &&
                  f.has_content_length);
        if (f.kind == SR_FRAME_MESSAGE) {
            CHECK((size_t)r + f.trailing == n - off);
            return;
        }
        off += (size_t)r;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_frame_opts small = {256, 512, false};
    const sr_frame_opts *o = NULL;
    static result whole; /* large: keep it off the stack */
    if (size == 0)
        return 0;
    /* first byte: bit 0 small caps, bit 1 eager pong; the rest is the stream */
    uint8_t mode = data[0];
    if (mode & 1)
        o = &small;
    small.crlf_pong_eager = (mode & 2) != 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;

    frame_whole(p, n, o, &whole);
    frame_chunks(p, n, o, &whole, mode);
    frame_datagrams(p, n, o);
    return 0;
}
