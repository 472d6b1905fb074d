/* sipreply fuzz target: digest credentials and challenges — sr_digest_credentials_parse,
 * sr_digest_challenge_parse, sr_auth_verify_value (the header-verification entry point) and
 * sr_auth_verify on the input parsed as a message, plus the client's answer to a parsed
 * challenge. Every "@N@" in the input is replaced by a nonce the server really issued, so
 * the fuzzer reaches the digest and nonce-count checks. abort() on a broken invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(sr_str username, sr_str realm, sr_digest_alg alg, sr_auth_secret *out, void *user)
{
    (void)realm;
    (void)alg;
    (void)user;
    if (!sr_str_eq(username, SR_STR("alice")))
        return SR_ENOTFOUND;
    out->kind = SR_AUTH_SECRET_PASSWORD;
    out->value = SR_STR("wonderland");
    return 0;
}

static int rnd(uint8_t *out, size_t n, void *user)
{
    (void)user;
    memset(out, 0x5a, n);
    return 0;
}

static bool inside(sr_str s, const char *base, size_t len, const char *store, size_t cap)
{
    if (!s.p)
        return s.len == 0;
    if (s.p >= base && s.p + s.len <= base + len)
        return true;
    return s.p >= store && s.p + s.len <= store + cap;
}

static void check_verdict(const sr_auth_verdict *v)
{
    if ((unsigned)v->result >= SR_AUTH__COUNT)
        abort();
    if (v->result == SR_AUTH_OK && (v->alg == SR_DIGEST_ALG_NONE || v->username.len == 0))
        abort();
    if (v->stale && v->result != SR_AUTH_STALE_NONCE)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[] = "fuzz-secret";
    sr_auth_config c;
    sr_auth_config_init(&c);
    c.secret = key;
    c.secret_len = sizeof key - 1;
    c.realm = "example.com";
    c.nc_slots = 4;
    c.qops = SR_QOP_BIT(SR_QOP_AUTH) | (size % 2 ? SR_QOP_BIT(SR_QOP_AUTH_INT) : 0);
    sr_auth_server *s = NULL;
    if (sr_auth_server_new(&s, &c) != 0)
        abort();
    char nonce[SR_AUTH_NONCE_LEN + 1];
    if (sr_auth_nonce_make(s, 1000, nonce, sizeof nonce) != SR_AUTH_NONCE_LEN)
        abort();

    /* The input with every "@N@" replaced by the nonce, in a block of its exact size. */
    size_t n3 = 0;
    for (size_t i = 0; i + 3 <= size; i++)
        if (memcmp(data + i, "@N@", 3) == 0)
            n3++;
    size_t len = size + n3 * (SR_AUTH_NONCE_LEN - 3);
    char *in = malloc(len ? len : 1);
    if (!in)
        abort();
    for (size_t i = 0, o = 0; i < size;) {
        if (i + 3 <= size && memcmp(data + i, "@N@", 3) == 0) {
            memcpy(in + o, nonce, SR_AUTH_NONCE_LEN);
            o += SR_AUTH_NONCE_LEN;
            i += 3;
        } else {
            in[o++] = (char)data[i++];
        }
    }
    sr_str value = {in, len};

    sr_digest_credentials cr;
    if (sr_digest_credentials_parse(&cr, value) == 0) {
        const sr_str *f[] = {&cr.username,  &cr.realm,  &cr.nonce, &cr.uri, &cr.response,
                             &cr.algorithm, &cr.cnonce, &cr.qop,   &cr.nc};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            if (!inside(*f[i], in, len, cr.store, sizeof cr.store))
                abort();
        if (cr.qop_id != SR_QOP_NONE && cr.nc.len != 8)
            abort();
    }
    sr_digest_challenge ch;
    if (sr_digest_challenge_parse(&ch, value) == 0) {
        if (!inside(ch.realm, in, len, ch.store, sizeof ch.store) ||
            !inside(ch.nonce, in, len, ch.store, sizeof ch.store))
            abort();
        sr_auth_client_opts o;
        sr_auth_client_opts_init(&o);
        o.username = SR_STR("alice");
        o.password = SR_STR("wonderland");
        o.method = SR_STR("REGISTER");
        o.uri = SR_STR("sip:example.com");
        o.random = rnd;
        sr_buf b;
        sr_buf_init(&b, NULL);
        if (sr_auth_client_answer_challenge(&ch, &o, &b) == 0) {
            /* What we send parses back as credentials. */
            sr_digest_credentials back;
            if (sr_digest_credentials_parse(&back, (sr_str){b.p, b.len}) != 0)
                abort();
        }
        sr_buf_cleanup(&b);
    }
    sr_auth_verdict v;
    for (int round = 0; round < 2; round++) {
        uint64_t now = round ? 1000 + 400000 : 1500;
        int rc = sr_auth_verify_value(s, value, SR_STR("REGISTER"), SR_STR("sip:example.com"),
                                      SR_STR("body"), now, lookup, NULL, &v);
        if (rc != 0)
            abort();
        check_verdict(&v);
    }
    /* The input as a whole message. */
    sr_msg *m = NULL;
    if (sr_msg_parse(&m, in, len, NULL, NULL) == 0) {
        if (sr_msg_is_request(m)) {
            for (int k = 0; k < 2; k++) {
                if (sr_auth_verify(s, m, k ? SR_AUTH_PROXY : SR_AUTH_WWW, 2000, lookup, NULL, &v) !=
                    0)
                    abort();
                check_verdict(&v);
            }
        } else {
            sr_auth_client_opts o;
            sr_auth_client_opts_init(&o);
            o.username = SR_STR("alice");
            o.password = SR_STR("x");
            o.method = SR_STR("INVITE");
            o.uri = SR_STR("sip:bob@example.com");
            o.random = rnd;
            sr_buf b;
            sr_buf_init(&b, NULL);
            (void)sr_auth_client_answer(m, &o, &b, NULL);
            sr_buf_cleanup(&b);
        }
        sr_msg_free(m);
    }
    free(in);
    sr_auth_server_free(s);
    return 0;
}
