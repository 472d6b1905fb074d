/* sipreply tests: the SDP parser and printer (sdp.h) — RFC 4566 §5 field by field, what is
 * tolerated and what is refused, print/parse round trips, guard pages and an allocation
 * failure sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/sdp.h"

/* Parse @p txt from a guard-paged copy (a read past the end crashes); the copy is freed
 * before returning: the parsed description owns its own text. */
static int parse_g(const char *txt, sr_sdp **out, sr_parse_error *pe)
{
    size_t n = strlen(txt);
    char *g = tu_guarded_copy(txt, n);
    int rc = sr_sdp_parse(out, g, n, tu_allocator(), pe);
    tu_guarded_free(g, n);
    return rc;
}

static sr_sdp *parse_ok(const char *txt)
{
    sr_sdp *sd = NULL;
    sr_parse_error pe = {0};
    int rc = parse_g(txt, &sd, &pe);
    if (rc != 0)
        fail_msg("parse failed: %s (%s) at %zu\n%s", sr_errname(rc), pe.phrase ? pe.phrase : "?",
                 pe.offset, txt);
    return sd;
}

static void parse_bad(const char *txt, int want, const char *phrase)
{
    sr_sdp *sd = NULL;
    sr_parse_error pe = {0};
    int rc = parse_g(txt, &sd, &pe);
    if (rc != want)
        fail_msg("want %s, got %s for\n%s", sr_errname(want), sr_errname(rc), txt);
    assert_null(sd);
    if (phrase)
        assert_string_equal(pe.phrase, phrase);
}

#define HEAD "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static void test_sdp_fields(void **state)
{
    (void)state;
    sr_sdp *sd = parse_ok("v=0\r\n"
                          "o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com\r\n"
                          "s=A call\r\n"
                          "i=about it\r\n"
                          "u=http://example.com/x\r\n"
                          "e=alice@example.com\r\n"
                          "p=+1 555 0100\r\n"
                          "c=IN IP4 224.2.17.12/127\r\n"
                          "b=CT:128\r\n"
                          "t=2873397496 2873404696\r\n"
                          "r=7d 1h 0 25h\r\n"
                          "z=2882844526 -1h\r\n"
                          "k=prompt\r\n"
                          "a=tool:x\r\n"
                          "a=recvonly\r\n"
                          "m=audio 49170/2 RTP/AVP 0 96 97\r\n"
                          "i=voice\r\n"
                          "c=IN IP6 2001:db8::1\r\n"
                          "b=AS:64\r\n"
                          "k=clear:x\r\n"
                          "a=rtpmap:96 L16/16000/2\r\n"
                          "a=rtpmap:97 telephone-event/8000\r\n"
                          "a=fmtp:97 0-15\r\n"
                          "a=ptime:20\r\n"
                          "a=x-unknown\r\n"
                          "m=video 0 RTP/AVP 31\r\n"
                          "a=sendonly\r\n");
    assert_sr_str_eq(sd->origin.username, "alice");
    assert_sr_str_eq(sd->origin.sess_id, "2890844526");
    assert_sr_str_eq(sd->origin.sess_version, "2890844527");
    assert_sr_str_eq(sd->origin.addr, "host.atlanta.example.com");
    assert_sr_str_eq(sd->name, "A call");
    assert_true(sd->has_conn);
    assert_sr_str_eq(sd->conn.addr, "224.2.17.12");
    assert_sr_str_eq(sd->conn.suffix, "/127");
    assert_int_equal(sd->n_bws, 1);
    assert_sr_str_eq(sd->bws[0].type, "CT");
    assert_int_equal(sd->bws[0].value, 128);
    assert_int_equal(sd->start, 2873397496u);
    assert_int_equal(sd->stop, 2873404696u);
    assert_int_equal(sd->n_lines, 8); /* i u e p t r z k */
    assert_int_equal(sd->n_attrs, 1);
    assert_non_null(sr_sdp_attr_find(sd, NULL, "tool"));
    assert_true(sd->dir_set);
    assert_int_equal(sd->dir, SR_SDP_RECVONLY);
    assert_int_equal(sd->n_media, 2);
    const sr_sdp_media *a = &sd->media[0];
    assert_sr_str_eq(a->type, "audio");
    assert_int_equal(a->port, 49170);
    assert_int_equal(a->n_ports, 2);
    assert_sr_str_eq(a->proto, "RTP/AVP");
    assert_int_equal(a->n_fmts, 3);
    assert_int_equal(a->fmts[0].pt, 0);
    assert_false(a->fmts[0].has_rtpmap);
    assert_true(a->fmts[1].has_rtpmap);
    assert_sr_str_eq(a->fmts[1].encoding, "L16");
    assert_int_equal(a->fmts[1].clock, 16000);
    assert_sr_str_eq(a->fmts[1].enc_params, "2");
    assert_true(a->fmts[2].has_fmtp);
    assert_sr_str_eq(a->fmts[2].fmtp, "0-15");
    assert_int_equal(a->ptime, 20);
    assert_int_equal(a->n_conns, 1);
    assert_sr_str_eq(a->conns[0].addrtype, "IP6");
    assert_sr_str_eq(a->conns[0].addr, "2001:db8::1");
    assert_int_equal(a->n_bws, 1);
    assert_int_equal(a->n_lines, 2);
    assert_int_equal(a->n_attrs, 1);
    assert_non_null(sr_sdp_attr_find(sd, a, "x-unknown"));
    assert_false(a->dir_set);
    assert_int_equal(a->dir, SR_SDP_RECVONLY); /* the session's */
    const sr_sdp_media *v = &sd->media[1];
    assert_int_equal(v->port, 0);
    assert_true(v->dir_set);
    assert_int_equal(v->dir, SR_SDP_SENDONLY);
    sr_sdp_free(sd);
}

