/* sipreply tests: header names, value helpers, typed values and sr_msg (msg.h, parse.h).
 * Includes RFC 5118-style IPv6 cases, framing, failure sweeps and the eager values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void test_hdr_names(void **state)
{
    (void)state;
    /* every known name maps to its id in any case, and every compact form too */
    for (int id = SR_HDR_OTHER + 1; id < SR_HDR__COUNT; id++) {
        const char *name = sr_hdr_name((enum sr_hdr_id)id);
        assert_non_null(name);
        assert_int_equal(sr_hdr_lookup(sr_str_from_cstr(name)), id);
        char up[64], low[64];
        size_t n = strlen(name);
        assert_true(n < sizeof up);
        for (size_t i = 0; i < n; i++) {
            up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
            low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
        }
        assert_int_equal(sr_hdr_lookup((sr_str){up, n}), id);
        assert_int_equal(sr_hdr_lookup((sr_str){low, n}), id);
        char c = sr_hdr_compact((enum sr_hdr_id)id);
        if (c) {
            char cu = (char)(c - 32);
            assert_int_equal(sr_hdr_lookup((sr_str){&c, 1}), id);
            assert_int_equal(sr_hdr_lookup((sr_str){&cu, 1}), id);
        }
    }
    const char compact[] = "imelcfsktvorbxuajdyn";
    assert_int_equal(strlen(compact), 20);
    for (size_t i = 0; compact[i]; i++)
        assert_int_not_equal(sr_hdr_lookup((sr_str){&compact[i], 1}), SR_HDR_OTHER);
    assert_int_equal(sr_hdr_lookup(SR_STR("i")), SR_HDR_CALL_ID);
    assert_int_equal(sr_hdr_lookup(SR_STR("n")), SR_HDR_IDENTITY_INFO);
    assert_int_equal(sr_hdr_lookup(SR_STR("y")), SR_HDR_IDENTITY);
    assert_int_equal(sr_hdr_lookup(SR_STR("g")), SR_HDR_OTHER);
    assert_int_equal(sr_hdr_lookup(SR_STR("X-Custom")), SR_HDR_OTHER);
    assert_int_equal(sr_hdr_lookup(SR_STR("Vias")), SR_HDR_OTHER);
    assert_int_equal(sr_hdr_lookup(SR_STR("C%6Fntact")), SR_HDR_OTHER);
    assert_int_equal(sr_hdr_lookup(SR_STR("")), SR_HDR_OTHER);
    assert_int_equal(sr_hdr_lookup(SR_STR("rseq")), SR_HDR_RSEQ);
    assert_int_equal(sr_hdr_lookup(SR_STR("SECURITY-VERIFY")), SR_HDR_SECURITY_VERIFY);
    assert_null(sr_hdr_name(SR_HDR_OTHER));
    assert_null(sr_hdr_name(SR_HDR__COUNT));
    assert_string_equal(sr_hdr_name(SR_HDR_WWW_AUTHENTICATE), "WWW-Authenticate");
    assert_int_equal(sr_hdr_flags(SR_HDR_VIA), SR_HDRF_LIST);
    assert_int_equal(sr_hdr_flags(SR_HDR_CALL_ID), 0);
}

static void test_methods(void **state)
{
    (void)state;
    for (int m = 1; m < SR_METHOD__COUNT; m++) {
        const char *n = sr_method_name((sr_method)m);
        assert_non_null(n);
        assert_int_equal(sr_method_from_str(sr_str_from_cstr(n)), m);
    }
    assert_int_equal(sr_method_from_str(SR_STR("invite")), SR_METHOD_OTHER);
    assert_int_equal(sr_method_from_str(SR_STR("INVITES")), SR_METHOD_OTHER);
    assert_int_equal(sr_method_from_str(SR_STR("INVITX")), SR_METHOD_OTHER);
    assert_int_equal(sr_method_from_str(SR_STR("")), SR_METHOD_OTHER);
    assert_null(sr_method_name(SR_METHOD_OTHER));
}

static void test_value_split(void **state)
{
    (void)state;
    sr_str v = SR_STR("\"a, b\" <sip:x,y@h>;p=1 , <sip:z> ,(c,d) w,, ");
    const char *want[] = {"\"a, b\" <sip:x,y@h>;p=1", "<sip:z>", "(c,d) w", "", ""};
    size_t pos = 0, n = 0;
    sr_str it;
    while (sr_value_next(v, &pos, &it)) {
        assert_true(n < 5);
        assert_sr_str_eq(it, want[n]);
        n++;
    }
    assert_int_equal(n, 5);
    pos = 0;
    assert_false(sr_value_next(SR_STR(""), &pos, &it));
    pos = 0;
    assert_true(sr_value_next(SR_STR("\"unterminated, x"), &pos, &it));
    assert_sr_str_eq(it, "\"unterminated, x");
    assert_false(sr_value_next(SR_STR("\"unterminated, x"), &pos, &it));
}

