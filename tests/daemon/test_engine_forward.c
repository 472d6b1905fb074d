/* sipreplyd: the forward action in simulated time — the engine forks a request, the test
 * plays the branches (answers built for the very copies the engine sent) and checks, to the
 * millisecond, what goes upstream, the CANCELs and ACKs to the branches, serial forking with
 * a branch timeout, and the log line; calls to the registrar's bindings with a 3xx recursed
 * on; then sweeps allocation failures over a fork, and over those, for leaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_harness.h"
#include "testutil.h"

static sd_engine *engine_from(const char *yaml, eh_cap *c, const sr_allocator *alloc)
{
    sd_engine_opts o = eh_opts(c, 42);
    o.alloc = alloc;
    return eh_engine_try(yaml, &o);
}

static void feed_from(sd_engine *e, eh_cap *c, const char *msg, const char *host, uint16_t port)
{
    sr_addr a = eh_addr(host, port, SR_TP_UDP, 0);
    eh_receive(e, msg, &a, c->now);
}

static const char invite[] = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKcaller1;rport\r\n"
                             "Max-Forwards: 70\r\n"
                             "From: <sip:alice@127.0.0.1>;tag=ft1\r\n"
                             "To: <sip:bob@127.0.0.1>\r\n"
                             "Call-ID: fwd-1\r\n"
                             "CSeq: 1 INVITE\r\n"
                             "Contact: <sip:alice@127.0.0.1:5062>\r\n"
                             "Content-Length: 0\r\n\r\n";

static const char cancel[] = "CANCEL sip:bob@127.0.0.1 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKcaller1;rport\r\n"
                             "Max-Forwards: 70\r\n"
                             "From: <sip:alice@127.0.0.1>;tag=ft1\r\n"
                             "To: <sip:bob@127.0.0.1>\r\n"
                             "Call-ID: fwd-1\r\n"
                             "CSeq: 1 CANCEL\r\n"
                             "Reason: SIP;cause=480\r\n"
                             "Content-Length: 0\r\n\r\n";

/* The last message sent to @p port starting with @p first (NULL: none). */
static const eh_sent *sent_to(const eh_cap *c, uint16_t port, const char *first)
{
    const eh_sent *r = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (c->s[i].to.port == port && strncmp(c->s[i].data, first, strlen(first)) == 0)
            r = &c->s[i];
    return r;
}

static size_t count_to(const eh_cap *c, uint16_t port, const char *first)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += c->s[i].to.port == port && strncmp(c->s[i].data, first, strlen(first)) == 0;
    return n;
}

/* The responses sent upstream (to the caller, port 5062), "180,200". */
static const char *upstream(const eh_cap *c)
{
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        if (c->s[i].to.port != 5062 || strncmp(c->s[i].data, "SIP/2.0 ", 8) != 0)
            continue;
        char one[8];
        snprintf(one, sizeof(one), "%s%.3s", buf[0] ? "," : "", c->s[i].data + 8);
        strcat(buf, one);
    }
    return buf;
}

/* Branch at @p port answers @p code to the INVITE the engine sent it (To tag @p tag), with
 * Contact @p contact. */
static void answer_contact(sd_engine *e, eh_cap *c, uint16_t port, unsigned code, const char *tag,
                           const char *contact)
{
    const eh_sent *s = sent_to(c, port, "INVITE ");
    assert_non_null(s);
    sr_msg *req = NULL, *resp = NULL;
    assert_int_equal(sr_msg_parse(&req, s->data, strlen(s->data), NULL, NULL), 0);
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags = SR_BUILD_DEFAULTS;
    o.to_tag = sr_str_from_cstr(tag);
    const char *const contacts[] = {contact, NULL};
    sr_build_policy pol;
    sr_build_policy_init(&pol);
    pol.contacts = contacts;
    o.policy = &pol;
    assert_int_equal(sr_build_response(&resp, req, code, &o, NULL), 0);
    sr_buf b;
    sr_buf_init(&b, NULL);
    assert_int_equal(sr_msg_print(resp, &b), 0);
    char *text = malloc(b.len + 1);
    memcpy(text, b.p, b.len);
    text[b.len] = '\0';
    feed_from(e, c, text, "127.0.0.1", port);
    free(text);
    sr_buf_cleanup(&b);
    sr_msg_free(resp);
    sr_msg_free(req);
}

