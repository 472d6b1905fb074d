/* sipreply tests: the UAC context and digest challenges (RFC 3261 §22.2-§22.3): answered once
 * per realm with the strongest algorithm offered (RFC 8760 §2.4), checked by our own
 * verifier; again after stale=true, never twice with the same failing credentials; several
 * realms; -sess and userhash (RFC 7616 §3.4.2, §3.4.4); auth-int; credentials kept. */
#include "uac_harness.h"

static const sr_uac_credential creds[] = {
    {"sipreply", "alice", "secret"},
    {"other", "alice2", "pw2"},
};

static void tweak_creds(u_h *h)
{
    h->cfg.creds = creds;
    h->cfg.n_creds = 2;
}

static int lookup(sr_str user, sr_str realm, sr_digest_alg alg, sr_auth_secret *out, void *u)
{
    (void)realm;
    (void)alg;
    (void)u;
    if (!sr_str_eq(user, sr_str_from_cstr("alice")))
        return SR_ENOTFOUND;
    out->kind = SR_AUTH_SECRET_PASSWORD;
    out->value = sr_str_from_cstr("secret");
    return 0;
}

static sr_auth_server *server(unsigned qops, bool md5_first)
{
    sr_auth_config c;
    sr_auth_config_init(&c);
    c.alloc = tu_allocator();
    c.secret = (const uint8_t *)"0123456789abcdef";
    c.secret_len = 16;
    c.qops = qops;
    c.md5_first = md5_first;
    sr_auth_server *s = NULL;
    assert_int_equal(sr_auth_server_new(&s, &c), 0);
    return s;
}

/* Challenge sent[@p idx] from @p srv. */
static void challenge(u_h *h, int idx, sr_auth_server *srv, sr_auth_kind kind, bool stale)
{
    sr_msg *req = NULL;
    const char *t = h->sent[idx].text;
    assert_int_equal(sr_msg_parse(&req, t, strlen(t), NULL, NULL), 0);
    sr_msg *resp = NULL;
    assert_int_equal(sr_auth_challenge_build(&resp, srv, req, kind, h->now, stale, NULL, NULL), 0);
    u_deliver(h, idx, resp);
    sr_msg_free(req);
}

static sr_auth_result verify(u_h *h, int idx, sr_auth_server *srv, sr_auth_kind kind,
                             sr_digest_alg *alg)
{
    sr_msg *req = NULL;
    const char *t = h->sent[idx].text;
    assert_int_equal(sr_msg_parse(&req, t, strlen(t), NULL, NULL), 0);
    sr_auth_verdict v;
    assert_int_equal(sr_auth_verify(srv, req, kind, h->now, lookup, NULL, &v), 0);
    if (alg)
        *alg = v.alg;
    sr_msg_free(req);
    return v.result;
}

static void t_401_strongest_and_verified(void **state)
{
    (void)state;
    sr_auth_server *srv = server(SR_QOP_BIT(SR_QOP_AUTH), true); /* MD5 offered first */
    u_h h;
    u_init(&h, U_OPTIONS, tweak_creds);
    u_start(&h);
    challenge(&h, 0, srv, SR_AUTH_WWW, false);
    assert_int_equal(h.n_sent, 2);
    int a = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_AUTH);
    assert_true(a >= 0);
    assert_string_equal(h.ev[a].detail, "sipreply");
    assert_true(u_has(&h, 1, "Authorization: Digest username=\"alice\""));
    assert_true(u_has(&h, 1, "algorithm=SHA-256"));
    assert_true(u_has(&h, 1, "CSeq: 11 OPTIONS"));
    sr_digest_alg alg;
    assert_int_equal(verify(&h, 1, srv, SR_AUTH_WWW, &alg), SR_AUTH_OK);
    assert_int_equal(alg, SR_DIGEST_SHA256);
    u_answer_to(&h, 1, 200, NULL, NULL);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);
    sr_auth_server_free(srv);
}

