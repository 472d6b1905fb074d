/* sipreply fuzz target: the ACKs a server transaction absorbs from their head
 * (sr_stack_parse_absorb_ack, and sr_stack_receive, which reads ACKs so) against the whole
 * parse. Two stacks of one seed take the same inputs: A through sr_stack_receive() or
 * sr_stack_parse_absorb_ack() and sr_stack_receive_msg(), B through sr_msg_parse() and
 * sr_stack_receive_msg(), which never read a head. Every event (bytes, addresses, states, the
 * messages lent, printed), return code, parse error, message given back, state, deadline,
 * drop count and byte count must be the same; abort() on any difference.
 *
 * Input: records [op][len hi][len lo][len bytes]. op & 7: 0 datagram over UDP, 1 message over
 * TCP, 2 time step of (first two bytes) x 10 ms, 3 the TU answers the last request with code
 * 100 + (first two bytes) % 600 (486 without them; To tag "t1"), 4 an ACK made from the last
 * INVITE received (method ACK, To tag "t1" as the TU's answers carry) with the record's bytes
 * as edits (pairs: offset in 256ths of the text, byte), over UDP (flag 0x08: TCP). Flag 0x80
 * on 0, 1 and 4: A parses it with sr_stack_parse_absorb_ack(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_MAX 4096

static void same_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    if (na != nb || (na && memcmp(a, b, na) != 0))
        abort();
}

static void same_msg(const sr_msg *a, const sr_msg *b)
{
    if ((a == NULL) != (b == NULL))
        abort();
    if (a == NULL)
        return;
    sr_buf x, y;
    sr_buf_init(&x, NULL);
    sr_buf_init(&y, NULL);
    int rx = sr_msg_print(a, &x), ry = sr_msg_print(b, &y);
    if (rx != ry)
        abort();
    same_bytes(x.p, x.len, y.p, y.len);
    sr_buf_cleanup(&x);
    sr_buf_cleanup(&y);
}

/* Both queues, event by event; the last request's id and printed text kept for op 3. */
static void drain(sr_stack *a, sr_stack *b, sr_txn_id *last_req, char *last_text, size_t *last_len)
{
    for (;;) {
        sr_event x, y;
        int rx = sr_stack_poll(a, &x), ry = sr_stack_poll(b, &y);
        if (rx != ry)
            abort();
        if (rx != 0)
            return;
        if (x.kind != y.kind || x.txn != y.txn || x.related != y.related ||
            x.txn_kind != y.txn_kind || x.state != y.state || x.status != y.status ||
            x.timer != y.timer || x.reliable != y.reliable ||
            memcmp(&x.addr, &y.addr, sizeof x.addr) != 0)
            abort();
        same_bytes(x.data, x.data ? x.len : 0, y.data, y.data ? y.len : 0);
        same_msg(x.msg, y.msg);
        if (x.kind == SR_EV_REQUEST && x.txn != 0 && sr_msg_method(x.msg) != SR_METHOD_ACK) {
            sr_buf p;
            sr_buf_init(&p, NULL);
            if (sr_msg_print(x.msg, &p) == 0 && p.len <= TEXT_MAX) {
                memcpy(last_text, p.p, p.len);
                *last_len = p.len;
                *last_req = x.txn;
            }
            sr_buf_cleanup(&p);
        }
    }
}

static void same_state(sr_stack *a, sr_stack *b, uint64_t b_unparsed)
{
    if (sr_stack_txn_count(a) != sr_stack_txn_count(b) ||
        sr_stack_memory(a) != sr_stack_memory(b) ||
        sr_stack_dropped(a) != sr_stack_dropped(b) + b_unparsed ||
        sr_stack_next_deadline(a) != sr_stack_next_deadline(b) ||
        sr_stack_refused(a) != sr_stack_refused(b))
        abort();
    for (sr_txn_id id = 1; id < 64; id++) {
        sr_txn_state sa = SR_TXN_TERMINATED, sb = SR_TXN_TERMINATED;
        if (sr_stack_txn_state(a, id, &sa) != sr_stack_txn_state(b, id, &sb) || sa != sb)
            abort();
    }
}

static void same_err(const sr_parse_error *x, const sr_parse_error *y)
{
    if (x->code != y->code || x->offset != y->offset || x->hdr != y->hdr ||
        (x->phrase == NULL) != (y->phrase == NULL) ||
        (x->phrase && strcmp(x->phrase, y->phrase) != 0))
        abort();
}

/* One message to both; @p head: A parses it with sr_stack_parse_absorb_ack(), else A takes
 * the bytes (sr_stack_receive). */
static void feed(sr_stack *a, sr_stack *b, const char *p, size_t len, const sr_addr *src,
                 uint64_t now, bool head, uint64_t *b_unparsed)
{
    sr_msg *mb = NULL;
    sr_parse_error eb = {0, 0, 0, NULL};
    int pb = sr_msg_parse(&mb, p, len, NULL, &eb); /* the stack's max_message is the default */
    int ra, rb;
    if (head) {
        uint64_t dropped = sr_stack_dropped(a);
        sr_msg *ma = (sr_msg *)(uintptr_t)1; /* must stay untouched unless a message is given */
        sr_parse_error ea = {0, 0, 0, NULL};
        int pa = sr_stack_parse_absorb_ack(a, &ma, p, len, NULL, now, &ea);
        if (pa == SR_STACK_ACK_ABSORBED) {
            if (pb != 0 || ma != (sr_msg *)(uintptr_t)1 || sr_stack_dropped(a) != dropped)
                abort();
            ra = 0;
        } else if (pa != pb) {
            abort();
        } else if (pa == 0) {
            same_msg(ma, mb);
            ra = sr_stack_receive_msg(a, ma, src, now);
        } else {
            if (ma != (sr_msg *)(uintptr_t)1)
                abort();
            same_err(&ea, &eb);
            ra = SR_EBADMSG;
        }
    } else {
        ra = sr_stack_receive(a, p, len, src, now);
    }
    if (pb == 0) {
        rb = sr_stack_receive_msg(b, mb, src, now);
    } else {
        if (sr_stack_on_timer(b, now) != 0)
            abort();
        if (!head)
            ++*b_unparsed; /* sr_stack_receive counts it dropped */
        rb = SR_EBADMSG;
    }
    if (ra != rb)
        abort();
}

