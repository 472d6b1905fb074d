/* sipreply tests: randomized two-stack property test (RFC 3261 §17, RFC 6026, §9.2). A UAC
 * stack and a UAS stack talk through a seeded network that drops, duplicates, delays and
 * reorders; every run must end with each transaction terminated once, in a state the RFC
 * allows, with consistent outcomes on both sides, no timer left and nothing leaked; after
 * every step each live transaction has a timer armed or a final its TU still owes (h_stuck).
 * SR_PROPERTY_SEEDS=<n> runs more seeds (default 2000). */
#include <stdlib.h>

#include "txn_harness.h"

#define MAX_CALLS 4
#define MAX_IDS   32
#define MAX_PKTS  512
#define MAX_ACTS  64

static unsigned long long g_seed;
/* Coverage counters over all seeds, printed at the end (a run that never exercises a path
 * would prove nothing about it). */
static unsigned long g_pracks, g_prack_timeouts, g_cancels, g_timeouts, g_txns, g_packets;

/* A property check that names the failing seed (rerun it with SR_PROPERTY_SEEDS). */
#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c)) {                                                           \
            print_message("seed %llu: %s (line %d)\n", g_seed, #c, __LINE__); \
            fail();                                                           \
        }                                                                     \
    } while (0)

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static unsigned below(rng *r, unsigned n)
{
    return (unsigned)(rnd(r) % n);
}

typedef struct pkt {
    uint64_t at;
    int to; /* 0: UAC stack, 1: UAS stack */
    char *data;
    size_t len;
} pkt;

typedef struct act {
    uint64_t at;
    int call;
    sr_msg *resp; /* UAS TU: the response to send */
    bool cancel;  /* UAC TU: cancel the INVITE */
    bool rel;     /* UAS TU: send this provisional reliably (RFC 3262) */
} act;

/* What one side knows about one transaction id. */
typedef struct tid {
    sr_txn_id id;
    int call;
    sr_txn_kind kind;
    int terminated;
    sr_txn_state end;
    uint64_t born, died;
    int timeouts;
    bool is_cancel;
    bool is_prack;
    int finals; /* non-2xx finals delivered (client) */
    int oks;    /* 2xx delivered (client) */
    unsigned final_code;
} tid;

typedef struct call {
    bool invite;
    bool want_cancel;
    bool offer_100rel; /* the INVITE carries Supported: 100rel */
    int prack_timeouts;
    unsigned planned; /* the final the UAS TU will send */
    unsigned b_sent;  /* the final the UAS stack accepted, 0 if none */
    int ack_seen;     /* ACKs for the 2xx the UAS got */
    uint64_t ok_retx_at, ok_retx_iv, ok_retx_until;
    sr_msg *ok;  /* the UAS TU's 2xx, for its own retransmissions (§13.3.1.4) */
    sr_msg *req; /* the request as the UAS TU received it */
    sr_txn_id b_id;
} call;

typedef struct world {
    rng r;
    bool reliable;
    unsigned loss, dup; /* percent */
    sr_stack *st[2];
    sr_addr addr[2]; /* addr[i]: where stack i is */
    pkt pk[MAX_PKTS];
    size_t npk;
    act ac[MAX_ACTS];
    size_t nac;
    tid ids[2][MAX_IDS];
    size_t nids[2];
    call calls[MAX_CALLS];
    int ncalls;
    uint64_t now;
} world;

static tid *id_get(world *w, int side, sr_txn_id id, bool add)
{
    for (size_t i = 0; i < w->nids[side]; i++)
        if (w->ids[side][i].id == id)
            return &w->ids[side][i];
    if (!add)
        return NULL;
    assert_true(w->nids[side] < MAX_IDS);
    tid *t = &w->ids[side][w->nids[side]++];
    memset(t, 0, sizeof(*t));
    t->id = id;
    t->call = -1;
    t->born = w->now;
    return t;
}