static void answer(sd_engine *e, eh_cap *c, uint16_t port, unsigned code, const char *tag)
{
    answer_contact(e, c, port, code, tag, "sip:callee@127.0.0.1");
}

static const char two[] = "rules:\n"
                          "  - name: fork\n"
                          "    forward: [\"sip:a@127.0.0.1:5071\", \"sip:b@127.0.0.1:5072\"]\n";

/* 486 and 404 within the class: the first received goes up (§16.7 step 6, "MAY select
 * any"); each branch gets its ACK (hop by hop, §17.1.1.3); the log names both. */
static void t_first_in_class(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(two, &c, NULL);
    feed_from(e, &c, invite, "127.0.0.1", 5062);
    assert_int_equal(count_to(&c, 5071, "INVITE sip:a@127.0.0.1:5071 "), 1);
    assert_int_equal(count_to(&c, 5072, "INVITE sip:b@127.0.0.1:5072 "), 1);
    assert_non_null(strstr(sent_to(&c, 5071, "INVITE")->data, "Max-Forwards: 69\r\n"));
    c.now = 10;
    answer(e, &c, 5072, 404, "b1");
    assert_string_equal(upstream(&c), "");
    c.now = 20;
    answer(e, &c, 5071, 486, "a1");
    eh_advance(e, &c.now, 30);
    assert_string_equal(upstream(&c), "404");
    assert_int_equal(count_to(&c, 5071, "ACK "), 1);
    assert_int_equal(count_to(&c, 5072, "ACK "), 1);
    assert_int_equal(c.last_code, 404);
    assert_string_equal(c.last_note,
                        "branches: 486 sip:a@127.0.0.1:5071, 404 sip:b@127.0.0.1:5072; "
                        "sent 404");
    assert_int_equal(sd_engine_pending(e), 0);
    eh_finish(e, &c, 100000);
}

/* 180 on one branch, 200 on the other: both go up; the ringing branch is CANCELled with
 * Reason cause=200 (§16.7 step 10, RFC 3326); its 487 is ACKed, not forwarded. */
static void t_200_cancels_with_reason(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(two, &c, NULL);
    feed_from(e, &c, invite, "127.0.0.1", 5062);
    c.now = 10;
    answer(e, &c, 5071, 180, "a1");
    c.now = 50;
    answer(e, &c, 5072, 200, "b1");
    const eh_sent *cn = sent_to(&c, 5071, "CANCEL ");
    assert_non_null(cn);
    assert_int_equal(cn->at, 50);
    assert_non_null(
        strstr(cn->data, "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n"));
    assert_null(sent_to(&c, 5072, "CANCEL "));
    c.now = 60;
    answer(e, &c, 5071, 487, "a1");
    assert_int_equal(count_to(&c, 5071, "ACK "), 1);
    assert_string_equal(upstream(&c), "180,200");
    assert_string_equal(c.last_note,
                        "branches: 487 sip:a@127.0.0.1:5071, 200 sip:b@127.0.0.1:5072; "
                        "sent 200");
    eh_finish(e, &c, 100000);
}

/* Serial forking with a branch timeout: the q=1 target is silent; at 2 s it counts as 408,
 * its CANCEL waits for a provisional that never comes (§9.1), the q=0.5 target is asked at
 * exactly 2000 ms and its 486 goes up (a received 4xx ranks before a made-up 408). */
static void t_serial_timeout(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - name: hunt\n"
                               "    forward:\n"
                               "      mode: sequential\n"
                               "      branch-timeout: 2s\n"
                               "      targets: [{uri: \"sip:a@127.0.0.1:5071\", q: 1},\n"
                               "                {uri: \"sip:b@127.0.0.1:5072\", q: 0.5}]\n",
                               &c, NULL);
    feed_from(e, &c, invite, "127.0.0.1", 5062);
    assert_null(sent_to(&c, 5072, "INVITE "));
    eh_advance(e, &c.now, 1999);
    assert_null(sent_to(&c, 5072, "INVITE "));
    eh_advance(e, &c.now, 2000);
    assert_non_null(sent_to(&c, 5072, "INVITE "));
    assert_int_equal(sent_to(&c, 5072, "INVITE ")->at, 2000);
    assert_null(sent_to(&c, 5071, "CANCEL ")); /* no provisional: held */
    c.now = 2100;
    answer(e, &c, 5072, 486, "b1");
    assert_string_equal(upstream(&c), "100,486");
    assert_string_equal(c.last_note, "branches: 408 sip:a@127.0.0.1:5071 timeout, 486 "
                                     "sip:b@127.0.0.1:5072; sent 486");
    eh_advance(e, &c.now, 200000);
    assert_int_equal(sd_engine_transactions(e), 0);
    assert_int_equal(sd_engine_next_deadline(e), UINT64_MAX);
    sd_engine_free(e);
    eh_cap_clear(&c);
}

