/* sipreply tests: sr_stack_parse_absorb_ack() — the ACK for an INVITE server transaction's
 * non-2xx final absorbed from its head (RFC 3261 §17.2.1, matched per §17.2.3 with the RFC
 * 2543 fallback), in simulated time. Each scenario runs on two stacks of the same seed: stack
 * A takes every ACK through sr_stack_parse_absorb_ack() (then sr_stack_receive_msg() with the
 * message it gives when not absorbed) and every other message through sr_stack_receive(),
 * which reads ACKs the same way; stack B takes all through sr_msg_parse() and
 * sr_stack_receive_msg(), the whole-parse path, which never reads a head. Both must give the
 * same events, states, timers, counters and memory, the same messages and parse errors. */
#include <limits.h>

#include "txn_harness.h"

#define BR "z9hG4bKack1"

#define ABSORBED     SR_STACK_ACK_ABSORBED
#define NOT_ABSORBED INT_MIN /* pair_ack: whatever sr_msg_parse says, not absorbed */

typedef struct pair {
    sr_stack *a, *b;
    h_log *la, *lb;
    uint64_t b_unparsed; /* datagrams B's parse refused: A counts them dropped, B never saw */
} pair;

static h_log g_la, g_lb;

static void pair_init(pair *p)
{
    h_clear(&g_la);
    h_clear(&g_lb);
    p->a = h_stack(true);
    p->b = h_stack(true);
    p->la = &g_la;
    p->lb = &g_lb;
    p->b_unparsed = 0;
}

/* Everything observable of the two stacks agrees. */
static void pair_same(const pair *p)
{
    assert_int_equal(p->la->n, p->lb->n);
    for (size_t i = 0; i < p->la->n; i++) {
        if (memcmp(&p->la->r[i], &p->lb->r[i], sizeof p->la->r[i]) != 0)
            print_message("event %zu: A \"%s\" B \"%s\"\n", i, p->la->r[i].first,
                          p->lb->r[i].first);
        assert_memory_equal(&p->la->r[i], &p->lb->r[i], sizeof p->la->r[i]);
    }
    assert_int_equal(sr_stack_txn_count(p->a), sr_stack_txn_count(p->b));
    assert_int_equal(sr_stack_memory(p->a), sr_stack_memory(p->b));
    assert_int_equal(sr_stack_dropped(p->a), sr_stack_dropped(p->b) + p->b_unparsed);
    assert_int_equal(sr_stack_next_deadline(p->a), sr_stack_next_deadline(p->b));
    for (sr_txn_id id = 1; id < 16; id++)
        assert_int_equal(h_state(p->a, id), h_state(p->b, id));
}

static void pair_free(pair *p)
{
    sr_stack_free(p->a);
    sr_stack_free(p->b);
}

/* Any datagram, to both, through sr_stack_receive (A) and the whole parse (B). */
static void pair_recv(pair *p, const char *text, size_t len, const sr_addr *src, uint64_t at)
{
    int ra = sr_stack_receive(p->a, text, len, src, at);
    sr_msg *m = NULL;
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    int rb;
    if (sr_msg_parse(&m, text, len, &o, NULL) == 0) {
        rb = sr_stack_receive_msg(p->b, m, src, at);
    } else {
        assert_int_equal(sr_stack_on_timer(p->b, at), 0);
        p->b_unparsed++;
        rb = SR_EBADMSG; /* what sr_stack_receive returns for it */
    }
    assert_int_equal(ra, rb);
    h_drain(p->a, p->la, at);
    h_drain(p->b, p->lb, at);
    pair_same(p);
}

/* An ACK: A parses it with sr_stack_parse_absorb_ack(), which must say @p want
 * (SR_STACK_ACK_ABSORBED, or what sr_msg_parse returns for it: 0, an error) and give the
 * message sr_msg_parse gives, then sr_stack_receive_msg(); B parses it whole. */
