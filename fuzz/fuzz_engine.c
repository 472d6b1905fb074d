/* sipreplyd fuzz target: the rule engine (default "dial a code" configuration, plus a
 * stateless rule and a forward rule) fed arbitrary datagrams and stream messages, with time steps. Every send
 * must be non-empty; all is freed at the end.
 * Input: records [op][len hi][len lo][len bytes]; op & 3: 0 UDP datagram, 1 TCP message,
 * 2 time step of (first two bytes) ms, 3 a configuration swap (reload) to the alternate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_send(const char *d, size_t len, const sr_addr *to, void *user)
{
    (void)user;
    if (d == NULL || len == 0 || to == NULL)
        abort();
}

static const char alt_config[] =
    "rules:\n"
    "  - {match: {user: sl}, stateless: 486}\n"
    "  - match: {user-regex: \"^f\"}\n"
    "    forward: {targets: [\"sip:{{user}}@127.0.0.1:5071\", {uri: \"sip:b@[::1]:5072\", q: "
    "0.5}],\n"
    "              mode: sequential, branch-timeout: 1s, record-route: true,\n"
    "              rewrite: [{code: 5xx, to: 480, remove: [Via]}, {code: 180, drop: true},\n"
    "                        {code: 183, delay: 10ms}], replace: [{code: 486, percent: 50}]}\n"
    "  - {match: {method: REGISTER}, challenge: {users: {a: b}}, register: {}}\n"
    "  - match: {user-regex: \"^q(.*)$\"}\n"
    "    respond: [{code: 182, repeat: 2, interval: 1s}, {wait: cancel}]\n"
    "  - respond: {choose: [{weight: 1, respond: [{code: 183, reliable: auto, sdp: true},\n"
    "                                             {code: 200, delay: 2s}]},\n"
    "                        {weight: 1, respond: {code: 302, contacts: [sip:a@b]}}]}\n";

static sd_config *load(const char *text)
{
    sd_config *cf = NULL;
    if (sd_config_parse(&cf, text, strlen(text), NULL) != 0)
        abort();
    return cf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sd_engine_opts o = {.send = on_send, .seed = 1};
    sd_engine *e = NULL;
    if (sd_engine_new(&e, load(sd_default_config), &o) != 0)
        return 0;
    sd_local local = {"127.0.0.1", 5060};
    uint64_t now = 0;
    size_t i = 0;
    bool alt = false;
    while (i + 3 <= size) {
        unsigned op = data[i];
        size_t len = ((size_t)data[i + 1] << 8) | data[i + 2];
        i += 3;
        if (len > size - i)
            len = size - i;
        const char *p = (const char *)data + i;
        i += len;
        sr_addr a;
        memset(&a, 0, sizeof(a));
        switch (op & 3) {
        case 0:
        case 1:
            sr_addr_set(&a, (op & 0x80) ? "[::1]" : "127.0.0.1", 5062,
                        (op & 3) ? SR_TP_TCP : SR_TP_UDP);
            a.conn_id = (op & 3) ? 9 : 0;
            if (len)
                sd_engine_receive(e, p, len, &a, &local, now);
            break;
        case 2:
            now += len >= 2 ? (((unsigned)(uint8_t)p[0] << 8) | (uint8_t)p[1]) : 500;
            sd_engine_on_timer(e, now);
            break;
        default:
            alt = !alt;
            sd_engine_set_config(e, load(alt ? alt_config : sd_default_config));
            break;
        }
    }
    now += 200000;
    sd_engine_on_timer(e, now);
    sd_engine_free(e);
    return 0;
}
