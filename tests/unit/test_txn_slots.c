/* sipreply tests: the timer slots a transaction holds (txn_int.h): each kind of transaction
 * holds one slot per timer it can arm (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2, RFC
 * 6026, RFC 3262 §3, §13.3.1.4), every one of them usable on its own at once, found back from
 * the popped timer, and a timer of another kind of transaction refused; the heap's reserve
 * follows the slots the live transactions hold. */
#include <string.h>

#include "sipreply/error.h"

#include "txn_harness.h"

static const sr_txn_kind all_kinds[4] = {SR_TXN_INVITE_CLIENT, SR_TXN_NON_INVITE_CLIENT,
                                         SR_TXN_INVITE_SERVER, SR_TXN_NON_INVITE_SERVER};

/* The RFC's timers of each kind of transaction, by name. */
static bool rfc_owns(sr_txn_kind k, int tk)
{
    switch (tk) {
    case SR__TK_A:
    case SR__TK_B:
    case SR__TK_C:
    case SR__TK_D:
    case SR__TK_M: return k == SR_TXN_INVITE_CLIENT;
    case SR__TK_E:
    case SR__TK_F:
    case SR__TK_K: return k == SR_TXN_NON_INVITE_CLIENT;
    case SR__TK_J: return k == SR_TXN_NON_INVITE_SERVER;
    case SR__TK_TRYING: return k == SR_TXN_INVITE_SERVER || k == SR_TXN_NON_INVITE_SERVER;
    default: return k == SR_TXN_INVITE_SERVER; /* G, H, I, L, the RFC 3262 ones, 2xx */
    }
}

/* A stack with the test allocator and a UDP peer for its transactions. */
static sr_stack *new_stack(sr_addr *peer)
{
    sr_config c;
    sr_config_default(&c);
    c.alloc = tu_allocator();
    sr_stack *s = NULL;
    assert_int_equal(sr_stack_new(&s, &c), 0);
    memset(peer, 0, sizeof *peer);
    memcpy(peer->host, "192.0.2.1", 10);
    peer->port = 5060;
    peer->transport = SR_TP_UDP;
    return s;
}

/* Each kind's timers number its slots 0 .. n-1, each once, and no more slots than timers. */
static void test_slot_tables(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        sr_txn_kind k = all_kinds[i];
        unsigned seen = 0, n = 0;
        for (int tk = 0; tk < SR__TK_COUNT; tk++) {
            assert_int_equal(sr__tk_owned(k, tk), rfc_owns(k, tk));
            if (!sr__tk_owned(k, tk))
                continue;
            assert_true(sr__tk_slot[tk] < sr__txn_slots[k]);
            assert_int_equal(sr__slot_tk[k][sr__tk_slot[tk]], tk); /* the inverse table */
            assert_int_equal(seen >> sr__tk_slot[tk] & 1u, 0);
            seen |= 1u << sr__tk_slot[tk];
            n++;
        }
        assert_int_equal(n, sr__txn_slots[k]);
        assert_true(n <= SR__TXN_MAX_SLOTS);
    }
    assert_false(sr__tk_owned(SR_TXN_INVITE_CLIENT, -1));
    assert_false(sr__tk_owned(SR_TXN_INVITE_CLIENT, SR__TK_COUNT));
}

/* Two transactions of every kind, every timer of each armed at once with a delay of its own:
 * nothing shares a slot (all armed), each pops at its instant from its own transaction, and
 * a timer of another kind of transaction is refused without arming anything. */