/* The last INVITE as its ACK: method ACK, To tag t1, then the edits. */
static size_t make_ack(char *out, const char *inv, size_t n, const uint8_t *ed, size_t ne)
{
    if (n < 7 || memcmp(inv, "INVITE ", 7) != 0)
        return 0;
    size_t k = 0;
    memcpy(out, "ACK", 3);
    k = 3;
    const char *to = NULL;
    for (size_t i = 6; i + 4 < n; i++)
        if (inv[i] == '\n' &&
            (memcmp(inv + i + 1, "To:", 3) == 0 || memcmp(inv + i + 1, "t:", 2) == 0)) {
            to = inv + i + 1;
            break;
        }
    const char *eol = to ? memchr(to, '\r', n - (size_t)(to - inv)) : NULL;
    const char *q = inv + 6;
    if (eol != NULL) {
        memcpy(out + k, q, (size_t)(eol - q));
        k += (size_t)(eol - q);
        memcpy(out + k, ";tag=t1", 7);
        k += 7;
        q = eol;
    }
    size_t rest = n - (size_t)(q - inv);
    if (k + rest > TEXT_MAX + 16)
        return 0;
    memcpy(out + k, q, rest);
    k += rest;
    for (size_t i = 0; i + 1 < ne; i += 2)
        out[(size_t)ed[i] * k / 256] = (char)ed[i + 1];
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_config c;
    sr_config_default(&c);
    c.seed = size;
    sr_stack *a = NULL, *b = NULL;
    if (sr_stack_new(&a, &c) != 0)
        return 0;
    if (sr_stack_new(&b, &c) != 0) {
        sr_stack_free(a);
        return 0;
    }
    sr_addr udp, tcp;
    sr_addr_set(&udp, "192.0.2.1", 5060, SR_TP_UDP);
    sr_addr_set(&tcp, "192.0.2.1", 5060, SR_TP_TCP);
    tcp.conn_id = 7;
    uint64_t now = 0, b_unparsed = 0;
    sr_txn_id last_req = 0;
    static char last_text[TEXT_MAX], inv[TEXT_MAX], ack[TEXT_MAX + 32];
    size_t last_len = 0, inv_len = 0;
    size_t i = 0;
    while (i + 3 <= size) {
        uint8_t op = data[i];
        size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
        i += 3;
        if (len > size - i)
            len = size - i;
        const char *p = (const char *)data + i;
        i += len;
        bool head = (op & 0x80) != 0;
        switch (op & 7) {
        case 0:
        case 1:
            if (len >= 7 && len <= TEXT_MAX && memcmp(p, "INVITE ", 7) == 0) {
                memcpy(inv, p, len);
                inv_len = len;
            }
            feed(a, b, p, len, (op & 7) ? &tcp : &udp, now, head, &b_unparsed);
            break;
        case 2: {
            uint64_t step = len >= 2 ? ((uint64_t)(uint8_t)p[0] << 8 | (uint8_t)p[1]) * 10 : 500;
            now += step;
            if (sr_stack_on_timer(a, now) != 0 || sr_stack_on_timer(b, now) != 0)
                abort();
            break;
        }
        case 3: {
            sr_msg *req = NULL;
            if (last_len == 0 || sr_msg_parse(&req, last_text, last_len, NULL, NULL) != 0)
                break;
            unsigned v = len >= 2 ? (unsigned)(uint8_t)p[0] << 8 | (uint8_t)p[1] : 386;
            unsigned code = 100 + v % 600;
            sr_build_opts o;
            sr_build_opts_init(&o);
            o.flags = SR_BUILD_DEFAULTS | SR_BUILD_UNREGISTERED;
            o.to_tag = (sr_str){"t1", 2};
            sr_msg *ra = NULL, *rb = NULL;
            int ba = sr_build_response(&ra, req, code, &o, NULL);
            int bb = sr_build_response(&rb, req, code, &o, NULL);
            if (ba != bb)
                abort();
            if (ba == 0) {
                int sa = sr_stack_send_response(a, last_req, ra, 0, now);
                int sb = sr_stack_send_response(b, last_req, rb, 0, now);
                if (sa != sb)
                    abort();
                if (sa != 0) {
                    sr_msg_free(ra);
                    sr_msg_free(rb);
                }
            }
            sr_msg_free(req);
            break;
        }
        case 4: {
            size_t n = make_ack(ack, inv, inv_len, (const uint8_t *)p, len);
            if (n > 0)
                feed(a, b, ack, n, (op & 8) ? &tcp : &udp, now, head, &b_unparsed);
            break;
        }
        default: break;
        }
        drain(a, b, &last_req, last_text, &last_len);
        same_state(a, b, b_unparsed);
    }
    /* Run every timer out on both. */
    for (int k = 0; k < 10000 && sr_stack_next_deadline(a) != UINT64_MAX; k++) {
        now = sr_stack_next_deadline(a);
        sr_stack_on_timer(a, now);
        sr_stack_on_timer(b, now);
        drain(a, b, &last_req, last_text, &last_len);
        same_state(a, b, b_unparsed);
    }
    sr_stack_free(a);
    sr_stack_free(b);
    return 0;
}
