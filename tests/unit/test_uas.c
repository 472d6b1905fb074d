/* sipreply tests: the UAS request checks (uas.h) on hand-written requests and on every
 * RFC 4475 torture vector whose MANIFEST expects a response. RFC 3261 §8.2, §16.3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char options_txt[] = "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
                                  "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bKhjhs8ass877\r\n"
                                  "Max-Forwards: 70\r\n"
                                  "To: <sip:carol@chicago.example.com>\r\n"
                                  "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"
                                  "Call-ID: a84b4c76e66710\r\n"
                                  "CSeq: 63104 OPTIONS\r\n"
                                  "Accept: application/sdp\r\n"
                                  "Content-Length: 0\r\n\r\n";

/* Replace the first occurrence of @p from in the OPTIONS template. */
static char *variant(const char *from, const char *to)
{
    const char *at = strstr(options_txt, from);
    assert_non_null(at);
    size_t n = sizeof options_txt - 1 - strlen(from) + strlen(to);
    char *s = malloc(n + 1);
    assert_non_null(s);
    size_t pre = (size_t)(at - options_txt);
    memcpy(s, options_txt, pre);
    memcpy(s + pre, to, strlen(to));
    strcpy(s + pre + strlen(to), at + strlen(from));
    return s;
}

static unsigned check_variant(const char *from, const char *to, const sr_uas_policy *p,
                              sr_uas_verdict *v)
{
    char *txt = variant(from, to);
    sr_msg *m = tu_parse_len(txt, strlen(txt), tu_allocator());
    assert_int_equal(sr_uas_check(m, p, v), 0);
    sr_msg_free(m);
    free(txt);
    return v->code;
}

static void test_uas_passes_and_methods(void **state)
{
    (void)state;
    sr_uas_verdict v;
    sr_uas_policy p;
    sr_uas_policy_init(&p);
    assert_int_equal(check_variant("OPTIONS sip", "OPTIONS sip", &p, &v), 0);
    /* a known method not allowed here: 405 with Allow, checked first (RFC 3261 §8.2.1)
     * even though the CSeq method (still OPTIONS) does not match */
    assert_int_equal(check_variant("OPTIONS sip", "SUBSCRIBE sip", &p, &v), 405);
    /* the same with a consistent CSeq */
    char *txt = variant("OPTIONS sip", "SUBSCRIBE sip");
    char *cs = strstr(txt, "63104 OPTIONS");
    memcpy(cs, "63104 SUBSCRI", 13); /* keeps the length: CSeq method "SUBSCRI" */
    sr_msg *m = tu_parse_len(txt, strlen(txt), tu_allocator());
    assert_int_equal(sr_uas_check(m, &p, &v), 0);
    assert_int_equal(v.code, 405);
    assert_true(v.add & SR_UAS_ADD_ALLOW);
    sr_msg_free(m);
    free(txt);
    /* an ACK is never answered */
    assert_int_equal(check_variant("OPTIONS sip", "ACK sip", &p, &v), 0);
    /* a proxy does not check methods */
    p.proxy = true;
    assert_int_equal(check_variant("CSeq: 63104 OPTIONS", "CSeq: 63104 FOO", &p, &v), 400);
    assert_string_equal(v.reason, "CSeq method does not match request method");
}

