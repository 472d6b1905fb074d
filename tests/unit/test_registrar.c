/* sipreply tests: the registrar (registrar.h) — RFC 3261 §10.3 rule by rule in
 * simulated time, a randomized comparison with a simple model, and an allocation-failure
 * sweep. Every response is printed, parsed back and must be lint-clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/lint.h"
#include "sipreply/registrar.h"

/* ------------------------------------------------------------------ helpers */

/* A REGISTER: @p to is the To URI, @p contacts are whole Contact lines' values (NULL ends),
 * @p expires is an Expires header value or NULL. */
static sr_msg *reg(const char *ruri, const char *to, const char *call_id, unsigned cseq,
                   const char *const *contacts, const char *expires)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf,
                     "REGISTER %s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg%u\r\n"
                     "Max-Forwards: 70\r\n"
                     "To: <%s>\r\n"
                     "From: <%s>;tag=f%u\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %u REGISTER\r\n",
                     ruri, cseq, to, to, cseq, call_id, cseq);
    for (size_t i = 0; contacts && contacts[i]; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "Contact: %s\r\n", contacts[i]);
    if (expires)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "Expires: %s\r\n", expires);
    snprintf(buf + n, sizeof buf - (size_t)n, "Content-Length: 0\r\n\r\n");
    return tu_parse(buf, tu_allocator());
}

static void assert_lint_clean(const sr_msg *resp, const sr_msg *req)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sr_msg_print(resp, &b), 0);
    sr_msg *back = tu_parse(b.p, NULL);
    sr_lint_finding f[16];
    size_t n = sr_lint_pair(back, req, NULL, f, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        print_message("lint: %s %s\n%s\n", f[i].rule->id, f[i].arg ? f[i].arg : "", b.p);
    assert_int_equal(n, 0);
    sr_msg_free(back);
    sr_buf_cleanup(&b);
}

static sr_registrar *new_reg(void (*tweak)(sr_registrar_config *))
{
    sr_registrar_config c;
    sr_registrar_config_init(&c);
    c.alloc = tu_allocator();
    if (tweak)
        tweak(&c);
    sr_registrar *r = NULL;
    assert_int_equal(sr_registrar_new(&r, &c), 0);
    return r;
}

/* Handle @p req, check the code and lint; return the response (caller frees) or NULL. */
static sr_msg *handle(sr_registrar *r, sr_msg *req, uint64_t now, unsigned want,
                      sr_registrar_outcome *out, const char *date)
{
    sr_build_opts bo;
    sr_build_opts_init(&bo);
    bo.alloc = tu_allocator();
    sr_registrar_opts o;
    sr_registrar_opts_init(&o);
    o.build = &bo;
    if (date)
        o.date = sr_str_from_cstr(date);
    sr_msg *resp = NULL;
    sr_registrar_outcome oc;
    assert_int_equal(sr_registrar_handle(r, req, now, &o, &resp, out ? out : &oc), 0);
    if (sr_msg_status(resp) != want)
        fail_msg("got %u, want %u (%s)", sr_msg_status(resp), want,
                 (out ? out : &oc)->why ? (out ? out : &oc)->why : "");
    assert_int_equal((out ? out : &oc)->code, want);
    assert_lint_clean(resp, req);
    return resp;
}

static void handle_free(sr_registrar *r, sr_msg *req, uint64_t now, unsigned want,
                        sr_registrar_outcome *out)
{
    sr_msg_free(handle(r, req, now, want, out, NULL));
    sr_msg_free(req);
}

/* The Contact values of a response, joined by '|'. */
static void contacts_of(const sr_msg *m, char *out, size_t cap)
{
    out[0] = '\0';
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find(m, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(m, SR_HDR_CONTACT, h))
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? "|" : "", (int)h->value.len,
                              h->value.p);
}

#define T0   1000000000ull
#define AOR  "sip:alice@example.com"
#define RURI "sip:example.com"

/* ------------------------------------------------------------------ rules */