static void t_407_then_refused(void **state)
{
    (void)state;
    sr_auth_server *srv = server(SR_QOP_BIT(SR_QOP_AUTH), false);
    u_h h;
    u_init(&h, U_INVITE, tweak_creds);
    u_start(&h);
    challenge(&h, 0, srv, SR_AUTH_PROXY, false);
    int inv = u_last(&h, "INVITE ");
    assert_int_equal(inv, 2); /* INVITE, ACK of the 407 (by the stack), INVITE */
    assert_true(u_has(&h, inv, "Proxy-Authorization: Digest"));
    assert_int_equal(verify(&h, inv, srv, SR_AUTH_PROXY, NULL), SR_AUTH_OK);
    /* challenged again, not stale: the same credentials are not sent twice */
    challenge(&h, inv, srv, SR_AUTH_PROXY, false);
    assert_int_equal(u_count(&h, "INVITE "), 2);
    int f = u_find(&h, 0, SR_UAC_EV_ACTION, SR_UAC_ACT_AUTH_FAILED);
    assert_true(f >= 0);
    assert_string_equal(h.ev[f].detail, "sipreply");
    const u_ev *d = u_done(&h);
    assert_int_equal(d->outcome, SR_UAC_AUTH_FAILED);
    assert_int_equal(d->status, 407);
    u_free(&h);
    sr_auth_server_free(srv);
}

static void t_stale_answered_again(void **state)
{
    (void)state;
    sr_auth_server *srv = server(SR_QOP_BIT(SR_QOP_AUTH), false);
    u_h h;
    u_init(&h, U_OPTIONS, tweak_creds);
    u_start(&h);
    challenge(&h, 0, srv, SR_AUTH_WWW, false);
    challenge(&h, 1, srv, SR_AUTH_WWW, true);
    assert_int_equal(h.n_sent, 3);
    assert_int_equal(verify(&h, 2, srv, SR_AUTH_WWW, NULL), SR_AUTH_OK);
    assert_true(u_has(&h, 2, "nc=00000001")); /* a new nonce counts from 1 */
    u_answer_to(&h, 2, 200, NULL, NULL);
    assert_int_equal(u_done(&h)->outcome, SR_UAC_OK);
    u_free(&h);
    sr_auth_server_free(srv);
}

static void t_no_credentials(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, NULL);
    u_start(&h);
    u_answer(&h, "OPTIONS", 401, "WWW-Authenticate: Digest realm=\"x\", nonce=\"n\"");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_AUTH_FAILED);
    assert_int_equal(h.n_sent, 1);
    u_free(&h);
    /* a challenge we cannot answer (an unknown algorithm) */
    u_init(&h, U_OPTIONS, tweak_creds);
    u_start(&h);
    u_answer(&h, "OPTIONS", 401,
             "WWW-Authenticate: Digest realm=\"sipreply\", nonce=\"n\", algorithm=SHA-512-256");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_AUTH_FAILED);
    u_free(&h);
}

static void t_two_realms(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_creds);
    u_start(&h);
    u_answer(&h, "OPTIONS", 407,
             "Proxy-Authenticate: Digest realm=\"other\", nonce=\"n1\", qop=\"auth\"\r\n"
             "Proxy-Authenticate: Digest realm=\"sipreply\", nonce=\"n2\", algorithm=MD5\r\n"
             "Proxy-Authenticate: Digest realm=\"sipreply\", nonce=\"n3\", algorithm=SHA-256");
    assert_int_equal(h.n_sent, 2);
    assert_true(u_has(&h, 1, "username=\"alice2\", realm=\"other\""));
    assert_true(u_has(&h, 1, "username=\"alice\", realm=\"sipreply\", nonce=\"n3\""));
    assert_false(u_has(&h, 1, "nonce=\"n2\""));
    assert_true(u_has(&h, 1, "response=\"")); /* RFC 2069 style without qop for sipreply */
    u_free(&h);
}