static void test_uas_individual_checks(void **state)
{
    (void)state;
    sr_uas_verdict v;
    sr_uas_policy p;
    sr_uas_policy_init(&p);
    /* 416 */
    assert_int_equal(check_variant("OPTIONS sip:", "OPTIONS mailto:", &p, &v), 416);
    assert_string_equal(v.reason, "Unsupported URI Scheme");
    /* 420 with the unknown tags; supported ones are not listed */
    static const char *const sup[] = {"timer", NULL};
    p.supported = sup;
    {
        /* the tags are slices into the request: check them while it lives */
        char *txt = variant("Accept:", "Require: timer, foo, bar\r\nAccept:");
        sr_msg *m = tu_parse_len(txt, strlen(txt), tu_allocator());
        assert_int_equal(sr_uas_check(m, &p, &v), 0);
        assert_int_equal(v.code, 420);
        assert_int_equal(v.n_unsupported, 2);
        assert_sr_str_eq(v.unsupported[0], "foo");
        assert_sr_str_eq(v.unsupported[1], "bar");
        sr_msg_free(m);
        free(txt);
    }
    assert_int_equal(check_variant("Accept:", "Require: timer\r\nAccept:", &p, &v), 0);
    /* 415: body type, then encoding */
    assert_int_equal(check_variant("Content-Length: 0\r\n",
                                   "Content-Type: text/x-foo\r\nContent-Length: 2\r\n\r\nhi", &p,
                                   &v),
                     415);
    assert_true(v.add & SR_UAS_ADD_ACCEPT);
    assert_int_equal(check_variant("Content-Length: 0\r\n", "Content-Length: 2\r\n\r\nhi", &p, &v),
                     400);
    assert_string_equal(v.reason, "Missing Content-Type header field");
    assert_int_equal(check_variant("Content-Length: 0\r\n",
                                   "Content-Type: application/SDP\r\nContent-Length: 2\r\n\r\nhi",
                                   &p, &v),
                     0);
    assert_int_equal(check_variant("Content-Length: 0\r\n",
                                   "Content-Type: application/sdp\r\nContent-Encoding: "
                                   "gzip\r\nContent-Length: 2\r\n\r\nhi",
                                   &p, &v),
                     415);
    assert_true(v.add & SR_UAS_ADD_ACCEPT_ENCODING);
    static const char *const langs[] = {"en", NULL};
    p.accept_language = langs;
    assert_int_equal(check_variant("Content-Length: 0\r\n",
                                   "Content-Type: application/sdp\r\nContent-Language: "
                                   "fr\r\nContent-Length: 2\r\n\r\nhi",
                                   &p, &v),
                     415);
    assert_true(v.add & SR_UAS_ADD_ACCEPT_LANGUAGE);
    /* 513 over the size limit */
    p.max_size = 100;
    assert_int_equal(check_variant("OPTIONS sip", "OPTIONS sip", &p, &v), 513);
    p.max_size = 0;
    /* 400s with the validator's precise phrases */
    assert_int_equal(check_variant("Max-Forwards: 70\r\n", "", &p, &v), 400);
    assert_non_null(strstr(v.reason, "Max-Forwards"));
    assert_int_equal(check_variant("Call-ID: a84b4c76e66710\r\n", "", &p, &v), 400);
    assert_string_equal(v.reason, "Missing Call-ID header field");
    /* 505 */
    assert_int_equal(check_variant("example.com SIP/2.0", "example.com SIP/3.0", &p, &v), 505);
}

static bool merged_yes(const sr_msg *req, void *user)
{
    int *calls = user;
    (*calls)++;
    return sr_msg_cseq(req) && sr_msg_cseq(req)->num == 63104;
}

static void test_uas_merged_and_proxy(void **state)
{
    (void)state;
    sr_uas_verdict v;
    sr_uas_policy p;
    sr_uas_policy_init(&p);
    int calls = 0;
    p.merged = merged_yes;
    p.merged_user = &calls;
    assert_int_equal(check_variant("OPTIONS sip", "OPTIONS sip", &p, &v), 482);
    assert_int_equal(calls, 1);
    /* a request with a To tag is in-dialog: never a merged request */
    assert_int_equal(
        check_variant("chicago.example.com>\r\n", "chicago.example.com>;tag=x1\r\n", &p, &v), 0);
    assert_int_equal(calls, 1);
    p.merged = NULL;
    /* proxy: Max-Forwards 0 → 483 (OPTIONS too unless answer_options) */
    p.proxy = true;
    assert_int_equal(check_variant("Max-Forwards: 70", "Max-Forwards: 0", &p, &v), 483);
    p.answer_options = true;
    assert_int_equal(check_variant("Max-Forwards: 70", "Max-Forwards: 0", &p, &v), 0);
    /* proxy checks Proxy-Require, not Require */
    assert_int_equal(check_variant("Accept:", "Require: foo\r\nAccept:", &p, &v), 0);
    assert_int_equal(check_variant("Accept:", "Proxy-Require: foo\r\nAccept:", &p, &v), 420);
    p.proxy = false;
    assert_int_equal(check_variant("Max-Forwards: 70", "Max-Forwards: 0", &p, &v), 0);
    assert_int_equal(sr_uas_check(NULL, &p, &v), SR_EINVAL);

    /* registrar: 'Contact: *' only with 'Expires: 0' (RFC 3261 §10.3 step 6) */
    static const char reg[] = "REGISTER sip:example.com SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP pc33.example.net;branch=z9hG4bKreg1\r\n"
                              "Max-Forwards: 70\r\n"
                              "To: <sip:bob@example.com>\r\n"
                              "From: <sip:bob@example.com>;tag=456248\r\n"
                              "Call-ID: 843817637684230@998sdasdh09\r\n"
                              "CSeq: 1826 REGISTER\r\n"
                              "Contact: *\r\n"
                              "Expires: 3600\r\n"
                              "Content-Length: 0\r\n\r\n";
    static const char *const reg_methods[] = {"REGISTER", NULL};
    sr_uas_policy_init(&p);
    p.methods = reg_methods;
    p.registrar = true;
    sr_msg *m = tu_parse_len(reg, sizeof reg - 1, tu_allocator());
    assert_int_equal(sr_uas_check(m, &p, &v), 0);
    assert_int_equal(v.code, 400);
    assert_string_equal(v.reason, "Contact * requires Expires: 0 and no other Contact");
    sr_msg_free(m);
    char *txt = malloc(sizeof reg);
    assert_non_null(txt);
    memcpy(txt, reg, sizeof reg);
    memcpy(strstr(txt, "Expires: 3600"), "Expires:    0", 13);
    m = tu_parse_len(txt, strlen(txt), tu_allocator());
    assert_int_equal(sr_uas_check(m, &p, &v), 0);
    assert_int_equal(v.code, 0);
    sr_msg_free(m);
    free(txt);
}