static void test_sdp_tolerated(void **state)
{
    (void)state;
    /* LF line ends, no final line end, empty s=, c= after t=, a fractional ptime, an
     * rtpmap for an unlisted format (a generic attribute), host names, trailing blank lines */
    sr_sdp *sd = parse_ok("v=0\no=- 0 0 IN IP4 h.example\ns=\nt=0 0\nc=IN IP4 h.example\n"
                          "m=audio 9 RTP/AVP 8\na=ptime:20.0\na=rtpmap:99 foo/8000");
    assert_int_equal(sd->media[0].ptime, 20);
    assert_int_equal(sd->media[0].n_attrs, 1);
    assert_sr_str_eq(sd->name, "");
    sr_sdp_free(sd);
    sd = parse_ok(HEAD "m=audio 9 RTP/AVP 0\r\n\r\n\r\n");
    assert_int_equal(sd->n_media, 1);
    sr_sdp_free(sd);
    /* no media at all (RFC 4317 §5.1), and a rejected stream without any c= */
    sd = parse_ok("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns= \r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n");
    assert_int_equal(sd->media[0].port, 0);
    sr_sdp_free(sd);
    /* IPv6 and an address type we do not know */
    sd = parse_ok("v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::\r\nt=0 0\r\n"
                  "m=audio 9 RTP/AVP 0\r\nc=ATM NSAP 47.0005.80.ffe100.0000.f21a.0000\r\n");
    assert_true(sd->conn.unspecified);
    assert_false(sd->media[0].conns[0].unspecified);
    sr_sdp_free(sd);
}