static void t_sess_and_userhash(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_creds);
    u_start(&h);
    u_answer(&h, "OPTIONS", 401,
             "WWW-Authenticate: Digest realm=\"sipreply\", nonce=\"abc\", "
             "algorithm=SHA-256-sess, qop=\"auth\", userhash=true");
    assert_int_equal(h.n_sent, 2);
    const char *v = strstr(h.sent[1].text, "Authorization: ");
    assert_non_null(v);
    v += strlen("Authorization: ");
    const char *e = strstr(v, "\r\n");
    sr_digest_credentials c;
    assert_int_equal(sr_digest_credentials_parse(&c, (sr_str){v, (size_t)(e - v)}), 0);
    assert_true(c.userhash);
    assert_sr_str_eq(c.algorithm, "SHA-256-sess");
    char uh[65];
    /* userhash: H(username ":" realm) */
    sr_sha256_ctx sc;
    uint8_t d[32];
    sr_sha256_init(&sc);
    sr_sha256_update(&sc, "alice:sipreply", 14);
    sr_sha256_final(&sc, d);
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        uh[2 * i] = hx[d[i] >> 4];
        uh[2 * i + 1] = hx[d[i] & 15];
    }
    uh[64] = '\0';
    assert_sr_str_eq(c.username, uh);
    /* the response with the session HA1 (RFC 7616 §3.4.2) */
    sr_digest_input in = {0};
    in.alg = SR_DIGEST_SHA256;
    in.sess = true;
    in.username = sr_str_from_cstr("alice");
    in.realm = sr_str_from_cstr("sipreply");
    in.password = sr_str_from_cstr("secret");
    in.method = sr_str_from_cstr("OPTIONS");
    in.uri = c.uri;
    in.nonce = sr_str_from_cstr("abc");
    in.qop = SR_QOP_AUTH;
    in.nc = c.nc;
    in.cnonce = c.cnonce;
    char want[65];
    assert_int_equal(sr_digest_response(&in, want, sizeof want), 64);
    assert_sr_str_eq(c.response, want);
    in.sess = false;
    assert_int_equal(sr_digest_response(&in, want, sizeof want), 64);
    assert_false(sr_str_eq(c.response, sr_str_from_cstr(want)));
    u_free(&h);
}

static void tweak_auth_int(u_h *h)
{
    tweak_creds(h);
    h->cfg.prefer_auth_int = true;
}

static void t_auth_int_and_kept(void **state)
{
    (void)state;
    sr_auth_server *srv = server(SR_QOP_BIT(SR_QOP_AUTH) | SR_QOP_BIT(SR_QOP_AUTH_INT), false);
    u_h h;
    u_init(&h, U_INVITE, tweak_auth_int);
    u_start(&h);
    challenge(&h, 0, srv, SR_AUTH_WWW, false);
    int inv = u_last(&h, "INVITE ");
    assert_true(u_has(&h, inv, "qop=auth-int"));
    assert_int_equal(verify(&h, inv, srv, SR_AUTH_WWW, NULL), SR_AUTH_OK);
    /* a later retry (after a 491) carries the credentials again, nonce-count 2 (§22.3) */
    u_answer_to(&h, inv, 491, NULL, NULL);
    u_advance(&h, h.now + 5000);
    int again = u_last(&h, "INVITE ");
    assert_true(again > inv);
    assert_true(u_has(&h, again, "nc=00000002"));
    assert_int_equal(verify(&h, again, srv, SR_AUTH_WWW, NULL), SR_AUTH_OK);
    u_free(&h);
    sr_auth_server_free(srv);
}

static void tweak_no_auth(u_h *h)
{
    tweak_creds(h);
    h->cfg.follow = SR_UAC_FOLLOW_ALL & ~SR_UAC_FOLLOW_AUTH;
}

static void t_auth_not_followed(void **state)
{
    (void)state;
    u_h h;
    u_init(&h, U_OPTIONS, tweak_no_auth);
    u_start(&h);
    u_answer(&h, "OPTIONS", 401, "WWW-Authenticate: Digest realm=\"sipreply\", nonce=\"n\"");
    assert_int_equal(u_done(&h)->outcome, SR_UAC_REJECTED);
    u_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(t_401_strongest_and_verified),
        TU_TEST(t_407_then_refused),
        TU_TEST(t_stale_answered_again),
        TU_TEST(t_no_credentials),
        TU_TEST(t_two_realms),
        TU_TEST(t_sess_and_userhash),
        TU_TEST(t_auth_int_and_kept),
        TU_TEST(t_auth_not_followed),
    };
    return cmocka_run_group_tests_name("uac_auth", tests, NULL, NULL);
}