/* --------------------------------------------------------- RFC 4475 vectors */

typedef struct vec_case {
    const char *file;
    int mode; /* 0 UAS, 1 proxy, 2 registrar (a UAS that allows REGISTER) */
    unsigned code;
    const char *hdr;    /* a header the built response must carry, or NULL */
    const char *value;  /* its value, or NULL */
    const char *reason; /* expected phrase (substring), or NULL */
    int build_rc;       /* what sr_uas_respond returns (0 unless a known limitation) */
} vec_case;

static const vec_case vec_cases[] = {
    {"insuf.dat", false, 400, NULL, NULL, "Missing", 0},
    {"unkscm.dat", false, 416, NULL, NULL, "Unsupported URI Scheme", 0},
    {"novelsc.dat", false, 416, NULL, NULL, NULL, 0},
    {"bext01.dat", false, 420, "Unsupported", "nothingSupportsThis, nothingSupportsThisEither",
     NULL, 0},
    {"bext01.dat", true, 420, "Unsupported", "noProxiesSupportThis, norDoAnyProxiesSupportThis",
     NULL, 0},
    {"invut.dat", false, 415, "Accept", "application/sdp", NULL, 0},
    {"badvers.dat", false, 505, NULL, NULL, "Version Not Supported", 0},
    {"mismatch01.dat", false, 400, NULL, NULL, "CSeq method", 0},
    {"mismatch02.dat", false, 501, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS", "Not Implemented",
     0},
    {"multi01.dat", false, 400, NULL, NULL, "Duplicate", 0},
    {"zeromf.dat", true, 483, NULL, NULL, "Too Many Hops", 0},
    {"zeromf.dat", false, 0, NULL, NULL, NULL, 0},
    {"sdp01.dat", false, 406, "Warning",
     "399 sipreply \"Accept allows none of the body types of our answer\"", "Not Acceptable", 0},
    /* The To display name holds quoted-pair escaped NUL/BEL/DEL (legal, RFC 3261 §25.1):
     * copied verbatim into the 501 (test_uas_intmeth_501 checks the bytes). */
    {"intmeth.dat", false, 501, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS", "Not Implemented", 0},
    {"esc02.dat", false, 501, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS", "Not Implemented", 0},
    {"regaut01.dat", false, 405, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS", NULL, 0},
    /* messages the parser rejects: 400 with its phrase (RFC 4475 §3.1.2) */
    {"ncl.dat", 0, 400, NULL, NULL, "Content-Length", 0},
    {"quotbal.dat", 0, 400, NULL, NULL, "To", 0},
    {"ltgtruri.dat", 0, 400, NULL, NULL, "Request-URI", 0},
    {"lwsruri.dat", 0, 400, NULL, NULL, "Request-URI", 0},
    {"lwsstart.dat", 0, 400, NULL, NULL, NULL, 0},
    {"trws.dat", 0, 400, NULL, NULL, NULL, 0},
    {"escruri.dat", 0, 400, NULL, NULL, NULL, 0},
    {"regbadct.dat", 2, 400, NULL, NULL, "Contact", 0},
    {"badaspec.dat", 0, 400, NULL, NULL, "To", 0},
    {"baddn.dat", 0, 400, NULL, NULL, NULL, 0},
    /* bare z9hG4bK branch: we take RFC 4475 §3.2.1's other option, RFC 2543 fallback */
    {"badbranch.dat", 0, 0, NULL, NULL, NULL, 0},
    /* registrar: To is not a SIP/SIPS AOR (§3.3.4); a proxy routes it normally */
    {"unksm2.dat", 2, 400, NULL, NULL, "address-of-record", 0},
    {"unksm2.dat", 1, 0, NULL, NULL, NULL, 0},
    {"regaut01.dat", 2, 0, NULL, NULL, NULL, 0},
    /* well-formed requests the MANIFEST says are processed normally: no error verdict (a
     * UAS; the REGISTERs at a registrar, where "REGISTER succeeds") */
    {"wsinv.dat", 0, 0, NULL, NULL, NULL, 0},
    {"esc01.dat", 0, 0, NULL, NULL, NULL, 0},
    {"lwsdisp.dat", 0, 0, NULL, NULL, NULL, 0},
    {"longreq.dat", 0, 0, NULL, NULL, NULL, 0},
    {"semiuri.dat", 0, 0, NULL, NULL, NULL, 0},
    {"transports.dat", 0, 0, NULL, NULL, NULL, 0},
    {"inv2543.dat", 0, 0, NULL, NULL, NULL, 0},
    {"baddate.dat", 0, 0, NULL, NULL, NULL, 0},
    {"escnull.dat", 2, 0, NULL, NULL, NULL, 0},
    {"dblreq.dat", 2, 0, NULL, NULL, NULL, 0},
    {"cparam01.dat", 2, 0, NULL, NULL, NULL, 0},
    {"cparam02.dat", 2, 0, NULL, NULL, NULL, 0},
    {"regescrt.dat", 2, 0, NULL, NULL, NULL, 0},
    {"scalar02.dat", true, 400, NULL, NULL, NULL, 0},
    {"mcl01.dat", false, 400, NULL, NULL, "Content-Length", 0},
    {"clerr.dat", false, 400, NULL, NULL, NULL, 0},
    {"badinv01.dat", false, 400, NULL, NULL, NULL, 0},
};

static void run_vector(const vec_case *c)
{
    size_t len;
    char rel[128];
    snprintf(rel, sizeof rel, "rfc4475/%s", c->file);
    char *buf = tu_read_vector(rel, &len);
    sr_uas_policy p;
    sr_uas_policy_init(&p);
    static const char *const reg_methods[] = {"INVITE",  "ACK",      "CANCEL", "BYE",
                                              "OPTIONS", "REGISTER", NULL};
    p.proxy = c->mode == 1;
    if (c->mode == 2) {
        p.registrar = true;
        p.methods = reg_methods;
    }
    sr_msg *req = NULL;
    sr_uas_verdict v;
    int rc = sr_uas_parse_check(&req, buf, len, NULL, &p, &v);
    if (rc != 0)
        fail_msg("%s: sr_uas_parse_check returned %s", c->file, sr_errname(rc));
    if (v.code != c->code)
        fail_msg("%s (%s): got %u %s, want %u", c->file,
                 c->mode == 1   ? "proxy"
                 : c->mode == 2 ? "registrar"
                                : "UAS",
                 v.code, v.reason ? v.reason : "", c->code);
    if (c->reason && !strstr(v.reason, c->reason))
        fail_msg("%s: phrase '%s' lacks '%s'", c->file, v.reason, c->reason);
    if (v.code && req) {
        sr_build_opts o;
        sr_build_opts_init(&o);
        o.alloc = tu_allocator();
        sr_msg *resp = NULL;
        sr_build_error be;
        rc = sr_uas_respond(&resp, req, &v, &p, &o, &be);
        if (c->build_rc) {
            assert_int_equal(rc, c->build_rc);
            assert_null(resp);
            sr_msg_free(req);
            free(buf);
            return;
        }
        if (rc != 0)
            fail_msg("%s: respond failed: %s (%s)", c->file, be.what ? be.what : "?",
                     be.header ? be.header : "-");
        assert_int_equal(sr_msg_status(resp), c->code);
        if (c->hdr) {
            const sr_header *h = sr_msg_header_find_name(resp, sr_str_from_cstr(c->hdr), NULL);
            if (!h)
                fail_msg("%s: response lacks %s", c->file, c->hdr);
            if (c->value)
                assert_sr_str_eq(h->value, c->value);
        }
        sr_msg_free(resp);
    }
    sr_msg_free(req);
    free(buf);
}

static void test_uas_rfc4475_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vec_cases / sizeof vec_cases[0]; i++)
        run_vector(&vec_cases[i]);
}

/* RFC 4475 §3.1.1.2: the 501 to intmeth copies Via, From, Call-ID, CSeq and To (tag added)
 * byte for byte, control characters escaped by quoted-pairs included, and lints clean. */
static void test_uas_intmeth_501(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_vector("rfc4475/intmeth.dat", &len);
    sr_msg *req = NULL, *resp = NULL;
    sr_uas_verdict v;
    assert_int_equal(sr_uas_parse_check(&req, buf, len, NULL, NULL, &v), 0);
    assert_int_equal(v.code, 501);
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    assert_int_equal(sr_uas_respond(&resp, req, &v, NULL, &o, NULL), 0);
    static const enum sr_hdr_id same[] = {SR_HDR_VIA, SR_HDR_FROM, SR_HDR_CALL_ID, SR_HDR_CSEQ};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        sr_str a = sr_msg_header_find(req, same[i], NULL)->value;
        sr_str b = sr_msg_header_find(resp, same[i], NULL)->value;
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.p, b.p, a.len);
    }
    sr_str rto = sr_msg_header_find(req, SR_HDR_TO, NULL)->value;
    sr_str to = sr_msg_header_find(resp, SR_HDR_TO, NULL)->value;
    assert_true(to.len > rto.len);
    assert_memory_equal(to.p, rto.p, rto.len); /* "BEL:\<07> NUL:\<00> DEL:\<7f>" kept */
    assert_memory_equal(to.p + rto.len, ";tag=", 5);
    assert_non_null(memchr(to.p, 0, to.len));
    /* on the wire and back: the same response, and nothing a MUST rule forbids */
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_msg_print(resp, &b), 0);
    sr_msg *back = NULL;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = tu_allocator();
    assert_int_equal(sr_msg_parse(&back, b.p, b.len, &po, NULL), 0);
    assert_int_equal(sr_msg_status(back), 501);
    assert_non_null(sr_msg_to(back));
    assert_int_equal(sr_msg_to(back)->tag.len, SR_BUILD_TAG_LEN);
    sr_lint_finding f[32];
    size_t n = sr_lint_pair(back, req, NULL, f, 32);
    for (size_t k = 0; k < n && k < 32; k++) {
        if (f[k].rule->severity == SR_LINT_MUST)
            fail_msg("intmeth 501 breaks %s", f[k].rule->id);
    }
    sr_msg_free(back);
    sr_buf_cleanup(&b);
    sr_msg_free(resp);
    sr_msg_free(req);
    free(buf);
}

