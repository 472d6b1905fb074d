/* sipreply bench: digest verification, challenge building and REGISTER handling, in ns per
 * operation (median of RUNS timed batches on one core). Not a test: it asserts nothing about
 * speed, only that every operation succeeded. usage: auth_bench [runs] [ops-per-run] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sipreply/sipreply.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int lookup(sr_str username, sr_str realm, sr_digest_alg alg, sr_auth_secret *out, void *user)
{
    (void)username;
    (void)realm;
    (void)alg;
    (void)user;
    out->kind = SR_AUTH_SECRET_PASSWORD;
    out->value = SR_STR("wonderland");
    return 0;
}

static int rnd(uint8_t *out, size_t n, void *user)
{
    unsigned *c = user;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(*c + i);
    (*c)++;
    return 0;
}

static void die(const char *what)
{
    fprintf(stderr, "auth_bench: %s failed\n", what);
    exit(1);
}

static const char reg_txt[] = "REGISTER sip:example.com SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKb1\r\n"
                              "Max-Forwards: 70\r\n"
                              "To: <sip:alice@example.com>\r\n"
                              "From: <sip:alice@example.com>;tag=1\r\n"
                              "Call-ID: bench@192.0.2.1\r\n"
                              "CSeq: %lu REGISTER\r\n"
                              "Contact: <sip:alice@192.0.2.1:5060>;expires=3600\r\n"
                              "Content-Length: 0\r\n\r\n";

enum { OP_VERIFY_MD5, OP_VERIFY_SHA256, OP_CHALLENGE, OP_REGISTER, OP_COUNT };
static const char *const op_names[] = {"verify MD5 (qop=auth)", "verify SHA-256 (qop=auth)",
                                       "401 with 2 challenges", "REGISTER refresh + 200"};

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 11;
    long ops = argc > 2 ? atol(argv[2]) : 20000;
    if (runs < 1 || ops < 1)
        return 2;
    static const uint8_t key[] = "bench-secret-bench-secret";
    sr_auth_config c;
    sr_auth_config_init(&c);
    c.secret = key;
    c.secret_len = sizeof key - 1;
    c.realm = "example.com";
    c.nc_slots = 1u << 16;
    sr_auth_server *s = NULL;
    if (sr_auth_server_new(&s, &c))
        die("server");
    sr_msg *req = NULL;
    char first[sizeof reg_txt + 32];
    int fl = snprintf(first, sizeof first, reg_txt, 1ul);
    if (fl < 0 || sr_msg_parse(&req, first, (size_t)fl, NULL, NULL))
        die("parse");
    sr_registrar_config rc;
    sr_registrar_config_init(&rc);
    sr_registrar *r = NULL;
    if (sr_registrar_new(&r, &rc))
        die("registrar");

    /* Credentials for one nonce per algorithm; nc counts up so every verify is accepted. */
    sr_msg *ch = NULL;
    if (sr_auth_challenge_build(&ch, s, req, SR_AUTH_WWW, 1000, false, NULL, NULL))
        die("challenge");
    unsigned ctr = 0;
    double *t = calloc((size_t)runs, sizeof *t);
    double med[OP_COUNT];
    uint32_t nc = 1;
    unsigned long cseq = 1;
    for (int op = 0; op < OP_COUNT; op++) {
        for (int k = 0; k < runs; k++) {
            /* Prepare the inputs of this batch outside the timed part. */
            char **creds = NULL;
            if (op <= OP_VERIFY_SHA256) {
                creds = calloc((size_t)ops, sizeof *creds);
                sr_auth_client_opts o;
                sr_auth_client_opts_init(&o);
                o.username = SR_STR("alice");
                o.password = SR_STR("wonderland");
                o.method = SR_STR("REGISTER");
                o.uri = SR_STR("sip:example.com");
                o.random = rnd;
                o.random_user = &ctr;
                o.algs = SR_DIGEST_BIT(op == OP_VERIFY_MD5 ? SR_DIGEST_MD5 : SR_DIGEST_SHA256);
                for (long i = 0; i < ops; i++) {
                    sr_buf b;
                    sr_buf_init(&b, NULL);
                    o.nc = nc++;
                    if (sr_auth_client_answer(ch, &o, &b, NULL))
                        die("answer");
                    creds[i] = b.p;
                }
            }
            sr_msg **regs = NULL;
            if (op == OP_REGISTER) {
                /* One REGISTER per operation, CSeq counting up: each is a refresh. */
                regs = calloc((size_t)ops, sizeof *regs);
                for (long i = 0; i < ops; i++) {
                    char buf[sizeof reg_txt + 32];
                    int n = snprintf(buf, sizeof buf, reg_txt, (unsigned long)cseq++);
                    if (n < 0 || sr_msg_parse(&regs[i], buf, (size_t)n, NULL, NULL))
                        die("parse");
                }
            }
            double t0 = now_ns();
            for (long i = 0; i < ops; i++) {
                if (op <= OP_VERIFY_SHA256) {
                    sr_auth_verdict v;
                    if (sr_auth_verify_value(s, sr_str_from_cstr(creds[i]), SR_STR("REGISTER"),
                                             SR_STR("sip:example.com"), SR_STR_NULL, 2000, lookup,
                                             NULL, &v) ||
                        v.result != SR_AUTH_OK)
                        die("verify");
                } else if (op == OP_CHALLENGE) {
                    sr_msg *m = NULL;
                    if (sr_auth_challenge_build(&m, s, req, SR_AUTH_WWW, 2000, false, NULL, NULL))
                        die("challenge");
                    sr_msg_free(m);
                } else {
                    sr_msg *m = NULL;
                    sr_registrar_outcome oc;
                    if (sr_registrar_handle(r, regs[i], 2000 + (uint64_t)i, NULL, &m, &oc) ||
                        oc.code != 200)
                        die("register");
                    sr_msg_free(m);
                }
            }
            t[k] = (now_ns() - t0) / (double)ops;
            if (regs) {
                for (long i = 0; i < ops; i++)
                    sr_msg_free(regs[i]);
                free(regs);
            }
            if (creds) {
                for (long i = 0; i < ops; i++)
                    free(creds[i]);
                free(creds);
            }
        }
        qsort(t, (size_t)runs, sizeof *t, cmp_d);
        med[op] = t[runs / 2];
    }
    printf("| operation | ns/op (median of %d runs x %ld) |\n|---|---|\n", runs, ops);
    for (int op = 0; op < OP_COUNT; op++)
        printf("| %s | %.0f |\n", op_names[op], med[op]);
    free(t);
    sr_msg_free(ch);
    sr_msg_free(req);
    sr_registrar_free(r);
    sr_auth_server_free(s);
    return 0;
}