static void net_send(world *w, int to, const char *data, size_t len)
{
    int copies = 1;
    if (!w->reliable) {
        if (below(&w->r, 100) < w->loss)
            copies = 0;
        else if (below(&w->r, 100) < w->dup)
            copies = 2;
    }
    for (int c = 0; c < copies; c++) {
        assert_true(w->npk < MAX_PKTS);
        pkt *p = &w->pk[w->npk++];
        /* Streams keep order: a fixed delay. Datagrams: 1-400 ms, so they reorder. */
        p->at = w->now + (w->reliable ? 20 : 1 + below(&w->r, 400));
        p->to = to;
        p->data = malloc(len);
        assert_non_null(p->data);
        memcpy(p->data, data, len);
        p->len = len;
    }
}

static int call_of(const sr_msg *m)
{
    sr_str cid = sr_msg_call_id(m);
    if (cid.len < 2 || cid.p[0] != 'c')
        return -1;
    int k = cid.p[1] - '0';
    return k >= 0 && k < MAX_CALLS ? k : -1;
}

static void add_act(world *w, uint64_t at, int k, sr_msg *resp, bool cancel, bool rel)
{
    assert_true(w->nac < MAX_ACTS);
    act *a = &w->ac[w->nac++];
    a->at = at;
    a->call = k;
    a->resp = resp;
    a->cancel = cancel;
    a->rel = rel;
}

static sr_msg *respond(const sr_msg *req, unsigned code)
{
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.alloc = tu_allocator();
    o.to_tag = SR_STR("uas1");
    sr_build_header h = {SR_STR("Contact"), SR_STR("<sip:uas@192.0.2.2>")};
    o.headers = &h;
    o.n_headers = 1;
    sr_msg *r = NULL;
    assert_int_equal(sr_build_response(&r, req, code, &o, NULL), 0);
    return r;
}

static sr_msg *respond_to(world *w, int k, unsigned code)
{
    return respond(w->calls[k].req, code);
}

/* The UAC TU ACKs every 2xx itself (§13.2.2.4), outside any transaction. */
static void uac_ack(world *w, const sr_msg *resp)
{
    char text[1024];
    int k = call_of(resp);
    int n = snprintf(text, sizeof(text),
                     "ACK sip:uas@192.0.2.2 SIP/2.0\r\n"
                     "Via: SIP/2.0/%s 192.0.2.1:5060;branch=z9hG4bKack%d\r\n"
                     "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
                     "To: <sip:bob@example.com>;tag=uas1\r\nCall-ID: c%d\r\nCSeq: 1 ACK\r\n"
                     "Content-Length: 0\r\n\r\n",
                     w->reliable ? "TCP" : "UDP", k, k);
    net_send(w, 1, text, (size_t)n);
}