static size_t count_x_k(const sr_msg *m)
{
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find_name(m, SR_STR("X-K"), NULL); h;
         h = sr_msg_header_find_name(m, SR_STR("X-K"), h))
        n++;
    return n;
}

static void test_uas_respond_lint_clean(void **state)
{
    (void)state;
    /* every verdict's response passes the linter's MUST rules against its request */
    static const char *const files[] = {"unkscm.dat",     "bext01.dat", "invut.dat",
                                        "mismatch02.dat", "sdp01.dat",  "regaut01.dat"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[128];
        size_t len;
        snprintf(rel, sizeof rel, "rfc4475/%s", files[i]);
        char *buf = tu_read_vector(rel, &len);
        sr_msg *req = NULL, *resp = NULL;
        sr_uas_verdict v;
        assert_int_equal(sr_uas_parse_check(&req, buf, len, NULL, NULL, &v), 0);
        assert_non_null(req);
        assert_true(v.code >= 400);
        sr_build_opts o;
        sr_build_opts_init(&o);
        o.alloc = tu_allocator();
        assert_int_equal(sr_uas_respond(&resp, req, &v, NULL, &o, NULL), 0);
        sr_lint_finding f[32];
        size_t n = sr_lint_pair(resp, req, NULL, f, 32);
        for (size_t k = 0; k < n && k < 32; k++) {
            if (f[k].rule->severity == SR_LINT_MUST && f[k].rule->scope != SR_LINT_ANY)
                fail_msg("%s: %u breaks %s", files[i], v.code, f[k].rule->id);
        }
        if (i == 0) {
            /* too many caller headers: refused, nothing built */
            sr_build_header many[SR_UAS_MAX_EXTRA + 1];
            for (size_t k = 0; k < SR_UAS_MAX_EXTRA + 1; k++)
                many[k] = (sr_build_header){SR_STR("X-K"), SR_STR("v")};
            o.headers = many;
            o.n_headers = SR_UAS_MAX_EXTRA + 1;
            sr_msg *r2 = NULL;
            assert_int_equal(sr_uas_respond(&r2, req, &v, NULL, &o, NULL), SR_EINVAL);
            assert_null(r2);
            o.n_headers = SR_UAS_MAX_EXTRA;
            assert_int_equal(sr_uas_respond(&r2, req, &v, NULL, &o, NULL), 0);
            assert_int_equal(count_x_k(r2), SR_UAS_MAX_EXTRA);
            sr_msg_free(r2);
        }
        sr_msg_free(resp);
        sr_msg_free(req);
        free(buf);
    }
}