/* A CANCEL from the caller: 200 to it, no 487 of the stack's own; each ringing branch gets a
 * CANCEL with the caller's Reason (§16.10, RFC 3326); their 487s decide the final. */
static void t_caller_cancel(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(two, &c, NULL);
    feed_from(e, &c, invite, "127.0.0.1", 5062);
    c.now = 10;
    answer(e, &c, 5071, 180, "a1");
    answer(e, &c, 5072, 183, "b1");
    c.now = 500;
    feed_from(e, &c, cancel, "127.0.0.1", 5062);
    assert_string_equal(upstream(&c), "180,183,200");
    for (uint16_t p = 5071; p <= 5072; p++)
        assert_non_null(strstr(sent_to(&c, p, "CANCEL ")->data, "Reason: SIP;cause=480\r\n"));
    c.now = 510;
    answer(e, &c, 5071, 487, "a1");
    assert_string_equal(upstream(&c), "180,183,200");
    c.now = 520;
    answer(e, &c, 5072, 487, "b1");
    assert_string_equal(upstream(&c), "180,183,200,487");
    assert_non_null(strstr(c.last_note, "; sent 487, cancelled"));
    eh_finish(e, &c, 100000);
}

/* A delay rewrite holds responses back in order; a branch sending provisionals without end
 * fills the hold to its bound (32) and no further, while its final still goes up after them. */
static void t_hold_bounded(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - name: hold\n"
                               "    forward:\n"
                               "      targets: [\"sip:a@127.0.0.1:5071\"]\n"
                               "      rewrite: [{code: 1xx, delay: 10s}]\n",
                               &c, NULL);
    feed_from(e, &c, invite, "127.0.0.1", 5062);
    c.now = 10;
    for (int i = 0; i < 40; i++)
        answer(e, &c, 5071, 180, "a1");
    answer(e, &c, 5071, 486, "a1");
    eh_advance(e, &c.now, 10009);
    assert_string_equal(upstream(&c), "100");
    eh_advance(e, &c.now, 10010);
    char want[512] = "100";
    for (int i = 0; i < 32; i++)
        strcat(want, ",180");
    strcat(want, ",486");
    assert_string_equal(upstream(&c), want);
    eh_finish(e, &c, 100000);
}

/* ------------------------------------------------------------------ location, recursion */

static const char registrar_proxy[] = "rules:\n"
                                      "  - name: register\n"
                                      "    match: {method: REGISTER}\n"
                                      "    register: {}\n"
                                      "  - name: loc\n"
                                      "    forward: {location: true, recurse: 1}\n";

static const char reg[] =
    "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKreg1;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:bob@127.0.0.1>;tag=r1\r\n"
    "To: <sip:bob@127.0.0.1>\r\n"
    "Call-ID: reg-1\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:bob@127.0.0.1:5071>;q=0.5, <sip:bob2@127.0.0.1:5072>;q=1\r\n"
    "Expires: 600\r\n"
    "Content-Length: 0\r\n\r\n";

/* The two contacts bob registered get the INVITE at once, each at its own Request-URI
 * (§16.5, §16.6 step 2); the q=1 one answers 302 and its Contact becomes a third branch
 * (§16.7 step 4), whose 200 goes up; the 302 itself does not. An AOR without a binding
 * gets 480 (§16.5). */
