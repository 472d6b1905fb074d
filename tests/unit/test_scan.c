/* sipreply tests: the head parser's byte scanners (src/core/scan.h). The SSE2 and the
 * portable implementations must agree with a byte-by-byte reference for every start offset
 * of random inputs that end at a guard page (a read past the end crashes), and the head
 * parser built on them must place every line-ending error where the byte is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "scan.h"
#include "testutil.h"

static size_t ref_eol(const char *p, size_t i, size_t n)
{
    for (; i < n; i++) {
        if (p[i] == '\r' || p[i] == '\n')
            return i;
    }
    return n;
}

static size_t ref_uri(const char *p, size_t i, size_t n)
{
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == 0x7f)
            return i;
    }
    return n;
}

static size_t ref_ctl(const char *p, size_t i, size_t n)
{
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return i;
    }
    return n;
}

static size_t ref_spctl(const char *p, size_t i, size_t n)
{
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == ' ' || (c < 0x20 && c != '\t') || c == 0x7f)
            return i;
    }
    return n;
}

static size_t ref_name(const char *p, size_t i, size_t n)
{
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
            return i;
    }
    return n;
}

/* xorshift: reproducible inputs */
static uint32_t rng_state = 2463534242u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Bytes biased towards the ones the scanners look for and their neighbours, plus every
 * byte value now and then (0x80..0xff included: signedness bugs show there). */
static char rnd_byte(void)
{
    static const char pick[] = "\r\n\r\n-azAZ@[`{:;, \t\x0c\x0e\x8d\x8a\xad\xe1<>\"\x7f!";
    uint32_t r = rnd() % 8;
    if (r == 0)
        return (char)(rnd() & 0xff);
    if (r < 4)
        return pick[rnd() % (sizeof pick - 1)];
    return (char)('a' + rnd() % 26);
}

static void check_buffer(const char *p, size_t n)
{
    for (size_t i = 0; i <= n; i++) {
        size_t e = ref_eol(p, i, n), m = ref_name(p, i, n), u = ref_uri(p, i, n);
        size_t c = ref_ctl(p, i, n), s = ref_spctl(p, i, n);
        assert_int_equal(sr__scan_spctl_scalar(p, i, n), s);
        assert_int_equal(sr__scan_spctl(p, i, n), s);
        assert_int_equal(sr__scan_ctl_scalar(p, i, n), c);
        assert_int_equal(sr__scan_ctl(p, i, n), c);
        assert_int_equal(sr__scan_uri_scalar(p, i, n), u);
        assert_int_equal(sr__scan_uri(p, i, n), u);
        assert_int_equal(sr__scan_eol_scalar(p, i, n), e);
        assert_int_equal(sr__scan_name_scalar(p, i, n), m);
        assert_int_equal(sr__scan_eol(p, i, n), e);
        assert_int_equal(sr__scan_name(p, i, n), m);
#ifdef SR__SCAN_SSE2
        assert_int_equal(sr__scan_eol_sse2(p, i, n), e);
        assert_int_equal(sr__scan_name_sse2(p, i, n), m);
        assert_int_equal(sr__scan_uri_sse2(p, i, n), u);
        assert_int_equal(sr__scan_ctl_sse2(p, i, n), c);
        assert_int_equal(sr__scan_spctl_sse2(p, i, n), s);
#endif
    }
}

static void test_random_agree_guarded(void **state)
{
    (void)state;
    char buf[160];
    for (int round = 0; round < 3000; round++) {
        size_t n = rnd() % sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = rnd_byte();
        /* now and then no match at all, so the scan runs into the guard page */
        if (round % 7 == 0)
            for (size_t k = 0; k < n; k++)
                buf[k] = (char)('a' + k % 26);
        char *g = tu_guarded_copy(buf, n);
        check_buffer(g, n);
        tu_guarded_free(g, n);
    }
}

/* One match at every position of every length up to 48 (three 16-byte blocks), the rest
 * neutral bytes. */
static void test_every_position(void **state)
{
    (void)state;
    static const char hits[] = {'\r', '\n', ':',  ' ', '\0', (char)0xc1, (char)0x8d, '<',
                                '>',  '"',  0x7f, '!', '\t', 0x1f,       0x20,       0x01};
    for (size_t n = 0; n <= 48; n++) {
        for (size_t pos = 0; pos < n; pos++) {
            for (size_t h = 0; h < sizeof hits; h++) {
                char buf[80];
                memset(buf, 'Q', n);
                buf[pos] = hits[h];
                char *g = tu_guarded_copy(buf, n);
                check_buffer(g, n);
                tu_guarded_free(g, n);
            }
        }
    }
}

