/* sipreply tests: digest authentication (auth.h) — RFC 2617 §3.5 and RFC 7616 §3.9.1
 * examples, nonces (stale, tampered, replayed), 401 and 407, auth-int, the client→server
 * round trip, the builder's nonce hook, and an allocation-failure sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/auth.h"
#include "sipreply/lint.h"

static const uint8_t secret[] = "0123456789abcdef-test-secret";

/* ------------------------------------------------------------------ helpers */

/* A request with an optional credentials header and body. */
static sr_msg *make_req(const char *method, const char *ruri, const char *hname, const char *hval,
                        const char *body, const sr_allocator *a)
{
    char buf[4096];
    size_t bl = body ? strlen(body) : 0;
    char extra[2048] = "";
    if (hname)
        snprintf(extra, sizeof extra, "%s: %s\r\n", hname, hval);
    snprintf(buf, sizeof buf,
             "%s %s SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKauth1\r\n"
             "Max-Forwards: 70\r\n"
             "To: <sip:alice@example.com>\r\n"
             "From: <sip:alice@example.com>;tag=a1\r\n"
             "Call-ID: auth-test-1@192.0.2.1\r\n"
             "CSeq: 1 %s\r\n"
             "Contact: <sip:alice@192.0.2.1>\r\n"
             "%s%s"
             "Content-Length: %zu\r\n\r\n%s",
             method, ruri, method, extra, body ? "Content-Type: text/plain\r\n" : "", bl,
             body ? body : "");
    return tu_parse(buf, a);
}

typedef struct users {
    bool ha1;
    int calls;
} users;

static int lookup(sr_str username, sr_str realm, sr_digest_alg alg, sr_auth_secret *out, void *user)
{
    users *u = user;
    u->calls++;
    static char ha1[SR_DIGEST_HEX_MAX + 1];
    sr_str pw;
    if (sr_str_eq(username, SR_STR("alice")))
        pw = SR_STR("wonderland");
    else if (sr_str_eq(username, SR_STR("J\"R")))
        pw = SR_STR("quoted");
    else
        return SR_ENOTFOUND;
    if (u && u->ha1) {
        ptrdiff_t n = sr_digest_ha1(alg, username, realm, pw, ha1, sizeof ha1);
        assert_true(n > 0);
        out->kind = SR_AUTH_SECRET_HA1;
        out->value = (sr_str){ha1, (size_t)n};
    } else {
        out->kind = SR_AUTH_SECRET_PASSWORD;
        out->value = pw;
    }
    return 0;
}

static int rnd(uint8_t *out, size_t n, void *user)
{
    unsigned *ctr = user;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(*ctr * 31 + i);
    (*ctr)++;
    return 0;
}

static sr_auth_server *new_server(const sr_allocator *a, void (*tweak)(sr_auth_config *))
{
    sr_auth_config c;
    sr_auth_config_init(&c);
    c.alloc = a;
    c.secret = secret;
    c.secret_len = sizeof secret - 1;
    c.realm = "example.com";
    if (tweak)
        tweak(&c);
    sr_auth_server *s = NULL;
    assert_int_equal(sr_auth_server_new(&s, &c), 0);
    return s;
}

/* The response as sent (printed, parsed back) has no lint finding, alone or against req. */
static void assert_lint_clean(const sr_msg *resp, const sr_msg *req)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sr_msg_print(resp, &b), 0);
    sr_msg *back = tu_parse(b.p, NULL);
    sr_lint_finding f[16];
    size_t n = sr_lint_pair(back, req, NULL, f, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        print_message("lint: %s %s\n", f[i].rule->id, f[i].arg ? f[i].arg : "");
    assert_int_equal(n, 0);
    sr_msg_free(back);
    sr_buf_cleanup(&b);
}

/* Challenge → client answer → verified request. Returns the credentials value (malloc). */
static char *answer(const sr_msg *resp, const char *method, const char *ruri, const char *body,
                    uint32_t nc, unsigned *ctr, bool auth_int, const char *password)
{
    sr_auth_client_opts o;
    sr_auth_client_opts_init(&o);
    o.username = SR_STR("alice");
    o.password = sr_str_from_cstr(password ? password : "wonderland");
    o.method = sr_str_from_cstr(method);
    o.uri = sr_str_from_cstr(ruri);
    o.body = sr_str_from_cstr(body);
    o.nc = nc;
    o.random = rnd;
    o.random_user = ctr;
    o.prefer_auth_int = auth_int;
    sr_buf b;
    sr_buf_init(&b, NULL);
    enum sr_hdr_id hid = SR_HDR_NONE;
    assert_int_equal(sr_auth_client_answer(resp, &o, &b, &hid), 0);
    assert_int_equal(hid, sr_msg_status(resp) == 407 ? SR_HDR_PROXY_AUTHORIZATION
                                                     : SR_HDR_AUTHORIZATION);
    char *s = malloc(b.len + 1);
    assert_non_null(s);
    memcpy(s, b.p, b.len + 1);
    sr_buf_cleanup(&b);
    return s;
}

/* ------------------------------------------------------------------ RFC examples */