static void drain(world *w, int side)
{
    sr_event ev;
    while (sr_stack_poll(w->st[side], &ev) == 0) {
        /* The UAS stack also runs transactions the TU never hears of (481, 482). */
        /* ... and the UAC stack PRACKs before the TU hears of the 1xx (it is told by
         * SR_EV_RESPONSE.related right after). */
        tid *t = ev.txn ? id_get(w, side, ev.txn, side == 1 || ev.kind == SR_EV_SEND) : NULL;
        if (t != NULL && t->call == -1 && ev.kind != SR_EV_REQUEST)
            t->kind = ev.txn_kind;
        if (ev.txn != 0 && ev.kind != SR_EV_REQUEST) {
            /* Events only for known, live transactions. */
            assert_non_null(t);
            assert_int_equal(t->terminated, 0);
        }
        switch (ev.kind) {
        case SR_EV_SEND:
            g_packets++;
            net_send(w, 1 - side, ev.data, ev.len);
            break;
        case SR_EV_TERMINATED:
            t->terminated++;
            t->end = ev.state;
            t->died = w->now;
            break;
        case SR_EV_TIMEOUT:
            if (ev.timer != 'C') {
                t->timeouts++;
                g_timeouts++;
            }
            break;
        case SR_EV_PRACK_TIMEOUT:
            /* RFC 3262 §3: no PRACK in 64·T1 — the UAS TU rejects the INVITE with a 5xx. */
            assert_int_equal(side, 1);
            for (int k = 0; k < w->ncalls; k++)
                if (w->calls[k].b_id == ev.txn) {
                    w->calls[k].prack_timeouts++;
                    g_prack_timeouts++;
                    if (w->calls[k].b_sent == 0)
                        add_act(w, w->now, k, respond_to(w, k, 500), false, false);
                }
            break;
        case SR_EV_RESPONSE:
            if (side == 0 && ev.related != 0) {
                /* The stack PRACKed this reliable 1xx on a new client transaction. */
                tid *pt = id_get(w, 0, ev.related, true);
                pt->call = call_of(ev.msg);
                pt->kind = SR_TXN_NON_INVITE_CLIENT;
                if (!pt->is_prack)
                    g_pracks++;
                pt->is_prack = true;
            }
            if (side == 0 && ev.status >= 200 && ev.status < 300 &&
                sr_msg_cseq(ev.msg)->method_id == SR_METHOD_INVITE)
                uac_ack(w, ev.msg);
            if (t == NULL)
                break; /* stray 2xx retransmission after Timer M: the dialog's */
            if (ev.status >= 300) {
                t->finals++;
                t->final_code = ev.status;
            } else if (ev.status >= 200) {
                t->oks++;
                t->final_code = ev.status;
            }
            break;
        case SR_EV_REQUEST: {
            assert_int_equal(side, 1);
            int k = call_of(ev.msg);
            assert_true(k >= 0 && k < w->ncalls);
            call *c = &w->calls[k];
            sr_method m = sr_msg_method(ev.msg);
            if (m == SR_METHOD_ACK) {
                assert_int_equal(ev.txn, 0);
                c->ack_seen++;
                c->ok_retx_until = 0; /* §13.3.1.4: the ACK stops the 2xx retransmissions */
                break;
            }
            /* A new request reaches the TU exactly once. */
            assert_non_null(t);
            assert_int_equal(t->call, -1);
            t->call = k;
            t->kind = ev.txn_kind;
            if (m == SR_METHOD_CANCEL || m == SR_METHOD_PRACK) {
                /* Answered by the stack (CANCEL: 200, and 487 to the INVITE; PRACK: 200). */
                assert_int_equal(ev.related, c->b_id);
                break;
            }
            assert_int_equal(c->b_id, 0);
            c->b_id = ev.txn;
            {
                sr_buf b;
                sr_buf_init(&b, tu_allocator());
                assert_int_equal(sr_msg_print(ev.msg, &b), 0);
                sr_parse_opts o;
                sr_parse_opts_init(&o);
                o.alloc = tu_allocator();
                assert_int_equal(sr_msg_parse(&c->req, b.p, b.len, &o, NULL), 0);
                sr_buf_cleanup(&b);
            }
            if (c->planned == 0) {
                /* A TU too slow for the client (Timer F fires first): answered after 40 s. */
                add_act(w, w->now + 40000, k, respond(ev.msg, 200), false, false);
                break;
            }
            if (c->invite && below(&w->r, 2))
                add_act(w, w->now + below(&w->r, 1000), k, respond(ev.msg, 180), false,
                        c->offer_100rel && below(&w->r, 2) == 0);
            add_act(w, w->now + below(&w->r, 4000), k, respond(ev.msg, c->planned), false, false);
            break;
        }
        default: fail_msg("unexpected event %d", (int)ev.kind);
        }
    }
}

static uint64_t next_instant(world *w)
{
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < 2; i++) {
        uint64_t d = sr_stack_next_deadline(w->st[i]);
        t = d < t ? d : t;
    }
    for (size_t i = 0; i < w->npk; i++)
        t = w->pk[i].at < t ? w->pk[i].at : t;
    for (size_t i = 0; i < w->nac; i++)
        t = w->ac[i].at < t ? w->ac[i].at : t;
    for (int k = 0; k < w->ncalls; k++)
        if (w->calls[k].ok_retx_until > w->calls[k].ok_retx_at && w->calls[k].ok_retx_at < t)
            t = w->calls[k].ok_retx_at;
    return t;
}