static void test_register_and_query(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    const char *c1[] = {"<sip:alice@192.0.2.1:5060>", NULL};
    sr_registrar_outcome oc;
    sr_msg *req = reg(RURI, AOR, "cid1", 1, c1, NULL);
    sr_msg *resp = handle(r, req, T0, 200, &oc, "Sat, 28 Nov 2026 14:00:00 GMT");
    assert_int_equal(oc.added, 1);
    assert_int_equal(oc.bindings, 1);
    char cs[512];
    contacts_of(resp, cs, sizeof cs);
    assert_string_equal(cs, "<sip:alice@192.0.2.1:5060>;expires=3600"); /* default */
    const sr_header *d = sr_msg_header_find(resp, SR_HDR_DATE, NULL);
    assert_non_null(d);
    assert_sr_str_eq(d->value, "Sat, 28 Nov 2026 14:00:00 GMT");
    sr_msg_free(resp);
    sr_msg_free(req);
    assert_int_equal(sr_registrar_aor_count(r), 1);
    assert_int_equal(sr_registrar_binding_count(r), 1);
    assert_int_equal(sr_registrar_next_deadline(r), T0 + 3600000);

    /* Query (no Contact) 1000 s later: the remaining expiry. No Date when none given. */
    req = reg(RURI, AOR, "cid2", 1, NULL, NULL);
    resp = handle(r, req, T0 + 1000000, 200, &oc, NULL);
    contacts_of(resp, cs, sizeof cs);
    assert_string_equal(cs, "<sip:alice@192.0.2.1:5060>;expires=2600");
    assert_null(sr_msg_header_find(resp, SR_HDR_DATE, NULL));
    assert_string_equal(oc.why, "query");
    sr_msg_free(resp);
    sr_msg_free(req);

    /* Query of an unknown AOR: 200 without Contact. */
    req = reg(RURI, "sip:nobody@example.com", "cid3", 1, NULL, NULL);
    resp = handle(r, req, T0, 200, &oc, NULL);
    assert_int_equal(sr_msg_header_count_id(resp, SR_HDR_CONTACT), 0);
    sr_msg_free(resp);
    sr_msg_free(req);
    assert_int_equal(sr_registrar_aor_count(r), 1);

    sr_binding b[4];
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0 + 1, b, 4), 1);
    assert_sr_str_eq(b[0].uri, "sip:alice@192.0.2.1:5060");
    assert_sr_str_eq(b[0].aor, AOR);
    assert_sr_str_eq(b[0].call_id, "cid1");
    assert_int_equal(b[0].cseq, 1);
    assert_int_equal(b[0].q, -1);
    assert_int_equal(b[0].expires, 3600);
    sr_registrar_free(r);
}

/* The caller's builder options reach the response: extra headers, defaults, its allocator. */
static void test_build_options(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    const char *c[] = {"<sip:alice@192.0.2.1>", NULL};
    sr_msg *req = reg(RURI, AOR, "cid", 1, c, NULL);
    sr_build_header extra[] = {{SR_STR("Server"), SR_STR("sipreply-test")}};
    sr_build_opts bo;
    sr_build_opts_init(&bo);
    bo.alloc = tu_allocator();
    bo.flags = SR_BUILD_DEFAULTS;
    bo.headers = extra;
    bo.n_headers = 1;
    sr_registrar_opts o;
    sr_registrar_opts_init(&o);
    o.build = &bo;
    sr_msg *resp = NULL;
    assert_int_equal(sr_registrar_handle(r, req, T0, &o, &resp, NULL), 0);
    assert_int_equal(sr_msg_status(resp), 200);
    const sr_header *h = sr_msg_header_find(resp, SR_HDR_SERVER, NULL);
    assert_non_null(h);
    assert_sr_str_eq(h->value, "sipreply-test");
    assert_int_equal(sr_msg_header_count_id(resp, SR_HDR_CONTACT), 1);
    assert_lint_clean(resp, req);
    sr_msg_free(resp);
    /* and a 423 with the same options still carries Min-Expires once */
    const char *c30[] = {"<sip:alice@192.0.2.1>;expires=30", NULL};
    sr_msg *req2 = reg(RURI, AOR, "cid", 2, c30, NULL);
    assert_int_equal(sr_registrar_handle(r, req2, T0, &o, &resp, NULL), 0);
    assert_int_equal(sr_msg_status(resp), 423);
    assert_int_equal(sr_msg_header_count_id(resp, SR_HDR_MIN_EXPIRES), 1);
    assert_lint_clean(resp, req2);
    sr_msg_free(resp);
    sr_msg_free(req2);
    sr_msg_free(req);
    sr_registrar_free(r);
}

/* One URI several times in a request (found by fuzz_registrar: a binding added then removed
 * by the same request was freed while later Contacts still compared against it). */