static void test_every_timer_on_its_kind(void **state)
{
    (void)state;
    sr_addr peer;
    sr_stack *s = new_stack(&peer);
    sr__txn *t[8];
    size_t armed = 0, slots = 0;
    for (int i = 0; i < 8; i++) {
        sr_txn_kind k = all_kinds[i % 4];
        assert_int_equal(sr__txn_alloc(s, k, &peer, 0, &t[i]), 0);
        slots += sr__txn_slots[k];
        assert_int_equal(s->tm_slots, slots);
        assert_true(s->heap.cap >= slots);
        for (int tk = 0; tk < SR__TK_COUNT; tk++) {
            uint64_t delay = 1000 + 100 * (uint64_t)(i * SR__TK_COUNT + tk);
            if (!sr__tk_owned(k, tk)) {
                assert_int_equal(sr__start(s, t[i], tk, delay), SR_EINVAL);
                sr__stop(s, t[i], tk); /* a no-op */
                continue;
            }
            assert_int_equal(sr__start(s, t[i], tk, delay), 0);
            armed++;
            assert_int_equal(sr__timer_armed(&s->heap), armed);
        }
    }
    /* in deadline order: transaction i's timer tk at 1000 + 100 (i·COUNT + tk) */
    for (int i = 0; i < 8; i++)
        for (int tk = 0; tk < SR__TK_COUNT; tk++) {
            if (!sr__tk_owned(all_kinds[i % 4], tk))
                continue;
            sr__timer *tm = sr__timer_pop_due(&s->heap, SR__NEVER - 1);
            assert_non_null(tm);
            assert_int_equal(tm->kind, tk);
            assert_int_equal(tm->deadline, 1000 + 100 * (uint64_t)(i * SR__TK_COUNT + tk));
            assert_ptr_equal(sr__txn_of_timer(tm), t[i]);
            assert_ptr_equal(tm, &t[i]->tm[sr__tk_slot[tk]]);
        }
    assert_null(sr__timer_pop_due(&s->heap, SR__NEVER - 1));
    /* stopping one timer leaves the others of its transaction armed */
    assert_int_equal(sr__start(s, t[2], SR__TK_G, 10), 0);
    assert_int_equal(sr__start(s, t[2], SR__TK_H, 20), 0);
    sr__stop(s, t[2], SR__TK_G);
    assert_int_equal(sr__timer_armed(&s->heap), 1);
    assert_ptr_equal(sr__txn_of_timer(sr__timer_pop_due(&s->heap, 20)), t[2]);
    for (int i = 0; i < 8; i++) {
        slots -= sr__txn_slots[t[i]->kind];
        sr__txn_discard(s, t[i]);
        assert_int_equal(s->tm_slots, slots);
    }
    assert_int_equal(sr_stack_memory(s), 0);
    sr_stack_free(s);
}

/* What a transaction of each kind counts in sr_stack_memory: its record and its own slots. */
static void test_counted_size(void **state)
{
    (void)state;
    sr_addr peer;
    sr_stack *s = new_stack(&peer);
    for (int i = 0; i < 4; i++) {
        sr__txn *t;
        assert_int_equal(sr__txn_alloc(s, all_kinds[i], &peer, 0, &t), 0);
        assert_int_equal(sr_stack_memory(s), sr__txn_size(all_kinds[i]) + 16);
        assert_true(sr__txn_size(all_kinds[i]) ==
                    offsetof(sr__txn, tm) + sr__txn_slots[all_kinds[i]] * sizeof(sr__timer));
        sr__txn_discard(s, t);
        assert_int_equal(sr_stack_memory(s), 0);
    }
    sr_stack_free(s);
}

/* What an INVITE client transaction keeps through Timer D (§17.1.1.2) over UDP, counted by
 * sr_stack_memory: its record (with its five timer slots) and its ACK, to the byte (the ACK's
 * buffer is its length and the NUL, not rounded up), each behind the counting allocator's
 * 16-byte header; and the same ACK still goes out for a retransmitted final. */
static void test_completed_client_footprint(void **state)
{
    (void)state;
    static h_log log;
    h_clear(&log);
    sr_stack *s = h_stack(true);
    char text[1024];
    h_req_text(text, sizeof(text), "INVITE", "z9hG4bKfoot", "UDP", NULL, 1, NULL, NULL, NULL);
    sr_addr dest = h_addr("192.0.2.2", 5060, SR_TP_UDP);
    sr_txn_id id = 0;
    assert_int_equal(sr_stack_send_request(s, h_parse(text), &dest, 0, &id), 0);
    h_drain(s, &log, 0);
    h_resp_text(text, sizeof(text), 486, "z9hG4bKfoot", "UDP", "b1", 1, "INVITE", NULL);
    h_recv(s, text, &dest, 100, &log);
    const sr__txn *t = sr__txn_find(s, id);
    assert_int_equal(t->state, SR_TXN_COMPLETED);
    assert_null(t->req);
    assert_true(t->resp.len > 0);
    assert_int_equal(t->resp.cap, t->resp.len + 1);
    assert_int_equal(sr_stack_memory(s),
                     sr__txn_size(SR_TXN_INVITE_CLIENT) + 16 + t->resp.len + 1 + 16);
    h_recv(s, text, &dest, 2000, &log);
    assert_int_equal(h_sends(&log, "ACK ", NULL, 0), 2);
    assert_string_equal(h_last_send(&log, "ACK ")->text, h_find(&log, SR_EV_SEND, 1)->text);
    h_run(s, &log, 100000);
    assert_int_equal(sr_stack_memory(s), 0);
    sr_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_slot_tables),
        TU_TEST(test_every_timer_on_its_kind),
        TU_TEST(test_counted_size),
        TU_TEST(test_completed_client_footprint),
    };
    return cmocka_run_group_tests_name("txn_slots", tests, NULL, NULL);
}
