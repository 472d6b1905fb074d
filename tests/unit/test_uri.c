/* sipreply tests: URI parsing, unescaping and §19.1.4 comparison (uri.h).
 * RFC 3261 §19.1, RFC 3966, RFC 5118 §4, RFC 4475 torture URIs; whole, guard page, every prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ------------------------------------------------------------------ helpers */

static sr_str cs(const char *s)
{
    return sr_str_from_cstr(s);
}

/* Every slice of a parsed URI lies inside [p, p + n). */
static void assert_slices_inside(const sr_uri *u, const char *p, size_t n)
{
    const sr_str *parts[] = {&u->scheme, &u->user,    &u->password, &u->host,
                             &u->params, &u->headers, &u->opaque};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const sr_str *s = parts[i];
        if (s->p == NULL) {
            assert_int_equal(s->len, 0);
            continue;
        }
        assert_true(s->p >= p);
        assert_true(s->p + s->len <= p + n);
    }
}

/*
 * Parse @p s three ways (STYLE.md §9): whole; copied so its last byte touches a PROT_NONE page;
 * and every prefix at a guard page (each prefix is valid or a clean SR_EBADMSG). Returns the
 * whole-buffer result; @p out receives the parse of the original bytes.
 */
static int parse_all_ways(sr_uri *out, const char *s, size_t n, sr_parse_error *err)
{
    int rc = sr_uri_parse(out, s, n, err);
    if (rc == 0) {
        assert_slices_inside(out, s, n);
        assert_true(sr_uri_eq(out, out));
    } else {
        assert_int_equal(rc, SR_EBADMSG);
        assert_int_equal(err->code, SR_EBADMSG);
        assert_true(err->offset <= n);
        assert_non_null(err->phrase);
    }

    char *g = tu_guarded_copy(s, n);
    sr_uri gu;
    sr_parse_error ge;
    int grc = sr_uri_parse(&gu, g, n, &ge);
    assert_int_equal(grc, rc);
    if (rc == 0) {
        assert_int_equal(gu.kind, out->kind);
        assert_int_equal(gu.host.len, out->host.len);
        assert_int_equal(gu.port, out->port);
        assert_true(sr_uri_eq(&gu, out));
    } else {
        assert_int_equal(ge.offset, err->offset);
        assert_string_equal(ge.phrase, err->phrase);
    }
    tu_guarded_free(g, n);

    for (size_t k = 0; k < n; k++) {
        char *pg = tu_guarded_copy(s, k);
        sr_uri pu;
        sr_parse_error pe;
        int prc = sr_uri_parse(&pu, pg, k, &pe);
        if (prc == 0) {
            assert_slices_inside(&pu, pg, k);
            assert_true(sr_uri_eq(&pu, &pu));
        } else {
            assert_int_equal(prc, SR_EBADMSG);
            assert_true(pe.offset <= k);
        }
        tu_guarded_free(pg, k);
    }
    return rc;
}

static int parse_cstr(sr_uri *out, const char *s, sr_parse_error *err)
{
    return parse_all_ways(out, s, strlen(s), err);
}

/* Unescape @p in and compare with @p want of @p want_len bytes. */
static void assert_unescaped(sr_str in, const char *want, size_t want_len)
{
    char buf[512];
    size_t n = 0;
    assert_int_equal(sr_uri_unescape(buf, sizeof buf, in, &n), 0);
    assert_mem_eq(buf, n, want, want_len);
}

static bool eq_cstr(const char *a, const char *b)
{
    sr_uri x, y;
    sr_parse_error e;
    assert_int_equal(sr_uri_parse(&x, a, strlen(a), &e), 0);
    assert_int_equal(sr_uri_parse(&y, b, strlen(b), &e), 0);
    bool r = sr_uri_eq(&x, &y);
    assert_true(sr_uri_eq(&y, &x) == r); /* symmetric */
    return r;
}

/* ------------------------------------------------------------------ SIP syntax */