static void pair_ack(pair *p, const char *text, size_t len, const sr_addr *src, uint64_t at,
                     int want)
{
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    uint64_t dropped = sr_stack_dropped(p->a);
    sr_msg *ma = NULL, *mb = NULL;
    sr_parse_error ea = {0, 0, 0, NULL}, eb = {0, 0, 0, NULL};
    int pa = sr_stack_parse_absorb_ack(p->a, &ma, text, len, &o, at, &ea);
    int pb = sr_msg_parse(&mb, text, len, &o, &eb);
    if (want == NOT_ABSORBED)
        assert_int_not_equal(pa, ABSORBED);
    else
        assert_int_equal(pa, want);
    int ra, rb;
    if (pa == SR_STACK_ACK_ABSORBED) {
        assert_null(ma);
        assert_int_equal(pb, 0); /* only what the parse takes */
        assert_int_equal(sr_stack_dropped(p->a), dropped);
        ra = 0; /* what sr_stack_receive_msg gives an absorbed ACK */
    } else {
        assert_int_equal(pa, pb);
        assert_int_equal(ea.code, eb.code);
        assert_int_equal(ea.offset, eb.offset);
        assert_int_equal(ea.hdr, eb.hdr);
        if (pa == 0) {
            sr_buf x, y;
            sr_buf_init(&x, tu_allocator());
            sr_buf_init(&y, tu_allocator());
            assert_int_equal(sr_msg_print(ma, &x), 0);
            assert_int_equal(sr_msg_print(mb, &y), 0);
            assert_int_equal(x.len, y.len);
            assert_memory_equal(x.p, y.p, x.len);
            sr_buf_cleanup(&x);
            sr_buf_cleanup(&y);
            ra = sr_stack_receive_msg(p->a, ma, src, at);
        } else {
            assert_null(ma);
            ra = SR_EBADMSG;
        }
    }
    if (pb == 0) {
        rb = sr_stack_receive_msg(p->b, mb, src, at);
    } else {
        assert_int_equal(sr_stack_on_timer(p->b, at), 0);
        rb = SR_EBADMSG;
    }
    assert_int_equal(ra, rb);
    h_drain(p->a, p->la, at);
    h_drain(p->b, p->lb, at);
    pair_same(p);
}

static void pair_ack_text(pair *p, const char *text, const sr_addr *src, uint64_t at, int want)
{
    pair_ack(p, text, strlen(text), src, at, want);
}

/* The INVITE @p br (CSeq @p cseq) to both; the id of its server transaction (the same on
 * both). */
static sr_txn_id pair_invite_n(pair *p, const char *br, unsigned cseq, const sr_addr *src,
                               uint64_t at, char *req, size_t cap)
{
    h_req_text(req, cap, "INVITE", br, src->transport == SR_TP_UDP ? "UDP" : "TCP", NULL, cseq,
               NULL, NULL, NULL);
    size_t before = p->la->n;
    pair_recv(p, req, strlen(req), src, at);
    for (size_t i = before; i < p->la->n; i++)
        if (p->la->r[i].kind == SR_EV_REQUEST)
            return p->la->r[i].txn;
    fail_msg("no SR_EV_REQUEST for the INVITE");
    return 0;
}

static sr_txn_id pair_invite(pair *p, const char *br, const sr_addr *src, uint64_t at, char *req,
                             size_t cap)
{
    return pair_invite_n(p, br, 1, src, at, req, cap);
}

static void pair_answer(pair *p, sr_txn_id id, const char *req, unsigned code, uint64_t at)
{
    sr_msg *ra = h_build(req, code, "t1", NULL), *rb = h_build(req, code, "t1", NULL);
    assert_int_equal(sr_stack_send_response(p->a, id, ra, 0, at), 0);
    assert_int_equal(sr_stack_send_response(p->b, id, rb, 0, at), 0);
    h_drain(p->a, p->la, at);
    h_drain(p->b, p->lb, at);
    pair_same(p);
}

static void pair_run(pair *p, uint64_t until)
{
    h_run(p->a, p->la, until);
    h_run(p->b, p->lb, until);
    pair_same(p);
}

static void ack_text(char *out, size_t cap, const char *br, const char *tp, const char *to_tag)
{
    h_req_text(out, cap, "ACK", br, tp, to_tag, 1, NULL, NULL, NULL);
}