static void test_params_unquote_numbers(void **state)
{
    (void)state;
    sr_str ps = SR_STR(";lr ; Tag = \"a;b\" ;x=[2001:db8::1];flag");
    size_t pos = 0;
    sr_str n, v;
    assert_true(sr_param_next(ps, &pos, &n, &v));
    assert_sr_str_eq(n, "lr");
    assert_null(v.p);
    assert_true(sr_param_next(ps, &pos, &n, &v));
    assert_sr_str_eq(n, "Tag");
    assert_sr_str_eq(v, "\"a;b\"");
    assert_true(sr_param_next(ps, &pos, &n, &v));
    assert_sr_str_eq(v, "[2001:db8::1]");
    assert_true(sr_param_next(ps, &pos, &n, &v));
    assert_sr_str_eq(n, "flag");
    assert_false(sr_param_next(ps, &pos, &n, &v));
    assert_true(sr_param_find(ps, "tag", &v));
    assert_false(sr_param_find(ps, "nope", &v));

    char out[16];
    assert_int_equal(sr_str_unquote(SR_STR("\"a\\\"b\\\\c\""), out, sizeof out), 5);
    assert_memory_equal(out, "a\"b\\c", 5);
    assert_int_equal(sr_str_unquote(SR_STR("\"abc"), out, sizeof out), SR_EBADMSG);
    assert_int_equal(sr_str_unquote(SR_STR("abc"), out, sizeof out), SR_EBADMSG);
    assert_int_equal(sr_str_unquote(SR_STR("\"abcdef\""), out, 3), SR_ENOSPC);
    assert_int_equal(sr_str_unquote(SR_STR("\"\""), out, 0), 0);

    uint32_t u;
    assert_int_equal(sr_uint32_parse(SR_STR("0004294967295"), &u), 0);
    assert_int_equal(u, 4294967295u);
    assert_int_equal(sr_uint32_parse(SR_STR("4294967296"), &u), SR_ERANGE);
    assert_int_equal(sr_uint32_parse(SR_STR("99999999999999999999999x"), &u), SR_EBADMSG);
    assert_int_equal(sr_uint32_parse(SR_STR("-1"), &u), SR_EBADMSG);
    assert_int_equal(sr_uint32_parse(SR_STR(""), &u), SR_EBADMSG);
}

static void test_via(void **state)
{
    (void)state;
    sr_via v;
    sr_parse_error e;
    assert_int_equal(sr_via_parse(&v,
                                  SR_STR("SIP/2.0/UDP [2001:db8::9:1]:5061;branch=z9hG4bKas;"
                                         "received=[2001:db8::9:255];rport=5062;maddr=224.0.1.75;"
                                         "ttl=16;x"),
                                  &e),
                     0);
    assert_sr_str_eq(v.host, "[2001:db8::9:1]");
    assert_true(v.has_port);
    assert_int_equal(v.port, 5061);
    assert_sr_str_eq(v.branch, "z9hG4bKas");
    assert_sr_str_eq(v.received, "[2001:db8::9:255]");
    assert_int_equal(v.rport, SR_RPORT_VALUE);
    assert_int_equal(v.rport_value, 5062);
    assert_sr_str_eq(v.maddr, "224.0.1.75");
    assert_int_equal(v.ttl, 16);
    size_t pos = 0, np = 0;
    sr_str n, val;
    while (sr_param_next(v.params, &pos, &n, &val))
        np++;
    assert_int_equal(np, 6);
    assert_int_equal(sr_via_parse(&v, SR_STR("SIP/2.0/TCP h.example.com;rport"), NULL), 0);
    assert_int_equal(v.rport, SR_RPORT_EMPTY);
    assert_false(v.has_port);
    assert_int_equal(v.ttl, -1);
    assert_null(v.branch.p);

    static const char *const bad[] = {
        "SIP/2.0/UDP",                  /* no sent-by */
        "SIP/2.0 UDP h",                /* missing slash */
        "SIP/2.0/UDP h:99999",          /* port out of range */
        "SIP/2.0/UDP h:",               /* empty port */
        "SIP/2.0/UDP [2001:db8::1",     /* unclosed IPv6 reference (RFC 5118) */
        "SIP/2.0/UDP h;;branch=x",      /* empty parameter */
        "SIP/2.0/UDP h;branch",         /* branch without value */
        "SIP/2.0/UDP h;rport=x",        /* bad rport */
        "SIP/2.0/UDP h;ttl=256",        /* ttl > 255 */
        "SIP/2.0/UDP h junk",           /* trailing junk */
        "SIP/2.0/UDP 192.0.2.15;;,;,,", /* RFC 4475 badinv01 */
        "SIP/2.0/UDP 2001:db8::9:1",    /* RFC 5118 §4.3: IPv6 without brackets */
        "SIP/2.0/UDP [2001:db8::9:1]:", /* empty port after an IPv6 reference */
        "SIP/2.0/UDP [abcd]",           /* not an IPv6 reference: no colon */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sr_via_parse(&v, sr_str_from_cstr(bad[i]), &e) != SR_EBADMSG)
            fail_msg("accepted bad Via \"%s\"", bad[i]);
        assert_int_equal(e.hdr, SR_HDR_VIA);
        assert_true(e.offset <= strlen(bad[i]));
    }
}