static void test_uri_sip_fields(void **state)
{
    (void)state;
    sr_uri u;
    sr_parse_error e;
    assert_int_equal(parse_cstr(&u,
                                "sips:alice:secret@Atlanta.com:5061;transport=tcp;lr?"
                                "subject=project%20x&priority=urgent",
                                &e),
                     0);
    assert_int_equal(u.kind, SR_URI_SIPS);
    assert_sr_str_eq(u.scheme, "sips");
    assert_sr_str_eq(u.user, "alice");
    assert_sr_str_eq(u.password, "secret");
    assert_true(u.has_user && u.has_password && u.has_port && u.has_params && u.has_headers);
    assert_sr_str_eq(u.host, "Atlanta.com");
    assert_int_equal(u.host_kind, SR_URI_HOST_NAME);
    assert_int_equal(u.port, 5061);
    assert_sr_str_eq(u.params, "transport=tcp;lr");
    assert_sr_str_eq(u.headers, "subject=project%20x&priority=urgent");

    sr_str v;
    assert_true(sr_uri_param_find(&u, "TRANSPORT", &v));
    assert_sr_str_eq(v, "tcp");
    assert_true(sr_uri_param_find(&u, "lr", &v));
    assert_null(v.p);
    assert_false(sr_uri_param_find(&u, "maddr", &v));

    sr_str cur = u.params, n;
    assert_true(sr_uri_param_next(&cur, &n, &v));
    assert_sr_str_eq(n, "transport");
    assert_true(sr_uri_param_next(&cur, &n, &v));
    assert_sr_str_eq(n, "lr");
    assert_false(sr_uri_param_next(&cur, &n, &v));

    cur = u.headers;
    assert_true(sr_uri_header_next(&cur, &n, &v));
    assert_sr_str_eq(n, "subject");
    assert_unescaped(v, "project x", 9);
    assert_true(sr_uri_header_next(&cur, &n, &v));
    assert_sr_str_eq(n, "priority");
    assert_sr_str_eq(v, "urgent");
    assert_false(sr_uri_header_next(&cur, &n, &v));

    /* no userinfo, IPv4 host, no port */
    assert_int_equal(parse_cstr(&u, "SIP:192.0.2.4", &e), 0);
    assert_int_equal(u.kind, SR_URI_SIP);
    assert_false(u.has_user);
    assert_null(u.user.p);
    assert_int_equal(u.host_kind, SR_URI_HOST_IPV4);
    assert_false(u.has_port);
    /* empty password is legal: password = *( ... ) */
    assert_int_equal(parse_cstr(&u, "sip:bob:@h.example.com.", &e), 0);
    assert_true(u.has_password);
    assert_int_equal(u.password.len, 0);
    assert_sr_str_eq(u.host, "h.example.com.");
}

static void test_uri_sip_errors(void **state)
{
    (void)state;
    static const struct {
        const char *uri;
        const char *phrase;
        size_t offset;
    } bad[] = {
        {"", "Bad URI scheme", 0},
        {"sip", "Bad URI scheme", 3},
        {"1sip:a@b.com", "Bad URI scheme", 0},
        {"sip:", "Bad URI host", 4},
        {"sip:@example.com", "Bad URI user", 4},
        {"sip:a@", "Bad URI host", 6},
        {"sip:a b@example.com", "Bad URI: whitespace", 5},
        {"sip:user@example.com; lr", "Bad URI: whitespace", 21},
        {"sip:user@example.com\r\n", "Bad URI: whitespace", 20},
        {"<sip:user@example.com>", "Bad URI: angle brackets", 0},
        {"sip:a@b.com:", "Bad URI port", 12},
        {"sip:a@b.com:65536", "Bad URI port", 12},
        {"sip:a@b.com:99999999999999999999", "Bad URI port", 12},
        {"sip:a@b.com:50x", "Bad URI port", 14},
        {"sip:a@b.com:-1", "Bad URI port", 12},
        {"sip:a@b.com;", "Bad URI parameter", 12},
        {"sip:a@b.com;;lr", "Bad URI parameter", 12},
        {"sip:a@b.com;x=", "Bad URI parameter", 14},
        {"sip:a@b.com;x=\"y\"", "Bad URI parameter", 14},
        {"sip:a@b.com?", "Bad URI header", 12},
        {"sip:a@b.com?x", "Bad URI header", 13},
        {"sip:a@b.com?=y", "Bad URI header", 12},
        {"sip:%4@b.com", "Bad URI escape", 4},
        {"sip:%zz@b.com", "Bad URI escape", 4},
        {"sip:a@b.com;x=%", "Bad URI escape", 14},
        {"sip:a:p%@b.com", "Bad URI escape", 7},
        {"sip:a:p@s@b.com", "Bad URI host", 9},
        {"sip:a@-b.com", "Bad URI host", 6},
        {"sip:a@b-.com", "Bad URI host", 7},
        {"sip:a@b..com", "Bad URI host", 8},
        {"sip:a@example.123", "Bad URI host", 14},
        {"sip:a@1.2.3.256", "Bad URI host", 12},
        {"sip:a@b_c.com", "Bad URI host", 7},
        {"sip:a@b.com>", "Bad URI: angle brackets", 11},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sr_uri u;
        sr_parse_error e = {0, 0, 0, NULL};
        int rc = parse_cstr(&u, bad[i].uri, &e);
        if (rc != SR_EBADMSG || strcmp(e.phrase, bad[i].phrase) != 0 || e.offset != bad[i].offset)
            print_error("uri '%s': rc %d phrase '%s' offset %zu\n", bad[i].uri, rc,
                        e.phrase ? e.phrase : "(null)", e.offset);
        assert_int_equal(rc, SR_EBADMSG);
        assert_string_equal(e.phrase, bad[i].phrase);
        assert_int_equal(e.offset, bad[i].offset);
    }
    sr_uri u;
    assert_int_equal(sr_uri_parse(&u, NULL, 3, NULL), SR_EINVAL);
    assert_int_equal(sr_uri_parse(NULL, "sip:a", 5, NULL), SR_EINVAL);
    assert_int_equal(sr_uri_parse(&u, "sip:a b", 7, NULL), SR_EBADMSG); /* err optional */
    /* ports at the edges of the range */
    assert_int_equal(sr_uri_parse(&u, "sip:a@b.com:65535", 17, NULL), 0);
    assert_int_equal(u.port, 65535);
    assert_int_equal(sr_uri_parse(&u, "sip:a@b.com:0", 13, NULL), 0);
    assert_true(u.has_port);
    assert_int_equal(u.port, 0);
    /* a raw NUL is never part of a URI; %00 is (RFC 4475 escnull) */
    assert_int_equal(sr_uri_parse(&u, "sip:a\0b@c.com", 13, NULL), SR_EBADMSG);
}

