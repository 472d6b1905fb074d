/* sipreply tests: RFC 4475 torture messages (tests/vectors/rfc4475) through every parser layer.
 * Verdicts per MANIFEST.tsv, field assertions per valid vector, three ways each, round trips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Our verdict for each vector: parse_rc is sr_msg_parse() without validation, rc with
 * SR_PARSE_VALIDATE; phrase is the 400 phrase expected from whichever fails. */
typedef struct expect {
    const char *file;
    int parse_rc;
    int rc;
    const char *phrase;
    int hdr;
} expect;

static const expect expects[] = {
    /* 3.1.1 valid */
    {"wsinv.dat", 0, 0, NULL, 0},
    {"intmeth.dat", 0, 0, NULL, 0},
    {"esc01.dat", 0, 0, NULL, 0},
    {"escnull.dat", 0, 0, NULL, 0},
    {"esc02.dat", 0, 0, NULL, 0},
    {"lwsdisp.dat", 0, 0, NULL, 0},
    {"longreq.dat", 0, 0, NULL, 0},
    {"dblreq.dat", 0, 0, NULL, 0},
    {"semiuri.dat", 0, 0, NULL, 0},
    {"transports.dat", 0, 0, NULL, 0},
    {"mpart01.dat", 0, 0, NULL, 0},
    {"unreason.dat", 0, 0, NULL, 0},
    {"noreason.dat", 0, 0, NULL, 0},
    /* 3.1.2 invalid: framing and start-line problems fail sr_msg_parse itself ... */
    {"clerr.dat", SR_EBADMSG, SR_EBADMSG, "Content-Length larger than message body",
     SR_HDR_CONTENT_LENGTH},
    {"ncl.dat", SR_EBADMSG, SR_EBADMSG, "Bad Content-Length", SR_HDR_CONTENT_LENGTH},
    {"ltgtruri.dat", SR_EBADMSG, SR_EBADMSG, "Request-URI in angle brackets", 0},
    {"lwsruri.dat", SR_EBADMSG, SR_EBADMSG, "Whitespace in Request-URI", 0},
    {"lwsstart.dat", SR_EBADMSG, SR_EBADMSG, "Extra whitespace in Request-Line", 0},
    {"trws.dat", SR_EBADMSG, SR_EBADMSG, "Trailing whitespace in Request-Line", 0},
    {"escruri.dat", SR_EBADMSG, SR_EBADMSG, "Headers not allowed in Request-URI", 0},
    {"bigcode.dat", SR_EBADMSG, SR_EBADMSG, "Bad status code", 0},
    /* the archive copy has no empty line after the headers: malformed framing */
    {"baddn.dat", SR_EBADMSG, SR_EBADMSG, "Incomplete message header", 0},
    /* ... semantic problems are framed, then reported by sr_msg_validate (a UAS can still
     * read Via/From/To/Call-ID/CSeq to build its 400) */
    {"badinv01.dat", 0, SR_EBADMSG, "Bad Via header field", SR_HDR_VIA},
    {"scalar02.dat", 0, SR_EBADMSG, "Bad CSeq number", SR_HDR_CSEQ},
    {"scalarlg.dat", 0, SR_EBADMSG, "Bad CSeq number", SR_HDR_CSEQ},
    {"quotbal.dat", 0, SR_EBADMSG, "Bad To header field", SR_HDR_TO},
    {"baddate.dat", 0, 0, NULL, 0}, /* Date does not matter to a parser: ignored */
    {"regbadct.dat", 0, SR_EBADMSG, "Bad Contact header field", SR_HDR_CONTACT},
    {"badaspec.dat", 0, SR_EBADMSG, "Bad To header field", SR_HDR_TO},
    {"badvers.dat", 0, SR_EVERSION, "Version Not Supported", 0},
    {"mismatch01.dat", 0, SR_EBADMSG, "CSeq method does not match request method", SR_HDR_CSEQ},
    {"mismatch02.dat", 0, SR_EBADMSG, "CSeq method does not match request method", SR_HDR_CSEQ},
    /* 3.2 transaction, 3.3 application, 3.4 compat: decided above the parser, except the
     * syntax problems they contain */
    {"badbranch.dat", 0, 0, NULL, 0},
    {"insuf.dat", 0, SR_EMISSING, "Missing To header field", SR_HDR_TO},
    {"unkscm.dat", 0, 0, NULL, 0},
    {"novelsc.dat", 0, 0, NULL, 0},
    {"unksm2.dat", 0, 0, NULL, 0},
    {"bext01.dat", 0, 0, NULL, 0},
    {"invut.dat", 0, 0, NULL, 0},
    {"regaut01.dat", 0, 0, NULL, 0},
    {"multi01.dat", 0, SR_EBADMSG, "Duplicate To header field", SR_HDR_TO},
    {"mcl01.dat", SR_EBADMSG, SR_EBADMSG, "Conflicting Content-Length header fields",
     SR_HDR_CONTENT_LENGTH},
    {"bcast.dat", 0, 0, NULL, 0},
    {"zeromf.dat", 0, 0, NULL, 0},
    {"cparam01.dat", 0, 0, NULL, 0},
    {"cparam02.dat", 0, 0, NULL, 0},
    {"regescrt.dat", 0, 0, NULL, 0},
    {"sdp01.dat", 0, 0, NULL, 0},
    {"inv2543.dat", 0, 0, NULL, 0},
};
#define N_EXPECTS (sizeof expects / sizeof expects[0])