static void test_nameaddr_contact(void **state)
{
    (void)state;
    sr_nameaddr na;
    assert_int_equal(sr_nameaddr_parse(&na,
                                       SR_STR("\"Bob \\\"B\\\"\" <sips:bob@[2001:db8::1]:5061>"
                                              " ;tag=ab12;x=\"q\""),
                                       NULL),
                     0);
    assert_true(na.display_quoted);
    assert_true(na.angle);
    assert_sr_str_eq(na.uri, "sips:bob@[2001:db8::1]:5061");
    assert_sr_str_eq(na.tag, "ab12");
    assert_sr_str_eq(na.params, ";tag=ab12;x=\"q\"");
    assert_int_equal(sr_nameaddr_parse(&na, SR_STR("Bob Smith <sip:b@h>"), NULL), 0);
    assert_sr_str_eq(na.display, "Bob Smith");
    assert_false(na.display_quoted);
    assert_int_equal(sr_nameaddr_parse(&na, SR_STR("sip:b@h;tag=1;lr"), NULL), 0);
    assert_false(na.angle);
    assert_sr_str_eq(na.uri, "sip:b@h");
    assert_sr_str_eq(na.tag, "1");
    assert_int_equal(sr_nameaddr_parse(&na, SR_STR("<tel:+1-201-555-0123>"), NULL), 0);
    assert_int_equal(na.display.len, 0);

    static const char *const bad[] = {
        "",
        "\"unclosed <sip:a@b>",
        "Bell, Alexander <sip:a@b>",
        "< sip:a@b >",
        "<sip:a@b",
        "sip:a@b?x=y",
        "<sip:a@b>;;",
        "<sip:a@b>;tag=",
        "\"x\" sip:a@b",
        "<sip:a@b> junk",
        "<nocolon>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sr_nameaddr_parse(&na, sr_str_from_cstr(bad[i]), NULL) != SR_EBADMSG)
            fail_msg("accepted bad address \"%s\"", bad[i]);
    }

    sr_contact c;
    assert_int_equal(sr_contact_parse(&c, SR_STR(" * "), NULL), 0);
    assert_true(c.star);
    assert_int_equal(sr_contact_parse(&c, SR_STR("<sip:a@b>;q=1;expires=3600"), NULL), 0);
    assert_false(c.star);
    assert_int_equal(c.q, 1000);
    assert_int_equal(c.expires, 3600);
    assert_int_equal(sr_contact_parse(&c, SR_STR("<sip:a@b>;q=0.5"), NULL), 0);
    assert_int_equal(c.q, 500);
    assert_int_equal(c.expires, -1);
    assert_int_equal(sr_contact_parse(&c, SR_STR("<sip:a@b>;q=1.5"), NULL), SR_EBADMSG);
    assert_int_equal(sr_contact_parse(&c, SR_STR("<sip:a@b>;expires=x"), NULL), SR_EBADMSG);
}