/* A bare CR inside a header value is an error at its own offset wherever it sits relative
 * to the 8- and 16-byte blocks; a value that ends at the buffer's end waits for more. */
static void test_parse_head_bare_cr_offsets(void **state)
{
    (void)state;
    for (size_t vlen = 1; vlen < 48; vlen++) {
        for (size_t at = 0; at < vlen; at++) {
            char msg[256];
            char val[64];
            memset(val, 'v', vlen);
            val[at] = '\r';
            int pre = snprintf(msg, sizeof msg, "OPTIONS sip:a@b SIP/2.0\r\nSubject: ");
            memcpy(msg + pre, val, vlen);
            int post = snprintf(msg + (size_t)pre + vlen, sizeof msg - (size_t)pre - vlen,
                                "\r\nCall-ID: x\r\n\r\n");
            size_t len = (size_t)pre + vlen + (size_t)post;
            char *g = tu_guarded_copy(msg, len);
            sr_start_line sl;
            sr_header hv[8];
            size_t nh = 8;
            sr_parse_error err = {0};
            ptrdiff_t rc = sr_parse_head(g, len, 0, &sl, hv, &nh, &err);
            /* "\r\r\n" ... : the CR before another byte than LF is the error */
            assert_int_equal(rc, SR_EBADMSG);
            assert_int_equal(err.offset, (size_t)pre + at);
            assert_string_equal(err.phrase, "Bad line ending");
            /* cut just after the bare CR: still an error unless the CR is the last byte */
            nh = 8;
            ptrdiff_t rc2 = sr_parse_head(g, (size_t)pre + at + 1, 0, &sl, hv, &nh, &err);
            assert_int_equal(rc2, SR_EAGAIN);
            tu_guarded_free(g, len);
        }
    }
}

/* Folded values and bare-LF line ends at every length: the value is what lies between the
 * colon and the line end, LWS trimmed, and the head ends where the empty line does. */
static void test_parse_head_lengths_and_folds(void **state)
{
    (void)state;
    for (size_t vlen = 1; vlen < 48; vlen++) {
        for (int variant = 0; variant < 3; variant++) {
            char msg[256], val[64];
            for (size_t k = 0; k < vlen; k++)
                val[k] = (char)('a' + k % 26);
            const char *eol = variant == 1 ? "\n" : "\r\n";
            int n;
            if (variant == 2) /* fold the value in the middle */
                n = snprintf(msg, sizeof msg,
                             "SIP/2.0 200 OK\r\nX-Some-Long-Name: %.*s\r\n %.*s\r\n\r\n",
                             (int)(vlen / 2), val, (int)(vlen - vlen / 2), val + vlen / 2);
            else
                n = snprintf(msg, sizeof msg, "SIP/2.0 200 OK%sX-Some-Long-Name: %.*s%s%s", eol,
                             (int)vlen, val, eol, eol);
            size_t len = (size_t)n;
            char *g = tu_guarded_copy(msg, len);
            sr_start_line sl;
            sr_header hv[4];
            size_t nh = 4;
            sr_parse_error err = {0};
            ptrdiff_t rc = sr_parse_head(g, len, 0, &sl, hv, &nh, &err);
            assert_int_equal(rc, (ptrdiff_t)len);
            assert_int_equal(nh, 1);
            assert_int_equal(hv[0].id, SR_HDR_OTHER);
            assert_int_equal(hv[0].name.len, strlen("X-Some-Long-Name"));
            if (variant != 2) {
                assert_mem_eq(hv[0].value.p, hv[0].value.len, val, vlen);
            } else if (vlen / 2 == 0) { /* "name: CRLF SP v": the leading fold is trimmed */
                assert_mem_eq(hv[0].value.p, hv[0].value.len, val, vlen);
            } else {
                assert_int_equal(hv[0].value.len, vlen + 3);
                assert_memory_equal(hv[0].value.p, val, vlen / 2);
            }
            /* every shorter prefix is incomplete, never an error or a crash */
            for (size_t cut = 0; cut < len; cut++) {
                char *h = tu_guarded_copy(msg, cut);
                nh = 4;
                assert_int_equal(sr_parse_head(h, cut, 0, &sl, hv, &nh, &err), SR_EAGAIN);
                tu_guarded_free(h, cut);
            }
            tu_guarded_free(g, len);
        }
    }
}