/* §17.2.1 over UDP: the ACK in Completed → Confirmed (G and H stopped, I = T4), absorbed from
 * its head; a retransmitted ACK in Confirmed too; Timer I ends it as the whole parse's. */
static void test_absorbed_udp(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char req[1024], ack[1024];
    sr_txn_id id = pair_invite(&p, BR, &src, 0, req, sizeof req);
    pair_answer(&p, id, req, 486, 100);
    pair_run(&p, 700); /* G once */
    ack_text(ack, sizeof ack, BR, "UDP", "t1");
    pair_ack_text(&p, ack, &src, 800, ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_CONFIRMED);
    assert_int_equal(h_count(p.la, SR_EV_REQUEST), 1); /* the INVITE's only */
    pair_ack_text(&p, ack, &src, 900, ABSORBED);       /* Confirmed absorbs */
    pair_recv(&p, ack, strlen(ack), &src, 950);        /* sr_stack_receive reads it so too */
    pair_run(&p, 800 + 5000);
    assert_int_equal(h_state(p.a, id), SR_TXN_TERMINATED);
    assert_int_equal(h_count(p.la, SR_EV_TERMINATED), 1);
    pair_free(&p);
}

/* Reliable: the ACK ends the transaction at once (Timer I = 0): SR_EV_TERMINATED. */
static void test_absorbed_tcp(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_TCP);
    char req[1024], ack[1024];
    sr_txn_id id = pair_invite(&p, BR, &src, 0, req, sizeof req);
    pair_answer(&p, id, req, 603, 50);
    ack_text(ack, sizeof ack, BR, "TCP", "t1");
    pair_ack_text(&p, ack, &src, 60, ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_TERMINATED);
    assert_int_equal(h_count(p.la, SR_EV_TERMINATED), 1);
    pair_free(&p);
}

/* An ACK before any final (Proceeding) is absorbed and changes nothing; the sent-by host is
 * compared without case (§17.2.3), the ACK's To tag is not (magic cookie: branch). */
static void test_proceeding_and_sent_by(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char req[1024];
    sr_txn_id id = pair_invite(&p, BR, &src, 0, req, sizeof req);
    const char *ack = "ACK sip:bob@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR "\r\n"
                      "From: <sip:alice@example.com>;tag=a1\r\n"
                      "To: <sip:bob@example.com>;tag=zz\r\n"
                      "Call-ID: call-1@192.0.2.1\r\n"
                      "CSeq: 1 ACK\r\n"
                      "Content-Length: 0\r\n\r\n";
    pair_ack_text(&p, ack, &src, 10, ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_PROCEEDING);
    pair_answer(&p, id, req, 404, 100);
    /* host case, several Via values, compact forms, no Content-Length (a datagram) */
    const char *ack2 = "ACK sip:other@example.com SIP/2.0\r\n"
                       "v: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR ", SIP/2.0/UDP h.example\r\n"
                       "Via: SIP/2.0/TCP 198.51.100.1\r\n"
                       "f: <sip:alice@example.com>;tag=a1\r\n"
                       "t: <sip:bob@example.com>;tag=t1\r\n"
                       "i: call-1@192.0.2.1\r\n"
                       "CSeq: 1 ACK\r\n\r\n";
    pair_ack_text(&p, ack2, &src, 200, ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_CONFIRMED);
    pair_free(&p);
}

