/* sipreply tests: the transaction index (txn_match.c) with thousands of live transactions —
 * every message finds its own transaction by RFC 3261 §17.1.3 / §17.2.3 (branch, sent-by,
 * method; RFC 2543 fields without the magic cookie), merged requests (§8.2.2.2) and CANCEL
 * (§9.2) find theirs, terminated transactions leave the index, and a table that cannot grow
 * (allocation refused) still matches correctly. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define N_GROUPS 2000

static sr_addr peer(void)
{
    sr_addr a;
    assert_int_equal(sr_addr_set(&a, "192.0.2.1", 5060, SR_TP_UDP), 0);
    return a;
}

static sr_stack *new_stack(const sr_allocator *alloc)
{
    sr_config c;
    sr_config_default(&c);
    c.alloc = alloc;
    c.max_transactions = 4 * N_GROUPS + 100;
    c.seed = 7;
    sr_stack *s = NULL;
    assert_int_equal(sr_stack_new(&s, &c), 0);
    return s;
}

/* A request: @p branch NULL gives an RFC 2543 Via (no branch parameter). */
static size_t req_text(char *out, size_t cap, const char *method, const char *host, unsigned port,
                       const char *branch, const char *call_id, unsigned cseq,
                       const char *cseq_method, const char *to_tag)
{
    int n = snprintf(out, cap,
                     "%s sip:bob@example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s:%u%s%s\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:alice@example.com>;tag=f-%s\r\n"
                     "To: <sip:bob@example.com>%s%s\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %u %s\r\n"
                     "Contact: <sip:alice@192.0.2.1>\r\n"
                     "Content-Length: 0\r\n\r\n",
                     method, host, port, branch ? ";branch=" : "", branch ? branch : "", call_id,
                     to_tag ? ";tag=" : "", to_tag ? to_tag : "", call_id, cseq,
                     cseq_method ? cseq_method : method);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* What one input produced. */
typedef struct outcome {
    size_t requests, sends, others;
    sr_txn_id req_txn, req_related;
    sr_txn_id send_txn[4];
    unsigned send_status[4];
} outcome;

/* Drain the events; answer each new INVITE with 180 and each new non-INVITE (but CANCEL
 * and PRACK, which the stack answers) with 200, so a retransmission shows which
 * transaction it matched: the SEND of that transaction's last response. */
static void drain(sr_stack *s, outcome *o, uint64_t now)
{
    memset(o, 0, sizeof *o);
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0) {
        if (ev.kind == SR_EV_SEND) {
            if (o->sends < 4) {
                o->send_txn[o->sends] = ev.txn;
                o->send_status[o->sends] = ev.status;
            }
            o->sends++;
            continue;
        }
        if (ev.kind != SR_EV_REQUEST) {
            o->others++;
            continue;
        }
        o->requests++;
        o->req_txn = ev.txn;
        o->req_related = ev.related;
        sr_method m = sr_msg_method(ev.msg);
        if (ev.txn == 0 || m == SR_METHOD_CANCEL || m == SR_METHOD_PRACK || m == SR_METHOD_ACK)
            continue;
        sr_build_opts bo;
        sr_build_opts_init(&bo);
        bo.alloc = tu_allocator();
        sr_build_header contact = {SR_STR("Contact"), SR_STR("<sip:bob@192.0.2.2>")};
        bo.headers = &contact;
        bo.n_headers = 1;
        sr_msg *resp = NULL;
        assert_int_equal(
            sr_build_response(&resp, ev.msg, m == SR_METHOD_INVITE ? 180 : 200, &bo, NULL), 0);
        assert_int_equal(sr_stack_send_response(s, ev.txn, resp, 0, now), 0);
    }
}

static void rx(sr_stack *s, const char *text, size_t len, outcome *o, uint64_t now)
{
    sr_addr src = peer();
    assert_int_equal(sr_stack_receive(s, text, len, &src, now), 0);
    drain(s, o, now);
}

/* One new request: exactly one REQUEST event with a fresh transaction, and its answer. */
static sr_txn_id rx_new(sr_stack *s, const char *text, size_t len, uint64_t now)
{
    outcome o;
    rx(s, text, len, &o, now);
    assert_int_equal(o.requests, 1);
    assert_true(o.req_txn != 0);
    assert_int_equal(o.sends, 1);
    assert_int_equal(o.send_txn[0], o.req_txn);
    return o.req_txn;
}

/* A retransmission: no REQUEST, one SEND of transaction @p id's last response. */
static void rx_retrans(sr_stack *s, const char *text, size_t len, sr_txn_id id, unsigned status,
                       uint64_t now)
{
    outcome o;
    rx(s, text, len, &o, now);
    assert_int_equal(o.requests, 0);
    assert_int_equal(o.sends, 1);
    assert_int_equal(o.send_txn[0], id);
    assert_int_equal(o.send_status[0], status);
}