/* Every known name, in random case, full and compact, through the head parser's own lookup
 * (the inline one of hdr_int.h); near misses stay unknown. */
static void test_parse_head_names(void **state)
{
    (void)state;
    for (int id = SR_HDR_OTHER + 1; id < SR_HDR__COUNT; id++) {
        const char *name = sr_hdr_name((enum sr_hdr_id)id);
        assert_non_null(name);
        for (int variant = 0; variant < 6; variant++) {
            char nm[80];
            size_t n = strlen(name);
            char compact = sr_hdr_compact((enum sr_hdr_id)id);
            if (variant == 5) {
                if (!compact)
                    continue;
                nm[0] = (char)(rnd() & 1 ? compact : compact ^ 0x20);
                n = 1;
            } else {
                for (size_t k = 0; k < n; k++) {
                    char c = name[k];
                    if (c >= 'a' && c <= 'z' && (rnd() & 1))
                        c = (char)(c - 32);
                    else if (c >= 'A' && c <= 'Z' && (rnd() & 1))
                        c = (char)(c + 32);
                    nm[k] = c;
                }
            }
            enum sr_hdr_id want = (enum sr_hdr_id)id;
            if (variant == 3) { /* one byte changed into another token byte: unknown */
                size_t k = rnd() % n;
                nm[k] = nm[k] == '-' ? '_' : (char)(nm[k] == '_' ? '.' : '_');
                want = SR_HDR_OTHER;
            } else if (variant == 4) { /* one byte longer */
                nm[n++] = 'x';
                want = SR_HDR_OTHER;
            }
            char msg[256];
            int len = snprintf(msg, sizeof msg, "SIP/2.0 200 OK\r\n%.*s: v\r\n\r\n", (int)n, nm);
            char *g = tu_guarded_copy(msg, (size_t)len);
            sr_start_line sl;
            sr_header hv[2];
            size_t nh = 2;
            assert_int_equal(sr_parse_head(g, (size_t)len, 0, &sl, hv, &nh, NULL), len);
            assert_int_equal(nh, 1);
            if (hv[0].id != want)
                fail_msg("%.*s: id %d, want %d", (int)n, nm, (int)hv[0].id, (int)want);
            assert_int_equal(sr_hdr_lookup(hv[0].name), want);
            tu_guarded_free(g, (size_t)len);
        }
    }
}

static size_t ref_an(const char *p, size_t i, size_t n)
{
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return i;
    }
    return n;
}

/* The letter/digit/-/. scanner (sr__span_an's vector step): every implementation agrees with
 * the reference at every start offset of inputs that end at a guard page; the bytes it takes
 * belong to every class sr__span_an serves, so it never takes a byte the class would stop at;
 * and sr__span_an gives sr__span's index. */
static void test_an_agree_guarded(void **state)
{
    (void)state;
    static const unsigned classes[] = {SR__C_TOKEN, SR__C_PVAL, SR__C_HOST, SR__C_HOST6,
                                       SR__C_WORD};
    for (unsigned c = 0; c < 256; c++) {
        for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++)
            if (sr__is_an((unsigned char)c))
                assert_true(sr__is((unsigned char)c, classes[k]));
    }
    char buf[160];
    static const char pick[] = "az09AZ-.@[`{/:;_=~!\x80\xff \r";
    for (int round = 0; round < 3000; round++) {
        size_t n = rnd() % sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = rnd() % 6 ? (char)pick[rnd() % 4] : pick[rnd() % (sizeof pick - 1)];
        char *g = tu_guarded_copy(buf, n);
        for (size_t i = 0; i <= n; i++) {
            size_t want = ref_an(g, i, n);
            assert_int_equal(sr__scan_an_scalar(g, i, n), want);
            assert_int_equal(sr__scan_an(g, i, n), want);
            size_t f = sr__scan_an_fast(g, i, n);
            assert_true(f >= i && f <= want); /* a prefix of the run, never past it */
#ifdef SR__SCAN_SSE2
            assert_int_equal(sr__scan_an_sse2(g, i, n), want);
#endif
            for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++)
                assert_int_equal(sr__span_an(g, i, n, classes[k]), sr__span(g, i, n, classes[k]));
        }
        tu_guarded_free(g, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_random_agree_guarded),       TU_TEST(test_every_position),
        TU_TEST(test_parse_head_bare_cr_offsets), TU_TEST(test_parse_head_lengths_and_folds),
        TU_TEST(test_parse_head_names),           TU_TEST(test_an_agree_guarded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