/* ------------------------------------------------------------------ IPv6 (RFC 5118 §4) */

static void test_uri_ipv6(void **state)
{
    (void)state;
    sr_uri u;
    sr_parse_error e;
    /* §4.4 port-unambiguous */
    assert_int_equal(parse_cstr(&u, "sip:[2001:db8::10]:5070", &e), 0);
    assert_sr_str_eq(u.host, "[2001:db8::10]");
    assert_int_equal(u.host_kind, SR_URI_HOST_IPV6);
    assert_true(u.has_port);
    assert_int_equal(u.port, 5070);
    /* §4.3 port-ambiguous: 5070 is the last group of the address, no port */
    assert_int_equal(parse_cstr(&u, "sip:[2001:db8::10:5070]", &e), 0);
    assert_sr_str_eq(u.host, "[2001:db8::10:5070]");
    assert_false(u.has_port);
    /* §4.6 IPv4-mapped, §4.5 IPv4 tail */
    assert_int_equal(parse_cstr(&u, "sip:user@[::ffff:192.0.2.1]", &e), 0);
    assert_int_equal(u.host_kind, SR_URI_HOST_IPV6);
    assert_int_equal(parse_cstr(&u, "sip:user@[2001:db8::192.0.2.1];maddr=[2001:db8::1]", &e), 0);
    assert_int_equal(parse_cstr(&u, "sip:[::1]", &e), 0);
    assert_int_equal(parse_cstr(&u, "sip:[::]", &e), 0);
    assert_int_equal(parse_cstr(&u, "sip:[1:2:3:4:5:6:7:8]", &e), 0);
    assert_int_equal(parse_cstr(&u, "sip:[1:2:3:4:5:6:7::]", &e), 0);
    assert_int_equal(parse_cstr(&u, "sip:[1:2:3:4:5:6:1.2.3.4]", &e), 0);
    /* §4.10 ipv6-bug-abnf-3-colons: tolerated, and the same address as with two colons */
    assert_int_equal(parse_cstr(&u, "sip:[2001:db8:::192.0.2.1]", &e), 0);
    assert_int_equal(u.host_kind, SR_URI_HOST_IPV6);
    assert_sr_str_eq(u.host, "[2001:db8:::192.0.2.1]");
    assert_true(eq_cstr("sip:[2001:db8:::192.0.2.1]", "sip:[2001:db8::192.0.2.1]"));
    assert_int_equal(parse_cstr(&u, "sip:[:::192.0.2.1]", &e), 0);
    assert_true(eq_cstr("sip:[:::192.0.2.1]", "sip:[::192.0.2.1]"));

    static const char *const bad6[] = {
        "sip:[2001:db8::10",
        "sip:[2001:db8:::10]",
        "sip:[2001:db8::::192.0.2.1]",
        "sip:[2001:db8:::192.0.2]",
        "sip:[1:2:3:4:5:6:::1.2.3.4]",
        "sip:[:::]",
        "sip:[1:2:3:4:5:6:7:8:9]",
        "sip:[1::2::3]",
        "sip:[12345::1]",
        "sip:[:1::2]",
        "sip:[1:2:3:4:5:6:7]",
        "sip:[g::1]",
        "sip:[]",
        "sip:[::1.2.3]",
        "sip:[1:2:3:4:5:6:7:1.2.3.4]",
        "sip:[1:]",
        "sip:[::ffff:192.0.2.256]",
    };
    for (size_t i = 0; i < sizeof bad6 / sizeof bad6[0]; i++) {
        assert_int_equal(parse_cstr(&u, bad6[i], &e), SR_EBADMSG);
        assert_string_equal(e.phrase, "Bad IPv6 reference");
    }
    /* §4.2 ipv6-bad: an unbracketed IPv6 address cannot be a host */
    assert_int_equal(parse_cstr(&u, "sip:user@2001:db8::10", &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad IPv6 reference");
    assert_int_equal(e.offset, 9);
    assert_int_equal(parse_cstr(&u, "sip:user@abcd::10", &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad IPv6 reference");
    assert_int_equal(parse_cstr(&u, "sip:[::1]:65536", &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad URI port");
    assert_int_equal(parse_cstr(&u, "sip:[::1]x", &e), SR_EBADMSG);

    /* addresses compare as addresses */
    assert_true(eq_cstr("sip:[2001:db8::10]", "sip:[2001:DB8:0:0:0:0:0:10]"));
    assert_true(eq_cstr("sip:[::ffff:192.0.2.1]", "sip:[::ffff:c000:201]"));
    assert_false(eq_cstr("sip:[2001:db8::10]:5070", "sip:[2001:db8::10:5070]"));
    assert_true(eq_cstr("sip:a@192.0.2.1", "sip:a@192.000.002.001"));
}

/* ------------------------------------------------------------------ tel (RFC 3966) */

static void test_uri_tel(void **state)
{
    (void)state;
    sr_uri u;
    sr_parse_error e;
    assert_int_equal(parse_cstr(&u, "tel:+1-201-555-0123", &e), 0);
    assert_int_equal(u.kind, SR_URI_TEL);
    assert_true(u.tel_global);
    assert_sr_str_eq(u.user, "+1-201-555-0123");
    assert_int_equal(u.host_kind, SR_URI_HOST_NONE);
    assert_false(u.has_params);

    assert_int_equal(parse_cstr(&u, "tel:7042;phone-context=example.com", &e), 0);
    assert_false(u.tel_global);
    assert_sr_str_eq(u.user, "7042");
    sr_str v;
    assert_true(sr_uri_param_find(&u, "phone-context", &v));
    assert_sr_str_eq(v, "example.com");
    assert_int_equal(parse_cstr(&u, "tel:863-1234;phone-context=+1-914-555", &e), 0);
    assert_int_equal(parse_cstr(&u, "TEL:+1(201)555.0123;ext=1234;isub=%41b", &e), 0);
    assert_int_equal(parse_cstr(&u, "tel:*21#;phone-context=+1", &e), 0);
    assert_int_equal(parse_cstr(&u, "tel:+1234;x-flag;foo=bar", &e), 0);

    static const struct {
        const char *uri;
        const char *phrase;
    } bad[] = {
        {"tel:", "Bad tel URI number"},
        {"tel:+", "Bad tel URI number"},
        {"tel:+-", "Bad tel URI number"},
        {"tel:+12a4", "Bad tel URI number"},
        {"tel:1 2", "Bad URI: whitespace"},
        {"tel:7042", "Bad tel URI: missing phone-context"},
        {"tel:7042;ext=1", "Bad tel URI: missing phone-context"},
        {"tel:7042;phone-context=", "Bad tel URI parameter"},
        {"tel:7042;phone-context=-bad-", "Bad tel URI phone-context"},
        {"tel:7042;phone-context=+", "Bad tel URI phone-context"},
        {"tel:+1;", "Bad tel URI parameter"},
        {"tel:+1;ext=12a", "Bad tel URI parameter"},
        {"tel:+1;a_b=1", "Bad tel URI parameter"},
        {"tel:+1;x=%g0", "Bad URI escape"},
        {"tel:+1?x=y", "Bad tel URI number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse_cstr(&u, bad[i].uri, &e);
        if (rc != SR_EBADMSG || strcmp(e.phrase, bad[i].phrase) != 0)
            print_error("tel '%s': rc %d phrase '%s'\n", bad[i].uri, rc, rc ? e.phrase : "");
        assert_int_equal(rc, SR_EBADMSG);
        assert_string_equal(e.phrase, bad[i].phrase);
    }

    /* RFC 3966 §4: visual separators are ignored, parameter order is not significant */
    assert_true(eq_cstr("tel:+1-201-555-0123", "tel:+12015550123"));
    assert_true(eq_cstr("tel:+1(201)555.0123", "tel:+12015550123"));
    assert_true(
        eq_cstr("tel:7042;phone-context=example.com", "tel:70-42;Phone-Context=EXAMPLE.com"));
    assert_true(eq_cstr("tel:+1;a=1;b=2", "tel:+1;b=2;a=1"));
    assert_false(eq_cstr("tel:+1;a=1", "tel:+1"));
    assert_false(eq_cstr("tel:+12015550123", "tel:+12015550124"));
    assert_false(eq_cstr("tel:+1234", "tel:1234;phone-context=+1"));
    assert_false(eq_cstr("tel:+1234", "sip:+1234@example.com"));
}

/* ------------------------------------------------------------------ other schemes */

static void test_uri_other_schemes(void **state)
{
    (void)state;
    sr_uri u;
    sr_parse_error e;
    assert_int_equal(parse_cstr(&u, "mailto:alice@example.com", &e), 0);
    assert_int_equal(u.kind, SR_URI_OTHER);
    assert_sr_str_eq(u.scheme, "mailto");
    assert_sr_str_eq(u.opaque, "alice@example.com");
    assert_int_equal(parse_cstr(&u, "urn:service:sos", &e), 0);
    assert_int_equal(parse_cstr(&u, "sipx:", &e), SR_EBADMSG);
    assert_int_equal(parse_cstr(&u, "x-y:a\"b", &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad URI character");
    assert_int_equal(parse_cstr(&u, "x-y:a%2", &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad URI escape");
    assert_true(eq_cstr("MAILTO:a@b", "mailto:a@b"));
    assert_false(eq_cstr("mailto:a@b", "mailto:A@b"));
}

/* ------------------------------------------------------------------ unescaping */

static void test_uri_unescape(void **state)
{
    (void)state;
    char buf[16];
    size_t n = 99;
    /* decoded once, never recursively (RFC 4475 §3.1.1.3) */
    assert_unescaped(cs("value%25%34%31"), "value%41", 8);
    assert_unescaped(cs("%2541"), "%41", 3);
    assert_unescaped(cs("%00%00"), "\0\0", 2);
    assert_unescaped(cs("a%7e%7E"), "a~~", 3);
    assert_unescaped(SR_STR_NULL, "", 0);
    assert_int_equal(sr_uri_unescape(buf, sizeof buf, cs("%4"), &n), SR_EBADMSG);
    assert_int_equal(sr_uri_unescape(buf, sizeof buf, cs("%4g"), &n), SR_EBADMSG);
    assert_int_equal(sr_uri_unescape(buf, sizeof buf, cs("%"), &n), SR_EBADMSG);
    assert_int_equal(sr_uri_unescape(buf, 2, cs("abc"), &n), SR_ENOSPC);
    assert_int_equal(sr_uri_unescape(buf, 1, cs("%41"), &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(buf[0], 'A');
    assert_int_equal(sr_uri_unescape(NULL, 0, cs("a"), &n), SR_EINVAL);
    assert_int_equal(sr_uri_unescape(buf, sizeof buf, cs("a"), NULL), SR_EINVAL);
    assert_int_equal(sr_uri_unescape(NULL, 0, SR_STR_NULL, &n), 0);
    assert_int_equal(n, 0);
}

/* ------------------------------------------------------------------ §19.1.4 comparison */

static void test_uri_eq_rfc3261(void **state)
{
    (void)state;
    /* RFC 3261 §19.1.4: "the following are equivalent" */
    assert_true(
        eq_cstr("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
    assert_true(eq_cstr("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
    assert_true(eq_cstr("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
    assert_true(eq_cstr("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
    assert_true(eq_cstr("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                        "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
    assert_true(eq_cstr("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                        "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));

    /* "the following are not equivalent" */
    assert_false(eq_cstr("SIP:ALICE@AtLanTa.CoM;Transport=udp", /* different usernames */
                         "sip:alice@AtLanTa.CoM;Transport=UDP"));
    assert_false(eq_cstr("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
    assert_false(eq_cstr("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
    assert_false(eq_cstr("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
    assert_false(eq_cstr("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
    assert_false(eq_cstr("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));

    /* the rules behind the examples */
    assert_false(eq_cstr("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
    assert_false(
        eq_cstr("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
    assert_false(eq_cstr("sip:a@h.com;user=phone", "sip:a@h.com"));
    assert_false(eq_cstr("sip:a@h.com;ttl=1", "sip:a@h.com"));
    assert_false(eq_cstr("sip:a@h.com;method=INVITE", "sip:a@h.com"));
    assert_false(eq_cstr("sip:a@h.com;maddr=239.255.255.1", "sip:a@h.com"));
    assert_false(eq_cstr("sip:a@h.com;lr", "sip:a@h.com;lr=on"));
    assert_true(eq_cstr("sip:a@h.com;lr", "sip:a@h.com;LR"));
    assert_true(eq_cstr("sip:a@h.com;%6C%72", "sip:a@h.com;lr"));
    assert_false(eq_cstr("sip:a@h.com", "sip:h.com"));
    assert_false(eq_cstr("sip:a:pw@h.com", "sip:a@h.com"));
    assert_false(eq_cstr("sip:a:pw@h.com", "sip:a:PW@h.com"));
    assert_true(eq_cstr("sip:a:p%77@h.com", "sip:a:pw@h.com"));
    /* reserved characters are not equivalent to their escapes */
    assert_false(eq_cstr("sip:a%3Bb@h.com", "sip:a;b@h.com"));
    assert_true(eq_cstr("sip:a%3Bb@h.com", "sip:a%3bb@h.com"));
    assert_false(eq_cstr("sip:a@h.com?X=1", "sip:a@h.com?X=1&X=1"));
    assert_true(eq_cstr("sip:a@h.com?x=1&Y=2", "sip:a@h.com?y=2&X=1"));
    assert_false(eq_cstr("sip:a@h.com?x=a", "sip:a@h.com?x=A"));
    assert_true(eq_cstr("sip:a@h.com:05060", "sip:a@h.com:5060"));
    /* repeated names (undefined by the RFC): k-th occurrence against k-th occurrence, found
     * by fuzzing (self-comparison used to fail) */
    assert_true(eq_cstr("sip:h.com;lr;u=x;lr;u=y", "sip:h.com;lr;u=x;lr;u=y"));
    assert_true(eq_cstr("sip:h.com;u=x;v=1;u=y", "sip:h.com;u=x;u=y"));
    assert_false(eq_cstr("sip:h.com;u=x;u=y", "sip:h.com;u=y;u=x"));
    assert_false(eq_cstr("sip:h.com;u=x;u=x", "sip:h.com;u=x"));
    assert_true(eq_cstr("tel:+1;a=1;a=2", "tel:+1;a=1;a=2"));
    assert_false(eq_cstr("tel:+1;a=1;a=1", "tel:+1;a=1"));
    /* hostile parameter counts stay linear: in-order comparison past 64 parameters */
    static char many_a[2048], many_b[2048];
    size_t la = (size_t)snprintf(many_a, sizeof many_a, "sip:h.com");
    for (int i = 0; i < 100; i++)
        la += (size_t)snprintf(many_a + la, sizeof many_a - la, ";p%d=%d", i, i);
    memcpy(many_b, many_a, la + 1);
    many_b[4] = 'H'; /* host case differs */
    assert_true(eq_cstr(many_a, many_b));
    many_b[la - 1] = 'x';
    assert_false(eq_cstr(many_a, many_b));
    sr_uri z;
    memset(&z, 0, sizeof z);
    assert_false(sr_uri_eq(&z, &z));
    assert_false(sr_uri_eq(NULL, &z));
}

/* ------------------------------------------------------------------ RFC 4475 vectors */

/* The Request-URI of a request line: after the first SP, before the last " SIP/". */
static sr_str request_uri(const char *m, size_t n)
{
    const char *eol = memchr(m, '\r', n);
    size_t ln = eol ? (size_t)(eol - m) : n;
    const char *sp = memchr(m, ' ', ln);
    if (!sp)
        return SR_STR_NULL;
    size_t s = (size_t)(sp - m) + 1, e = 0;
    for (size_t i = s; i + 5 <= ln; i++) {
        if (memcmp(m + i, " SIP/", 5) == 0)
            e = i;
    }
    return e > s ? (sr_str){m + s, e - s} : SR_STR_NULL;
}

/* The text after the k-th (0-based) occurrence of @p prefix up to the first of @p stops. */
static sr_str field_after(const char *m, size_t n, const char *prefix, int k, const char *stops)
{
    size_t pl = strlen(prefix);
    for (size_t i = 0; i + pl <= n; i++) {
        if (memcmp(m + i, prefix, pl) != 0)
            continue;
        if (k-- > 0)
            continue;
        size_t s = i + pl, e = s;
        while (e < n && !strchr(stops, m[e]))
            e++;
        return (sr_str){m + s, e - s};
    }
    fail_msg("'%s' #%d not found", prefix, k);
    return SR_STR_NULL;
}

static int parse_slice(sr_uri *u, sr_str s, sr_parse_error *e)
{
    return parse_all_ways(u, s.p, s.len, e);
}

/* Every Request-URI of every request vector, and every <...> URI in its header block. */
static void test_uri_rfc4475_all(void **state)
{
    (void)state;
    static const char *const files[] = {
        "badaspec", "badbranch", "baddate",  "baddn",      "badinv01",   "badvers",    "bext01",
        "clerr",    "cparam01",  "cparam02", "dblreq",     "esc01",      "esc02",      "escnull",
        "escruri",  "insuf",     "intmeth",  "inv2543",    "invut",      "longreq",    "ltgtruri",
        "lwsdisp",  "lwsruri",   "lwsstart", "mcl01",      "mismatch01", "mismatch02", "mpart01",
        "multi01",  "ncl",       "novelsc",  "quotbal",    "regaut01",   "regbadct",   "regescrt",
        "scalar02", "sdp01",     "semiuri",  "transports", "trws",       "unkscm",     "unksm2",
        "wsinv",    "zeromf",
    };
    int uris = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[64];
        size_t n;
        snprintf(path, sizeof path, "rfc4475/%s.dat", files[f]);
        char *m = tu_read_vector(path, &n);
        sr_uri u;
        sr_parse_error e;
        sr_str r = request_uri(m, n);
        assert_non_null(r.p);
        int rc = parse_slice(&u, r, &e);
        /* ltgtruri: <...>; lwsruri: "; lr"; lwsstart: double SP around the URI */
        bool bad = !strcmp(files[f], "ltgtruri") || !strcmp(files[f], "lwsruri") ||
                   !strcmp(files[f], "lwsstart");
        if ((rc != 0) != bad)
            print_error("%s: Request-URI rc %d (%s)\n", files[f], rc, rc ? e.phrase : "");
        assert_int_equal(rc, bad ? SR_EBADMSG : 0);
        uris++;

        /* URIs inside <...> in the header block (the body may hold anything) */
        const char *hend = NULL;
        for (size_t i = 0; i + 4 <= n && !hend; i++) {
            if (memcmp(m + i, "\r\n\r\n", 4) == 0)
                hend = m + i;
        }
        size_t hl = hend ? (size_t)(hend - m) : n;
        for (size_t i = 0; i < hl; i++) {
            if (m[i] != '<')
                continue;
            const char *gt = memchr(m + i, '>', hl - i);
            if (!gt)
                break;
            sr_str s = {m + i + 1, (size_t)(gt - m) - i - 1};
            rc = parse_slice(&u, s, &e);
            /* badaspec: "< sip:t.watson@example.org >" has spaces inside the brackets */
            bool want_bad = !strcmp(files[f], "badaspec") && s.len > 0 && s.p[0] == ' ';
            if ((rc != 0) != want_bad)
                print_error("%s: <%.*s> rc %d (%s)\n", files[f], (int)s.len, s.p, rc,
                            rc ? e.phrase : "");
            assert_int_equal(rc, want_bad ? SR_EBADMSG : 0);
            if (want_bad)
                assert_string_equal(e.phrase, "Bad URI: whitespace");
            uris++;
            i = (size_t)(gt - m);
        }
        free(m);
    }
    assert_true(uris > 80);
}

static void test_uri_rfc4475_specific(void **state)
{
    (void)state;
    size_t n;
    sr_uri u, w;
    sr_parse_error e;
    char *m;

    /* esc01 §3.1.1.3: the escaped user is "sips:user@example.com", host example.net */
    m = tu_read_vector("rfc4475/esc01.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), 0);
    assert_int_equal(u.kind, SR_URI_SIP);
    assert_sr_str_eq(u.host, "example.net");
    assert_unescaped(u.user, "sips:user@example.com", 21);
    assert_int_equal(parse_slice(&u, field_after(m, n, "To: ", 0, "\r"), &e), 0);
    assert_int_equal(sr_uri_parse(&w, "sip:user@example.com", 20, NULL), 0);
    assert_true(sr_uri_eq(&u, &w)); /* sip:%75se%72@example.com */
    assert_int_equal(parse_slice(&u, field_after(m, n, "From: <", 0, ">"), &e), 0);
    assert_unescaped(u.user, "I have spaces", 13);
    assert_int_equal(parse_slice(&u, field_after(m, n, "  <", 0, ">"), &e), 0);
    assert_unescaped(u.user, "caller", 6);
    sr_str v;
    assert_true(sr_uri_param_find(&u, "lr", &v)); /* ;%6C%72 */
    assert_null(v.p);
    assert_true(sr_uri_param_find(&u, "name", &v)); /* n%61me=v%61lue%25%34%31 */
    assert_unescaped(v, "value%41", 8);
    free(m);

    /* escnull §3.1.1.4: %00 does not truncate; the two Contacts are distinct */
    m = tu_read_vector("rfc4475/escnull.dat", &n);
    assert_int_equal(parse_slice(&u, field_after(m, n, "To: ", 0, "\r"), &e), 0);
    assert_unescaped(u.user, "null-\0-null", 11);
    assert_int_equal(parse_slice(&u, field_after(m, n, "Contact: <", 0, ">"), &e), 0);
    assert_int_equal(parse_slice(&w, field_after(m, n, "Contact: <", 1, ">"), &e), 0);
    assert_unescaped(u.user, "\0", 1);
    assert_unescaped(w.user, "\0\0", 2);
    assert_false(sr_uri_eq(&u, &w));
    free(m);

    /* semiuri §3.1.1.9: user is "user;par=u@example.net", no uri-parameters */
    m = tu_read_vector("rfc4475/semiuri.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), 0);
    assert_unescaped(u.user, "user;par=u@example.net", 22);
    assert_sr_str_eq(u.host, "example.com");
    assert_false(u.has_params);
    free(m);

    /* intmeth §3.1.1.2: the unusual user and password */
    m = tu_read_vector("rfc4475/intmeth.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), 0);
    assert_sr_str_eq(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert_sr_str_eq(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert_sr_str_eq(u.host, "example.com");
    free(m);

    /* regescrt §3.3.14: the contact keeps its escaped ?Route= header */
    m = tu_read_vector("rfc4475/regescrt.dat", &n);
    assert_int_equal(parse_slice(&u, field_after(m, n, "M: <", 0, ">"), &e), 0);
    assert_true(u.has_headers);
    sr_str cur = u.headers, hn;
    assert_true(sr_uri_header_next(&cur, &hn, &v));
    assert_sr_str_eq(hn, "Route");
    assert_unescaped(v, "<sip:sip.example.com>", 21);
    free(m);

    /* escruri §3.1.2.11: syntactically valid; the headers are visible to the caller */
    m = tu_read_vector("rfc4475/escruri.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), 0);
    assert_sr_str_eq(u.headers, "Route=%3Csip:example.com%3E");
    free(m);

    /* cparam01/02 §3.3.12-13: unknownparam belongs to the URI only inside <> */
    m = tu_read_vector("rfc4475/cparam01.dat", &n);
    assert_int_equal(parse_slice(&u, field_after(m, n, "Contact: ", 0, ";\r"), &e), 0);
    assert_false(sr_uri_param_find(&u, "unknownparam", NULL));
    assert_sr_str_eq(u.user, "+19725552222");
    char *m2 = tu_read_vector("rfc4475/cparam02.dat", &n);
    assert_int_equal(parse_slice(&w, field_after(m2, n, "Contact: <", 0, ">"), &e), 0);
    assert_true(sr_uri_param_find(&w, "unknownparam", &v));
    assert_null(v.p);
    assert_true(sr_uri_eq(&u, &w)); /* §19.1.4: a parameter in only one URI is ignored */
    free(m2);
    free(m);

    /* unkscm §3.3.2, novelsc §3.3.3: other schemes parse (416, not 400) */
    m = tu_read_vector("rfc4475/unkscm.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), 0);
    assert_int_equal(u.kind, SR_URI_OTHER);
    assert_sr_str_eq(u.scheme, "nobodyKnowsThisScheme");
    assert_sr_str_eq(u.opaque, "totallyopaquecontent");
    free(m);
    m = tu_read_vector("rfc4475/novelsc.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), 0);
    assert_int_equal(u.kind, SR_URI_OTHER);
    assert_sr_str_eq(u.scheme, "soap.beep");
    assert_sr_str_eq(u.opaque, "//192.0.2.103:3002");
    free(m);

    /* lwsruri §3.1.2.8 and ltgtruri §3.1.2.7 */
    m = tu_read_vector("rfc4475/lwsruri.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad URI: whitespace");
    assert_int_equal(e.offset, 21);
    free(m);
    m = tu_read_vector("rfc4475/ltgtruri.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), SR_EBADMSG);
    assert_string_equal(e.phrase, "Bad URI: angle brackets");
    assert_int_equal(e.offset, 0);
    free(m);

    /* wsinv §3.1.1.1: a valueless unknown parameter */
    m = tu_read_vector("rfc4475/wsinv.dat", &n);
    assert_int_equal(parse_slice(&u, request_uri(m, n), &e), 0);
    assert_true(sr_uri_param_find(&u, "unknownparam", NULL));
    free(m);
}

/* Deterministic garbage: no crash, every result clean (the fuzz target goes further). */
static void test_uri_garbage(void **state)
{
    (void)state;
    static const char alphabet[] = "sip:SIPtel+@[]:;?=&%0aF9.-_ \"<>\x01\x80";
    unsigned long x = 12345;
    char buf[24];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 24);
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            buf[i] = alphabet[(x >> 33) % (sizeof alphabet - 1)];
        }
        if (n >= 4 && round % 3 == 0)
            memcpy(buf, "sip:", 4);
        sr_uri u;
        sr_parse_error e;
        int rc = sr_uri_parse(&u, buf, n, &e);
        if (rc == 0) {
            assert_slices_inside(&u, buf, n);
            assert_true(sr_uri_eq(&u, &u));
        } else {
            assert_int_equal(rc, SR_EBADMSG);
            assert_true(e.offset <= n);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_uri_sip_fields),
        TU_TEST(test_uri_sip_errors),
        TU_TEST(test_uri_ipv6),
        TU_TEST(test_uri_tel),
        TU_TEST(test_uri_other_schemes),
        TU_TEST(test_uri_unescape),
        TU_TEST(test_uri_eq_rfc3261),
        TU_TEST(test_uri_rfc4475_all),
        TU_TEST(test_uri_rfc4475_specific),
        TU_TEST(test_uri_garbage),
    };
    return cmocka_run_group_tests_name("uri", tests, NULL, NULL);
}