static void test_sdp_refused(void **state)
{
    (void)state;
    parse_bad("", SR_EBADMSG, "Missing o=, s= or t= line");
    parse_bad("o=- 1 1 IN IP4 a.b\r\nv=0\r\n", SR_EBADMSG, "SDP must start with v=");
    parse_bad("v=1\r\n", SR_EBADMSG, "Unsupported SDP version");
    parse_bad("v=0\r\ns=-\r\nt=0 0\r\n", SR_EBADMSG, "Missing o=, s= or t= line");
    parse_bad("v=0\r\no=- x 1 IN IP4 a.b\r\ns=-\r\nt=0 0\r\n", SR_EBADMSG, "Bad o= line");
    parse_bad("v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", SR_EBADMSG, "Bad o= line");
    parse_bad(HEAD "x=what\r\n", SR_EBADMSG, "Unknown SDP line type");
    parse_bad(HEAD "y=what\r\n", SR_EBADMSG, "Unknown SDP line type");
    parse_bad(HEAD "A=x\r\n", SR_EBADMSG, "Bad SDP line");
    parse_bad(HEAD "a\r\n", SR_EBADMSG, "Bad SDP line");
    parse_bad(HEAD "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", SR_EBADMSG,
              "Session-level SDP line after m=");
    parse_bad(HEAD "m=audio 70000 RTP/AVP 0\r\n", SR_EBADMSG, "Bad m= line");
    parse_bad(HEAD "m=audio 9 RTP/AVP\r\n", SR_EBADMSG, "Bad m= line");
    parse_bad(HEAD "m=audio 9/0 RTP/AVP 0\r\n", SR_EBADMSG, "Bad m= line");
    parse_bad(HEAD "m=audio 9 /AVP 0\r\n", SR_EBADMSG, "Bad m= line");
    parse_bad(HEAD "m=audio x RTP/AVP 0\r\n", SR_EBADMSG, "Bad m= line");
    parse_bad(HEAD "m=audio 9 RTP/AVP 0 8\t9\r\n", SR_EBADMSG, "Bad m= line");
    parse_bad(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", SR_EBADMSG, "Bad a= line");
    parse_bad(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/x\r\n", SR_EBADMSG, "Bad a= line");
    parse_bad(HEAD "m=audio 9 RTP/AVP 0\r\na=ptime:x\r\n", SR_EBADMSG, "Bad a= line");
    parse_bad(HEAD "a=:x\r\n", SR_EBADMSG, "Bad a= line");
    parse_bad(HEAD "b=AS\r\n", SR_EBADMSG, "Bad b= line");
    parse_bad(HEAD "b=AS:x\r\n", SR_EBADMSG, "Bad b= line");
    parse_bad(HEAD "c=IN IP4 192.0.2.2\r\n", SR_EBADMSG, "Repeated c= line");
    parse_bad("v=0\r\no=- 1 1 IN IP4 a.b\r\ns=-\r\nc=IN IP4 300.1.1.1\r\nt=0 0\r\n", SR_EBADMSG,
              "Bad c= line");
    parse_bad("v=0\r\no=- 1 1 IN IP4 a.b\r\ns=-\r\nc=IN IP4 1.2.3.4/\r\nt=0 0\r\n", SR_EBADMSG,
              "Bad c= line");
    parse_bad("v=0\r\no=- 1 1 IN IP4 a.b\r\ns=-\r\nc=IN IP6 fe80::1%eth0\r\nt=0 0\r\n", SR_EBADMSG,
              "Bad c= line");
    parse_bad("v=0\r\no=- 1 1 IN IP4 a.b\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n", SR_EBADMSG,
              "Missing c= line");
    parse_bad(HEAD "s=again\r\n", SR_EBADMSG, "Repeated s= line");
    parse_bad(HEAD "t=x 0\r\n", SR_EBADMSG, "Bad t= line");
    parse_bad(HEAD "\r\nm=audio 9 RTP/AVP 0\r\n", SR_EBADMSG, "Empty line in SDP");
    parse_bad(HEAD "a=x\ry\r\n", SR_EBADMSG, "Bad character in SDP");
    /* a NUL inside a line */
    static const char nul[] = HEAD "a=x\0y\r\n";
    sr_sdp *sd = NULL;
    sr_parse_error pe;
    assert_int_equal(sr_sdp_parse(&sd, nul, sizeof(nul) - 1, tu_allocator(), &pe), SR_EBADMSG);
    assert_int_equal(pe.offset, strlen(HEAD) + 3); /* the NUL itself */
    assert_null(sd);
    /* too big, and bad arguments */
    char *big = malloc(SR_SDP_MAX_LEN + 1);
    memset(big, 'a', SR_SDP_MAX_LEN + 1);
    assert_int_equal(sr_sdp_parse(&sd, big, SR_SDP_MAX_LEN + 1, tu_allocator(), NULL), SR_ETOOBIG);
    free(big);
    assert_int_equal(sr_sdp_parse(NULL, "v=0", 3, NULL, NULL), SR_EINVAL);
    assert_int_equal(sr_sdp_parse(&sd, NULL, 3, NULL, NULL), SR_EINVAL);
    sr_sdp_free(NULL);
}

/* print(parse(x)) is a fixed point after one step, and parses to the same structure. */
static void roundtrip(const char *txt)
{
    sr_sdp *a = parse_ok(txt);
    sr_buf b1, b2;
    sr_buf_init(&b1, tu_allocator());
    sr_buf_init(&b2, tu_allocator());
    assert_int_equal(sr_sdp_print(a, &b1), 0);
    sr_sdp *b = parse_ok(b1.p);
    assert_int_equal(sr_sdp_print(b, &b2), 0);
    assert_mem_eq(b2.p, b2.len, b1.p, b1.len);
    assert_int_equal(a->n_media, b->n_media);
    for (size_t i = 0; i < a->n_media; i++) {
        assert_int_equal(a->media[i].n_fmts, b->media[i].n_fmts);
        assert_int_equal(a->media[i].dir, b->media[i].dir);
        assert_int_equal(a->media[i].ptime, b->media[i].ptime);
    }
    sr_sdp_free(a);
    sr_sdp_free(b);
    sr_buf_cleanup(&b1);
    sr_buf_cleanup(&b2);
}

static void test_sdp_print(void **state)
{
    (void)state;
    /* the canonical order: RFC 4566 §5 */
    sr_sdp *sd = parse_ok("v=0\no=- 5 6 IN IP4 192.0.2.9\ns=x\nt=0 0\na=sendonly\nc=IN IP4 "
                          "192.0.2.9\nm=audio 4000 RTP/AVP 8 101\na=sendrecv\na=fmtp:101 0-15\n"
                          "a=rtpmap:101 telephone-event/8000\na=foo:bar\na=ptime:30\n");
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_sdp_print(sd, &b), 0);
    assert_string_equal(b.p, "v=0\r\n"
                             "o=- 5 6 IN IP4 192.0.2.9\r\n"
                             "s=x\r\n"
                             "c=IN IP4 192.0.2.9\r\n"
                             "t=0 0\r\n"
                             "a=sendonly\r\n"
                             "m=audio 4000 RTP/AVP 8 101\r\n"
                             "a=rtpmap:101 telephone-event/8000\r\n"
                             "a=fmtp:101 0-15\r\n"
                             "a=ptime:30\r\n"
                             "a=foo:bar\r\n"
                             "a=sendrecv\r\n");
    assert_int_equal(sr_sdp_print(NULL, &b), SR_EINVAL);
    sr_buf_cleanup(&b);
    sr_sdp_free(sd);
    roundtrip(HEAD "m=audio 9 RTP/AVP 0 8\r\nm=video 0 RTP/AVP 31\r\nb=AS:1\r\n");
    roundtrip("v=0\r\no=- 1 1 IN IP4 a.example\r\ns=-\r\ni=x\r\nu=y\r\ne=z\r\np=w\r\n"
              "c=IN IP4 a.example\r\nb=CT:1\r\nt=0 0\r\nr=1 2 3\r\nt=5 6\r\nz=1 -1h\r\nk=prompt\r\n"
              "a=recvonly\r\nm=audio 1/2 RTP/AVP 0\r\ni=m\r\nc=IN IP4 1.2.3.4\r\nk=prompt\r\n"
              "a=rtpmap:0 PCMU/8000/1\r\na=fmtp:0 x\r\na=x:\r\n");
}

static int sweep_parse(const sr_allocator *a, void *ctx)
{
    sr_sdp *sd = NULL;
    int rc = sr_sdp_parse(&sd, ctx, strlen(ctx), a, NULL);
    if (rc)
        return rc;
    sr_buf b;
    sr_buf_init(&b, a);
    rc = sr_sdp_print(sd, &b);
    sr_buf_cleanup(&b);
    sr_sdp_free(sd);
    return rc;
}

static void test_sdp_sweep(void **state)
{
    (void)state;
    long n = tu_failure_sweep(sweep_parse, (void *)(HEAD "m=audio 9 RTP/AVP 0 8\r\n"
                                                         "a=rtpmap:0 PCMU/8000\r\n"));
    assert_true(n >= 2);
}

/* Random mutations of a valid description: every result is an error or a description whose
 * slices lie inside its own text, with no crash (the fuzz target goes further). */
static void test_sdp_garbage(void **state)
{
    (void)state;
    const char *base = HEAD "m=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
                            "a=fmtp:101 0-15\r\na=sendonly\r\nm=video 0 RTP/AVP 31\r\n";
    size_t n = strlen(base);
    char buf[512];
    uint32_t seed = 12345;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, base, n);
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            buf[at] = (char)(seed >> 16);
        }
        sr_sdp *sd = NULL;
        int rc = sr_sdp_parse(&sd, buf, n, tu_allocator(), NULL);
        if (rc == 0) {
            sr_buf b;
            sr_buf_init(&b, tu_allocator());
            assert_int_equal(sr_sdp_print(sd, &b), 0);
            sr_buf_cleanup(&b);
            sr_sdp_free(sd);
        } else {
            assert_int_equal(rc, SR_EBADMSG);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_sdp_fields), TU_TEST(test_sdp_tolerated), TU_TEST(test_sdp_refused),
        TU_TEST(test_sdp_print),  TU_TEST(test_sdp_sweep),     TU_TEST(test_sdp_garbage),
    };
    return cmocka_run_group_tests_name("sdp_parse", tests, NULL, NULL);
}
