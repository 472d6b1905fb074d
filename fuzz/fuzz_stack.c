/* sipreply fuzz target: an sr_stack fed arbitrary datagrams, stream messages, time steps and
 * TU answers. abort() on a broken invariant (time order, event shape); all freed at the end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Drain events; remember the last server transaction the TU was told about. */
static void drain(sr_stack *s, sr_txn_id *last_req, sr_msg **last_msg)
{
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0) {
        if (ev.kind == SR_EV_SEND && (ev.data == NULL || ev.len == 0))
            abort();
        if ((ev.kind == SR_EV_REQUEST || ev.kind == SR_EV_RESPONSE) && ev.msg == NULL)
            abort();
        if (ev.kind == SR_EV_REQUEST && ev.txn != 0 && sr_msg_method(ev.msg) != SR_METHOD_ACK) {
            sr_buf b;
            sr_buf_init(&b, NULL);
            if (sr_msg_print(ev.msg, &b) == 0) {
                sr_msg *m = NULL;
                if (sr_msg_parse(&m, b.p, b.len, NULL, NULL) == 0) {
                    if (*last_msg != NULL)
                        sr_msg_free(*last_msg);
                    *last_msg = m;
                    *last_req = ev.txn;
                }
            }
            sr_buf_cleanup(&b);
        }
    }
}

/*
 * Input: records [op][len hi][len lo][len bytes]. op & 3: 0 datagram over UDP, 1 message
 * over TCP, 2 time step of (first two bytes) ms then timers (with flag bit 0x80: instead,
 * the TU sends an INVITE offering 100rel, branch z9hG4bKfz<k> for the k-th, k < 8, so
 * fuzzed responses reach the client side: PRACKs, route sets, ACKs), 3 TU answer to the
 * last request with code 100 + byte % 600 (flag bit 0x80 of op: reliable provisional).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sr_config c;
    sr_config_default(&c);
    c.seed = size;
    sr_stack *s = NULL;
    if (sr_stack_new(&s, &c) != 0)
        return 0;
    sr_addr udp, tcp;
    sr_addr_set(&udp, "192.0.2.1", 5060, SR_TP_UDP);
    sr_addr_set(&tcp, "192.0.2.1", 5060, SR_TP_TCP);
    tcp.conn_id = 7;
    uint64_t now = 0;
    sr_txn_id last_req = 0;
    sr_msg *last_msg = NULL;
    unsigned n_invites = 0;
    size_t i = 0;
    while (i + 3 <= size) {
        uint8_t op = data[i];
        size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
        i += 3;
        if (len > size - i)
            len = size - i;
        const char *p = (const char *)data + i;
        i += len;
        switch (op & 3) {
        case 0:
        case 1:
            (void)sr_stack_receive(s, p, len, (op & 3) ? &tcp : &udp, now); /* any verdict */
            break;
        case 2: {
            if (op & 0x80) {
                if (n_invites < 8) {
                    char t[400];
                    int n = snprintf(t, sizeof t,
                                     "INVITE sip:bob@example.com SIP/2.0\r\n"
                                     "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKfz%u\r\n"
                                     "Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=fz\r\n"
                                     "To: <sip:bob@example.com>\r\nCall-ID: fz@192.0.2.9\r\n"
                                     "CSeq: %u INVITE\r\nSupported: 100rel\r\n"
                                     "Contact: <sip:a@192.0.2.9>\r\nContent-Length: 0\r\n\r\n",
                                     n_invites, n_invites + 1);
                    sr_msg *m = NULL;
                    if (n > 0 && sr_msg_parse(&m, t, (size_t)n, NULL, NULL) == 0 &&
                        sr_stack_send_request(s, m, &udp, now, NULL) != 0)
                        sr_msg_free(m);
                    n_invites++;
                }
                break;
            }
            uint64_t step = len >= 2 ? ((uint64_t)(uint8_t)p[0] << 8 | (uint8_t)p[1]) * 10 : 500;
            now += step;
            uint64_t d = sr_stack_next_deadline(s);
            if (sr_stack_on_timer(s, now) != 0)
                abort();
            if (d <= now && sr_stack_next_deadline(s) <= now)
                abort(); /* everything due must have fired */
            break;
        }
        default:
            if (last_msg != NULL) {
                unsigned code = 100 + (len ? (uint8_t)p[0] : 0) % 600;
                sr_build_opts o;
                sr_build_opts_init(&o);
                o.flags = SR_BUILD_DEFAULTS | SR_BUILD_UNREGISTERED;
                sr_build_header h = {{"Contact", 7}, {"<sip:fuzz@192.0.2.9>", 20}};
                o.headers = &h;
                o.n_headers = 1;
                sr_msg *r = NULL;
                if (sr_build_response(&r, last_msg, code, &o, NULL) == 0 &&
                    sr_stack_send_response(s, last_req, r, (op & 0x80) ? SR_SEND_100REL : 0, now) !=
                        0)
                    sr_msg_free(r);
            }
            break;
        }
        drain(s, &last_req, &last_msg);
    }
    /* Run every timer out: a stack left alone must end with no transaction. */
    for (int k = 0; k < 10000 && sr_stack_next_deadline(s) != UINT64_MAX; k++) {
        now = sr_stack_next_deadline(s);
        sr_stack_on_timer(s, now);
        drain(s, &last_req, &last_msg);
    }
    /* The byte count of what transactions retain (sr_config.max_memory) balances. */
    if (sr_stack_txn_count(s) == 0 && sr_stack_memory(s) != 0)
        abort();
    if (sr_stack_txn_count(s) != 0) {
        /* Only an INVITE server still waiting for its TU (Proceeding) may remain. */
        sr_txn_state st;
        if (sr_stack_txn_state(s, last_req, &st) == 0 && st != SR_TXN_PROCEEDING &&
            st != SR_TXN_TRYING)
            abort();
    }
    if (last_msg != NULL)
        sr_msg_free(last_msg);
    sr_stack_free(s);
    return 0;
}