/* The same INVITE with an upper-case sent-by host: the ACK in lower case matches it. */
static void test_sent_by_case(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    const char *inv = "INVITE sip:bob@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP PC.Example.COM:5070;branch=z9hG4bKcase\r\n"
                      "Max-Forwards: 70\r\n"
                      "From: <sip:alice@example.com>;tag=a1\r\n"
                      "To: <sip:bob@example.com>\r\n"
                      "Call-ID: case@pc\r\n"
                      "CSeq: 7 INVITE\r\n"
                      "Content-Length: 0\r\n\r\n";
    pair_recv(&p, inv, strlen(inv), &src, 0);
    sr_txn_id id = h_find(p.la, SR_EV_REQUEST, 0)->txn;
    pair_answer(&p, id, inv, 486, 10);
    /* another port: another sent-by, no match: the TU gets it (a stray ACK) */
    const char *other = "ACK sip:bob@example.com SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP pc.example.com:5071;branch=z9hG4bKcase\r\n"
                        "From: <sip:alice@example.com>;tag=a1\r\n"
                        "To: <sip:bob@example.com>;tag=t1\r\n"
                        "Call-ID: case@pc\r\n"
                        "CSeq: 7 ACK\r\n\r\n";
    pair_ack_text(&p, other, &src, 20, 0);
    assert_int_equal(h_count(p.la, SR_EV_REQUEST), 2);
    assert_int_equal(h_state(p.a, id), SR_TXN_COMPLETED);
    const char *ack = "ACK sip:bob@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP pc.example.com:5070;branch=z9hG4bKcase\r\n"
                      "From: <sip:alice@example.com>;tag=a1\r\n"
                      "To: <sip:bob@example.com>;tag=t1\r\n"
                      "Call-ID: case@pc\r\n"
                      "CSeq: 7 ACK\r\n\r\n";
    pair_ack_text(&p, ack, &src, 30, ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_CONFIRMED);
    pair_free(&p);
}

/* §17.2.3 RFC 2543 fallback (no magic cookie): the ACK with the To tag of the final, same
 * Request-URI, Call-ID, From tag, CSeq number and top Via, is absorbed from its head; one with
 * another To tag matches nothing and goes to the TU, as does one with another Request-URI. */
static void test_rfc2543(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char req[1024], ack[1024];
    sr_txn_id id = pair_invite(&p, "oldstyle1", &src, 0, req, sizeof req);
    pair_answer(&p, id, req, 486, 100);
    ack_text(ack, sizeof ack, "oldstyle1", "UDP", "other");
    pair_ack_text(&p, ack, &src, 150, 0);
    assert_int_equal(h_count(p.la, SR_EV_REQUEST), 2);
    const char *ruri = "ACK sip:carol@example.com SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=oldstyle1\r\n"
                       "From: <sip:alice@example.com>;tag=a1\r\n"
                       "To: <sip:bob@example.com>;tag=t1\r\n"
                       "Call-ID: call-1@192.0.2.1\r\n"
                       "CSeq: 1 ACK\r\n\r\n";
    pair_ack_text(&p, ruri, &src, 160, 0);
    assert_int_equal(h_count(p.la, SR_EV_REQUEST), 3);
    assert_int_equal(h_state(p.a, id), SR_TXN_COMPLETED);
    ack_text(ack, sizeof ack, "oldstyle1", "UDP", "t1");
    pair_recv(&p, ack, strlen(ack), &src, 200); /* through sr_stack_receive */
    assert_int_equal(h_state(p.a, id), SR_TXN_CONFIRMED);
    pair_ack_text(&p, ack, &src, 210, ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_CONFIRMED);
    /* with no branch parameter at all */
    const char *inv = "INVITE sip:bob@example.com SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1:5060\r\n"
                      "From: <sip:alice@example.com>;tag=a2\r\n"
                      "To: <sip:bob@example.com>\r\n"
                      "Call-ID: call-2@192.0.2.1\r\n"
                      "CSeq: 9 INVITE\r\n\r\n";
    pair_recv(&p, inv, strlen(inv), &src, 300);
    sr_txn_id id2 = h_find(p.la, SR_EV_REQUEST, 3)->txn;
    pair_answer(&p, id2, inv, 480, 310);
    const char *ack2 = "ACK sip:bob@example.com SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 192.0.2.1:5060\r\n"
                       "From: <sip:alice@example.com>;tag=a2\r\n"
                       "To: <sip:bob@example.com>;tag=t1\r\n"
                       "Call-ID: call-2@192.0.2.1\r\n"
                       "CSeq: 9 ACK\r\n\r\n";
    pair_ack_text(&p, ack2, &src, 320, ABSORBED);
    assert_int_equal(h_state(p.a, id2), SR_TXN_CONFIRMED);
    pair_free(&p);
}

/* The ACK for a 2xx is the TU's (§13.2.2.4, RFC 6026 §7.1): in Accepted, with the INVITE's
 * branch, or with a branch of its own (no transaction), it is never absorbed. */