static void test_repeated_contact(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    sr_registrar_outcome oc;
    const char *c1[] = {"<sip:dup@192.0.2.1>", "<sip:dup@192.0.2.1>;expires=0",
                        "<sip:DUP@192.0.2.1;transport=udp>;expires=0", "<sip:dup@192.0.2.1>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 1, c1, NULL), T0, 200, &oc);
    assert_int_equal(oc.added, 1);
    assert_int_equal(oc.removed, 0);
    assert_int_equal(oc.bindings, 1);
    /* refreshed then removed in one request: a removal */
    const char *c2[] = {"<sip:dup@192.0.2.1>", "<sip:dup@192.0.2.1>;expires=0", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 2, c2, NULL), T0, 200, &oc);
    assert_int_equal(oc.removed, 1);
    assert_int_equal(oc.refreshed, 0);
    assert_int_equal(oc.bindings, 0);
    assert_int_equal(sr_registrar_binding_count(r), 0);
    /* removed then added again: one new binding */
    const char *c3[] = {"<sip:b@192.0.2.2>;expires=0", "<sip:b@192.0.2.2>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 3, c3, NULL), T0, 200, &oc);
    assert_int_equal(oc.added, 1);
    assert_int_equal(sr_registrar_binding_count(r), 1);
    sr_registrar_free(r);
}

static void test_expires_sources(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    /* The expires param wins over the Expires header; the header over the default; values
     * above max_expires are capped (RFC 3261 §10.3 step 7). */
    const char *c[] = {"<sip:a@192.0.2.1>;expires=120", "<sip:b@192.0.2.1>",
                       "<sip:c@192.0.2.1>;expires=999999", NULL};
    sr_msg *req = reg(RURI, AOR, "cid", 1, c, "300");
    sr_msg *resp = handle(r, req, T0, 200, NULL, NULL);
    char cs[512];
    contacts_of(resp, cs, sizeof cs);
    assert_string_equal(cs, "<sip:a@192.0.2.1>;expires=120|<sip:b@192.0.2.1>;expires=300|"
                            "<sip:c@192.0.2.1>;expires=86400");
    sr_msg_free(resp);
    sr_msg_free(req);
    /* Expires: 0 in the header removes the ones without a param. */
    const char *c2[] = {"<sip:b@192.0.2.1>", "<sip:a@192.0.2.1>;expires=60", NULL};
    sr_registrar_outcome oc;
    req = reg(RURI, AOR, "cid", 2, c2, "0");
    resp = handle(r, req, T0 + 1000, 200, &oc, NULL);
    contacts_of(resp, cs, sizeof cs);
    assert_string_equal(cs, "<sip:a@192.0.2.1>;expires=60|<sip:c@192.0.2.1>;expires=86399");
    assert_int_equal(oc.removed, 1);
    assert_int_equal(oc.refreshed, 1);
    sr_msg_free(resp);
    sr_msg_free(req);
    /* A bad Expires header → 400, nothing changes. */
    const char *c3[] = {"<sip:z@192.0.2.1>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 3, c3, "soon"), T0, 400, NULL);
    assert_int_equal(sr_registrar_binding_count(r), 2);
    sr_registrar_free(r);
}

static void test_min_expires_423(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    const char *c[] = {"<sip:a@192.0.2.1>;expires=3600", "<sip:b@192.0.2.1>;expires=30", NULL};
    sr_msg *req = reg(RURI, AOR, "cid", 1, c, NULL);
    sr_msg *resp = handle(r, req, T0, 423, NULL, NULL);
    const sr_header *h = sr_msg_header_find(resp, SR_HDR_MIN_EXPIRES, NULL);
    assert_non_null(h);
    assert_sr_str_eq(h->value, "60");
    sr_msg_free(resp);
    sr_msg_free(req);
    assert_int_equal(sr_registrar_binding_count(r), 0); /* all or nothing */
    /* 0 is a removal, never a 423 (RFC 3261 §10.3 step 7). */
    const char *c0[] = {"<sip:a@192.0.2.1>;expires=0", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 2, c0, NULL), T0, 200, NULL);
    /* the client's retry with Min-Expires succeeds */
    const char *c60[] = {"<sip:b@192.0.2.1>;expires=60", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 3, c60, NULL), T0, 200, NULL);
    assert_int_equal(sr_registrar_binding_count(r), 1);
    sr_registrar_free(r);
}

/* RFC 3261 §10.3: 423 only when the interval is also below one hour. */
static void tweak_min_2h(sr_registrar_config *c)
{
    c->min_expires = 7200;
}

static void test_min_expires_hour(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(tweak_min_2h);
    const char *c[] = {"<sip:a@192.0.2.1>;expires=3600", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 1, c, NULL), T0, 200, NULL);
    const char *c2[] = {"<sip:a@192.0.2.1>;expires=3599", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 2, c2, NULL), T0, 423, NULL);
    sr_registrar_free(r);
}