static void run_acts(world *w)
{
    for (size_t i = 0; i < w->nac;) {
        act a = w->ac[i];
        if (a.at > w->now) {
            i++;
            continue;
        }
        w->ac[i] = w->ac[--w->nac];
        call *c = &w->calls[a.call];
        if (a.cancel) {
            tid *t = NULL;
            for (size_t j = 0; j < w->nids[0]; j++)
                if (w->ids[0][j].call == a.call && w->ids[0][j].kind == SR_TXN_INVITE_CLIENT)
                    t = &w->ids[0][j];
            sr_txn_id cid = 0;
            if (t != NULL && sr_stack_cancel(w->st[0], t->id, w->now, &cid) == 0) {
                tid *ct = id_get(w, 0, cid, true);
                ct->call = a.call;
                ct->kind = SR_TXN_NON_INVITE_CLIENT;
                ct->is_cancel = true;
                g_cancels++;
            }
            drain(w, 0);
            continue;
        }
        unsigned code = sr_msg_status(a.resp);
        sr_msg *keep = NULL;
        if (code >= 200 && code < 300 && c->invite) {
            sr_buf b;
            sr_buf_init(&b, tu_allocator());
            assert_int_equal(sr_msg_print(a.resp, &b), 0);
            sr_parse_opts o;
            sr_parse_opts_init(&o);
            o.alloc = tu_allocator();
            assert_int_equal(sr_msg_parse(&keep, b.p, b.len, &o, NULL), 0);
            sr_buf_cleanup(&b);
        }
        int rc =
            sr_stack_send_response(w->st[1], c->b_id, a.resp, a.rel ? SR_SEND_100REL : 0, w->now);
        if (rc != 0) {
            /* Only refused because a CANCEL already finished the INVITE with 487. */
            assert_true(rc == SR_ESTATE || rc == SR_ENOTFOUND);
            sr_msg_free(a.resp);
            if (keep != NULL)
                sr_msg_free(keep);
        } else if (code >= 200) {
            c->b_sent = code;
            if (keep != NULL) {
                c->ok = keep;
                c->ok_retx_iv = 500;
                c->ok_retx_at = w->now + 500;
                c->ok_retx_until = w->now + 32000;
            }
        }
        drain(w, 1);
    }
}

/* The UAS core retransmits its 2xx (T1 doubling to T2) until the ACK (§13.3.1.4); it is
 * sent directly to the network since the transaction may be gone (RFC 6026). */
static void run_2xx_retx(world *w)
{
    for (int k = 0; k < w->ncalls; k++) {
        call *c = &w->calls[k];
        if (c->ok == NULL || c->ok_retx_until <= c->ok_retx_at || c->ok_retx_at > w->now)
            continue;
        sr_buf b;
        sr_buf_init(&b, tu_allocator());
        assert_int_equal(sr_msg_print(c->ok, &b), 0);
        net_send(w, 0, b.p, b.len);
        sr_buf_cleanup(&b);
        c->ok_retx_iv = c->ok_retx_iv * 2 > 4000 ? 4000 : c->ok_retx_iv * 2;
        c->ok_retx_at = w->now + c->ok_retx_iv;
    }
}

/* The UAS TU owes server transaction @p id a final: one is scheduled for its call. */
static bool uas_owes(void *user, sr_txn_id id)
{
    const world *w = user;
    for (size_t i = 0; i < w->nac; i++) {
        const act *a = &w->ac[i];
        if (!a->cancel && a->resp != NULL && sr_msg_status(a->resp) >= 200 &&
            w->calls[a->call].b_id == id)
            return true;
    }
    return false;
}

/* The liveness invariant (txn_harness.h h_stuck) on both stacks, after every step. */
static void check_live(world *w)
{
    CHECK(h_stuck(w->st[0], NULL, NULL) == 0);
    CHECK(h_stuck(w->st[1], uas_owes, w) == 0);
}