typedef struct group {
    sr_txn_id inv, other_host, options, rfc2543;
} group;

static void run_server_scenario(sr_stack *s, bool expect_all_gone)
{
    static group g[N_GROUPS];
    char t[1024], br[64], host[64], cid[64];
    size_t n;
    uint64_t now = 0;
    for (unsigned i = 0; i < N_GROUPS; i++) {
        snprintf(br, sizeof br, "z9hG4bKix-%u", i);
        snprintf(host, sizeof host, "pc%u.example.com", i);
        snprintf(cid, sizeof cid, "c%u", i);
        n = req_text(t, sizeof t, "INVITE", host, 5060, br, cid, 1, NULL, NULL);
        g[i].inv = rx_new(s, t, n, now);
        /* §17.2.3: the same branch from another sent-by is another transaction (here with
         * another Call-ID, or it would be a merged request) */
        if (i % 3 == 0) {
            snprintf(host, sizeof host, "pc%u.example.net", i);
            snprintf(cid, sizeof cid, "c%u-b", i);
            n = req_text(t, sizeof t, "INVITE", host, 5060, br, cid, 1, NULL, NULL);
            g[i].other_host = rx_new(s, t, n, now);
            assert_true(g[i].other_host != g[i].inv);
        }
        /* ... and so is the same branch and sent-by with another method */
        if (i % 3 == 1) {
            snprintf(host, sizeof host, "pc%u.example.com", i);
            snprintf(cid, sizeof cid, "c%u", i);
            n = req_text(t, sizeof t, "OPTIONS", host, 5060, br, cid, 1, NULL, NULL);
            g[i].options = rx_new(s, t, n, now);
            assert_true(g[i].options != g[i].inv);
        }
        /* RFC 2543 fallback: no branch at all */
        if (i % 5 == 0) {
            snprintf(host, sizeof host, "pc%u.example.com", i);
            snprintf(cid, sizeof cid, "old%u", i);
            n = req_text(t, sizeof t, "INVITE", host, 5060, NULL, cid, 1, NULL, NULL);
            g[i].rfc2543 = rx_new(s, t, n, now);
        }
    }
    size_t live = sr_stack_txn_count(s);
    assert_true(live > N_GROUPS);

    /* Retransmissions, in another order, each finds its own transaction. The sent-by host
     * is compared case-insensitively (§17.2.3 compares it as a host). */
    for (unsigned k = 0; k < N_GROUPS; k++) {
        unsigned i = (k * 7919u) % N_GROUPS;
        snprintf(br, sizeof br, "z9hG4bKix-%u", i);
        snprintf(host, sizeof host, "PC%u.Example.COM", i);
        snprintf(cid, sizeof cid, "c%u", i);
        n = req_text(t, sizeof t, "INVITE", host, 5060, br, cid, 1, NULL, NULL);
        rx_retrans(s, t, n, g[i].inv, 180, now);
        if (g[i].other_host != 0) {
            snprintf(host, sizeof host, "pc%u.example.net", i);
            snprintf(cid, sizeof cid, "c%u-b", i);
            n = req_text(t, sizeof t, "INVITE", host, 5060, br, cid, 1, NULL, NULL);
            rx_retrans(s, t, n, g[i].other_host, 180, now);
        }
        if (g[i].options != 0) {
            snprintf(host, sizeof host, "pc%u.example.com", i);
            n = req_text(t, sizeof t, "OPTIONS", host, 5060, br, cid, 1, NULL, NULL);
            rx_retrans(s, t, n, g[i].options, 200, now);
        }
        if (g[i].rfc2543 != 0) {
            snprintf(host, sizeof host, "pc%u.example.com", i);
            snprintf(cid, sizeof cid, "old%u", i);
            n = req_text(t, sizeof t, "INVITE", host, 5060, NULL, cid, 1, NULL, NULL);
            rx_retrans(s, t, n, g[i].rfc2543, 180, now);
        }
    }
    assert_int_equal(sr_stack_txn_count(s), live);

    /* Another port is another sent-by: a new transaction (another Call-ID, not merged). */
    n = req_text(t, sizeof t, "INVITE", "pc3.example.com", 5062, "z9hG4bKix-3", "c3-port", 1, NULL,
                 NULL);
    sr_txn_id port_txn = rx_new(s, t, n, now);
    assert_true(port_txn != g[3].inv);

    /* §8.2.2.2: same From tag, Call-ID and CSeq as a live transaction, new branch: 482. */
    for (unsigned i = 0; i < N_GROUPS; i += 97) {
        snprintf(br, sizeof br, "z9hG4bKmerged-%u", i);
        snprintf(host, sizeof host, "pc%u.example.com", i);
        snprintf(cid, sizeof cid, "c%u", i);
        n = req_text(t, sizeof t, "INVITE", host, 5060, br, cid, 1, NULL, NULL);
        outcome o;
        rx(s, t, n, &o, now);
        assert_int_equal(o.requests, 0);
        assert_int_equal(o.sends, 1);
        assert_int_equal(o.send_status[0], 482);
    }

    /* §9.2: a CANCEL reaches exactly its INVITE: 200 to it, 487 on that transaction. */
    for (unsigned i = 1; i < N_GROUPS; i += 89) {
        snprintf(br, sizeof br, "z9hG4bKix-%u", i);
        snprintf(host, sizeof host, "pc%u.example.com", i);
        snprintf(cid, sizeof cid, "c%u", i);
        n = req_text(t, sizeof t, "CANCEL", host, 5060, br, cid, 1, NULL, NULL);
        outcome o;
        rx(s, t, n, &o, now);
        assert_int_equal(o.requests, 1);
        assert_int_equal(o.req_related, g[i].inv);
        assert_int_equal(o.sends, 2);
        assert_int_equal(o.send_status[0], 200);
        assert_int_equal(o.send_txn[0], o.req_txn);
        assert_int_equal(o.send_status[1], 487);
        assert_int_equal(o.send_txn[1], g[i].inv);
    }
    /* A CANCEL for a branch nobody has: 481. */
    n = req_text(t, sizeof t, "CANCEL", "pc1.example.com", 5060, "z9hG4bKnobody", "c1", 1, NULL,
                 NULL);
    outcome o;
    rx(s, t, n, &o, now);
    assert_int_equal(o.sends, 1);
    assert_int_equal(o.send_status[0], 481);

    /* Finals for every INVITE still in Proceeding, then let every timer run out. */
    for (unsigned i = 0; i < N_GROUPS; i++) {
        sr_txn_id ids[3] = {g[i].inv, g[i].other_host, g[i].rfc2543};
        for (int k = 0; k < 3; k++) {
            sr_txn_state st;
            if (ids[k] == 0 || sr_stack_txn_state(s, ids[k], &st) != 0 || st != SR_TXN_PROCEEDING)
                continue;
            snprintf(br, sizeof br, "z9hG4bKix-%u", i);
            snprintf(host, sizeof host, k == 1 ? "pc%u.example.net" : "pc%u.example.com", i);
            snprintf(cid, sizeof cid, k == 0 ? "c%u" : k == 1 ? "c%u-b" : "old%u", i);
            n = req_text(t, sizeof t, "INVITE", host, 5060, k == 2 ? NULL : br, cid, 1, NULL, NULL);
            sr_parse_opts po;
            sr_parse_opts_init(&po);
            po.alloc = tu_allocator();
            sr_msg *req = NULL, *resp = NULL;
            assert_int_equal(sr_msg_parse(&req, t, n, &po, NULL), 0);
            sr_build_opts bo;
            sr_build_opts_init(&bo);
            bo.alloc = tu_allocator();
            assert_int_equal(sr_build_response(&resp, req, 486, &bo, NULL), 0);
            sr_msg_free(req);
            assert_int_equal(sr_stack_send_response(s, ids[k], resp, 0, now), 0);
        }
    }
    drain(s, &o, now);
    now = 600000;
    assert_int_equal(sr_stack_on_timer(s, now), 0);
    drain(s, &o, now);
    if (!expect_all_gone)
        return;
    /* Only the INVITE on port 5062 is left (never answered, so never ends). */
    assert_int_equal(sr_stack_txn_count(s), 1);
    sr_txn_state st;
    assert_int_equal(sr_stack_txn_state(s, g[0].inv, &st), SR_ENOTFOUND);
    assert_int_equal(sr_stack_txn_state(s, port_txn, &st), 0);

    /* Terminated transactions left the index: the same INVITE again is a new one. */
    n = req_text(t, sizeof t, "INVITE", "pc0.example.com", 5060, "z9hG4bKix-0", "c0", 1, NULL,
                 NULL);
    sr_txn_id again = rx_new(s, t, n, now);
    assert_true(again != g[0].inv);
    assert_int_equal(sr_stack_txn_count(s), 2);
}