static void t_location_recurse(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from(registrar_proxy, &c, NULL);
    feed_from(e, &c, reg, "127.0.0.1", 5062);
    assert_string_equal(upstream(&c), "200");
    eh_cap_clear(&c);
    c.now = 5;
    feed_from(e, &c, invite, "127.0.0.1", 5062);
    assert_int_equal(count_to(&c, 5071, "INVITE sip:bob@127.0.0.1:5071 "), 1);
    assert_int_equal(count_to(&c, 5072, "INVITE sip:bob2@127.0.0.1:5072 "), 1);
    c.now = 10;
    answer_contact(e, &c, 5072, 302, "b1", "sip:carol@127.0.0.1:5073");
    assert_int_equal(count_to(&c, 5073, "INVITE sip:carol@127.0.0.1:5073 "), 1);
    assert_int_equal(sent_to(&c, 5073, "INVITE ")->at, 10);
    c.now = 20;
    answer(e, &c, 5071, 486, "a1");
    assert_string_equal(upstream(&c), "");
    c.now = 30;
    answer(e, &c, 5073, 200, "c1");
    assert_string_equal(upstream(&c), "200");
    assert_string_equal(c.last_note,
                        "branches: 302 sip:bob2@127.0.0.1:5072, 486 "
                        "sip:bob@127.0.0.1:5071, 200 sip:carol@127.0.0.1:5073; sent 200");
    /* recurse: 1 — a 302 from the recursed branch would not be followed */
    eh_cap_clear(&c);
    static const char nobody[] = "INVITE sip:nobody@127.0.0.1 SIP/2.0\r\n"
                                 "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKnb;rport\r\n"
                                 "Max-Forwards: 70\r\n"
                                 "From: <sip:alice@127.0.0.1>;tag=ft2\r\n"
                                 "To: <sip:nobody@127.0.0.1>\r\n"
                                 "Call-ID: fwd-2\r\n"
                                 "CSeq: 1 INVITE\r\n"
                                 "Contact: <sip:alice@127.0.0.1:5062>\r\n"
                                 "Content-Length: 0\r\n\r\n";
    feed_from(e, &c, nobody, "127.0.0.1", 5062);
    assert_string_equal(upstream(&c), "480");
    assert_string_equal(c.last_note, "no binding for the address-of-record");
    eh_advance(e, &c.now, 400000);
    assert_int_equal(sd_engine_transactions(e), 0);
    assert_int_equal(sd_engine_pending(e), 0);
    sd_engine_free(e);
    eh_cap_clear(&c);
}

/* Branch at @p port answers the INVITE the engine sent it with a 302 whose Contact header
 * is @p contacts as written (q-values and all). */
static void answer_302(sd_engine *e, eh_cap *c, uint16_t port, const char *contacts)
{
    const eh_sent *s = sent_to(c, port, "INVITE ");
    assert_non_null(s);
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof(text), "SIP/2.0 302 Moved Temporarily\r\n");
    static const char *const keep[] = {"Via:", "From:", "To:", "Call-ID:", "CSeq:"};
    for (const char *l = strstr(s->data, "\r\n") + 2; *l && strncmp(l, "\r\n", 2) != 0;
         l = strstr(l, "\r\n") + 2) {
        size_t len = (size_t)(strstr(l, "\r\n") - l);
        for (size_t k = 0; k < 5; k++)
            if (!strncmp(l, keep[k], strlen(keep[k])))
                n += (size_t)snprintf(text + n, sizeof(text) - n, "%.*s%s\r\n", (int)len, l,
                                      k == 2 ? ";tag=r302" : "");
    }
    snprintf(text + n, sizeof(text) - n, "Contact: %s\r\nContent-Length: 0\r\n\r\n", contacts);
    feed_from(e, c, text, "127.0.0.1", port);
}

/* Sequential mode: a 3xx's Contacts are tried by their q-values, those of equal q together
 * (§16.6): 0.9 and 0.9 at once, 0.5 once both have their final. */