static void check(world *w, uint64_t seed)
{
    for (int side = 0; side < 2; side++) {
        if (sr_stack_txn_count(w->st[side]) != 0)
            print_message("seed %llu side %d: %zu transactions left\n", (unsigned long long)seed,
                          side, sr_stack_txn_count(w->st[side]));
        CHECK((sr_stack_txn_count(w->st[side])) == (0));
        CHECK((sr_stack_next_deadline(w->st[side])) == (UINT64_MAX));
        for (size_t i = 0; i < w->nids[side]; i++) {
            tid *t = &w->ids[side][i];
            if (t->terminated != 1)
                print_message("seed %llu side %d id %llu terminated %d\n", (unsigned long long)seed,
                              side, (unsigned long long)t->id, t->terminated);
            CHECK((t->terminated) == (1));
            /* No transaction outlives its timers: 64·T1 + answer delay + T4/32 s bounds. */
            if (t->died - t->born > 80000)
                print_message("seed %llu side %d id %llu lived %llu ms\n", (unsigned long long)seed,
                              side, (unsigned long long)t->id,
                              (unsigned long long)(t->died - t->born));
            CHECK(t->died - t->born <= 80000);
            switch (t->kind) {
            case SR_TXN_INVITE_CLIENT:
                /* Timer B in Calling, D after a non-2xx, M after a 2xx (RFC 6026). */
                CHECK(t->end == SR_TXN_CALLING || t->end == SR_TXN_COMPLETED ||
                      t->end == SR_TXN_ACCEPTED);
                CHECK((t->timeouts + (t->finals > 0 || t->oks > 0)) == (1));
                CHECK(t->finals <= 1);
                break;
            case SR_TXN_NON_INVITE_CLIENT:
                CHECK(t->end == SR_TXN_TRYING || t->end == SR_TXN_PROCEEDING ||
                      t->end == SR_TXN_COMPLETED);
                /* One outcome; a CANCEL asked for before any provisional and dropped
                 * because a final came first (§9.1) ends in Trying with none. */
                CHECK(t->timeouts + t->finals + t->oks == 1 ||
                      (t->is_cancel && t->end == SR_TXN_TRYING && t->timeouts + t->finals == 0));
                break;
            case SR_TXN_INVITE_SERVER:
                CHECK(t->end == SR_TXN_COMPLETED || t->end == SR_TXN_CONFIRMED ||
                      t->end == SR_TXN_ACCEPTED);
                break;
            case SR_TXN_NON_INVITE_SERVER: CHECK((t->end) == (SR_TXN_COMPLETED)); break;
            }
        }
    }
    /* Outcomes agree: a final the UAC saw on the request's own transaction is the one the
     * UAS sent (a 487 when a CANCEL won the race). */
    for (size_t i = 0; i < w->nids[0]; i++) {
        tid *t = &w->ids[0][i];
        call *c = &w->calls[t->call];
        if (t->final_code == 0 || (t->kind == SR_TXN_NON_INVITE_CLIENT && c->invite))
            continue;
        unsigned want = c->b_sent;
        if (want == 0)
            want = 487;
        if (t->final_code != want)
            print_message("seed %llu call %d: UAC got %u, UAS sent %u\n", (unsigned long long)seed,
                          t->call, t->final_code, c->b_sent);
        CHECK((t->final_code) == (want));
    }
}