static void test_2xx_ack_not_absorbed(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char req[1024], ack[1024];
    sr_txn_id id = pair_invite(&p, BR, &src, 0, req, sizeof req);
    pair_answer(&p, id, req, 200, 100);
    assert_int_equal(h_state(p.a, id), SR_TXN_ACCEPTED);
    ack_text(ack, sizeof ack, BR, "UDP", "t1");
    pair_ack_text(&p, ack, &src, 150, 0);
    ack_text(ack, sizeof ack, "z9hG4bKown2xxack", "UDP", "t1");
    pair_ack_text(&p, ack, &src, 160, 0);
    pair_recv(&p, ack, strlen(ack), &src, 170);
    assert_int_equal(h_count(p.la, SR_EV_REQUEST), 4); /* the INVITE, the three ACKs */
    assert_int_equal(h_state(p.a, id), SR_TXN_ACCEPTED);
    pair_run(&p, 100 + 64 * 500);
    pair_free(&p);
}

/* After Timer H the transaction is gone: the ACK arriving later matches nothing (the timers
 * due fire first), so it goes to the TU, as with the whole parse. */
static void test_after_timer_h(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char req[1024], ack[1024];
    sr_txn_id id = pair_invite(&p, BR, &src, 0, req, sizeof req);
    pair_answer(&p, id, req, 486, 100);
    ack_text(ack, sizeof ack, BR, "UDP", "t1");
    pair_ack_text(&p, ack, &src, 100 + 64 * 500 + 1, 0);
    assert_int_equal(h_state(p.a, id), SR_TXN_TERMINATED);
    assert_int_equal(h_count(p.la, SR_EV_TIMEOUT), 1);
    pair_free(&p);
}

/* Malformed ACKs that would match if they parsed, and heads the shortcut does not read: each
 * refused from its head gets what the whole parse gives it (dropped, or absorbed, or the TU's). */