/* The RFC 4475 vector FILE (its bytes, *len of them) and *buf, room for a mutated copy. */
static char *vector_and_room(const char *file, size_t *len, char **buf)
{
    char rel[128];
    snprintf(rel, sizeof rel, "rfc4475/%s", file);
    char *orig = tu_read_vector(rel, len);
    *buf = malloc(*len + 1);
    assert_non_null(*buf);
    return orig;
}

/* Bad input never crashes, leaks or hangs: deterministic byte mutations of every RFC 4475
 * vector go through parse → check → respond → print → parse → lint. */
static void test_uas_mutations(void **state)
{
    (void)state;
    static const char *const files[] = {
        "wsinv.dat",   "intmeth.dat", "esc01.dat",   "escnull.dat", "esc02.dat",    "lwsdisp.dat",
        "dblreq.dat",  "semiuri.dat", "mpart01.dat", "insuf.dat",   "bext01.dat",   "invut.dat",
        "multi01.dat", "sdp01.dat",   "zeromf.dat",  "inv2543.dat", "regaut01.dat", "unreason.dat"};
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t built = 0;
    for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
        size_t len;
        char *buf, *orig = vector_and_room(files[fi], &len, &buf);
        for (int round = 0; round < 150; round++) {
            memcpy(buf, orig, len);
            for (int k = 0; k < 1 + round % 4; k++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                size_t at = (size_t)(x % len);
                static const char pool[] = ":;,<>\"\r\n \t@=0z";
                buf[at] = (x >> 32) & 1 ? pool[(x >> 40) % (sizeof pool - 1)] : (char)(x >> 48);
            }
            sr_uas_policy p;
            sr_uas_policy_init(&p);
            p.proxy = round % 3 == 0;
            sr_parse_opts po;
            sr_parse_opts_init(&po);
            po.alloc = tu_allocator();
            sr_msg *req = NULL, *resp = NULL;
            sr_uas_verdict v;
            int rc = sr_uas_parse_check(&req, buf, len, &po, &p, &v);
            if (rc == 0 && req) {
                sr_build_opts o;
                sr_build_opts_init(&o);
                o.alloc = tu_allocator();
                sr_build_header h[] = {{SR_STR("Contact"), SR_STR("<sip:u@192.0.2.1>")}};
                o.headers = h;
                o.n_headers = 1;
                unsigned code = v.code ? v.code : 200;
                int brc = v.code ? sr_uas_respond(&resp, req, &v, &p, &o, NULL)
                                 : sr_build_response(&resp, req, code, &o, NULL);
                if (brc == 0) {
                    sr_buf b;
                    sr_buf_init(&b, tu_allocator());
                    assert_int_equal(sr_msg_print(resp, &b), 0);
                    sr_msg *back = NULL;
                    if (sr_msg_parse(&back, b.p, b.len, &po, NULL) == 0) {
                        sr_lint_finding f[64];
                        (void)sr_lint_pair(back, req, NULL, f, 64); /* must not crash */
                        assert_int_equal(sr_msg_status(back), code);
                        built++;
                    }
                    sr_msg_free(back);
                    sr_buf_cleanup(&b);
                } else {
                    assert_null(resp);
                }
                sr_lint_finding f[64];
                (void)sr_lint_msg(req, NULL, f, 64); /* must not crash */
            }
            sr_msg_free(resp);
            sr_msg_free(req);
        }
        free(buf);
        free(orig);
    }
    print_message("mutations: %zu responses built and linted\n", built);
    assert_true(built > 100); /* most mutations still get an answer */
}