static void one_seed(uint64_t seed)
{
    static world w;
    memset(&w, 0, sizeof(w));
    g_seed = (unsigned long long)seed;
    w.r.s = seed * 0x9e3779b97f4a7c15ULL + 1;
    w.reliable = below(&w.r, 4) == 0;
    w.loss = below(&w.r, 30);
    w.dup = below(&w.r, 20);
    for (int i = 0; i < 2; i++) {
        sr_config c;
        sr_config_default(&c);
        c.alloc = tu_allocator();
        c.seed = seed + (uint64_t)i;
        assert_int_equal(sr_stack_new(&w.st[i], &c), 0);
    }
    w.addr[0] = h_addr("192.0.2.1", 5060, w.reliable ? SR_TP_TCP : SR_TP_UDP);
    w.addr[1] = h_addr("192.0.2.2", 5060, w.reliable ? SR_TP_TCP : SR_TP_UDP);
    w.ncalls = 1 + (int)below(&w.r, MAX_CALLS);
    static const unsigned codes[] = {200, 486, 603, 404, 302, 0};
    for (int k = 0; k < w.ncalls; k++) {
        call *c = &w.calls[k];
        c->invite = below(&w.r, 2) == 0;
        c->offer_100rel = c->invite && below(&w.r, 2) == 0;
        c->planned = codes[below(&w.r, 6)];
        if (c->invite && c->planned == 0)
            c->planned = 480;
        if (!c->invite && c->planned == 302)
            c->planned = 200;
        char text[1024], br[32];
        snprintf(br, sizeof(br), "z9hG4bKp%dx%llu", k, (unsigned long long)seed);
        const char *m = c->invite ? "INVITE" : "OPTIONS";
        int n = snprintf(text, sizeof(text),
                         "%s sip:bob@example.com SIP/2.0\r\n"
                         "Via: SIP/2.0/%s 192.0.2.1:5060;branch=%s\r\n"
                         "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
                         "To: <sip:bob@example.com>\r\nCall-ID: c%d\r\nCSeq: 1 %s\r\n"
                         "%sContent-Length: 0\r\n\r\n",
                         m, w.reliable ? "TCP" : "UDP", br, k, m,
                         c->offer_100rel ? "Supported: 100rel\r\n" : "");
        (void)n;
        w.now = below(&w.r, 2000);
        sr_txn_id id = 0;
        assert_int_equal(sr_stack_send_request(w.st[0], h_parse(text), &w.addr[1], w.now, &id), 0);
        tid *t = id_get(&w, 0, id, true);
        t->call = k;
        t->kind = c->invite ? SR_TXN_INVITE_CLIENT : SR_TXN_NON_INVITE_CLIENT;
        t->born = w.now;
        if (c->invite && below(&w.r, 4) == 0)
            add_act(&w, w.now + below(&w.r, 3000), k, NULL, true, false);
        drain(&w, 0);
    }
    w.now = 0;
    for (int guard = 0; guard < 100000; guard++) {
        uint64_t t = next_instant(&w);
        if (t == UINT64_MAX)
            break;
        if (t > w.now)
            w.now = t;
        for (size_t i = 0; i < w.npk;) {
            if (w.pk[i].at > w.now) {
                i++;
                continue;
            }
            pkt p = w.pk[i];
            w.pk[i] = w.pk[--w.npk]; /* order among simultaneous packets: arbitrary */
            int rc = sr_stack_receive(w.st[p.to], p.data, p.len, &w.addr[1 - p.to], w.now);
            assert_int_equal(rc, 0);
            free(p.data);
            drain(&w, p.to);
            check_live(&w);
        }
        run_acts(&w);
        check_live(&w);
        run_2xx_retx(&w);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(sr_stack_on_timer(w.st[i], w.now), 0);
            drain(&w, i);
        }
        check_live(&w);
    }
    check(&w, seed);
    g_txns += w.nids[0] + w.nids[1];
    for (int k = 0; k < w.ncalls; k++) {
        if (w.calls[k].ok != NULL)
            sr_msg_free(w.calls[k].ok);
        if (w.calls[k].req != NULL)
            sr_msg_free(w.calls[k].req);
    }
    for (int i = 0; i < 2; i++)
        sr_stack_free(w.st[i]);
}

static void test_property(void **state)
{
    (void)state;
    uint64_t n = 2000;
    const char *env = getenv("SR_PROPERTY_SEEDS");
    if (env != NULL && *env != '\0')
        n = strtoull(env, NULL, 10);
    for (uint64_t seed = 1; seed <= n; seed++)
        one_seed(seed);
    print_message("%llu seeds: %lu transactions, %lu sends, %lu timeouts, %lu CANCELs, "
                  "%lu PRACKs, %lu PRACK timeouts\n",
                  (unsigned long long)n, g_txns, g_packets, g_timeouts, g_cancels, g_pracks,
                  g_prack_timeouts);
    assert_true(g_pracks > 0 && g_cancels > 0 && g_timeouts > 0 && g_packets > g_txns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_property),
    };
    return cmocka_run_group_tests_name("txn_property", tests, NULL, NULL);
}