static const expect *find_expect(const char *file)
{
    for (size_t i = 0; i < N_EXPECTS; i++) {
        if (strcmp(expects[i].file, file) == 0)
            return &expects[i];
    }
    return NULL;
}

static char *load(const char *file, size_t *len)
{
    char rel[128];
    snprintf(rel, sizeof rel, "rfc4475/%s", file);
    return tu_read_vector(rel, len);
}

static int parse_with(const char *buf, size_t len, bool validate, sr_msg **m, sr_parse_error *e)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    if (validate)
        o.flags |= SR_PARSE_VALIDATE;
    return sr_msg_parse(m, buf, len, &o, e);
}

/* sr_parse_head fed one byte more at a time, each prefix ending at a guard page: every
 * prefix is incomplete or already fails the same way; the whole input gives @p want. */
static void head_bytewise(const char *buf, size_t len, ptrdiff_t want)
{
    char *g = tu_guarded_copy(buf, len);
    char *end = g + len;
    sr_header hdrs[128];
    for (size_t k = 1; k <= len; k++) {
        char *q = end - k;
        memmove(q, buf, k);
        sr_start_line sl;
        size_t n = 128;
        ptrdiff_t r = sr_parse_head(q, k, 0, &sl, hdrs, &n, NULL);
        if (want > 0) {
            if (k < (size_t)want)
                assert_int_equal(r, SR_EAGAIN);
            else
                assert_int_equal(r, want);
        } else if (r != SR_EAGAIN) {
            assert_int_equal(r, want);
        }
        if (k == len)
            assert_int_equal(r, want);
    }
    tu_guarded_free(g, len);
}

/* The same through the prev_len fast path (picohttpparser's last_len). */
static void head_prevlen(const char *buf, size_t len, ptrdiff_t want)
{
    sr_header hdrs[128];
    size_t prev = 0;
    ptrdiff_t r = SR_EAGAIN;
    for (size_t k = 1; k <= len && r == SR_EAGAIN; k++) {
        sr_start_line sl;
        size_t n = 128;
        r = sr_parse_head(buf, k, prev, &sl, hdrs, &n, NULL);
        if (r == SR_EAGAIN)
            prev = k;
    }
    if (want > 0)
        assert_int_equal(r, want);
    else
        assert_true(r == want || r == SR_EAGAIN);
}