static void t_recurse_sequential_q(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - name: seq\n"
                               "    forward: {targets: \"sip:r@127.0.0.1:5071\", recurse: 1,\n"
                               "              mode: sequential}\n",
                               &c, NULL);
    feed_from(e, &c, invite, "127.0.0.1", 5062);
    c.now = 10;
    answer_302(e, &c, 5071,
               "<sip:low@127.0.0.1:5074>;q=0.5, <sip:x@127.0.0.1:5072>;q=0.9, "
               "<sip:y@127.0.0.1:5073>;q=0.9");
    assert_int_equal(count_to(&c, 5072, "INVITE sip:x@127.0.0.1:5072 "), 1);
    assert_int_equal(count_to(&c, 5073, "INVITE sip:y@127.0.0.1:5073 "), 1);
    assert_null(sent_to(&c, 5074, "INVITE "));
    c.now = 20;
    answer(e, &c, 5072, 486, "x1");
    assert_null(sent_to(&c, 5074, "INVITE "));
    c.now = 30;
    answer(e, &c, 5073, 404, "y1");
    assert_non_null(sent_to(&c, 5074, "INVITE sip:low@127.0.0.1:5074 "));
    assert_int_equal(sent_to(&c, 5074, "INVITE ")->at, 30);
    c.now = 40;
    answer(e, &c, 5074, 480, "l1");
    assert_string_equal(upstream(&c), "486");
    assert_string_equal(c.last_note,
                        "branches: 302 sip:r@127.0.0.1:5071, 486 sip:x@127.0.0.1:5072, "
                        "404 sip:y@127.0.0.1:5073, 480 sip:low@127.0.0.1:5074; sent 486");
    eh_finish(e, &c, 400000);
}

/* recurse: 1 — the 302 of the branch a 302 made is not followed: it goes up as it came, its
 * Contact kept, and beats a 486 of another branch (the lowest class, §16.7 step 6); the
 * first 302, recursed on, is no candidate (§16.7 step 4). */
static void t_recurse_bound(void **state)
{
    (void)state;
    eh_cap c = {0};
    sd_engine *e = engine_from("rules:\n"
                               "  - name: deep\n"
                               "    forward: {targets: [\"sip:r@127.0.0.1:5071\",\n"
                               "                        \"sip:b@127.0.0.1:5073\"], recurse: 1}\n",
                               &c, NULL);
    feed_from(e, &c, invite, "127.0.0.1", 5062);
    c.now = 10;
    answer_302(e, &c, 5071, "<sip:x@127.0.0.1:5072>");
    assert_non_null(sent_to(&c, 5072, "INVITE sip:x@127.0.0.1:5072 "));
    c.now = 20;
    answer(e, &c, 5073, 486, "b1");
    c.now = 30;
    answer_302(e, &c, 5072, "<sip:far@127.0.0.1:5079>");
    assert_null(sent_to(&c, 5079, "INVITE "));
    assert_string_equal(upstream(&c), "302");
    const eh_sent *up = sent_to(&c, 5062, "SIP/2.0 302 ");
    assert_non_null(strstr(up->data, "Contact: <sip:far@127.0.0.1:5079>\r\n"));
    assert_string_equal(c.last_note,
                        "branches: 302 sip:r@127.0.0.1:5071, 486 sip:b@127.0.0.1:5073, "
                        "302 sip:x@127.0.0.1:5072; sent 302");
    eh_finish(e, &c, 400000);
}

/* ------------------------------------------------------------------ failures */

/* Runs @p run with allocation 1, 2, ... refused in turn until a run makes no refused
 * allocation: none may leak. Returns the allocations of that run. */
static long sweep(void (*run)(const sr_allocator *a, long fail_at))
{
    for (long k = 1;; k++) {
        tu_alloc f;
        tu_alloc_init(&f);
        f.fail_at = k;
        run(&f.a, k);
        if (f.live != 0)
            fail_msg("allocation %ld failed: %ld block(s) leaked", k, f.live);
        if (f.total < k) /* nothing failed: the run is covered */
            return k - 1;
    }
}

/* A fork (180 + 200, a CANCEL with Reason, a 487) with allocation @p fail_at refused. */
static void run_fork(const sr_allocator *a, long fail_at)
{
    (void)fail_at;
    eh_cap c = {0};
    sd_engine *e = engine_from(two, &c, a);
    if (e) {
        feed_from(e, &c, invite, "127.0.0.1", 5062);
        c.now = 10;
        if (sent_to(&c, 5071, "INVITE "))
            answer(e, &c, 5071, 180, "a1");
        c.now = 50;
        if (sent_to(&c, 5072, "INVITE "))
            answer(e, &c, 5072, 200, "b1");
        c.now = 60;
        if (sent_to(&c, 5071, "CANCEL "))
            answer(e, &c, 5071, 487, "a1");
        eh_advance(e, &c.now, 400000);
        assert_int_equal(sd_engine_pending(e), 0);
        sd_engine_free(e);
    }
    eh_cap_clear(&c);
}

/* Every allocation of a fork fails in turn: no crash, no leak, nothing left pending once the
 * timers ran out. */