/* sr_uas_policy.cache: the memo of URI and address-list checks gives every verdict the
 * checks give without it, whatever was checked before (the RFC 4475 vectors and their
 * mutations, through a small cache that evicts, each request checked twice so that the
 * second finds its URIs remembered), and a URI seen again is looked up, not parsed. */
static bool same_verdict(const sr_uas_verdict *a, const sr_uas_verdict *b)
{
    return a->code == b->code && a->hdr == b->hdr && a->add == b->add &&
           (a->reason == b->reason ||
            (a->reason && b->reason && strcmp(a->reason, b->reason) == 0));
}

static void test_uas_cache_same_verdicts(void **state)
{
    (void)state;
    sr_lint_cache *c = NULL;
    assert_int_equal(sr_lint_cache_new(&c, 4096, tu_allocator()), 0);
    static const char *const files[] = {
        "wsinv.dat",   "intmeth.dat", "esc01.dat",   "escnull.dat",  "esc02.dat",    "lwsdisp.dat",
        "dblreq.dat",  "semiuri.dat", "mpart01.dat", "insuf.dat",    "bext01.dat",   "invut.dat",
        "multi01.dat", "sdp01.dat",   "zeromf.dat",  "inv2543.dat",  "regaut01.dat", "unreason.dat",
        "unkscm.dat",  "novelsc.dat", "quotbal.dat", "ltgtruri.dat", "escruri.dat",  "badvers.dat"};
    uint64_t x = 0x2545f4914f6cdd1dULL;
    size_t checked = 0, refused = 0;
    for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
        size_t len;
        char *buf, *orig = vector_and_room(files[fi], &len, &buf);
        for (int round = 0; round < 40; round++) {
            memcpy(buf, orig, len);
            for (int k = 0; round > 0 && k < 1 + round % 3; k++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                static const char pool[] = ":;,<>\"\r\n \t@=0z%[]";
                buf[(size_t)(x % len)] = pool[(x >> 40) % (sizeof pool - 1)];
            }
            sr_uas_policy plain, memo;
            sr_uas_policy_init(&plain);
            sr_uas_policy_init(&memo);
            plain.proxy = memo.proxy = round % 4 == 1;
            memo.cache = c;
            sr_msg *req = NULL;
            sr_uas_verdict v0, v1, v2;
            if (sr_uas_parse_check(&req, buf, len, NULL, &plain, &v0) != 0 || !req) {
                sr_msg_free(req);
                continue;
            }
            assert_int_equal(sr_uas_check(req, &memo, &v1), 0);
            assert_int_equal(sr_uas_check(req, &memo, &v2), 0);
            if (!same_verdict(&v0, &v1) || !same_verdict(&v0, &v2))
                fail_msg("%s round %d: %u %s without the cache, %u %s / %u %s with it", files[fi],
                         round, v0.code, v0.reason ? v0.reason : "", v1.code,
                         v1.reason ? v1.reason : "", v2.code, v2.reason ? v2.reason : "");
            checked++;
            refused += v0.code == 400;
            sr_msg_free(req);
        }
        free(buf);
        free(orig);
    }
    sr_lint_cache_stats st;
    sr_lint_cache_stats_get(c, &st);
    print_message("cache: %zu requests, %zu refused with 400; %llu lookups, %llu hits, %llu "
                  "evictions\n",
                  checked, refused, (unsigned long long)st.lookups, (unsigned long long)st.hits,
                  (unsigned long long)st.evictions);
    assert_true(checked > 400 && refused > 20);
    assert_true(st.hits > 0 && st.evictions > 0);
    sr_lint_cache_free(c);

    /* the same From and Contact URI, and a To like the Request-URI: looked up or skipped,
     * not parsed; a To unlike it is checked on its own */
    static const char inv[] = "INVITE sip:486@192.0.2.1:5060 SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK1\r\n"
                              "Max-Forwards: 70\r\n"
                              "From: <sip:a@192.0.2.9:5070>;tag=1\r\n"
                              "To: <sip:486@192.0.2.1:5060>\r\n"
                              "Call-ID: c1\r\n"
                              "CSeq: 1 INVITE\r\n"
                              "Contact: <sip:a@192.0.2.9:5070>\r\n"
                              "Content-Length: 0\r\n\r\n";
    assert_int_equal(sr_lint_cache_new(&c, 65536, tu_allocator()), 0);
    sr_msg *m = tu_parse(inv, tu_allocator());
    sr_uas_policy p;
    sr_uas_policy_init(&p);
    p.cache = c;
    sr_uas_verdict v;
    assert_int_equal(sr_uas_check(m, &p, &v), 0);
    assert_int_equal(v.code, 0);
    sr_lint_cache_stats_get(c, &st);
    /* Request-URI, From, the Contact value; the To's URI is the Request-URI's bytes, which
     * passed: not checked again */
    assert_int_equal(st.lookups, 3);
    assert_int_equal(st.hits, 0);
    assert_int_equal(sr_uas_check(m, &p, &v), 0);
    sr_lint_cache_stats_get(c, &st);
    assert_int_equal(st.lookups, 6);
    assert_int_equal(st.hits, 3);
    sr_msg_free(m);
    sr_lint_cache_free(c);
    static const char *const tos[][2] = {
        {"To: <sip:486@192.0.2.1:5060>", NULL},
        {"To: <sip:486@192.0.2.1:5061>", NULL},
        {"To: <sip:486@192.0.2.1:5060;x=\"y\">", "Bad To header field"},
        {"To: <sip:486@192.0.2.1:99999>", "Bad To header field"},
    };
    for (size_t i = 0; i < sizeof tos / sizeof tos[0]; i++) {
        char *txt = malloc(sizeof inv + 64);
        assert_non_null(txt);
        const char *at = strstr(inv, "To: ");
        const char *end = strstr(at, "\r\n");
        snprintf(txt, sizeof inv + 64, "%.*s%s%s", (int)(at - inv), inv, tos[i][0], end);
        m = tu_parse(txt, tu_allocator());
        assert_int_equal(sr_uas_check(m, NULL, &v), 0);
        if (tos[i][1]) {
            assert_int_equal(v.code, 400);
            assert_string_equal(v.reason, tos[i][1]);
        } else {
            assert_int_equal(v.code, 0);
        }
        sr_msg_free(m);
        free(txt);
    }
}