static void test_star(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    const char *c[] = {"<sip:a@192.0.2.1>", "<sip:b@192.0.2.2>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 1, c, NULL), T0, 200, NULL);
    const char *star[] = {"*", NULL};
    /* "*" without Expires, with a non-zero Expires, with another Contact: 400. */
    handle_free(r, reg(RURI, AOR, "cid", 2, star, NULL), T0, 400, NULL);
    handle_free(r, reg(RURI, AOR, "cid", 3, star, "60"), T0, 400, NULL);
    const char *star2[] = {"*", "<sip:c@192.0.2.3>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 4, star2, "0"), T0, 400, NULL);
    const char *star3[] = {"*, <sip:c@192.0.2.3>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 5, star3, "0"), T0, 400, NULL);
    assert_int_equal(sr_registrar_binding_count(r), 2);
    /* same Call-ID, CSeq not higher → the removal fails with 500 */
    handle_free(r, reg(RURI, AOR, "cid", 1, star, "0"), T0, 500, NULL);
    assert_int_equal(sr_registrar_binding_count(r), 2);
    sr_registrar_outcome oc;
    handle_free(r, reg(RURI, AOR, "cid", 6, star, "0"), T0, 200, &oc);
    assert_int_equal(oc.removed, 2);
    assert_int_equal(oc.bindings, 0);
    assert_int_equal(sr_registrar_binding_count(r), 0);
    assert_int_equal(sr_registrar_aor_count(r), 0);
    assert_int_equal(sr_registrar_next_deadline(r), UINT64_MAX);
    sr_registrar_free(r);
}

static void test_call_id_cseq(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    const char *c[] = {"<sip:a@192.0.2.1>", NULL};
    handle_free(r, reg(RURI, AOR, "cid-A", 10, c, NULL), T0, 200, NULL);
    /* Same Call-ID, same or lower CSeq: the update fails with 500 (RFC 3261 §10.3 step 7 and the paragraph after it). */
    handle_free(r, reg(RURI, AOR, "cid-A", 10, c, "100"), T0 + 1, 500, NULL);
    handle_free(r, reg(RURI, AOR, "cid-A", 9, c, "100"), T0 + 1, 500, NULL);
    sr_binding b[2];
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0 + 1, b, 2), 1);
    assert_int_equal(b[0].expires_at, T0 + 3600000); /* unchanged */
    /* Another Call-ID (the UA rebooted): updated whatever its CSeq. */
    sr_registrar_outcome oc;
    handle_free(r, reg(RURI, AOR, "cid-B", 1, c, "100"), T0 + 2, 200, &oc);
    assert_int_equal(oc.refreshed, 1);
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0 + 2, b, 2), 1);
    assert_int_equal(b[0].expires_at, T0 + 2 + 100000);
    assert_sr_str_eq(b[0].call_id, "cid-B");
    /* Higher CSeq, same Call-ID: refreshed. */
    handle_free(r, reg(RURI, AOR, "cid-B", 2, c, "200"), T0 + 3, 200, &oc);
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0 + 3, b, 2), 1);
    assert_int_equal(b[0].cseq, 2);
    /* A failing binding aborts the whole request: a new contact is not added either. */
    const char *c2[] = {"<sip:new@192.0.2.9>", "<sip:a@192.0.2.1>", NULL};
    handle_free(r, reg(RURI, AOR, "cid-B", 2, c2, NULL), T0 + 4, 500, NULL);
    assert_int_equal(sr_registrar_binding_count(r), 1);
    sr_registrar_free(r);
}

static void test_q_values_and_order(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    const char *c[] = {"<sip:low@192.0.2.1>;q=0.1", "<sip:none@192.0.2.2>",
                       "\"Mid\" <sip:mid@192.0.2.3>;q=0.5;+sip.instance=\"<urn:uuid:1>\"",
                       "<sip:top@192.0.2.4>;q=1.0", NULL};
    sr_msg *req = reg(RURI, AOR, "cid", 1, c, NULL);
    sr_msg *resp = handle(r, req, T0, 200, NULL, NULL);
    char cs[1024];
    contacts_of(resp, cs, sizeof cs);
    assert_string_equal(cs, "<sip:low@192.0.2.1>;expires=3600;q=0.1|"
                            "<sip:none@192.0.2.2>;expires=3600|"
                            "<sip:mid@192.0.2.3>;expires=3600;q=0.5;+sip.instance=\"<urn:uuid:1>\"|"
                            "<sip:top@192.0.2.4>;expires=3600;q=1");
    sr_msg_free(resp);
    sr_msg_free(req);
    sr_binding b[4];
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0, b, 4), 4);
    /* highest q first; absent q counts as 1.0; ties keep registration order */
    assert_sr_str_eq(b[0].uri, "sip:none@192.0.2.2");
    assert_sr_str_eq(b[1].uri, "sip:top@192.0.2.4");
    assert_sr_str_eq(b[2].uri, "sip:mid@192.0.2.3");
    assert_sr_str_eq(b[3].uri, "sip:low@192.0.2.1");
    assert_int_equal(b[2].q, 500);
    assert_sr_str_eq(b[2].params, ";+sip.instance=\"<urn:uuid:1>\"");
    /* A short array gets the best ones; the count is still all of them. */
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0, b, 2), 4);
    assert_sr_str_eq(b[0].uri, "sip:none@192.0.2.2");
    assert_sr_str_eq(b[1].uri, "sip:top@192.0.2.4");
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0, NULL, 0), 4);
    sr_registrar_free(r);
}

static void test_expiry_in_time(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    const char *c[] = {"<sip:a@192.0.2.1>;expires=60", "<sip:b@192.0.2.1>;expires=120", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 1, c, NULL), T0, 200, NULL);
    const char *c2[] = {"<sip:x@192.0.2.7>;expires=90", NULL};
    handle_free(r, reg(RURI, "sip:bob@example.com", "cid2", 1, c2, NULL), T0, 200, NULL);
    assert_int_equal(sr_registrar_next_deadline(r), T0 + 60000);
    sr_binding b[4];
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0 + 59999, b, 4), 2);
    assert_int_equal(sr_registrar_lookup(r, SR_STR(AOR), T0 + 60000, b, 4), 1);
    assert_int_equal(b[0].expires, 60);
    assert_int_equal(sr_registrar_purge(r, T0 + 59999), 0);
    assert_int_equal(sr_registrar_purge(r, T0 + 60000), 1);
    assert_int_equal(sr_registrar_next_deadline(r), T0 + 90000);
    assert_int_equal(sr_registrar_purge(r, T0 + 90000), 1);
    assert_int_equal(sr_registrar_aor_count(r), 1);
    /* A query after expiry (no purge in between) no longer lists it. */
    sr_msg *req = reg(RURI, AOR, "cid3", 1, NULL, NULL);
    sr_msg *resp = handle(r, req, T0 + 120000, 200, NULL, NULL);
    assert_int_equal(sr_msg_header_count_id(resp, SR_HDR_CONTACT), 0);
    sr_msg_free(resp);
    sr_msg_free(req);
    assert_int_equal(sr_registrar_binding_count(r), 0);
    assert_int_equal(sr_registrar_next_deadline(r), UINT64_MAX);
    sr_registrar_free(r);
}