static void t_failure_sweep(void **state)
{
    (void)state;
    long n = sweep(run_fork);
    print_message("%ld allocations swept\n", n);
    assert_true(n >= 20);
}

/* A registration and a call to its bindings with a 302 recursed on, with allocation
 * @p fail_at refused. */
static void run_location(const sr_allocator *a, long fail_at)
{
    eh_cap c = {0};
    sd_engine *e = engine_from(registrar_proxy, &c, a);
    if (e) {
        feed_from(e, &c, reg, "127.0.0.1", 5062);
        c.now = 5;
        feed_from(e, &c, invite, "127.0.0.1", 5062);
        c.now = 10;
        if (sent_to(&c, 5072, "INVITE "))
            answer_contact(e, &c, 5072, 302, "b1", "sip:carol@127.0.0.1:5073");
        c.now = 20;
        if (sent_to(&c, 5071, "INVITE "))
            answer(e, &c, 5071, 486, "a1");
        c.now = 30;
        if (sent_to(&c, 5073, "INVITE "))
            answer(e, &c, 5073, 200, "c1");
        eh_advance(e, &c.now, 400000);
        if (sd_engine_pending(e) != 0)
            fail_msg("allocation %ld failed: a call still pending", fail_at);
        sd_engine_free(e);
    }
    eh_cap_clear(&c);
}

/* The same over a registration and a call to its bindings with a 302 recursed on. */
static void t_failure_sweep_location(void **state)
{
    (void)state;
    long n = sweep(run_location);
    print_message("%ld allocations swept\n", n);
    assert_true(n >= 20);
}

/* A target with {{user}}: the Request-URI's user as sr_uri_parse() gives it (the password
 * and the parameters left out, escapes kept, sips as sip), read without parsing the URI again
 * once the request checks (§16.3) passed. */
static void t_target_user(void **state)
{
    (void)state;
    static const char *const ruris[] = {"sip:bob@127.0.0.1", "sip:bob:secret@127.0.0.1",
                                        "sip:a%41b@127.0.0.1;transport=udp", "sips:carol@127.0.0.1",
                                        "SIP:Dave@127.0.0.1:5060"};
    static const char yaml[] = "rules:\n"
                               "  - name: fwd\n"
                               "    forward: \"sip:{{user}}@127.0.0.1:5071\"\n";
    for (size_t i = 0; i < sizeof ruris / sizeof ruris[0]; i++) {
        eh_cap c = {0};
        sd_engine *e = engine_from(yaml, &c, NULL);
        char req[1024];
        snprintf(req, sizeof req,
                 "INVITE %s SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKuser%zu;rport\r\n"
                 "Max-Forwards: 70\r\n"
                 "From: <sip:alice@127.0.0.1>;tag=ft1\r\n"
                 "To: <sip:bob@127.0.0.1>\r\n"
                 "Call-ID: fwd-user-%zu\r\n"
                 "CSeq: 1 INVITE\r\n"
                 "Content-Length: 0\r\n\r\n",
                 ruris[i], i, i);
        feed_from(e, &c, req, "127.0.0.1", 5062);
        sr_uri u;
        assert_int_equal(sr_uri_parse(&u, ruris[i], strlen(ruris[i]), NULL), 0);
        char want[128];
        snprintf(want, sizeof want, "INVITE sip:%.*s@127.0.0.1:5071 SIP/2.0\r\n", (int)u.user.len,
                 u.user.p);
        if (count_to(&c, 5071, want) != 1)
            fail_msg("%s: no \"%s\" sent", ruris[i], want);
        answer(e, &c, 5071, 486, "u1");
        assert_string_equal(upstream(&c), "486");
        eh_finish(e, &c, 100000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_first_in_class),   cmocka_unit_test(t_200_cancels_with_reason),
        cmocka_unit_test(t_serial_timeout),   cmocka_unit_test(t_caller_cancel),
        cmocka_unit_test(t_hold_bounded),     cmocka_unit_test(t_failure_sweep),
        cmocka_unit_test(t_location_recurse), cmocka_unit_test(t_recurse_sequential_q),
        cmocka_unit_test(t_recurse_bound),    cmocka_unit_test(t_failure_sweep_location),
        cmocka_unit_test(t_target_user),
    };
    return cmocka_run_group_tests_name("engine_forward", tests, NULL, NULL);
}