static void test_malformed(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char req[1024];
    sr_txn_id id = pair_invite(&p, BR, &src, 0, req, sizeof req);
    pair_answer(&p, id, req, 486, 100);
#define ACK_HEAD "ACK sip:bob@example.com SIP/2.0\r\n"
#define ACK_VIA  "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR "\r\n"
#define ACK_REST                                                                   \
    "From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>;tag=t1\r\n" \
    "Call-ID: call-1@192.0.2.1\r\n"
    static const char *const bad[] = {
        /* Content-Length beyond the datagram (RFC 3261 §18.3), not a number, two values */
        ACK_HEAD ACK_VIA ACK_REST "CSeq: 1 ACK\r\nContent-Length: 10\r\n\r\n",
        ACK_HEAD ACK_VIA ACK_REST "CSeq: 1 ACK\r\nContent-Length: x\r\n\r\n",
        ACK_HEAD ACK_VIA ACK_REST "CSeq: 1 ACK\r\nContent-Length: 0\r\nl: 1\r\n\r\nA",
        /* no Via, a top Via that does not parse, no CSeq, a CSeq that does not */
        ACK_HEAD ACK_REST "CSeq: 1 ACK\r\n\r\n",
        ACK_HEAD "Via: SIP/2.0/UDP ;branch=" BR "\r\n" ACK_VIA ACK_REST "CSeq: 1 ACK\r\n\r\n",
        ACK_HEAD ACK_VIA ACK_REST "\r\n",
        ACK_HEAD ACK_VIA ACK_REST "CSeq: one ACK\r\n\r\n",
        /* no empty line, a bad start line, a header line with no colon */
        ACK_HEAD ACK_VIA ACK_REST "CSeq: 1 ACK\r\n",
        "ACK  sip:bob@example.com SIP/2.0\r\n" ACK_VIA ACK_REST "CSeq: 1 ACK\r\n\r\n",
        ACK_HEAD ACK_VIA "no colon here\r\n" ACK_REST "CSeq: 1 ACK\r\n\r\n",
        "ACK ",
        "ACK \r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        print_message("malformed %zu\n", i);
        pair_ack_text(&p, bad[i], &src, 200 + i, NOT_ABSORBED);
        pair_recv(&p, bad[i], strlen(bad[i]), &src, 200 + i);
        assert_int_equal(h_state(p.a, id), SR_TXN_COMPLETED);
    }
    /* What the whole parse takes but the head is not read for: a lower-case method (another
     * method: not an ACK), more fields than the shortcut reads, CRLFs before the start line
     * (RFC 3261 §7.5): the first is left alone, the others are absorbed by the message. */
    pair_ack_text(&p, "ack sip:bob@example.com SIP/2.0\r\n" ACK_VIA ACK_REST "CSeq: 1 ACK\r\n\r\n",
                  &src, 300, NOT_ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_COMPLETED);
    char big[8192];
    size_t n = (size_t)snprintf(big, sizeof big, ACK_HEAD ACK_VIA ACK_REST "CSeq: 1 ACK\r\n");
    for (int k = 0; k < 70; k++)
        n += (size_t)snprintf(big + n, sizeof big - n, "X-Pad-%d: %d\r\n", k, k);
    n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
    pair_ack(&p, big, n, &src, 400, 0);
    assert_int_equal(h_state(p.a, id), SR_TXN_CONFIRMED); /* the whole parse absorbed it */
    char req2[1024];
    sr_txn_id id2 = pair_invite_n(&p, "z9hG4bKack2", 2, &src, 410, req2, sizeof req2);
    pair_answer(&p, id2, req2, 486, 420);
    pair_ack_text(&p,
                  "\r\nACK sip:bob@example.com SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKack2\r\n" ACK_REST
                  "CSeq: 1 ACK\r\n\r\n",
                  &src, 430, 0);
    assert_int_equal(h_state(p.a, id2), SR_TXN_CONFIRMED);
    /* lines ended by LF alone, a folded line: read as sr_msg_parse reads them */
    sr_txn_id id3 = pair_invite_n(&p, "z9hG4bKack3", 3, &src, 440, req2, sizeof req2);
    pair_answer(&p, id3, req2, 486, 450);
    pair_ack_text(&p,
                  "ACK sip:bob@example.com SIP/2.0\n"
                  "Via: SIP/2.0/UDP 192.0.2.1:5060\n ;branch=z9hG4bKack3\n"
                  "From: <sip:alice@example.com>;tag=a1\nTo: <sip:bob@example.com>;tag=t1\n"
                  "Call-ID: call-1@192.0.2.1\nCSeq: 1 ACK\n\n",
                  &src, 460, ABSORBED);
    assert_int_equal(h_state(p.a, id3), SR_TXN_CONFIRMED);
    /* a top Via value that parses before one that does not: the message's top Via too */
    pair_ack_text(&p,
                  ACK_HEAD "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" BR ", bad via\r\n" ACK_REST
                           "CSeq: 1 ACK\r\n\r\n",
                  &src, 500, ABSORBED);
    /* another SIP version: sr_msg_parse takes it (validation answers 505, RFC 3261 §8.2.2):
     * the message's ACK too */
    pair_ack_text(&p, "ACK sip:bob@example.com SIP/3.0\r\n" ACK_VIA ACK_REST "CSeq: 1 ACK\r\n\r\n",
                  &src, 600, ABSORBED);
#undef ACK_HEAD
#undef ACK_VIA
#undef ACK_REST
    pair_free(&p);
}

/* Bytes with a body and a Content-Length that agrees: absorbed; a datagram longer than
 * max_message is the message's to refuse. */
static void test_body_and_size(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char req[1024], ack[1024];
    sr_txn_id id = pair_invite(&p, BR, &src, 0, req, sizeof req);
    pair_answer(&p, id, req, 486, 100);
    /* past max_message (65535): dropped by the parse, not read here */
    static char huge[70000];
    ack_text(ack, sizeof ack, BR, "UDP", "t1");
    size_t n = strlen(ack) - strlen("Content-Length: 0\r\n\r\n");
    memcpy(huge, ack, n);
    n += (size_t)snprintf(huge + n, sizeof huge - n, "Content-Length: 66000\r\n\r\n");
    memset(huge + n, 'x', 66000);
    pair_ack(&p, huge, n + 66000, &src, 110, NOT_ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_COMPLETED);
    h_req_text(ack, sizeof ack, "ACK", BR, "UDP", "t1", 1, NULL, "Content-Type: text/plain\r\n",
               "hello");
    pair_ack_text(&p, ack, &src, 120, ABSORBED);
    assert_int_equal(h_state(p.a, id), SR_TXN_CONFIRMED);
    pair_free(&p);
}