static void test_aor_canonical(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    sr_buf b;
    sr_buf_init(&b, tu_allocator());
    assert_int_equal(sr_registrar_aor(SR_STR("sip:%41lice@EXAMPLE.COM;user=phone?x=y"), &b), 0);
    assert_string_equal(b.p, "sip:Alice@example.com");
    b.len = 0;
    assert_int_equal(sr_registrar_aor(SR_STR("sips:bob:pw@Example.com:5061;transport=tls"), &b), 0);
    assert_string_equal(b.p, "sips:bob@example.com:5061");
    b.len = 0;
    assert_int_equal(sr_registrar_aor(SR_STR("tel:+15551234"), &b), SR_EBADMSG);
    sr_buf_cleanup(&b);
    const char *c[] = {"<sip:a@192.0.2.1>", NULL};
    handle_free(r, reg(RURI, "sip:%61lice@Example.COM;transport=udp", "cid", 1, c, NULL), T0, 200,
                NULL);
    sr_binding bb[2];
    assert_int_equal(sr_registrar_lookup(r, SR_STR("sip:alice@example.com"), T0, bb, 2), 1);
    assert_int_equal(sr_registrar_lookup(r, SR_STR("sip:ALICE@example.com"), T0, bb, 2), 0);
    assert_int_equal(sr_registrar_lookup(r, SR_STR("tel:+1"), T0, bb, 2), SR_EBADMSG);
    /* tel: To is not an AOR we serve: 404 (step 3). */
    handle_free(r, reg(RURI, "tel:+15551234", "cid", 2, c, NULL), T0, 404, NULL);
    /* URI equality of contacts (§19.1.4): a refresh with another case of the host. */
    sr_registrar_outcome oc;
    const char *c2[] = {"<sip:a@192.0.2.1;transport=UDP>", NULL};
    const char *c3[] = {"<sip:a@192.0.2.1;transport=udp>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 3, c2, NULL), T0, 200, &oc);
    assert_int_equal(oc.added, 1);
    handle_free(r, reg(RURI, AOR, "cid", 4, c3, NULL), T0, 200, &oc);
    assert_int_equal(oc.added, 0);
    assert_int_equal(oc.refreshed, 1);
    sr_registrar_free(r);
}

static void tweak_domains(sr_registrar_config *c)
{
    static const char *const d[] = {"example.com", NULL};
    c->domains = d;
}

static void test_domains_404(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(tweak_domains);
    const char *c[] = {"<sip:a@192.0.2.1>", NULL};
    handle_free(r, reg("sip:other.org", AOR, "cid", 1, c, NULL), T0, 404, NULL);
    handle_free(r, reg(RURI, "sip:alice@other.org", "cid", 2, c, NULL), T0, 404, NULL);
    handle_free(r, reg("sip:EXAMPLE.com", AOR, "cid", 3, c, NULL), T0, 200, NULL);
    sr_registrar_free(r);
}

static void tweak_limits(sr_registrar_config *c)
{
    c->max_aors = 1;
    c->max_bindings = 2;
}

static void test_limits_503(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(tweak_limits);
    const char *c[] = {"<sip:a@192.0.2.1>;expires=100", "<sip:b@192.0.2.1>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 1, c, NULL), T0, 200, NULL);
    const char *c3[] = {"<sip:c@192.0.2.1>", NULL};
    sr_msg *req = reg(RURI, AOR, "cid", 2, c3, NULL);
    sr_msg *resp = handle(r, req, T0, 503, NULL, NULL);
    const sr_header *ra = sr_msg_header_find(resp, SR_HDR_RETRY_AFTER, NULL);
    assert_non_null(ra);
    assert_sr_str_eq(ra->value, "100"); /* when the first binding expires */
    sr_msg_free(resp);
    sr_msg_free(req);
    /* replacing one with expires=0 in the same request fits */
    const char *c4[] = {"<sip:a@192.0.2.1>;expires=0", "<sip:c@192.0.2.1>", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 3, c4, NULL), T0, 200, NULL);
    handle_free(r, reg(RURI, "sip:bob@example.com", "cid", 1, c3, NULL), T0, 503, NULL);
    /* A hostile Contact list is refused at once, whatever its length (no quadratic work). */
    {
        size_t n = 3000;
        char **lines = calloc(n + 1, sizeof *lines);
        assert_non_null(lines);
        for (size_t i = 0; i < n; i++) {
            lines[i] = malloc(40);
            assert_non_null(lines[i]);
            snprintf(lines[i], 40, "<sip:u%zu@192.0.2.1>", i);
        }
        char *big = malloc(n * 40 + 1024);
        assert_non_null(big);
        size_t len = (size_t)sprintf(big, "REGISTER sip:example.com SIP/2.0\r\n"
                                          "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbig\r\n"
                                          "Max-Forwards: 70\r\nTo: <" AOR ">\r\n"
                                          "From: <" AOR ">;tag=1\r\nCall-ID: big\r\n"
                                          "CSeq: 1 REGISTER\r\nContact: ");
        for (size_t i = 0; i < n; i++) {
            len += (size_t)sprintf(big + len, "%s%s", i ? ", " : "", lines[i]);
            free(lines[i]);
        }
        free(lines);
        sprintf(big + len, "\r\nContent-Length: 0\r\n\r\n");
        sr_parse_opts po;
        sr_parse_opts_init(&po);
        po.alloc = tu_allocator();
        po.max_size = 1u << 20;
        sr_msg *m = NULL;
        assert_int_equal(sr_msg_parse(&m, big, strlen(big), &po, NULL), 0);
        free(big);
        handle_free(r, m, T0, 503, NULL);
    }
    /* a query for another AOR is fine */
    handle_free(r, reg(RURI, "sip:bob@example.com", "cid", 2, NULL, NULL), T0, 200, NULL);
    assert_int_equal(sr_registrar_aor_count(r), 1);
    sr_registrar_free(r);
}

static int count_cb(const sr_binding *b, void *user)
{
    size_t *n = user;
    (*n)++;
    return b->expires > 0 ? 0 : -1;
}

static int stop_cb(const sr_binding *b, void *user)
{
    (void)b;
    (void)user;
    return 42;
}

static void test_foreach_remove_and_errors(void **state)
{
    (void)state;
    sr_registrar *r = new_reg(NULL);
    const char *c[] = {"<sip:a@192.0.2.1>", "<sip:b@192.0.2.1>;expires=60", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 1, c, NULL), T0, 200, NULL);
    handle_free(r, reg(RURI, "sip:bob@example.com", "cid", 1, c, NULL), T0, 200, NULL);
    size_t n = 0;
    assert_int_equal(sr_registrar_foreach(r, T0, count_cb, &n), 0);
    assert_int_equal(n, 4);
    n = 0;
    assert_int_equal(sr_registrar_foreach(r, T0 + 60000, count_cb, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(sr_registrar_foreach(r, T0, stop_cb, NULL), 42);
    assert_int_equal(sr_registrar_remove_aor(r, SR_STR("sip:BOB@example.com")), 0);
    assert_int_equal(sr_registrar_remove_aor(r, SR_STR("sip:bob@EXAMPLE.com")), 2);
    assert_int_equal(sr_registrar_binding_count(r), 2);
    /* A bad Contact → 400; a non-REGISTER → SR_EINVAL. */
    const char *bad[] = {"<sip:a@192.0.2.1", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 9, bad, NULL), T0, 400, NULL);
    const char *badq[] = {"<sip:a@192.0.2.1>;q=2", NULL};
    handle_free(r, reg(RURI, AOR, "cid", 9, badq, NULL), T0, 400, NULL);
    sr_msg *inv = tu_parse("INVITE sip:a@example.com SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
                           "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=1\r\n"
                           "Call-ID: x\r\nCSeq: 1 INVITE\r\nContact: <sip:b@h>\r\n"
                           "Content-Length: 0\r\n\r\n",
                           tu_allocator());
    sr_msg *resp = NULL;
    assert_int_equal(sr_registrar_handle(r, inv, T0, NULL, &resp, NULL), SR_EINVAL);
    assert_null(resp);
    sr_msg_free(inv);
    sr_registrar_config cfg;
    sr_registrar_config_init(&cfg);
    cfg.min_expires = 100000;
    sr_registrar *bad_r = NULL;
    assert_int_equal(sr_registrar_new(&bad_r, &cfg), SR_EINVAL);
    sr_registrar_free(r);
    sr_registrar_free(NULL);
}

/* ------------------------------------------------------------------ randomized vs model */

#define M_AORS 3
#define M_CTS  4
#define M_MAXB 3
#define M_MAXA 2

typedef struct mb {
    bool on;
    unsigned call_id;
    unsigned cseq;
    uint64_t exp;
} mb;

typedef struct model {
    mb b[M_AORS][M_CTS];
} model;

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void tweak_model(sr_registrar_config *c)
{
    c->max_aors = M_MAXA;
    c->max_bindings = M_MAXB;
}

static size_t model_live(const model *m, size_t a, uint64_t now)
{
    size_t n = 0;
    for (size_t k = 0; k < M_CTS; k++)
        n += m->b[a][k].on && m->b[a][k].exp > now;
    return n;
}

/* The model's answer; applies the change on 200. */
static unsigned model_apply(model *m, size_t a, unsigned cid, unsigned cseq, bool star,
                            const int *cts, const long *cexp, size_t n, long hexp, uint64_t now)
{
    if (star) {
        if (n != 0 || hexp != 0)
            return 400;
        for (size_t k = 0; k < M_CTS; k++) {
            mb *b = &m->b[a][k];
            if (b->on && b->exp > now && b->call_id == cid && cseq <= b->cseq)
                return 500;
        }
        memset(m->b[a], 0, sizeof m->b[a]);
        return 200;
    }
    long eff[M_CTS];
    for (size_t i = 0; i < n; i++) {
        long e = cexp[i] >= 0 ? cexp[i] : hexp >= 0 ? hexp : 3600;
        if (e > 0 && e < 60)
            return 423;
        eff[i] = e > 86400 ? 86400 : e;
    }
    mb next[M_CTS];
    memcpy(next, m->b[a], sizeof next);
    for (size_t k = 0; k < M_CTS; k++)
        if (next[k].on && next[k].exp <= now)
            next[k].on = false;
    for (size_t i = 0; i < n; i++) {
        mb *b = &next[cts[i]];
        if (b->on && b->call_id == cid && cseq <= b->cseq)
            return 500;
        if (eff[i] == 0) {
            b->on = false;
        } else {
            b->on = true;
            b->call_id = cid;
            b->cseq = cseq;
            b->exp = now + (uint64_t)eff[i] * 1000;
        }
    }
    size_t live = 0;
    for (size_t k = 0; k < M_CTS; k++)
        live += next[k].on;
    if (live > M_MAXB)
        return 503;
    if (live && model_live(m, a, now) == 0) {
        size_t aors = 0;
        for (size_t x = 0; x < M_AORS; x++)
            aors += x != a && model_live(m, x, now) > 0;
        /* the table also counts AORs whose bindings expired but were not purged: the test
         * purges before each request so both agree */
        if (aors >= M_MAXA)
            return 503;
    }
    memcpy(m->b[a], next, sizeof next);
    return 200;
}

static void test_random_vs_model(void **state)
{
    (void)state;
    static const long exps[] = {-1, 0, 30, 60, 100, 3600, 100000};
    size_t seen[6] = {0}; /* 200 400 423 500 503 other */
    for (uint64_t seed = 1; seed <= 6; seed++) {
        uint64_t s = seed * 0x9e3779b97f4a7c15ull;
        sr_registrar *r = new_reg(tweak_model);
        model m;
        memset(&m, 0, sizeof m);
        uint64_t now = T0;
        unsigned cseqs[2] = {1, 1};
        for (int step = 0; step < 400; step++) {
            now += rng_next(&s) % 40000;
            sr_registrar_purge(r, now);
            size_t a = rng_next(&s) % M_AORS;
            unsigned cid = (unsigned)(rng_next(&s) % 2);
            unsigned cseq = cseqs[cid];
            if (rng_next(&s) % 5 == 0)
                cseq = cseq > 1 ? cseq - 1 : cseq; /* sometimes stale */
            else
                cseqs[cid] = ++cseq;
            bool star = rng_next(&s) % 12 == 0;
            size_t n = star ? (size_t)(rng_next(&s) % 3 == 0) : (size_t)(rng_next(&s) % 4);
            int cts[M_CTS];
            long cexp[M_CTS];
            char lines[M_CTS + 2][96];
            const char *cl[M_CTS + 2];
            size_t nl = 0;
            unsigned used = 0;
            if (star)
                cl[nl++] = "*";
            for (size_t i = 0; i < n; i++) {
                int k;
                do
                    k = (int)(rng_next(&s) % M_CTS);
                while (used & (1u << k));
                used |= 1u << k;
                cts[i] = k;
                cexp[i] = exps[rng_next(&s) % 7];
                if (cexp[i] >= 0)
                    snprintf(lines[nl], sizeof lines[nl], "<sip:c%d@192.0.2.%d>;expires=%ld", k,
                             k + 1, cexp[i]);
                else
                    snprintf(lines[nl], sizeof lines[nl], "<sip:c%d@192.0.2.%d>", k, k + 1);
                cl[nl] = lines[nl];
                nl++;
            }
            cl[nl] = NULL;
            long hexp = exps[rng_next(&s) % 7];
            char hbuf[24];
            snprintf(hbuf, sizeof hbuf, "%ld", hexp);
            char to[64], cidbuf[16];
            snprintf(to, sizeof to, "sip:user%zu@example.com", a);
            snprintf(cidbuf, sizeof cidbuf, "call-%u", cid);
            unsigned want = model_apply(&m, a, cid, cseq, star, cts, cexp, n, hexp, now);
            sr_msg *req = reg(RURI, to, cidbuf, cseq, cl, hexp >= 0 ? hbuf : NULL);
            handle_free(r, req, now, want, NULL);
            seen[want == 200   ? 0
                 : want == 400 ? 1
                 : want == 423 ? 2
                 : want == 500 ? 3
                 : want == 503 ? 4
                               : 5]++;
            /* The tables agree, binding by binding. */
            for (size_t x = 0; x < M_AORS; x++) {
                char aor[64];
                snprintf(aor, sizeof aor, "sip:user%zu@example.com", x);
                sr_binding b[M_CTS + 1];
                ptrdiff_t got = sr_registrar_lookup(r, sr_str_from_cstr(aor), now, b, M_CTS + 1);
                assert_int_equal(got, (ptrdiff_t)model_live(&m, x, now));
                for (ptrdiff_t i = 0; i < got; i++) {
                    int k = b[i].uri.p[5] - '0';
                    assert_true(k >= 0 && k < M_CTS);
                    assert_true(m.b[x][k].on);
                    assert_int_equal(b[i].expires_at, m.b[x][k].exp);
                    assert_int_equal(b[i].cseq, m.b[x][k].cseq);
                }
            }
        }
        sr_registrar_free(r);
    }
    /* every decision was exercised */
    print_message("random: 200=%zu 400=%zu 423=%zu 500=%zu 503=%zu\n", seen[0], seen[1], seen[2],
                  seen[3], seen[4]);
    for (size_t i = 0; i < 5; i++)
        assert_true(seen[i] > 0);
    assert_int_equal(seen[5], 0);
}

/* ------------------------------------------------------------------ allocation failures */

static int reg_scenario(const sr_allocator *a, void *ctx)
{
    (void)ctx;
    sr_registrar_config c;
    sr_registrar_config_init(&c);
    c.alloc = a;
    static const char *const d[] = {"example.com", NULL};
    c.domains = d;
    sr_registrar *r = NULL;
    int rc = sr_registrar_new(&r, &c);
    if (rc)
        return rc;
    static const char *const reqs[] = {
        "Contact: <sip:a@192.0.2.1>;q=0.5, <sip:b@192.0.2.2>;expires=60\r\nExpires: 300\r\n",
        "Contact: <sip:a@192.0.2.1>;expires=0, <sip:c@192.0.2.3>;+sip.instance=\"<x>\"\r\n",
        "",
        "Contact: <sip:d@192.0.2.4>;expires=10\r\n",
        "Contact: *\r\nExpires: 0\r\n",
    };
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = a;
    sr_build_opts bo;
    sr_build_opts_init(&bo);
    bo.alloc = a;
    sr_registrar_opts o;
    sr_registrar_opts_init(&o);
    o.build = &bo;
    o.date = SR_STR("Sat, 28 Nov 2026 14:00:00 GMT");
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0] && !rc; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf,
                 "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK%zu\r\n"
                 "Max-Forwards: 70\r\nTo: <sip:alice@example.com>\r\n"
                 "From: <sip:alice@example.com>;tag=1\r\nCall-ID: sweep\r\nCSeq: %zu REGISTER\r\n"
                 "%sContent-Length: 0\r\n\r\n",
                 i, i + 1, reqs[i]);
        sr_msg *req = NULL, *resp = NULL;
        if ((rc = sr_msg_parse(&req, buf, strlen(buf), &po, NULL)) != 0)
            break;
        size_t before = sr_registrar_binding_count(r);
        sr_registrar_outcome oc;
        rc = sr_registrar_handle(r, req, T0 + i * 1000, &o, &resp, &oc);
        if (rc == 0 && oc.code == 500) {
            /* out of memory inside: answered 500, and the table did not change */
            if (sr_registrar_binding_count(r) != before)
                rc = SR_EINVAL;
            else
                rc = SR_ENOMEM;
        } else if (rc == 0 && oc.code != 200 && oc.code != 423) {
            rc = SR_EINVAL;
        }
        sr_msg_free(resp);
        sr_msg_free(req);
        if (rc == 0) {
            sr_binding b[4];
            ptrdiff_t nb = sr_registrar_lookup(r, SR_STR("sip:alice@example.com"), T0, b, 4);
            if (nb < 0)
                rc = (int)nb;
        }
    }
    sr_registrar_free(r);
    return rc;
}

static void test_registrar_failure_sweep(void **state)
{
    (void)state;
    assert_true(tu_failure_sweep(reg_scenario, NULL) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_register_and_query),
        TU_TEST(test_build_options),
        TU_TEST(test_repeated_contact),
        TU_TEST(test_expires_sources),
        TU_TEST(test_min_expires_423),
        TU_TEST(test_min_expires_hour),
        TU_TEST(test_star),
        TU_TEST(test_call_id_cseq),
        TU_TEST(test_q_values_and_order),
        TU_TEST(test_expiry_in_time),
        TU_TEST(test_aor_canonical),
        TU_TEST(test_domains_404),
        TU_TEST(test_limits_503),
        TU_TEST(test_foreach_remove_and_errors),
        TU_TEST(test_random_vs_model),
        TU_TEST(test_registrar_failure_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