static void test_index_many_server_transactions(void **state)
{
    (void)state;
    sr_stack *s = new_stack(tu_allocator());
    run_server_scenario(s, true);
    sr_stack_free(s);
}

/* Client side: thousands of client transactions, responses in another order. */
static void test_index_many_client_transactions(void **state)
{
    (void)state;
    enum { NC = 2000 };
    static char branches[NC][SR_BRANCH_LEN + 1];
    static sr_txn_id ids[NC];
    sr_stack *s = new_stack(tu_allocator());
    sr_addr dest = peer();
    char t[1024];
    for (unsigned i = 0; i < NC; i++) {
        assert_int_equal(sr_stack_new_branch(s, branches[i]), 0);
        size_t n = req_text(t, sizeof t, i % 2 ? "OPTIONS" : "INVITE", "192.0.2.9", 5060,
                            branches[i], "cl", i + 1, NULL, NULL);
        sr_parse_opts po;
        sr_parse_opts_init(&po);
        po.alloc = tu_allocator();
        sr_msg *req = NULL;
        assert_int_equal(sr_msg_parse(&req, t, n, &po, NULL), 0);
        assert_int_equal(sr_stack_send_request(s, req, &dest, 0, &ids[i]), 0);
        /* the same branch and method again: refused, the first keeps it */
        if (i % 250 == 0) {
            assert_int_equal(sr_msg_parse(&req, t, n, &po, NULL), 0);
            assert_int_equal(sr_stack_send_request(s, req, &dest, 0, NULL), SR_EEXIST);
            sr_msg_free(req);
        }
    }
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0)
        ;
    assert_int_equal(sr_stack_txn_count(s), NC);
    for (unsigned k = 0; k < NC; k++) {
        unsigned i = (k * 1237u) % NC;
        const char *m = i % 2 ? "OPTIONS" : "INVITE";
        /* §17.1.3: a response with the branch but another CSeq method matches nothing */
        int n = snprintf(t, sizeof t,
                         "SIP/2.0 180 Ringing\r\n"
                         "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=%s\r\n"
                         "From: <sip:alice@example.com>;tag=f-cl\r\n"
                         "To: <sip:bob@example.com>;tag=t\r\n"
                         "Call-ID: cl\r\nCSeq: %u %s\r\nContent-Length: 0\r\n\r\n",
                         branches[i], i + 1, i % 2 ? "INVITE" : "BYE");
        sr_addr src = peer();
        assert_int_equal(sr_stack_receive(s, t, (size_t)n, &src, 10), 0);
        assert_int_equal(sr_stack_poll(s, &ev), 0);
        assert_int_equal(ev.kind, SR_EV_RESPONSE);
        assert_int_equal(ev.txn, 0);
        assert_int_equal(sr_stack_poll(s, &ev), SR_ENOTFOUND);
        /* the right method: its own transaction */
        n = snprintf(t, sizeof t,
                     "SIP/2.0 %s\r\n"
                     "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=%s\r\n"
                     "From: <sip:alice@example.com>;tag=f-cl\r\n"
                     "To: <sip:bob@example.com>;tag=t\r\n"
                     "Call-ID: cl\r\nCSeq: %u %s\r\nContent-Length: 0\r\n\r\n",
                     i % 2 ? "200 OK" : "180 Ringing", branches[i], i + 1, m);
        assert_int_equal(sr_stack_receive(s, t, (size_t)n, &src, 10), 0);
        bool seen = false;
        while (sr_stack_poll(s, &ev) == 0) {
            if (ev.kind == SR_EV_RESPONSE) {
                assert_int_equal(ev.txn, ids[i]);
                seen = true;
            }
        }
        assert_true(seen);
    }
    sr_stack_free(s);
}