static void test_manifest_verdicts(void **state)
{
    (void)state;
    size_t mlen;
    char *man = load("MANIFEST.tsv", &mlen);
    size_t seen = 0;
    char *next_line = man;
    while (next_line && *next_line) {
        char *line = next_line;
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        next_line = nl ? nl + 1 : NULL;
        if (strncmp(line, "file\t", 5) == 0 || *line == '\0')
            continue;
        char file[64], kind[32];
        const char *t1 = strchr(line, '\t');
        assert_non_null(t1);
        size_t fl = (size_t)(t1 - line);
        assert_true(fl < sizeof file);
        memcpy(file, line, fl);
        file[fl] = '\0';
        /* kind is the 4th column */
        const char *c = t1;
        for (int col = 1; col < 3; col++)
            c = strchr(c + 1, '\t');
        const char *ke = strchr(c + 1, '\t');
        size_t kl = (size_t)(ke - c - 1);
        memcpy(kind, c + 1, kl);
        kind[kl] = '\0';
        const expect *x = find_expect(file);
        if (!x)
            fail_msg("no expectation for %s", file);
        /* MANIFEST "valid" vectors must parse and validate */
        if (strcmp(kind, "valid") == 0)
            assert_int_equal(x->rc, 0);
        if (strcmp(kind, "invalid") == 0 && strcmp(file, "baddate.dat") != 0)
            assert_int_not_equal(x->rc, 0);

        size_t len;
        char *buf = load(file, &len);
        sr_msg *m = NULL;
        sr_parse_error e = {0, 0, 0, NULL};
        int rc = parse_with(buf, len, false, &m, &e);
        if (rc != x->parse_rc)
            fail_msg("%s: parse rc %d (%s at %zu), want %d", file, rc, e.phrase, e.offset,
                     x->parse_rc);
        if (rc == 0) {
            /* round trip: print reproduces the message, re-parse gives the same headers */
            sr_buf b;
            sr_buf_init(&b, tu_allocator());
            assert_int_equal(sr_msg_print(m, &b), 0);
            assert_mem_eq(b.p, b.len, buf, sr_msg_size(m));
            sr_msg *m2 = NULL;
            assert_int_equal(parse_with(b.p, b.len, false, &m2, NULL), 0);
            assert_int_equal(sr_msg_header_count(m2), sr_msg_header_count(m));
            for (size_t i = 0; i < sr_msg_header_count(m); i++) {
                assert_int_equal(sr_msg_header_at(m, i)->id, sr_msg_header_at(m2, i)->id);
                assert_true(
                    sr_str_eq(sr_msg_header_at(m, i)->value, sr_msg_header_at(m2, i)->value));
            }
            assert_int_equal(sr_msg_via_count(m2), sr_msg_via_count(m));
            assert_true(sr_str_eq(sr_msg_body(m2), sr_msg_body(m)));
            sr_msg_free(m2);
            sr_buf_cleanup(&b);
            sr_parse_error ve = {0, 0, 0, NULL};
            rc = sr_msg_validate(m, &ve);
            assert_int_equal(rc, x->rc);
            if (rc) {
                assert_string_equal(ve.phrase, x->phrase);
                assert_int_equal(ve.hdr, x->hdr);
                assert_true(ve.offset < len);
            }
            sr_msg_free(m);
        } else {
            assert_string_equal(e.phrase, x->phrase);
            assert_int_equal(e.hdr, x->hdr);
            assert_true(e.offset <= len);
        }
        /* the same verdict with validation inside sr_msg_parse */
        m = NULL;
        rc = parse_with(buf, len, true, &m, &e);
        assert_int_equal(rc, x->rc);
        if (rc)
            assert_string_equal(e.phrase, x->phrase);
        sr_msg_free(m);

        /* guard page: the input ends exactly before a PROT_NONE page */
        char *g = tu_guarded_copy(buf, len);
        m = NULL;
        assert_int_equal(parse_with(g, len, true, &m, NULL), x->rc);
        sr_msg_free(m);
        tu_guarded_free(g, len);

        /* byte at a time through sr_parse_head */
        sr_header hdrs[128];
        sr_start_line sl;
        size_t n = 128;
        ptrdiff_t want = sr_parse_head(buf, len, 0, &sl, hdrs, &n, NULL);
        head_bytewise(buf, len, want);
        head_prevlen(buf, len, want);
        free(buf);
        seen++;
    }
    assert_int_equal(seen, N_EXPECTS);
    free(man);
}

/* ---------------------------------------------------------------- per-vector fields */

static sr_msg *parse_file(const char *file, char **bufp)
{
    size_t len;
    *bufp = load(file, &len);
    sr_msg *m = NULL;
    sr_parse_error e;
    if (parse_with(*bufp, len, true, &m, &e) != 0)
        fail_msg("%s: %s at %zu", file, e.phrase, e.offset);
    return m;
}