/* Requests other than ACK are parsed as sr_msg_parse parses them, nothing else done; the
 * arguments are checked. */
static void test_not_ack(void **state)
{
    (void)state;
    sr_stack *s = h_stack(true);
    char req[1024];
    h_req_text(req, sizeof req, "INVITE", BR, "UDP", NULL, 1, NULL, NULL, NULL);
    sr_msg *m = NULL;
    assert_int_equal(sr_stack_parse_absorb_ack(s, &m, req, strlen(req), NULL, 0, NULL), 0);
    assert_non_null(m);
    assert_int_equal(sr_msg_method(m), SR_METHOD_INVITE);
    sr_msg_free(m);
    assert_int_equal(sr_stack_txn_count(s), 0);
    sr_event ev;
    assert_int_equal(sr_stack_poll(s, &ev), SR_ENOTFOUND);
    m = NULL;
    assert_int_equal(sr_stack_parse_absorb_ack(NULL, &m, req, 4, NULL, 0, NULL), SR_EINVAL);
    assert_int_equal(sr_stack_parse_absorb_ack(s, NULL, req, 4, NULL, 0, NULL), SR_EINVAL);
    assert_int_equal(sr_stack_parse_absorb_ack(s, &m, NULL, 4, NULL, 0, NULL), SR_EINVAL);
    assert_int_equal(sr_stack_parse_absorb_ack(s, &m, "ACK", 3, NULL, 0, NULL), SR_EBADMSG);
    assert_null(m);
    /* validation asked: the message first, so an ACK's head is not read */
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.flags = SR_PARSE_VALIDATE;
    h_req_text(req, sizeof req, "ACK", BR, "UDP", "t1", 1, NULL, NULL, NULL);
    assert_int_equal(sr_stack_parse_absorb_ack(s, &m, req, strlen(req), &o, 0, NULL), 0);
    sr_msg_free(m);
    assert_int_equal(sr_stack_dropped(s), 0);
    sr_stack_free(s);
}

/* With validation the ACK of a transaction is parsed, not absorbed from its head; the message
 * (valid) then goes to sr_stack_receive_msg, which absorbs it. */
static void test_validate(void **state)
{
    (void)state;
    static pair p;
    pair_init(&p);
    sr_addr src = h_addr("192.0.2.1", 5060, SR_TP_UDP);
    char req[1024], ack[1024];
    sr_txn_id id = pair_invite(&p, BR, &src, 0, req, sizeof req);
    pair_answer(&p, id, req, 486, 100);
    ack_text(ack, sizeof ack, BR, "UDP", "t1");
    sr_parse_opts o;
    sr_parse_opts_init(&o);
    o.alloc = tu_allocator();
    o.flags = SR_PARSE_VALIDATE;
    sr_msg *m = NULL;
    assert_int_equal(sr_stack_parse_absorb_ack(p.a, &m, ack, strlen(ack), &o, 200, NULL), 0);
    assert_non_null(m);
    assert_int_equal(h_state(p.a, id), SR_TXN_COMPLETED);
    assert_int_equal(sr_stack_receive_msg(p.a, m, &src, 200), 0);
    assert_int_equal(h_state(p.a, id), SR_TXN_CONFIRMED);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_absorbed_udp),
        TU_TEST(test_absorbed_tcp),
        TU_TEST(test_proceeding_and_sent_by),
        TU_TEST(test_sent_by_case),
        TU_TEST(test_rfc2543),
        TU_TEST(test_2xx_ack_not_absorbed),
        TU_TEST(test_after_timer_h),
        TU_TEST(test_malformed),
        TU_TEST(test_body_and_size),
        TU_TEST(test_not_ack),
        TU_TEST(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