/* An allocator that refuses every new block whose size is a power of two of 1 KiB or more:
 * the bucket arrays the index would grow into (the timer heap grows by realloc and is not
 * affected). Matching must stay right with the first 64 buckets, and nothing may leak. */
typedef struct refusing {
    sr_allocator a;
    const sr_allocator *inner;
    long refused;
} refusing;

static void *ref_alloc(size_t n, void *user)
{
    refusing *r = user;
    if (n >= 1024 && (n & (n - 1)) == 0) {
        r->refused++;
        return NULL;
    }
    return r->inner->alloc_fn(n, r->inner->user);
}

static void *ref_realloc(void *p, size_t n, void *user)
{
    refusing *r = user;
    return r->inner->realloc_fn(p, n, r->inner->user);
}

static void ref_free(void *p, void *user)
{
    refusing *r = user;
    r->inner->free_fn(p, r->inner->user);
}

static void test_index_cannot_grow(void **state)
{
    (void)state;
    refusing r = {{ref_alloc, ref_realloc, ref_free, NULL}, tu_allocator(), 0};
    r.a.user = &r;
    sr_stack *s = new_stack(&r.a);
    run_server_scenario(s, true);
    assert_true(r.refused > 0);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_index_many_server_transactions),
        TU_TEST(test_index_many_client_transactions),
        TU_TEST(test_index_cannot_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