static void test_wsinv(void **state)
{
    (void)state;
    char *buf;
    sr_msg *m = parse_file("wsinv.dat", &buf);
    assert_true(sr_msg_is_request(m));
    assert_int_equal(sr_msg_method(m), SR_METHOD_INVITE);
    assert_sr_str_eq(sr_msg_request_uri(m), "sip:vivekg@chair-dnrc.example.com;unknownparam");
    const sr_nameaddr *to = sr_msg_to(m), *from = sr_msg_from(m);
    assert_sr_str_eq(to->uri, "sip:vivekg@chair-dnrc.example.com");
    assert_sr_str_eq(to->tag, "1918181833n");
    assert_sr_str_eq(from->uri, "sip:jdrosen@example.com");
    assert_sr_str_eq(from->tag, "98asjd8");
    assert_true(from->display_quoted);
    char dn[64];
    ptrdiff_t dl = sr_str_unquote(from->display, dn, sizeof dn);
    assert_int_equal(dl, 14);
    assert_memory_equal(dn, "J Rosenberg \\\"", 14);
    assert_int_equal(sr_msg_max_forwards(m), 68);
    assert_sr_str_eq(sr_msg_call_id(m), "wsinv.ndaksdj@192.0.2.1");
    assert_int_equal(sr_msg_cseq(m)->num, 9);
    assert_int_equal(sr_msg_cseq(m)->method_id, SR_METHOD_INVITE);
    assert_int_equal(sr_msg_content_length(m), 150);
    assert_int_equal(sr_msg_body(m).len, 150);
    assert_memory_equal(sr_msg_body(m).p, "v=0\r\n", 5);
    assert_int_equal(sr_msg_via_count(m), 3);
    const sr_via *v = sr_msg_via(m, 0);
    assert_sr_str_eq(v->protocol, "SIP");
    assert_sr_str_eq(v->version, "2.0");
    assert_sr_str_eq(v->transport, "UDP");
    assert_sr_str_eq(v->host, "192.0.2.2");
    assert_false(v->has_port);
    assert_sr_str_eq(v->branch, "390skdjuw");
    assert_sr_str_eq(sr_msg_via(m, 1)->transport, "TCP");
    assert_sr_str_eq(sr_msg_via(m, 1)->host, "spindle.example.com");
    assert_sr_str_eq(sr_msg_via(m, 1)->branch, "z9hG4bK9ikj8");
    assert_sr_str_eq(sr_msg_via(m, 2)->host, "192.168.255.111");
    assert_sr_str_eq(sr_msg_via(m, 2)->branch, "z9hG4bK30239");
    /* unknown headers kept untouched, folded value as written */
    const sr_header *h = sr_msg_header_find_name(m, SR_STR("newfangledheader"), NULL);
    assert_non_null(h);
    assert_sr_str_eq(h->value, "newfangled value\r\n continued newfangled value");
    h = sr_msg_header_find_name(m, SR_STR("UnknownHeaderWithUnusualValue"), NULL);
    assert_sr_str_eq(h->value, ";;,,;;,;");
    /* s : (empty Subject, compact) */
    h = sr_msg_header_find(m, SR_HDR_SUBJECT, NULL);
    assert_sr_str_eq(h->name, "s");
    assert_int_equal(h->value.len, 0);
    /* Contact via compact m, with q=0.33 */
    h = sr_msg_header_find(m, SR_HDR_CONTACT, NULL);
    sr_contact c;
    assert_int_equal(sr_contact_parse(&c, h->value, NULL), 0);
    assert_int_equal(c.q, 330);
    assert_sr_str_eq(c.addr.uri, "sip:jdrosen@example.com");
    sr_str nv;
    assert_true(sr_param_find(c.addr.params, "newparam", &nv));
    assert_sr_str_eq(nv, "newvalue");
    assert_true(sr_param_find(c.addr.params, "secondparam", &nv));
    assert_null(nv.p);
    h = sr_msg_header_find(m, SR_HDR_ROUTE, NULL);
    sr_nameaddr r;
    assert_int_equal(sr_nameaddr_parse(&r, h->value, NULL), 0);
    assert_sr_str_eq(r.uri, "sip:services.example.com;lr;unknownwith=value;unknown-no-value");
    assert_int_equal(sr_msg_header_count(m), 14);
    sr_msg_free(m);
    free(buf);
}