/* Call-ID = word [ "@" word ] (RFC 3261 §25.1): one '@' at most, a word on each side. */
static void test_uas_call_id_words(void **state)
{
    (void)state;
    static const struct {
        const char *cid;
        unsigned code;
    } cases[] = {
        {"a84b4c76e66710", 0},  {"a@b", 0},     {"ab(c)<d>:e@[x]/y?{z}", 0},
        {"x-._!%*+`'~\"\\", 0}, {"@b", 400},    {"a@", 400},
        {"a@@b", 400},          {"a@b@c", 400}, {"a,b", 400},
        {"a;b@c", 400},         {"a@b=c", 400}, {"@", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char to[80];
        snprintf(to, sizeof to, "Call-ID: %s", cases[i].cid);
        sr_uas_verdict v;
        unsigned code = check_variant("Call-ID: a84b4c76e66710", to, NULL, &v);
        if (code != cases[i].code)
            fail_msg("Call-ID '%s': %u, want %u", cases[i].cid, code, cases[i].code);
        if (code)
            assert_string_equal(v.reason, "Bad Call-ID header field");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_uas_passes_and_methods), TU_TEST(test_uas_individual_checks),
        TU_TEST(test_uas_merged_and_proxy),   TU_TEST(test_uas_rfc4475_vectors),
        TU_TEST(test_uas_intmeth_501),        TU_TEST(test_uas_respond_lint_clean),
        TU_TEST(test_uas_mutations),          TU_TEST(test_uas_cache_same_verdicts),
        TU_TEST(test_uas_call_id_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