static void test_small_values(void **state)
{
    (void)state;
    sr_cseq cs;
    sr_parse_error e;
    assert_int_equal(sr_cseq_parse(&cs, SR_STR("4294967295 REGISTER"), NULL), 0);
    assert_int_equal(cs.num, 4294967295u);
    assert_int_equal(cs.method_id, SR_METHOD_REGISTER);
    assert_int_equal(sr_cseq_parse(&cs, SR_STR("4294967296 REGISTER"), &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad CSeq number");
    assert_int_equal(sr_cseq_parse(&cs, SR_STR("1"), &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad CSeq method");
    assert_int_equal(sr_cseq_parse(&cs, SR_STR("1 INVITE x"), &e), SR_EBADMSG);

    sr_rack r;
    assert_int_equal(sr_rack_parse(&r, SR_STR("776656 1 INVITE"), NULL), 0);
    assert_int_equal(r.rseq, 776656);
    assert_int_equal(r.cseq, 1);
    assert_int_equal(r.method_id, SR_METHOD_INVITE);
    assert_int_equal(sr_rack_parse(&r, SR_STR("1 INVITE"), NULL), SR_EBADMSG);

    sr_retry_after ra;
    assert_int_equal(sr_retry_after_parse(&ra, SR_STR("18000;duration=3600"), NULL), 0);
    assert_int_equal(ra.seconds, 18000);
    assert_int_equal(ra.duration, 3600);
    assert_int_equal(sr_retry_after_parse(&ra, SR_STR("120 (I'm in a (meeting))"), NULL), 0);
    assert_sr_str_eq(ra.comment, "I'm in a (meeting)");
    assert_int_equal(ra.duration, -1);
    assert_int_equal(sr_retry_after_parse(&ra, SR_STR("120 (open"), NULL), SR_EBADMSG);

    sr_auth a;
    assert_int_equal(sr_auth_parse(&a,
                                   SR_STR("Digest realm=\"atlanta.com\", qop=\"auth,auth-int\","
                                          " nonce=\"84a4\", algorithm=SHA-256, stale=FALSE"),
                                   NULL),
                     0);
    assert_sr_str_eq(a.scheme, "Digest");
    size_t pos = 0, k = 0;
    sr_str n, v;
    const char *names[] = {"realm", "qop", "nonce", "algorithm", "stale"};
    while (sr_auth_param_next(&a, &pos, &n, &v)) {
        assert_true(k < 5);
        assert_sr_str_eq(n, names[k]);
        k++;
    }
    assert_int_equal(k, 5);
    assert_int_equal(sr_auth_parse(&a, SR_STR("Digest realm=\"x"), NULL), SR_EBADMSG);
    assert_int_equal(sr_auth_parse(&a, SR_STR("Digest realm"), NULL), SR_EBADMSG);
}

/* ------------------------------------------------------------------ sr_msg */

static const char reg6[] =
    "REGISTER sip:[2001:db8::10] SIP/2.0\r\n"
    "To: sip:user@example.com\r\n"
    "From: sip:user@example.com;tag=81x2\r\n"
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111;rport\r\n"
    "Via: SIP/2.0/UDP [2001:db8::9:255]:5070;branch=z9hG4bKa;received=[2001:db8::9:2]\r\n"
    "Call-ID: SSG9559905523997077@hlau_4100\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: \"Caller\" <sip:caller@[2001:db8::1]>;expires=600, <sip:c@[::1]:5060>;q=0.2\r\n"
    "CSeq: 98176 REGISTER\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static int parse_opts(const char *buf, size_t len, sr_framing f, unsigned flags, sr_msg **m,
                      sr_parse_error *e)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    o.framing = f;
    o.flags = flags;
    return sr_msg_parse(m, buf, len, &o, e);
}

static void test_msg_ipv6(void **state)
{
    (void)state;
    sr_msg *m = NULL;
    sr_parse_error e;
    assert_int_equal(parse_opts(reg6, strlen(reg6), SR_FRAMING_DATAGRAM, SR_PARSE_VALIDATE, &m, &e),
                     0);
    assert_sr_str_eq(sr_msg_request_uri(m), "sip:[2001:db8::10]");
    assert_int_equal(sr_msg_via_count(m), 2);
    assert_sr_str_eq(sr_msg_via(m, 0)->host, "[2001:db8::9:1]");
    assert_int_equal(sr_msg_via(m, 0)->rport, SR_RPORT_EMPTY);
    assert_sr_str_eq(sr_msg_via(m, 1)->host, "[2001:db8::9:255]");
    assert_int_equal(sr_msg_via(m, 1)->port, 5070);
    assert_sr_str_eq(sr_msg_via(m, 1)->received, "[2001:db8::9:2]");
    const sr_header *h = sr_msg_header_find(m, SR_HDR_CONTACT, NULL);
    size_t pos = 0;
    sr_str it;
    sr_contact c;
    assert_true(sr_value_next(h->value, &pos, &it));
    assert_int_equal(sr_contact_parse(&c, it, NULL), 0);
    assert_sr_str_eq(c.addr.uri, "sip:caller@[2001:db8::1]");
    assert_int_equal(c.expires, 600);
    assert_true(sr_value_next(h->value, &pos, &it));
    assert_int_equal(sr_contact_parse(&c, it, NULL), 0);
    assert_sr_str_eq(c.addr.uri, "sip:c@[::1]:5060");
    assert_int_equal(c.q, 200);
    assert_false(sr_value_next(h->value, &pos, &it));
    sr_msg_free(m);

    /* RFC 5118 §4.1/§4.2: a port-looking tail inside the brackets is part of the address */
    const char *amb = "OPTIONS sip:[2001:db8::10:5070] SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKas3\r\n"
                      "To: sip:user@[2001:db8::10:5070]\r\nFrom: sip:u@h;tag=1\r\n"
                      "Call-ID: a@b\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
    m = NULL;
    assert_int_equal(parse_opts(amb, strlen(amb), SR_FRAMING_DATAGRAM, SR_PARSE_VALIDATE, &m, &e),
                     0);
    assert_sr_str_eq(sr_msg_request_uri(m), "sip:[2001:db8::10:5070]");
    assert_false(sr_msg_via(m, 0)->has_port);
    assert_sr_str_eq(sr_msg_to(m)->uri, "sip:user@[2001:db8::10:5070]");
    sr_msg_free(m);

    /* RFC 5118 §4.5-style damage: an unclosed IPv6 reference in Via is reported */
    char bad[sizeof reg6];
    memcpy(bad, reg6, sizeof reg6);
    char *p = strstr(bad, "[2001:db8::9:1]");
    p[14] = ' '; /* "]" becomes a space */
    m = NULL;
    assert_int_equal(parse_opts(bad, strlen(bad), SR_FRAMING_DATAGRAM, SR_PARSE_VALIDATE, &m, &e),
                     SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad Via header field");
    assert_int_equal(e.hdr, SR_HDR_VIA);
    assert_null(m);
}

static void test_msg_framing(void **state)
{
    (void)state;
    const char *base = "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
                       "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x@y\r\n"
                       "CSeq: 1 MESSAGE\r\nl: 5\r\n\r\nhelloEXTRA";
    size_t len = strlen(base);
    sr_msg *m = NULL;
    sr_parse_error e;
    /* datagram: the body is Content-Length bytes, the rest ignored */
    assert_int_equal(parse_opts(base, len, SR_FRAMING_DATAGRAM, SR_PARSE_VALIDATE, &m, &e), 0);
    assert_sr_str_eq(sr_msg_body(m), "hello");
    assert_int_equal(sr_msg_size(m), len - 5);
    sr_msg_free(m);
    /* stream: each shorter prefix is incomplete, the full one parses */
    size_t full = len - 5;
    for (size_t k = 1; k < full; k++) {
        m = NULL;
        int rc = parse_opts(base, k, SR_FRAMING_STREAM, 0, &m, &e);
        assert_int_equal(rc, SR_EAGAIN);
        assert_null(m);
    }
    assert_int_equal(parse_opts(base, full, SR_FRAMING_STREAM, 0, &m, &e), 0);
    assert_int_equal(sr_msg_size(m), full);
    sr_msg_free(m);
    /* datagram truncated: Content-Length larger than the body */
    assert_int_equal(parse_opts(base, full - 1, SR_FRAMING_DATAGRAM, 0, &m, &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Content-Length larger than message body");
    assert_int_equal(e.hdr, SR_HDR_CONTENT_LENGTH);
    /* datagram without a complete head */
    assert_int_equal(parse_opts(base, 30, SR_FRAMING_DATAGRAM, 0, &m, &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Incomplete message header");
    /* stream without Content-Length */
    const char *nocl = "BYE sip:a SIP/2.0\r\n\r\n";
    assert_int_equal(parse_opts(nocl, strlen(nocl), SR_FRAMING_STREAM, 0, &m, &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Missing Content-Length header field");
    /* size caps */
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    o.max_size = 50;
    assert_int_equal(sr_msg_parse(&m, base, len, &o, &e), SR_ETOOBIG);
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    o.max_headers = 3;
    assert_int_equal(sr_msg_parse(&m, base, len, &o, &e), SR_ETOOBIG);
    assert_int_equal(sr_msg_parse(NULL, base, len, &o, &e), SR_EINVAL);
    /* two equal Content-Lengths are accepted, two different ones are not */
    const char *two = "BYE sip:a SIP/2.0\r\nl: 0\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(parse_opts(two, strlen(two), SR_FRAMING_DATAGRAM, 0, &m, &e), 0);
    sr_msg_free(m);
}

static void test_msg_index(void **state)
{
    (void)state;
    /* many headers: more than the parser's stack array, exercising the heap fallback */
    char buf[8192];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "OPTIONS sip:a SIP/2.0\r\n");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s: v%d\r\n",
                              i % 3 == 0 ? "X-A" : (i % 3 == 1 ? "Route" : "x-a"), i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n");
    sr_msg *m = NULL;
    assert_int_equal(parse_opts(buf, n, SR_FRAMING_DATAGRAM, 0, &m, NULL), 0);
    assert_int_equal(sr_msg_header_count(m), 100);
    assert_int_equal(sr_msg_header_count_id(m, SR_HDR_ROUTE), 33);
    assert_int_equal(sr_msg_header_count_id(m, SR_HDR_OTHER), 67);
    size_t k = 0;
    for (const sr_header *h = sr_msg_header_find_name(m, SR_STR("X-a"), NULL); h;
         h = sr_msg_header_find_name(m, SR_STR("X-a"), h))
        k++;
    assert_int_equal(k, 67);
    const sr_header *r = sr_msg_header_find(m, SR_HDR_ROUTE, NULL);
    assert_sr_str_eq(r->value, "v1");
    r = sr_msg_header_find(m, SR_HDR_ROUTE, r);
    assert_sr_str_eq(r->value, "v4");
    assert_null(sr_msg_header_at(m, 100));
    assert_null(sr_msg_header_find(m, SR_HDR_VIA, NULL));
    assert_null(sr_msg_header_find(m, SR_HDR__COUNT, NULL));
    /* validation of this message: no Via */
    sr_parse_error e;
    assert_int_equal(sr_msg_validate(m, &e), SR_EMISSING);
    assert_string_equal(e.phrase, "Missing Via header field");
    sr_msg_free(m);
}

typedef struct validate_case {
    const char *hdrs; /* header lines between a fixed request line and the empty line */
    int rc;
    const char *phrase;
    int hdr;
} validate_case;

#define VBASE_VIA "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
#define VBASE_TF  "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
#define VBASE_CC  "Call-ID: x@y\r\nCSeq: 1 INVITE\r\n"

static const validate_case vcases[] = {
    {VBASE_VIA VBASE_TF VBASE_CC, 0, NULL, 0},
    {VBASE_VIA VBASE_TF VBASE_CC "Max-Forwards: 70\r\nContact: *\r\nRoute: <sip:p;lr>, <sip:q>\r\n",
     0, NULL, 0},
    {VBASE_TF VBASE_CC, SR_EMISSING, "Missing Via header field", SR_HDR_VIA},
    {VBASE_VIA "To: <sip:a@b>\r\n" VBASE_CC, SR_EMISSING, "Missing From header field", SR_HDR_FROM},
    {VBASE_VIA VBASE_TF "CSeq: 1 INVITE\r\n", SR_EMISSING, "Missing Call-ID header field",
     SR_HDR_CALL_ID},
    {VBASE_VIA VBASE_TF "Call-ID: x@y\r\n", SR_EMISSING, "Missing CSeq header field", SR_HDR_CSEQ},
    {VBASE_VIA VBASE_TF VBASE_CC "i: z@y\r\n", SR_EBADMSG, "Duplicate Call-ID header field",
     SR_HDR_CALL_ID},
    {VBASE_VIA VBASE_TF VBASE_CC "Max-Forwards: 1\r\nMax-Forwards: 2\r\n", SR_EBADMSG,
     "Duplicate Max-Forwards header field", SR_HDR_MAX_FORWARDS},
    {VBASE_VIA "To: <sip:a@b>\r\nFrom: c d e\r\n" VBASE_CC, SR_EBADMSG, "Bad From header field",
     SR_HDR_FROM},
    {VBASE_VIA VBASE_TF VBASE_CC "Max-Forwards: ten\r\n", SR_EBADMSG,
     "Bad Max-Forwards header field", SR_HDR_MAX_FORWARDS},
    {VBASE_VIA VBASE_TF "Call-ID: a@b@c\r\nCSeq: 1 INVITE\r\n", SR_EBADMSG,
     "Bad Call-ID header field", SR_HDR_CALL_ID},
    {VBASE_VIA VBASE_TF "Call-ID: x@y\r\nCSeq: 1 BYE\r\n", SR_EBADMSG,
     "CSeq method does not match request method", SR_HDR_CSEQ},
    {VBASE_VIA VBASE_TF "Call-ID: x@y\r\nCSeq: one INVITE\r\n", SR_EBADMSG, "Bad CSeq number",
     SR_HDR_CSEQ},
    {VBASE_VIA VBASE_TF VBASE_CC "Route: <sip:p;lr>,\r\n", SR_EBADMSG, "Bad Route header field",
     SR_HDR_ROUTE},
    {VBASE_VIA VBASE_TF VBASE_CC "Record-Route: sip:p?x\r\n", SR_EBADMSG,
     "Bad Record-Route header field", SR_HDR_RECORD_ROUTE},
    {VBASE_VIA VBASE_TF VBASE_CC "m: <sip:a@b>;q=2\r\n", SR_EBADMSG, "Bad Contact header field",
     SR_HDR_CONTACT},
    {"v: SIP/2.0/UDP h:0x50\r\n" VBASE_TF VBASE_CC, SR_EBADMSG, "Bad Via header field", SR_HDR_VIA},
    {VBASE_VIA VBASE_TF VBASE_CC "RSeq: 0\r\n", SR_EBADMSG, "Bad RSeq header field", SR_HDR_RSEQ},
    {VBASE_VIA VBASE_TF VBASE_CC "RAck: 1 INVITE\r\n", SR_EBADMSG, "Bad RAck header field",
     SR_HDR_RACK},
};

static void test_msg_validate(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
        char buf[1024];
        int n = snprintf(buf, sizeof buf, "INVITE sip:a@b SIP/2.0\r\n%s\r\n", vcases[i].hdrs);
        assert_true(n > 0 && (size_t)n < sizeof buf);
        sr_msg *m = NULL;
        sr_parse_error e = {0, 0, 0, NULL};
        /* NULL options: defaults and the default allocator */
        assert_int_equal(sr_msg_parse(&m, buf, (size_t)n, NULL, &e), 0);
        int rc = sr_msg_validate(m, &e);
        if (rc != vcases[i].rc)
            fail_msg("case %zu: rc %d (%s), want %d", i, rc, e.phrase, vcases[i].rc);
        if (rc) {
            assert_string_equal(e.phrase, vcases[i].phrase);
            assert_int_equal(e.hdr, vcases[i].hdr);
            assert_true(e.offset <= (size_t)n);
        }
        sr_msg_free(m);
    }
    sr_parse_error e;
    assert_int_equal(sr_msg_validate(NULL, &e), SR_EINVAL);

    /* RSeq and RAck are parsed eagerly (RFC 3262) */
    const char *pr = "PRACK sip:a@b SIP/2.0\r\n" VBASE_VIA VBASE_TF
                     "Call-ID: x@y\r\nCSeq: 2 PRACK\r\nRAck: 776656 1 INVITE\r\n\r\n";
    sr_msg *m = NULL;
    assert_int_equal(sr_msg_parse(&m, pr, strlen(pr), NULL, &e), 0);
    assert_int_equal(sr_msg_validate(m, &e), 0);
    assert_int_equal(sr_msg_rack(m)->rseq, 776656);
    assert_int_equal(sr_msg_rack(m)->cseq, 1);
    assert_int_equal(sr_msg_rack(m)->method_id, SR_METHOD_INVITE);
    assert_int_equal(sr_msg_rseq(m), -1);
    sr_msg_free(m);
    const char *r1 = "SIP/2.0 183 Session Progress\r\n" VBASE_VIA VBASE_TF VBASE_CC
                     "Require: 100rel\r\nRSeq: 988789\r\n\r\n";
    assert_int_equal(sr_msg_parse(&m, r1, strlen(r1), NULL, &e), 0);
    assert_int_equal(sr_msg_rseq(m), 988789);
    assert_null(sr_msg_rack(m));
    sr_msg_free(m);
}

/* The Via values after the top one are parsed on first use (docs/parser.md): every access
 * order gives the same list, a bad value stops it where the eager parse stopped, validation
 * still reports it first, and no access allocates. */
static const char lazy_vias[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP top.example.com;branch=z9hG4bK1\r\n"
    "To: <sip:b@example.com>;tag=t\r\n"
    "v: SIP/2.0/TCP mid.example.com:5070;branch=z9hG4bK2 , SIP/2.0/TLS [2001:db8::1];rport=7\r\n"
    "From: <sip:a@example.com>;tag=f\r\n"
    "Via: SIP/2.0/UDP last.example.com;received=192.0.2.9;branch=\"q,x\"\r\n"
    "Call-ID: c@h\r\nCSeq: 1 INVITE\r\n\r\n";

static void check_lazy_list(const sr_msg *m)
{
    assert_int_equal(sr_msg_via_count(m), 4);
    assert_sr_str_eq(sr_msg_via(m, 0)->host, "top.example.com");
    assert_sr_str_eq(sr_msg_via(m, 1)->host, "mid.example.com");
    assert_int_equal(sr_msg_via(m, 1)->port, 5070);
    assert_sr_str_eq(sr_msg_via(m, 2)->host, "[2001:db8::1]");
    assert_int_equal(sr_msg_via(m, 2)->rport_value, 7);
    assert_sr_str_eq(sr_msg_via(m, 3)->host, "last.example.com");
    assert_sr_str_eq(sr_msg_via(m, 3)->branch, "\"q,x\"");
    assert_null(sr_msg_via(m, 4));
    assert_null(sr_msg_via(m, SIZE_MAX));
}

static void test_msg_lazy_via(void **state)
{
    (void)state;
    for (int order = 0; order < 4; order++) {
        tu_alloc *ta = tu_alloc_state();
        sr_parse_opts o;
        sr_parse_opts_init(&o);
        o.alloc = tu_allocator();
        sr_msg *m = NULL;
        assert_int_equal(sr_msg_parse(&m, lazy_vias, strlen(lazy_vias), &o, NULL), 0);
        long allocs = ta->total;
        switch (order) {
        case 0: assert_sr_str_eq(sr_msg_via(m, 3)->host, "last.example.com"); break;
        case 1: assert_null(sr_msg_via(m, 9)); break;
        case 2: assert_sr_str_eq(sr_msg_via(m, 0)->branch, "z9hG4bK1"); break;
        default: {
            sr_parse_error e;
            assert_int_equal(sr_msg_validate(m, &e), 0);
            break;
        }
        }
        check_lazy_list(m);
        check_lazy_list(m);
        assert_int_equal(ta->total, allocs); /* the rest of the list needed no memory */
        sr_msg_free(m);
    }

    /* a single Via: nothing left for later */
    sr_msg *m = NULL;
    const char *one = "SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h;branch=z9hG4bKa\r\n\r\n";
    assert_int_equal(sr_msg_parse(&m, one, strlen(one), NULL, NULL), 0);
    assert_int_equal(sr_msg_via_count(m), 1);
    assert_null(sr_msg_via(m, 1));
    sr_msg_free(m);
}

static void test_msg_lazy_via_errors(void **state)
{
    (void)state;
    /* the second value is bad: the list stops before it, whatever is asked first, and
     * validation reports it (before the bad To, as when every Via was parsed eagerly) */
    const char *bad = "OPTIONS sip:a@b SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;;branch=x\r\n"
                      "Via: SIP/2.0/UDP c;branch=z9hG4bK3\r\n"
                      "To: <sip:a@b\r\nFrom: <sip:a@b>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
                      "Max-Forwards: 70\r\n\r\n";
    const char *at = strstr(bad, "SIP/2.0/UDP b");
    for (int order = 0; order < 3; order++) {
        sr_msg *m = NULL;
        sr_parse_error e;
        assert_int_equal(sr_msg_parse(&m, bad, strlen(bad), NULL, &e), 0);
        if (order == 0)
            assert_null(sr_msg_via(m, 2));
        if (order == 1)
            assert_int_equal(sr_msg_via_count(m), 1);
        memset(&e, 0, sizeof e);
        assert_int_equal(sr_msg_validate(m, &e), SR_EBADMSG);
        assert_int_equal(e.hdr, SR_HDR_VIA);
        assert_string_equal(e.phrase, "Bad Via header field");
        assert_true(e.offset >= (size_t)(at - bad) && e.offset < (size_t)(at - bad) + 16);
        assert_int_equal(sr_msg_via_count(m), 1);
        assert_sr_str_eq(sr_msg_via(m, 0)->host, "a");
        assert_null(sr_msg_via(m, 1));
        assert_null(sr_msg_via(m, 2));
        sr_msg_free(m);
    }
    /* the top value is bad: no Via at all, the same verdict */
    const char *badtop = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0 a\r\nVia: SIP/2.0/UDP c\r\n"
                         "To: <sip:a@b>\r\nFrom: <sip:a@b>;tag=1\r\nCall-ID: x\r\n"
                         "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n";
    sr_msg *m = NULL;
    sr_parse_error e;
    assert_int_equal(sr_msg_parse(&m, badtop, strlen(badtop), NULL, &e), 0);
    assert_null(sr_msg_via(m, 0));
    assert_int_equal(sr_msg_via_count(m), 0);
    assert_int_equal(sr_msg_validate(m, &e), SR_EBADMSG);
    assert_int_equal(e.hdr, SR_HDR_VIA);
    sr_msg_free(m);
    /* one Via header with one bad value (the single-value path): same verdict and offset */
    const char *bad1 = "OPTIONS sip:a@b SIP/2.0\r\nVia:  SIP/2.0/UDP a;;x \r\n"
                       "To: <sip:a@b>\r\nFrom: <sip:a@b>;tag=1\r\nCall-ID: x\r\n"
                       "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n";
    assert_int_equal(sr_msg_parse(&m, bad1, strlen(bad1), NULL, &e), 0);
    assert_int_equal(sr_msg_via_count(m), 0);
    assert_null(sr_msg_via(m, 0));
    assert_int_equal(sr_msg_validate(m, &e), SR_EBADMSG);
    assert_int_equal(e.hdr, SR_HDR_VIA);
    assert_string_equal(e.phrase, "Bad Via header field");
    assert_int_equal(e.offset, (size_t)(strstr(bad1, ";;") - bad1));
    sr_msg_free(m);
}

/* A Via added to a parsed message goes after the whole list, parsed or not yet. */
static void test_msg_lazy_via_add(void **state)
{
    (void)state;
    sr_msg *m = NULL;
    assert_int_equal(sr_msg_parse(&m, lazy_vias, strlen(lazy_vias), NULL, NULL), 0);
    assert_int_equal(sr_msg_add_header(m, SR_HDR_VIA, SR_STR_NULL,
                                       SR_STR("SIP/2.0/UDP added.example.com;branch=z9hG4bK9")),
                     0);
    assert_int_equal(sr_msg_via_count(m), 5);
    assert_sr_str_eq(sr_msg_via(m, 3)->host, "last.example.com");
    assert_sr_str_eq(sr_msg_via(m, 4)->host, "added.example.com");
    sr_msg_free(m);
}

/* One allocation per ordinary message: the struct, the copy of the bytes, the header index
 * and the Via list all come from the one arena chunk sized from the input (the bench corpus:
 * INVITE/200 with SDP, REGISTER with credentials, responses with two Vias...), also after
 * every Via value has been asked for and the message validated. */
static void test_msg_one_allocation(void **state)
{
    (void)state;
    static const char *const files[] = {
        "01-invite-sdp.sip",    "02-100-trying.sip",
        "03-180-ringing.sip",   "04-200-ok-sdp.sip",
        "05-486-busy-here.sip", "06-407-proxy-auth.sip",
        "07-register.sip",      "08-401-unauthorized.sip",
        "09-options.sip",       "10-bye.sip",
        "11-ack.sip",
    };
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", SR_BENCH_CORPUS_DIR, files[f]);
        size_t len;
        char *buf = tu_read_file(path, &len);
        tu_alloc *ta = tu_alloc_state();
        long before = ta->total;
        sr_parse_opts o;
        sr_parse_opts_init(&o);
        o.alloc = tu_allocator();
        sr_msg *m = NULL;
        assert_int_equal(sr_msg_parse(&m, buf, len, &o, NULL), 0);
        assert_true(sr_msg_via_count(m) >= 1);
        assert_non_null(sr_msg_via(m, sr_msg_via_count(m) - 1));
        assert_int_equal(sr_msg_validate(m, NULL), 0);
        if (ta->total - before != 1)
            fail_msg("%s: %ld allocations", files[f], ta->total - before);
        sr_msg_free(m);
        free(buf);
    }
}

typedef struct sweep_ctx {
    const char *buf;
    size_t len;
} sweep_ctx;

static int sweep_parse(const sr_allocator *alloc, void *ctx)
{
    const sweep_ctx *c = ctx;
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = alloc;
    o.flags = SR_PARSE_VALIDATE;
    sr_msg *m = NULL;
    int rc = sr_msg_parse(&m, c->buf, c->len, &o, NULL);
    if (rc == 0) {
        if (sr_msg_via_count(m) == 0)
            rc = SR_EINVAL;
        sr_msg_free(m);
    }
    return rc;
}

static void test_msg_failure_sweep(void **state)
{
    (void)state;
    sweep_ctx c = {reg6, strlen(reg6)};
    long n = tu_failure_sweep(sweep_parse, &c);
    assert_true(n >= 1);
    /* many headers and Vias: several allocations */
    char buf[16384];
    size_t len = 0;
    len += (size_t)snprintf(buf + len, sizeof buf - len,
                            "OPTIONS sip:a SIP/2.0\r\nTo: <sip:a@b>\r\nFrom: <sip:a@b>;tag=1\r\n"
                            "Call-ID: a@b\r\nCSeq: 1 OPTIONS\r\n");
    for (int i = 0; i < 80; i++)
        len +=
            (size_t)snprintf(buf + len, sizeof buf - len,
                             "Via: SIP/2.0/UDP h%d;branch=z9hG4bK%d, SIP/2.0/TCP g%d\r\n", i, i, i);
    len += (size_t)snprintf(buf + len, sizeof buf - len, "\r\n");
    c.buf = buf;
    c.len = len;
    n = tu_failure_sweep(sweep_parse, &c);
    assert_true(n >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_hdr_names),
        TU_TEST(test_methods),
        TU_TEST(test_value_split),
        TU_TEST(test_params_unquote_numbers),
        TU_TEST(test_via),
        TU_TEST(test_nameaddr_contact),
        TU_TEST(test_small_values),
        TU_TEST(test_msg_ipv6),
        TU_TEST(test_msg_framing),
        TU_TEST(test_msg_index),
        TU_TEST(test_msg_failure_sweep),
        TU_TEST(test_msg_lazy_via),
        TU_TEST(test_msg_one_allocation),
        TU_TEST(test_msg_lazy_via_errors),
        TU_TEST(test_msg_lazy_via_add),
        TU_TEST(test_msg_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