static void test_intmeth_esc(void **state)
{
    (void)state;
    char *buf;
    sr_msg *m = parse_file("intmeth.dat", &buf);
    assert_int_equal(sr_msg_method(m), SR_METHOD_OTHER);
    assert_sr_str_eq(sr_msg_method_str(m), "!interesting-Method0123456789_*+`.%indeed'~");
    assert_sr_str_eq(sr_msg_cseq(m)->method, "!interesting-Method0123456789_*+`.%indeed'~");
    assert_sr_str_eq(sr_msg_via(m, 0)->branch, "z9hG4bK-.!%66*_+`'~");
    assert_true(sr_msg_to(m)->display_quoted);
    assert_sr_str_eq(sr_msg_to(m)->uri, "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
                                        "@example.com");
    sr_msg_free(m);
    free(buf);

    m = parse_file("esc01.dat", &buf);
    assert_sr_str_eq(sr_msg_request_uri(m), "sip:sips%3Auser%40example.com@example.net");
    assert_sr_str_eq(sr_msg_to(m)->uri, "sip:%75se%72@example.com");
    assert_sr_str_eq(sr_msg_from(m)->uri, "sip:I%20have%20spaces@example.net");
    assert_sr_str_eq(sr_msg_call_id(m), "esc01.239409asdfakjkn23onasd0-3234");
    /* "C:" is Content-Type in compact form, any case */
    assert_sr_str_eq(sr_msg_header_find(m, SR_HDR_CONTENT_TYPE, NULL)->name, "C");
    sr_msg_free(m);
    free(buf);

    m = parse_file("escnull.dat", &buf);
    assert_int_equal(sr_msg_header_count_id(m, SR_HDR_CONTACT), 2);
    assert_sr_str_eq(sr_msg_to(m)->uri, "sip:null-%00-null@example.com");
    assert_int_equal(sr_msg_content_length(m), 0);
    sr_msg_free(m);
    free(buf);

    m = parse_file("esc02.dat", &buf);
    assert_int_equal(sr_msg_method(m), SR_METHOD_OTHER);
    assert_sr_str_eq(sr_msg_method_str(m), "RE%47IST%45R");
    assert_int_equal(sr_msg_header_count_id(m, SR_HDR_CONTACT), 2); /* C%6Fntact is unknown */
    assert_non_null(sr_msg_header_find_name(m, SR_STR("C%6Fntact"), NULL));
    assert_sr_str_eq(sr_msg_to(m)->display, "\"%Z%45\"");
    sr_msg_free(m);
    free(buf);
}