/* RFC 2617 §3.5: "Mufasa", qop=auth, MD5. */
static void test_rfc2617_example(void **state)
{
    (void)state;
    const char *hv = "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
                     "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
                     "qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
                     "response=\"6629fae49393a05397450978507c4ef1\", "
                     "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    sr_digest_credentials cr;
    assert_int_equal(sr_digest_credentials_parse(&cr, sr_str_from_cstr(hv)), 0);
    assert_sr_str_eq(cr.username, "Mufasa");
    assert_sr_str_eq(cr.realm, "testrealm@host.com");
    assert_sr_str_eq(cr.uri, "/dir/index.html");
    assert_int_equal(cr.alg, SR_DIGEST_MD5);
    assert_int_equal(cr.qop_id, SR_QOP_AUTH);
    assert_int_equal(cr.nc_value, 1);
    assert_sr_str_eq(cr.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
    sr_digest_input in = {0};
    in.alg = cr.alg;
    in.username = cr.username;
    in.realm = cr.realm;
    in.password = SR_STR("Circle Of Life");
    in.method = SR_STR("GET");
    in.uri = cr.uri;
    in.nonce = cr.nonce;
    in.qop = cr.qop_id;
    in.nc = cr.nc;
    in.cnonce = cr.cnonce;
    char out[SR_DIGEST_HEX_MAX + 1];
    assert_int_equal(sr_digest_response(&in, out, sizeof out), 32);
    assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
    assert_true(sr_str_eq(cr.response, sr_str_from_cstr(out)));
    /* The same from a stored HA1. */
    char ha1[SR_DIGEST_HEX_MAX + 1];
    assert_int_equal(
        sr_digest_ha1(SR_DIGEST_MD5, in.username, in.realm, in.password, ha1, sizeof ha1), 32);
    in.password = SR_STR_NULL;
    in.ha1 = sr_str_from_cstr(ha1);
    assert_int_equal(sr_digest_response(&in, out, sizeof out), 32);
    assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
    /* The challenge of the example. */
    sr_digest_challenge ch;
    assert_int_equal(sr_digest_challenge_parse(
                         &ch, SR_STR("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                                     "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                                     "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"")),
                     0);
    assert_int_equal(ch.alg, SR_DIGEST_MD5);
    assert_int_equal(ch.qops, SR_QOP_BIT(SR_QOP_AUTH) | SR_QOP_BIT(SR_QOP_AUTH_INT));
    assert_false(ch.stale);
    assert_sr_str_eq(ch.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
}

/* RFC 7616 §3.9.1: the same request with MD5 and with SHA-256. */
static void test_rfc7616_examples(void **state)
{
    (void)state;
    sr_digest_input in = {0};
    in.username = SR_STR("Mufasa");
    in.realm = SR_STR("http-auth@example.org");
    in.password = SR_STR("Circle of Life");
    in.method = SR_STR("GET");
    in.uri = SR_STR("/dir/index.html");
    in.nonce = SR_STR("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    in.qop = SR_QOP_AUTH;
    in.nc = SR_STR("00000001");
    in.cnonce = SR_STR("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
    char out[SR_DIGEST_HEX_MAX + 1];
    in.alg = SR_DIGEST_MD5;
    assert_int_equal(sr_digest_response(&in, out, sizeof out), 32);
    assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
    in.alg = SR_DIGEST_SHA256;
    assert_int_equal(sr_digest_response(&in, out, sizeof out), 64);
    assert_string_equal(out, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    /* Parsed from the example's Authorization header. */
    sr_digest_credentials cr;
    assert_int_equal(
        sr_digest_credentials_parse(
            &cr, SR_STR("Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
                        "uri=\"/dir/index.html\", algorithm=SHA-256, "
                        "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
                        "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
                        "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb"
                        "6c1\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"")),
        0);
    assert_int_equal(cr.alg, SR_DIGEST_SHA256);
    assert_sr_str_eq(cr.response, out);
    /* Errors. */
    in.alg = SR_DIGEST_ALG_NONE;
    assert_int_equal(sr_digest_response(&in, out, sizeof out), SR_EINVAL);
    in.alg = SR_DIGEST_SHA256;
    assert_int_equal(sr_digest_response(&in, out, 10), SR_ENOSPC);
    in.cnonce = SR_STR_NULL;
    assert_int_equal(sr_digest_response(&in, out, sizeof out), SR_EINVAL);
    /* Without qop (RFC 2069 compatibility): KD(HA1, nonce:HA2). */
    in.qop = SR_QOP_NONE;
    in.alg = SR_DIGEST_MD5;
    in.username = SR_STR("Mufasa");
    in.realm = SR_STR("testrealm@host.com");
    in.password = SR_STR("Circle Of Life");
    in.nonce = SR_STR("dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_int_equal(sr_digest_response(&in, out, sizeof out), 32);
    /* H(H(Mufasa:testrealm@host.com:Circle Of Life):nonce:H(GET:/dir/index.html)) */
    char ha1[33], ha2[33], kd[200];
    uint8_t d[16];
    sr_md5("Mufasa:testrealm@host.com:Circle Of Life", 40, d);
    for (int i = 0; i < 16; i++)
        sprintf(ha1 + 2 * i, "%02x", d[i]);
    sr_md5("GET:/dir/index.html", 19, d);
    for (int i = 0; i < 16; i++)
        sprintf(ha2 + 2 * i, "%02x", d[i]);
    snprintf(kd, sizeof kd, "%s:dcd98b7102dd2f0e8b11d0f600bfb0c093:%s", ha1, ha2);
    sr_md5(kd, strlen(kd), d);
    char want[33];
    for (int i = 0; i < 16; i++)
        sprintf(want + 2 * i, "%02x", d[i]);
    assert_string_equal(out, want);
}

static void test_parse_edge_cases(void **state)
{
    (void)state;
    sr_digest_credentials cr;
    sr_digest_challenge ch;
    assert_int_equal(sr_digest_credentials_parse(&cr, SR_STR("Basic QWxhZGRpbjpvcGVu")),
                     SR_EUNSUPPORTED);
    assert_int_equal(sr_digest_credentials_parse(&cr, SR_STR("Digest username=\"a\"")), SR_EBADMSG);
    assert_int_equal(sr_digest_credentials_parse(
                         &cr, SR_STR("Digest username=\"a\", username=\"b\", realm=\"r\", "
                                     "nonce=\"n\", uri=\"u\", response=\"x\"")),
                     SR_EBADMSG);
    /* qop without nc / with a short nc */
    assert_int_equal(sr_digest_credentials_parse(
                         &cr, SR_STR("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
                                     "response=\"x\", qop=auth, cnonce=\"c\", nc=1")),
                     SR_EBADMSG);
    /* escaped quote in the username is unescaped */
    assert_int_equal(
        sr_digest_credentials_parse(&cr, SR_STR("Digest username=\"J\\\"R\", realm=\"r\", "
                                                "nonce=\"n\", uri=\"u\", response=\"x\"")),
        0);
    assert_sr_str_eq(cr.username, "J\"R");
    assert_int_equal(cr.qop_id, SR_QOP_NONE);
    assert_int_equal(sr_digest_challenge_parse(&ch, SR_STR("Digest nonce=\"n\"")), SR_EBADMSG);
    assert_int_equal(sr_digest_challenge_parse(&ch, SR_STR("Digest realm=\"r\", nonce=\"n\", "
                                                           "algorithm=SHA-512-256, stale=TRUE")),
                     0);
    assert_int_equal(ch.alg, SR_DIGEST_ALG_NONE);
    assert_true(ch.stale);
    assert_int_equal(sr_digest_challenge_parse(&ch, SR_STR("Digest realm=\"r\" nonce=\"n\"")),
                     SR_EBADMSG);
    assert_int_equal(sr_digest_alg_from_str(SR_STR("sha-256")), SR_DIGEST_SHA256);
    assert_int_equal(sr_digest_alg_from_str(SR_STR("MD5-sess")), SR_DIGEST_ALG_NONE);
    assert_int_equal(sr_digest_alg_from_str(SR_STR_NULL), SR_DIGEST_MD5);
    assert_string_equal(sr_digest_alg_name(SR_DIGEST_SHA256), "SHA-256");
    assert_null(sr_digest_alg_name(SR_DIGEST_ALG_NONE));
    for (int r = 0; r < SR_AUTH__COUNT; r++) {
        assert_non_null(sr_auth_result_name((sr_auth_result)r));
        assert_non_null(sr_auth_result_text((sr_auth_result)r));
    }
    assert_null(sr_auth_result_name(SR_AUTH__COUNT));
    assert_int_equal(sr_auth_result_code(SR_AUTH_OK, SR_AUTH_WWW), 0);
    assert_int_equal(sr_auth_result_code(SR_AUTH_STALE_NONCE, SR_AUTH_PROXY), 407);
    assert_int_equal(sr_auth_result_code(SR_AUTH_BAD_RESPONSE, SR_AUTH_WWW), 401);
    assert_int_equal(sr_auth_result_code(SR_AUTH_MALFORMED, SR_AUTH_WWW), 400);
}

/* ------------------------------------------------------------------ server */

static void test_server_config(void **state)
{
    (void)state;
    sr_auth_config c;
    sr_auth_config_init(&c);
    sr_auth_server *s = NULL;
    assert_int_equal(sr_auth_server_new(&s, &c), SR_EINVAL); /* no secret */
    c.secret = secret;
    c.secret_len = sizeof secret - 1;
    c.realm = "bad\"realm";
    assert_int_equal(sr_auth_server_new(&s, &c), SR_EINVAL);
    c.realm = "ok";
    c.algs = 0;
    assert_int_equal(sr_auth_server_new(&s, &c), SR_EINVAL);
    c.algs = SR_DIGEST_ALL;
    c.alloc = tu_allocator();
    assert_int_equal(sr_auth_server_new(&s, &c), 0);
    assert_string_equal(sr_auth_server_realm(s), "ok");
    sr_auth_server_free(s);
    sr_auth_server_free(NULL);
}

static void tweak_md5_first(sr_auth_config *c)
{
    c->md5_first = true;
}

/* RFC 8760 §2.4: challenges in order of preference, SHA-256 first; md5_first puts MD5 on
 * top for UACs that read only the first challenge. */
static void test_challenge_order(void **state)
{
    (void)state;
    for (int md5_first = 0; md5_first < 2; md5_first++) {
        sr_auth_server *s = new_server(tu_allocator(), md5_first ? tweak_md5_first : NULL);
        sr_msg *req = make_req("INVITE", "sip:bob@example.com", NULL, NULL, NULL, tu_allocator());
        sr_msg *ch = NULL;
        assert_int_equal(sr_auth_challenge_build(&ch, s, req, SR_AUTH_WWW, 10, false, NULL, NULL),
                         0);
        const sr_header *h1 = sr_msg_header_find(ch, SR_HDR_WWW_AUTHENTICATE, NULL);
        const sr_header *h2 = sr_msg_header_find(ch, SR_HDR_WWW_AUTHENTICATE, h1);
        assert_non_null(h2);
        sr_digest_challenge c1, c2;
        assert_int_equal(sr_digest_challenge_parse(&c1, h1->value), 0);
        assert_int_equal(sr_digest_challenge_parse(&c2, h2->value), 0);
        assert_int_equal(c1.alg, md5_first ? SR_DIGEST_MD5 : SR_DIGEST_SHA256);
        assert_int_equal(c2.alg, md5_first ? SR_DIGEST_SHA256 : SR_DIGEST_MD5);
        sr_msg_free(ch);
        sr_msg_free(req);
        sr_auth_server_free(s);
    }
}

static void test_nonce_lifecycle(void **state)
{
    (void)state;
    sr_auth_server *s = new_server(tu_allocator(), NULL);
    char n1[SR_AUTH_NONCE_LEN + 1], n2[SR_AUTH_NONCE_LEN + 1];
    uint64_t t0 = 1700000000000ull;
    assert_int_equal(sr_auth_nonce_make(s, t0, n1, sizeof n1), SR_AUTH_NONCE_LEN);
    assert_int_equal(sr_auth_nonce_make(s, t0, n2, sizeof n2), SR_AUTH_NONCE_LEN);
    assert_string_not_equal(n1, n2); /* same instant, still unique */
    assert_int_equal(sr_auth_nonce_make(s, t0, n2, 10), SR_ENOSPC);
    /* The documented format: 12 hex digits of time, 8 of serial, 32 of
     * HMAC-SHA-256(secret, "nonce" NUL realm NUL ts[6] serial[4]) truncated to 16 bytes. */
    assert_memory_equal(n1,
                        "018bcfe56800"
                        "00000001",
                        20);
    uint8_t msg[64], mac[SR_SHA256_LEN];
    size_t ml = 0;
    memcpy(msg, "nonce\0example.com\0", 18);
    ml = 18;
    for (int i = 5; i >= 0; i--)
        msg[ml++] = (uint8_t)(t0 >> (8 * i));
    msg[ml++] = 0, msg[ml++] = 0, msg[ml++] = 0, msg[ml++] = 1;
    sr_hmac_sha256(secret, sizeof secret - 1, msg, ml, mac);
    char mhex[33];
    for (int i = 0; i < 16; i++)
        sprintf(mhex + 2 * i, "%02x", mac[i]);
    assert_memory_equal(n1 + 20, mhex, 32);
    sr_str ns = {n1, SR_AUTH_NONCE_LEN};
    assert_int_equal(sr_auth_nonce_check(s, ns, t0), SR_AUTH_OK);
    assert_int_equal(sr_auth_nonce_check(s, ns, t0 + 300000), SR_AUTH_OK);
    assert_int_equal(sr_auth_nonce_check(s, ns, t0 + 300001), SR_AUTH_STALE_NONCE);
    assert_int_equal(sr_auth_nonce_check(s, ns, t0 - 5000), SR_AUTH_OK); /* skew */
    assert_int_equal(sr_auth_nonce_check(s, ns, t0 - 5001), SR_AUTH_BAD_NONCE);
    /* Every single-character change is detected. */
    for (size_t i = 0; i < SR_AUTH_NONCE_LEN; i++) {
        char t[SR_AUTH_NONCE_LEN];
        memcpy(t, n1, sizeof t);
        t[i] = t[i] == '0' ? '1' : '0';
        assert_int_equal(sr_auth_nonce_check(s, (sr_str){t, sizeof t}, t0), SR_AUTH_BAD_NONCE);
    }
    assert_int_equal(sr_auth_nonce_check(s, SR_STR("short"), t0), SR_AUTH_BAD_NONCE);
    /* Another secret does not accept our nonce. */
    sr_auth_config c;
    sr_auth_config_init(&c);
    c.alloc = tu_allocator();
    c.secret = (const uint8_t *)"other";
    c.secret_len = 5;
    c.realm = "example.com";
    sr_auth_server *o = NULL;
    assert_int_equal(sr_auth_server_new(&o, &c), 0);
    assert_int_equal(sr_auth_nonce_check(o, ns, t0), SR_AUTH_BAD_NONCE);
    sr_auth_server_free(o);
    sr_auth_server_free(s);
}

/* The full exchange for 401 and 407, then every failure verdict. */
static void round_trip(sr_auth_kind kind, bool ha1)
{
    sr_auth_server *s = new_server(tu_allocator(), NULL);
    users u = {ha1, 0};
    unsigned ctr = 1;
    uint64_t t0 = 5000000;
    const char *ruri = "sip:example.com";
    sr_msg *req = make_req("REGISTER", ruri, NULL, NULL, NULL, tu_allocator());
    sr_auth_verdict v;
    assert_int_equal(sr_auth_verify(s, req, kind, t0, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_NO_CREDENTIALS);

    sr_build_opts bo;
    sr_build_opts_init(&bo);
    bo.alloc = tu_allocator();
    sr_msg *ch = NULL;
    assert_int_equal(sr_auth_challenge_build(&ch, s, req, kind, t0, false, &bo, NULL), 0);
    assert_int_equal(sr_msg_status(ch), sr_auth_code(kind));
    assert_lint_clean(ch, req);
    enum sr_hdr_id chid = sr_auth_challenge_hdr(kind);
    assert_int_equal(sr_msg_header_count_id(ch, chid), 2);
    /* SHA-256 first, then MD5 (RFC 8760 §2.4), same nonce, qop auth, opaque. */
    const sr_header *h1 = sr_msg_header_find(ch, chid, NULL);
    const sr_header *h2 = sr_msg_header_find(ch, chid, h1);
    sr_digest_challenge c1, c2;
    assert_int_equal(sr_digest_challenge_parse(&c1, h1->value), 0);
    assert_int_equal(sr_digest_challenge_parse(&c2, h2->value), 0);
    assert_int_equal(c1.alg, SR_DIGEST_SHA256);
    assert_int_equal(c2.alg, SR_DIGEST_MD5);
    assert_sr_str_eq(c1.realm, "example.com");
    assert_true(sr_str_eq(c1.nonce, c2.nonce));
    assert_int_equal(c1.qops, SR_QOP_BIT(SR_QOP_AUTH));
    assert_non_null(c1.opaque.p);
    assert_false(c1.stale);
    sr_msg_free(req);

    const char *cname = kind == SR_AUTH_PROXY ? "Proxy-Authorization" : "Authorization";
    const char *other = kind == SR_AUTH_PROXY ? "Authorization" : "Proxy-Authorization";
    char *cred = answer(ch, "REGISTER", ruri, NULL, 1, &ctr, false, NULL);
    assert_non_null(strstr(cred, "algorithm=SHA-256"));
    req = make_req("REGISTER", ruri, cname, cred, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 1000, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_OK);
    assert_int_equal(v.alg, SR_DIGEST_SHA256);
    assert_int_equal(v.qop, SR_QOP_AUTH);
    assert_sr_str_eq(v.username, "alice");
    assert_non_null(v.hdr);
    /* Replayed: the same nc again. */
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 1000, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_NC_REPLAY);
    sr_msg_free(req);
    /* The wrong header kind is not looked at. */
    req = make_req("REGISTER", ruri, other, cred, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 1000, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_NO_CREDENTIALS);
    sr_msg_free(req);
    free(cred);
    /* nc 2 with the same nonce: fine; then nc 2 again: replay. */
    cred = answer(ch, "REGISTER", ruri, NULL, 2, &ctr, false, NULL);
    req = make_req("REGISTER", ruri, cname, cred, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 2000, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_OK);
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 2000, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_NC_REPLAY);
    sr_msg_free(req);
    free(cred);
    /* Stale: nc 3 after the lifetime, correct digest → STALE, and the re-challenge says so. */
    cred = answer(ch, "REGISTER", ruri, NULL, 3, &ctr, false, NULL);
    req = make_req("REGISTER", ruri, cname, cred, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 300001, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_STALE_NONCE);
    assert_true(v.stale);
    sr_msg *ch2 = NULL;
    assert_int_equal(sr_auth_challenge_build(&ch2, s, req, kind, t0 + 300001, v.stale, &bo, NULL),
                     0);
    assert_lint_clean(ch2, req);
    sr_digest_challenge c3;
    assert_int_equal(sr_digest_challenge_parse(&c3, sr_msg_header_find(ch2, chid, NULL)->value), 0);
    assert_true(c3.stale);
    sr_msg_free(req);
    free(cred);
    /* The client retries on the new nonce and succeeds. */
    cred = answer(ch2, "REGISTER", ruri, NULL, 1, &ctr, false, NULL);
    req = make_req("REGISTER", ruri, cname, cred, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 300002, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_OK);
    sr_msg_free(req);
    free(cred);
    /* Wrong password. */
    cred = answer(ch2, "REGISTER", ruri, NULL, 2, &ctr, false, "nope");
    req = make_req("REGISTER", ruri, cname, cred, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 300003, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_BAD_RESPONSE);
    /* a stale nonce with a wrong digest is a bad response, never stale (RFC 7616 §3.3) */
    assert_int_equal(sr_auth_verify(s, req, kind, t0 + 900000, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_BAD_RESPONSE);
    assert_false(v.stale);
    sr_msg_free(req);
    free(cred);
    /* Credentials whose digest-uri is not the Request-URI. */
    static const struct {
        const char *uri; /* the credentials' digest-uri */
        uint32_t nc;
        sr_auth_result want;
        unsigned code; /* the response it makes (0: not checked) */
    } uris[] = {
        /* another user's URI: the check a UAS MAY make (RFC 3261 §22.4 item 6) */
        {"sip:mallory@example.com", 3, SR_AUTH_URI_MISMATCH, 400},
        /* a Request-URI a proxy rewrote (another host): "not necessarily a failure" (§22.4
         * item 6); the digest covers the client's digest-uri */
        {"sip:other.example.com", 3, SR_AUTH_OK, 0},
        /* an equivalent URI (RFC 3261 §19.1.4 case rules) is accepted */
        {"sip:EXAMPLE.com", 4, SR_AUTH_OK, 0},
    };
    for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
        cred = answer(ch2, "REGISTER", uris[i].uri, NULL, uris[i].nc, &ctr, false, NULL);
        req = make_req("REGISTER", ruri, cname, cred, NULL, tu_allocator());
        assert_int_equal(sr_auth_verify(s, req, kind, t0 + 300003, lookup, &u, &v), 0);
        if (v.result != uris[i].want)
            fail_msg("digest-uri %s: %s, want %s", uris[i].uri, sr_auth_result_name(v.result),
                     sr_auth_result_name(uris[i].want));
        if (uris[i].code)
            assert_int_equal(sr_auth_result_code(v.result, kind), uris[i].code);
        sr_msg_free(req);
        free(cred);
    }
    sr_msg_free(ch);
    sr_msg_free(ch2);
    sr_auth_server_free(s);
}

static void test_round_trip_401(void **state)
{
    (void)state;
    round_trip(SR_AUTH_WWW, false);
}

static void test_round_trip_407_ha1(void **state)
{
    (void)state;
    round_trip(SR_AUTH_PROXY, true);
}

/* Hand-made credentials: each failure verdict. */
static void verdict_of(sr_auth_server *s, const char *cred, uint64_t now, sr_auth_result want)
{
    users u = {false, 0};
    sr_msg *req =
        make_req("INVITE", "sip:bob@example.com", "Authorization", cred, NULL, tu_allocator());
    sr_auth_verdict v;
    assert_int_equal(sr_auth_verify(s, req, SR_AUTH_WWW, now, lookup, &u, &v), 0);
    if (v.result != want)
        fail_msg("verdict %s, want %s for %s", sr_auth_result_name(v.result),
                 sr_auth_result_name(want), cred);
    sr_msg_free(req);
}

static void test_verdicts(void **state)
{
    (void)state;
    sr_auth_server *s = new_server(tu_allocator(), NULL);
    uint64_t t0 = 1000000;
    char nonce[SR_AUTH_NONCE_LEN + 1];
    sr_auth_nonce_make(s, t0, nonce, sizeof nonce);
    char cred[1024];
    /* Build a correct credentials value by hand, then break it piece by piece. */
    sr_digest_input in = {0};
    in.alg = SR_DIGEST_MD5;
    in.username = SR_STR("alice");
    in.realm = SR_STR("example.com");
    in.password = SR_STR("wonderland");
    in.method = SR_STR("INVITE");
    in.uri = SR_STR("sip:bob@example.com");
    in.nonce = sr_str_from_cstr(nonce);
    in.qop = SR_QOP_AUTH;
    in.nc = SR_STR("00000001");
    in.cnonce = SR_STR("abc");
    char resp[SR_DIGEST_HEX_MAX + 1];
    sr_digest_response(&in, resp, sizeof resp);
#define CRED(user, realm, alg, nc, extra)                                                        \
    snprintf(cred, sizeof cred,                                                                  \
             "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"sip:bob@example.com\", " \
             "response=\"%s\", algorithm=%s, qop=auth, nc=%s, cnonce=\"abc\"%s",                 \
             user, realm, nonce, resp, alg, nc, extra)
    CRED("bob", "example.com", "MD5", "00000001", "");
    verdict_of(s, cred, t0, SR_AUTH_WRONG_USERNAME);
    CRED("alice", "other.org", "MD5", "00000001", "");
    verdict_of(s, cred, t0, SR_AUTH_REALM_MISMATCH);
    CRED("alice", "example.com", "SHA-512-256", "00000001", "");
    verdict_of(s, cred, t0, SR_AUTH_UNSUPPORTED_ALG);
    CRED("alice", "example.com", "MD5", "00000001", ", userhash=true");
    verdict_of(s, cred, t0, SR_AUTH_UNSUPPORTED_ALG);
    CRED("alice", "example.com", "MD5", "00000001", ", opaque=\"not-ours\"");
    verdict_of(s, cred, t0, SR_AUTH_BAD_NONCE);
    CRED("alice", "example.com", "MD5", "00000002", ""); /* nc is hashed: wrong digest */
    verdict_of(s, cred, t0, SR_AUTH_BAD_RESPONSE);
    CRED("alice", "example.com", "MD5", "00000001", "");
    verdict_of(s, cred, t0, SR_AUTH_OK);
    verdict_of(s, cred, t0, SR_AUTH_NC_REPLAY);
    /* Upper-case hex in the response is accepted (LHEX is what we send). */
    for (char *p = resp; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    in.nc = SR_STR("00000005");
    sr_digest_response(&in, resp, sizeof resp);
    for (char *p = resp; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    CRED("alice", "example.com", "md5", "00000005", "");
    verdict_of(s, cred, t0, SR_AUTH_OK);
    /* A nonce that is not ours. */
    memcpy(nonce, "ffffffffffff", 12);
    CRED("alice", "example.com", "MD5", "00000001", "");
    verdict_of(s, cred, t0, SR_AUTH_BAD_NONCE);
    verdict_of(s, "Digest username=\"alice\"", t0, SR_AUTH_MALFORMED);
    verdict_of(s, "Basic YWxpY2U6d29uZGVybGFuZA==", t0, SR_AUTH_NO_CREDENTIALS);
#undef CRED
    sr_auth_server_free(s);
}

/* The nonce-count table is bounded: a nonce pushed out by newer ones is answered stale. */
static void tweak_small_table(sr_auth_config *c)
{
    c->nc_slots = 2;
}

/* RFC 3261 §22.4 item 6: a proxy (Kamailio's rewritehostport) rewrote the Request-URI the
 * client computed its digest over: the same user at another host, port or parameters is
 * accepted; another user is the mismatch a UAS MAY refuse. */
static void test_uri_via_proxy(void **state)
{
    (void)state;
    sr_auth_server *s = new_server(tu_allocator(), NULL);
    uint64_t t0 = 1000000;
    static const struct {
        const char *digest_uri;
        sr_auth_result want;
    } cases[] = {
        {"sip:bob@proxy.example.net:5070;transport=udp", SR_AUTH_OK},
        {"sip:bob@127.0.0.1", SR_AUTH_OK},
        {"sips:bob@example.com", SR_AUTH_OK},
        {"sip:alice@example.com", SR_AUTH_URI_MISMATCH},
        {"sip:BOB@example.com", SR_AUTH_URI_MISMATCH}, /* userinfo is case-sensitive */
        {"sip:proxy.example.net:5070", SR_AUTH_OK},    /* no user: SIPp's next hop */
        {"tel:+15551234", SR_AUTH_URI_MISMATCH},
        {"not a uri", SR_AUTH_URI_MISMATCH},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char nonce[SR_AUTH_NONCE_LEN + 1];
        sr_auth_nonce_make(s, t0, nonce, sizeof nonce);
        sr_digest_input in = {0};
        in.alg = SR_DIGEST_MD5;
        in.username = SR_STR("alice");
        in.realm = SR_STR("example.com");
        in.password = SR_STR("wonderland");
        in.method = SR_STR("INVITE");
        in.uri = sr_str_from_cstr(cases[i].digest_uri);
        in.nonce = sr_str_from_cstr(nonce);
        in.qop = SR_QOP_AUTH;
        in.nc = SR_STR("00000001");
        in.cnonce = SR_STR("abc");
        char resp[SR_DIGEST_HEX_MAX + 1], cred[1024];
        sr_digest_response(&in, resp, sizeof resp);
        snprintf(cred, sizeof cred,
                 "Digest username=\"alice\", realm=\"example.com\", nonce=\"%s\", uri=\"%s\", "
                 "response=\"%s\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"abc\"",
                 nonce, cases[i].digest_uri, resp);
        verdict_of(s, cred, t0, cases[i].want); /* Request-URI sip:bob@example.com */
    }
    sr_auth_server_free(s);
}

static void test_nc_table_eviction(void **state)
{
    (void)state;
    sr_auth_server *s = new_server(tu_allocator(), tweak_small_table);
    users u = {false, 0};
    unsigned ctr = 7;
    sr_msg *req = make_req("REGISTER", "sip:example.com", NULL, NULL, NULL, tu_allocator());
    sr_msg *ch1 = NULL, *ch2 = NULL, *ch3 = NULL;
    assert_int_equal(sr_auth_challenge_build(&ch1, s, req, SR_AUTH_WWW, 10, false, NULL, NULL), 0);
    assert_int_equal(sr_auth_challenge_build(&ch2, s, req, SR_AUTH_WWW, 10, false, NULL, NULL), 0);
    assert_int_equal(sr_auth_challenge_build(&ch3, s, req, SR_AUTH_WWW, 10, false, NULL, NULL), 0);
    sr_msg_free(req);
    sr_auth_verdict v;
    /* Use nonce 3 (serial 3, slot 1), then nonce 1 (serial 1, slot 1 holds a newer one). */
    char *c3 = answer(ch3, "REGISTER", "sip:example.com", NULL, 1, &ctr, false, NULL);
    req = make_req("REGISTER", "sip:example.com", "Authorization", c3, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, SR_AUTH_WWW, 20, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_OK);
    sr_msg_free(req);
    char *c1 = answer(ch1, "REGISTER", "sip:example.com", NULL, 1, &ctr, false, NULL);
    req = make_req("REGISTER", "sip:example.com", "Authorization", c1, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, SR_AUTH_WWW, 20, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_STALE_NONCE);
    assert_true(v.stale);
    sr_msg_free(req);
    /* Nonce 2 lives in the other slot: fine. */
    char *c2 = answer(ch2, "REGISTER", "sip:example.com", NULL, 1, &ctr, false, NULL);
    req = make_req("REGISTER", "sip:example.com", "Authorization", c2, NULL, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, SR_AUTH_WWW, 20, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_OK);
    sr_msg_free(req);
    free(c1);
    free(c2);
    free(c3);
    sr_msg_free(ch1);
    sr_msg_free(ch2);
    sr_msg_free(ch3);
    sr_auth_server_free(s);
}

/* auth-int: the body is protected. */
static void tweak_auth_int(sr_auth_config *c)
{
    c->qops = SR_QOP_BIT(SR_QOP_AUTH) | SR_QOP_BIT(SR_QOP_AUTH_INT);
    c->algs = SR_DIGEST_BIT(SR_DIGEST_MD5);
}

static void test_auth_int(void **state)
{
    (void)state;
    sr_auth_server *s = new_server(tu_allocator(), tweak_auth_int);
    users u = {false, 0};
    unsigned ctr = 3;
    const char *body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
    sr_msg *req = make_req("INVITE", "sip:bob@example.com", NULL, NULL, body, tu_allocator());
    sr_msg *ch = NULL;
    assert_int_equal(sr_auth_challenge_build(&ch, s, req, SR_AUTH_WWW, 100, false, NULL, NULL), 0);
    assert_int_equal(sr_msg_header_count_id(ch, SR_HDR_WWW_AUTHENTICATE), 1); /* MD5 only */
    sr_msg_free(req);
    char *cred = answer(ch, "INVITE", "sip:bob@example.com", body, 1, &ctr, true, NULL);
    assert_non_null(strstr(cred, "qop=auth-int"));
    assert_non_null(strstr(cred, "algorithm=MD5"));
    sr_auth_verdict v;
    req = make_req("INVITE", "sip:bob@example.com", "Authorization", cred, body, tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, SR_AUTH_WWW, 200, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_OK);
    assert_int_equal(v.qop, SR_QOP_AUTH_INT);
    sr_msg_free(req);
    free(cred);
    /* Same credentials, another body: rejected. */
    cred = answer(ch, "INVITE", "sip:bob@example.com", body, 2, &ctr, true, NULL);
    req = make_req("INVITE", "sip:bob@example.com", "Authorization", cred, "tampered",
                   tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, SR_AUTH_WWW, 200, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_BAD_RESPONSE);
    sr_msg_free(req);
    free(cred);
    /* A client preferring auth gets auth, and with a body change still passes (not covered). */
    cred = answer(ch, "INVITE", "sip:bob@example.com", body, 3, &ctr, false, NULL);
    assert_non_null(strstr(cred, "qop=auth,"));
    req = make_req("INVITE", "sip:bob@example.com", "Authorization", cred, "other body",
                   tu_allocator());
    assert_int_equal(sr_auth_verify(s, req, SR_AUTH_WWW, 200, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_OK);
    sr_msg_free(req);
    free(cred);
    sr_msg_free(ch);
    sr_auth_server_free(s);
}

/* The client picks SHA-256 over MD5 whatever the order, and MD5 when only it is acceptable. */
static void test_client_choice(void **state)
{
    (void)state;
    const char *txt = "SIP/2.0 401 Unauthorized\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                      "To: <sip:a@example.com>;tag=x\r\n"
                      "From: <sip:a@example.com>;tag=y\r\n"
                      "Call-ID: c\r\nCSeq: 1 REGISTER\r\n"
                      "WWW-Authenticate: Basic realm=\"x\"\r\n"
                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=MD5, "
                      "qop=\"auth\"\r\n"
                      "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256, "
                      "qop=\"auth\"\r\n"
                      "Content-Length: 0\r\n\r\n";
    sr_msg *m = tu_parse(txt, tu_allocator());
    sr_auth_client_opts o;
    sr_auth_client_opts_init(&o);
    unsigned ctr = 0;
    o.username = SR_STR("a");
    o.password = SR_STR("b");
    o.method = SR_STR("REGISTER");
    o.uri = SR_STR("sip:example.com");
    o.random = rnd;
    o.random_user = &ctr;
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_auth_client_answer(m, &o, &b, NULL), 0);
    assert_non_null(strstr(b.p, "nonce=\"n2\""));
    assert_non_null(strstr(b.p, "nc=00000001"));
    b.len = 0;
    o.algs = SR_DIGEST_BIT(SR_DIGEST_MD5);
    assert_int_equal(sr_auth_client_answer(m, &o, &b, NULL), 0);
    assert_non_null(strstr(b.p, "nonce=\"n1\""));
    /* The server's order (RFC 8760 §2.4): MD5 is topmost here. */
    b.len = 0;
    o.algs = SR_DIGEST_ALL;
    o.server_order = true;
    assert_int_equal(sr_auth_client_answer(m, &o, &b, NULL), 0);
    assert_non_null(strstr(b.p, "nonce=\"n1\""));
    b.len = 0;
    o.algs = SR_DIGEST_BIT(SR_DIGEST_SHA256);
    assert_int_equal(sr_auth_client_answer(m, &o, &b, NULL), 0);
    assert_non_null(strstr(b.p, "nonce=\"n2\""));
    o.algs = 0;
    assert_int_equal(sr_auth_client_answer(m, &o, &b, NULL), SR_ENOTFOUND);
    o.algs = SR_DIGEST_ALL;
    o.random = NULL;
    assert_int_equal(sr_auth_client_answer(m, &o, &b, NULL), SR_EINVAL);
    sr_buf_cleanup(&b);
    sr_msg_free(m);
}

/* The builder's default 401 carries our nonce through the hook. */
static void test_builder_nonce_hook(void **state)
{
    (void)state;
    sr_auth_server *s = new_server(tu_allocator(), NULL);
    sr_msg *req = make_req("INVITE", "sip:401@example.com", NULL, NULL, NULL, tu_allocator());
    sr_auth_nonce_ctx ctx = {s, 777000};
    sr_build_policy p;
    sr_build_policy_init(&p);
    p.realm = sr_auth_server_realm(s);
    p.nonce = sr_auth_build_nonce;
    p.nonce_user = &ctx;
    sr_build_opts bo;
    sr_build_opts_init(&bo);
    bo.alloc = tu_allocator();
    bo.flags = SR_BUILD_DEFAULTS;
    bo.policy = &p;
    sr_msg *resp = NULL;
    assert_int_equal(sr_build_response(&resp, req, 401, &bo, NULL), 0);
    assert_lint_clean(resp, req);
    sr_digest_challenge ch;
    const sr_header *h = sr_msg_header_find(resp, SR_HDR_WWW_AUTHENTICATE, NULL);
    assert_non_null(h);
    assert_int_equal(sr_digest_challenge_parse(&ch, h->value), 0);
    assert_int_equal(sr_auth_nonce_check(s, ch.nonce, 777000), SR_AUTH_OK);
    /* and a client answering the builder's challenge (no opaque) is verified. */
    unsigned ctr = 0;
    char *cred = answer(resp, "INVITE", "sip:401@example.com", NULL, 1, &ctr, false, NULL);
    sr_msg *req2 =
        make_req("INVITE", "sip:401@example.com", "Authorization", cred, NULL, tu_allocator());
    users u = {false, 0};
    sr_auth_verdict v;
    assert_int_equal(sr_auth_verify(s, req2, SR_AUTH_WWW, 778000, lookup, &u, &v), 0);
    assert_int_equal(v.result, SR_AUTH_OK);
    free(cred);
    sr_msg_free(req2);
    sr_msg_free(resp);
    sr_msg_free(req);
    sr_auth_server_free(s);
}

/* A lookup error reaches the caller. */
static int failing_lookup(sr_str username, sr_str realm, sr_digest_alg alg, sr_auth_secret *out,
                          void *user)
{
    (void)username;
    (void)realm;
    (void)alg;
    (void)out;
    (void)user;
    return SR_EIO;
}

static void test_lookup_error(void **state)
{
    (void)state;
    sr_auth_server *s = new_server(tu_allocator(), NULL);
    sr_msg *req = make_req("REGISTER", "sip:example.com", NULL, NULL, NULL, tu_allocator());
    sr_msg *ch = NULL;
    assert_int_equal(sr_auth_challenge_build(&ch, s, req, SR_AUTH_WWW, 1, false, NULL, NULL), 0);
    unsigned ctr = 0;
    char *cred = answer(ch, "REGISTER", "sip:example.com", NULL, 1, &ctr, false, NULL);
    sr_msg *r2 =
        make_req("REGISTER", "sip:example.com", "Authorization", cred, NULL, tu_allocator());
    sr_auth_verdict v;
    assert_int_equal(sr_auth_verify(s, r2, SR_AUTH_WWW, 2, failing_lookup, NULL, &v), SR_EIO);
    assert_int_equal(sr_auth_verify(s, NULL, SR_AUTH_WWW, 2, failing_lookup, NULL, &v), SR_EINVAL);
    assert_int_equal(sr_auth_verify(s, ch, SR_AUTH_WWW, 2, failing_lookup, NULL, &v), SR_EINVAL);
    free(cred);
    sr_msg_free(r2);
    sr_msg_free(ch);
    sr_msg_free(req);
    sr_auth_server_free(s);
}

/* Allocation failures: server creation, challenge building and the client's answer. */
static int auth_scenario(const sr_allocator *a, void *ctx)
{
    (void)ctx;
    sr_auth_config c;
    sr_auth_config_init(&c);
    c.alloc = a;
    c.secret = secret;
    c.secret_len = sizeof secret - 1;
    c.realm = "example.com";
    sr_auth_server *s = NULL;
    int rc = sr_auth_server_new(&s, &c);
    if (rc)
        return rc;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = a;
    const char *txt = "REGISTER sip:example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKs\r\n"
                      "Max-Forwards: 70\r\nTo: <sip:a@example.com>\r\n"
                      "From: <sip:a@example.com>;tag=1\r\nCall-ID: sweep\r\n"
                      "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
    sr_msg *req = NULL, *ch = NULL;
    sr_buf b;
    sr_buf_init(&b, a);
    if ((rc = sr_msg_parse(&req, txt, strlen(txt), &po, NULL)) != 0)
        goto out;
    sr_build_opts bo;
    sr_build_opts_init(&bo);
    bo.alloc = a;
    if ((rc = sr_auth_challenge_build(&ch, s, req, SR_AUTH_PROXY, 1, true, &bo, NULL)) != 0)
        goto out;
    sr_auth_client_opts o;
    sr_auth_client_opts_init(&o);
    unsigned ctr = 0;
    o.username = SR_STR("alice");
    o.password = SR_STR("wonderland");
    o.method = SR_STR("REGISTER");
    o.uri = SR_STR("sip:example.com");
    o.random = rnd;
    o.random_user = &ctr;
    if ((rc = sr_auth_client_answer(ch, &o, &b, NULL)) != 0)
        goto out;
    users u = {false, 0};
    sr_auth_verdict v;
    rc = sr_auth_verify_value(s, (sr_str){b.p, b.len}, SR_STR("REGISTER"),
                              SR_STR("sip:example.com"), SR_STR_NULL, 2, lookup, &u, &v);
    if (rc == 0 && v.result != SR_AUTH_OK)
        rc = SR_EINVAL;
out:
    sr_buf_cleanup(&b);
    sr_msg_free(ch);
    sr_msg_free(req);
    sr_auth_server_free(s);
    return rc;
}

static void test_auth_failure_sweep(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(auth_scenario, NULL) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_rfc2617_example),    TU_TEST(test_rfc7616_examples),
        TU_TEST(test_parse_edge_cases),   TU_TEST(test_server_config),
        TU_TEST(test_nonce_lifecycle),    TU_TEST(test_round_trip_401),
        TU_TEST(test_round_trip_407_ha1), TU_TEST(test_verdicts),
        TU_TEST(test_nc_table_eviction),  TU_TEST(test_auth_int),
        TU_TEST(test_client_choice),      TU_TEST(test_builder_nonce_hook),
        TU_TEST(test_lookup_error),       TU_TEST(test_auth_failure_sweep),
        TU_TEST(test_uri_via_proxy),      TU_TEST(test_challenge_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