static void test_misc_valid(void **state)
{
    (void)state;
    char *buf;
    sr_msg *m = parse_file("lwsdisp.dat", &buf);
    assert_sr_str_eq(sr_msg_from(m)->display, "caller");
    assert_sr_str_eq(sr_msg_from(m)->uri, "sip:caller@example.com");
    assert_sr_str_eq(sr_msg_from(m)->tag, "323");
    sr_msg_free(m);
    free(buf);

    size_t len;
    m = parse_file("dblreq.dat", &buf);
    len = strlen(buf);
    assert_int_equal(sr_msg_method(m), SR_METHOD_REGISTER);
    assert_int_equal(sr_msg_body(m).len, 0);
    assert_true(sr_msg_size(m) < len); /* the trailing INVITE is ignored */
    assert_sr_str_eq(sr_msg_call_id(m), "dblreq.0ha0isndaksdj99sdfafnl3lk233412"); /* "I:" */
    sr_msg_free(m);
    free(buf);

    m = parse_file("semiuri.dat", &buf);
    assert_sr_str_eq(sr_msg_request_uri(m), "sip:user;par=u%40example.net@example.com");
    const sr_header *acc = sr_msg_header_find(m, SR_HDR_ACCEPT, NULL);
    size_t pos = 0, n = 0;
    sr_str item;
    const char *want[] = {"application/sdp", "application/pkcs7-mime",
                          "multipart/mixed", "multipart/signed",
                          "message/sip",     "message/sipfrag"};
    while (sr_value_next(acc->value, &pos, &item)) {
        assert_true(n < 6);
        assert_sr_str_eq(item, want[n]);
        n++;
    }
    assert_int_equal(n, 6);
    sr_msg_free(m);
    free(buf);

    m = parse_file("transports.dat", &buf);
    const char *tr[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
    assert_int_equal(sr_msg_via_count(m), 5);
    for (size_t i = 0; i < 5; i++)
        assert_sr_str_eq(sr_msg_via(m, i)->transport, tr[i]);
    assert_sr_str_eq(sr_msg_call_id(m), "transports.kijh4akdnaqjkwendsasfdj");
    sr_msg_free(m);
    free(buf);

    m = parse_file("mpart01.dat", &buf);
    assert_int_equal(sr_msg_method(m), SR_METHOD_MESSAGE);
    assert_int_equal(sr_msg_body(m).len, (size_t)sr_msg_content_length(m));
    assert_non_null(memchr(sr_msg_body(m).p, '\0', sr_msg_body(m).len)); /* binary part */
    assert_int_equal(sr_msg_via(m, 0)->rport, SR_RPORT_EMPTY);
    assert_int_equal(sr_msg_via(m, 0)->port, 5070);
    assert_non_null(sr_msg_header_find(m, SR_HDR_IDENTITY, NULL));
    sr_msg_free(m);
    free(buf);

    m = parse_file("unreason.dat", &buf);
    assert_false(sr_msg_is_request(m));
    assert_int_equal(sr_msg_status(m), 200);
    assert_memory_equal(sr_msg_reason(m).p, "= 2**3 * 5**2 ", 14);
    assert_int_equal(sr_msg_body(m).len, 154);
    sr_msg_free(m);
    free(buf);

    m = parse_file("noreason.dat", &buf);
    assert_int_equal(sr_msg_status(m), 100);
    assert_int_equal(sr_msg_reason(m).len, 0);
    assert_sr_str_eq(sr_msg_to(m)->tag, "902jndnke3");
    sr_msg_free(m);
    free(buf);

    m = parse_file("longreq.dat", &buf);
    assert_int_equal(sr_msg_via_count(m), 34);
    assert_sr_str_eq(sr_msg_via(m, 0)->host, "sip33.example.com");
    assert_sr_str_eq(sr_msg_via(m, 33)->host, "host.example.com");
    assert_sr_str_eq(sr_msg_via(m, 33)->received, "192.0.2.5");
    assert_true(sr_msg_from(m)->tag.len > 100);
    assert_true(sr_msg_to(m)->display.len > 100);
    assert_true(sr_msg_via(m, 33)->branch.len > 100);
    sr_msg_free(m);
    free(buf);

    m = parse_file("inv2543.dat", &buf);
    assert_null(sr_msg_via(m, 0)->branch.p);
    assert_null(sr_msg_from(m)->tag.p);
    assert_int_equal(sr_msg_max_forwards(m), -1);
    assert_int_equal(sr_msg_content_length(m), -1);
    assert_true(sr_msg_body(m).len > 0); /* body = rest of the datagram */
    sr_msg_free(m);
    free(buf);
}

static void test_invalid_details(void **state)
{
    (void)state;
    /* scalar02: framed, CSeq too large; the rest stays readable for a 400 */
    size_t len;
    char *buf = load("scalar02.dat", &len);
    sr_msg *m = NULL;
    assert_int_equal(parse_with(buf, len, false, &m, NULL), 0);
    assert_null(sr_msg_cseq(m));
    assert_int_equal(sr_msg_max_forwards(m), 300);
    assert_int_equal(sr_msg_expires(m), 4294967295LL); /* capped */
    const sr_header *h = sr_msg_header_find(m, SR_HDR_CONTACT, NULL);
    sr_contact c;
    assert_int_equal(sr_contact_parse(&c, h->value, NULL), 0);
    assert_int_equal(c.expires, 4294967295LL);
    assert_non_null(sr_msg_to(m));
    assert_int_equal(sr_msg_via_count(m), 1);
    sr_msg_free(m);
    free(buf);

    buf = load("scalarlg.dat", &len);
    assert_int_equal(parse_with(buf, len, false, &m, NULL), 0);
    sr_retry_after ra;
    h = sr_msg_header_find(m, SR_HDR_RETRY_AFTER, NULL);
    assert_int_equal(sr_retry_after_parse(&ra, h->value, NULL), SR_EBADMSG);
    sr_msg_free(m);
    free(buf);

    buf = load("badvers.dat", &len);
    assert_int_equal(parse_with(buf, len, false, &m, NULL), 0);
    assert_int_equal(sr_msg_start_line(m)->version_major, 7);
    assert_int_equal(sr_msg_start_line(m)->version_minor, 0);
    sr_msg_free(m);
    free(buf);

    buf = load("badbranch.dat", &len);
    assert_int_equal(parse_with(buf, len, true, &m, NULL), 0);
    assert_sr_str_eq(sr_msg_via(m, 0)->branch, "z9hG4bK");
    sr_msg_free(m);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_manifest_verdicts), TU_TEST(test_wsinv),           TU_TEST(test_intmeth_esc),
        TU_TEST(test_misc_valid),        TU_TEST(test_invalid_details),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
