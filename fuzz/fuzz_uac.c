/* sipreply fuzz target: a UAC context (uac.h) over a real stack, fed arbitrary responses to
 * the requests it sent (any code, with challenges, Contacts, Retry-After, Unsupported,
 * Require, Min-SE, Min-Expires, Accept, 100rel), retransmissions, transport errors, CANCEL,
 * hang-up and time steps. abort() on a second DONE, on an event that breaks its contract, or
 * unless exactly one DONE came once time has run out. RFC 3261 §8.1.3, §9.1, §13.2.2.4. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXR 8

typedef struct fz {
    sr_stack *s;
    sr_uac *u;
    uint64_t now;
    char req[MAXR][2048]; /* the last requests sent (ring) */
    sr_addr to[MAXR];
    size_t nreq;
    char last[4096]; /* the last response fed, for retransmission */
    size_t last_len;
    sr_addr last_from;
    size_t done;
    uint8_t rnd;
} fz;

static int rnd(uint8_t *out, size_t n, void *user)
{
    fz *z = user;
    for (size_t i = 0; i < n; i++)
        out[i] = z->rnd++;
    return 0;
}

static void pump(fz *z)
{
    sr_event ev;
    while (sr_stack_poll(z->s, &ev) == 0) {
        if (ev.kind == SR_EV_SEND && ev.len > 8 && memcmp(ev.data, "SIP/2.0 ", 8) != 0) {
            size_t k = z->nreq++ % MAXR;
            size_t n = ev.len < sizeof(z->req[k]) - 1 ? ev.len : sizeof(z->req[k]) - 1;
            memcpy(z->req[k], ev.data, n);
            z->req[k][n] = '\0';
            z->to[k] = ev.addr;
        }
        if (sr_uac_handle(z->u, &ev, z->now) < 0 && sr_uac_is_done(z->u) == false)
            abort(); /* an error ends the context */
    }
    sr_uac_event e;
    while (sr_uac_poll(z->u, &e) == 0) {
        switch (e.kind) {
        case SR_UAC_EV_DONE:
            if (++z->done > 1)
                abort();
            if (e.msg != NULL && sr_msg_status(e.msg) != e.status)
                abort();
            break;
        case SR_UAC_EV_SENT:
            if (e.msg == NULL || !sr_msg_is_request(e.msg) || e.uri.len == 0)
                abort();
            break;
        case SR_UAC_EV_RESPONSE:
            if (e.msg != NULL && sr_msg_status(e.msg) != e.status)
                abort();
            break;
        case SR_UAC_EV_ACTION:
            if (e.rfc == NULL || e.rfc[0] == '\0' || e.action == SR_UAC_ACT_NONE)
                abort();
            break;
        default: abort();
        }
    }
    if (sr_uac_is_done(z->u) != (z->done == 1))
        abort();
}

static const struct {
    unsigned code;
    const char *hdrs;
} common[] = {
    {180, "Contact: <sip:b@192.0.2.10>"},
    {183, "Contact: <sip:b@192.0.2.10>\r\nRequire: 100rel\r\nRSeq: 5"},
    {199, "Contact: <sip:b@192.0.2.10>"},
    {200, "Contact: <sip:b@192.0.2.10>\r\nRecord-Route: <sip:p.example;lr>"},
    {301, "Contact: <sip:x1@192.0.2.20>;q=0.5, <sip:x2@192.0.2.21>"},
    {302, "Contact: <sip:bob@192.0.2.10>"},
    {305, "Contact: <sip:proxy.example>"},
    {380, "Contact: <sip:vm@192.0.2.30>"},
    {401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", qop=\"auth,auth-int\""},
    {401, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256-sess, "
          "qop=\"auth\", userhash=true, stale=true"},
    {407, "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n3\", algorithm=MD5\r\n"
          "Proxy-Authenticate: Digest realm=\"q\", nonce=\"n4\", algorithm=SHA-256"},
    {408, NULL},
    {415, "Accept: text/plain\r\nAccept-Encoding: gzip"},
    {420, "Unsupported: timer, 100rel"},
    {421, "Require: gruu"},
    {422, "Min-SE: 1800"},
    {423, "Min-Expires: 3600"},
    {482, NULL},
    {486, "Retry-After: 3"},
    {491, NULL},
    {500, "Retry-After: 2"},
    {503, "Retry-After: 1"},
    {603, NULL},
    {487, NULL},
};

static void respond(fz *z, size_t which, unsigned code, const char *hdrs, unsigned tag)
{
    if (z->nreq == 0)
        return;
    size_t k = (z->nreq - 1 - which % (z->nreq < MAXR ? z->nreq : MAXR)) % MAXR;
    sr_msg *req = NULL;
    if (sr_msg_parse(&req, z->req[k], strlen(z->req[k]), NULL, NULL) != 0)
        abort(); /* what our UAC sent parses */
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags = SR_BUILD_DEFAULTS | SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY;
    char t[8];
    snprintf(t, sizeof t, "t%u", tag % 3);
    o.to_tag = sr_str_from_cstr(t);
    sr_build_header hs[4];
    size_t n = 0;
    char copy[512];
    if (hdrs != NULL) {
        snprintf(copy, sizeof copy, "%s", hdrs);
        char *p = copy;
        while (p && *p && n < 4) {
            char *eol = strstr(p, "\r\n");
            if (eol)
                *eol = '\0';
            char *c = strchr(p, ':');
            hs[n].name = (sr_str){p, (size_t)(c - p)};
            hs[n].value = sr_str_from_cstr(c + 2);
            n++;
            p = eol ? eol + 2 : NULL;
        }
    }
    o.headers = hs;
    o.n_headers = n;
    sr_msg *m = NULL;
    if (sr_build_response(&m, req, code, &o, NULL) == 0) {
        sr_buf b;
        sr_buf_init(&b, NULL);
        if (sr_msg_print(m, &b) == 0 && b.len < sizeof z->last) {
            memcpy(z->last, b.p, b.len);
            z->last_len = b.len;
            z->last_from = z->to[k];
            (void)sr_stack_receive(z->s, b.p, b.len, &z->to[k], z->now); /* drops counted */
        }
        sr_buf_cleanup(&b);
        sr_msg_free(m);
    }
    sr_msg_free(req);
}

static void advance(fz *z, uint64_t to)
{
    for (int guard = 0; guard < 10000; guard++) {
        uint64_t d1 = sr_stack_next_deadline(z->s), d2 = sr_uac_next_deadline(z->u);
        uint64_t d = d1 < d2 ? d1 : d2;
        if (d > to)
            break;
        z->now = d > z->now ? d : z->now;
        if (sr_stack_on_timer(z->s, z->now) != 0 || sr_uac_on_timer(z->u, z->now) != 0)
            abort();
        pump(z);
    }
    z->now = to > z->now ? to : z->now;
    pump(z);
}

static const char *const methods[] = {"INVITE", "OPTIONS", "REGISTER", "MESSAGE"};

/* Every URI a common response names, for the asynchronous resolver's answers. */
static const char *const uris[] = {"sip:x1@192.0.2.20", "sip:x2@192.0.2.21", "sip:bob@192.0.2.10",
                                   "sip:proxy.example", "sip:vm@192.0.2.30", "sip:b@192.0.2.10",
                                   "sip:p.example;lr"};
#define NURIS (sizeof uris / sizeof uris[0])

static int later(sr_str uri, sr_addr *out, size_t cap, void *user)
{
    (void)uri;
    (void)out;
    (void)cap;
    (void)user;
    return SR_EAGAIN;
}

static void resolved(fz *z, const sr_addr *servers, unsigned which, size_t n)
{
    int rc = sr_uac_resolved(z->u, sr_str_from_cstr(uris[which % NURIS]), servers, n, z->now);
    if (rc != 0 && rc != SR_ENOTFOUND && !sr_uac_is_done(z->u))
        abort(); /* a failure ends the context */
}

/*
 * Input: [flags] then records [op][a][b]. flags & 3: the method; bit 2 two servers; bit 3 not
 * the Call-ID's owner; bit 4 no credentials; bit 5 follow only what bits 6-7 pick; without
 * bit 5, bit 6 an asynchronous resolver (answered by op 2 with a & 4).
 * op & 7: 0 a response 100 + (a*256+b) % 600 to the last request (headers of a common code
 * picked by b); 1 a time step of a*100 + b ms; 2 a transport error on a server (a & 4: an
 * answer of the asynchronous resolver, a % 3 servers, for URI b); 3 CANCEL;
 * 4 hang-up; 5 a common response (a) to a recent request (op >> 3); 6 the last response
 * again; 7 a long time step (a s).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz z;
    memset(&z, 0, sizeof z);
    uint8_t f = data[0];
    const char *m = methods[f & 3];
    char txt[1024];
    snprintf(txt, sizeof txt,
             "%s sip:bob@192.0.2.10 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n"
             "From: <sip:alice@192.0.2.1>;tag=f1\r\n"
             "To: <sip:bob@192.0.2.10>\r\n"
             "Call-ID: fz@192.0.2.1\r\n"
             "CSeq: 1 %s\r\n"
             "Contact: <sip:alice@192.0.2.1>\r\n"
             "Require: timer\r\nSupported: path\r\nSession-Expires: 90\r\nExpires: 60\r\n"
             "Content-Type: application/sdp\r\n"
             "Content-Length: 3\r\n\r\nv=0",
             m, m);
    sr_msg *req = NULL;
    if (sr_msg_parse(&req, txt, strlen(txt), NULL, NULL) != 0)
        abort();
    sr_config sc;
    sr_config_default(&sc);
    sc.seed = 1;
    if (sr_stack_new(&z.s, &sc) != 0)
        abort();
    sr_addr servers[2];
    sr_addr_set(&servers[0], "192.0.2.10", 5060, SR_TP_UDP);
    sr_addr_set(&servers[1], "192.0.2.11", 5060, SR_TP_TCP);
    static const sr_uac_credential creds[] = {{NULL, "alice", "pw"}};
    static const sr_uac_body bodies[] = {{"text/plain", "gzip", {"hi", 2}}};
    static const char *const sup[] = {"gruu", NULL};
    sr_uac_config c;
    sr_uac_config_init(&c);
    c.servers = servers;
    c.n_servers = (f & 4) ? 2 : 1;
    c.via_host = "192.0.2.1";
    c.call_id_owner = !(f & 8);
    if (!(f & 16)) {
        c.creds = creds;
        c.n_creds = 1;
    }
    if (f & 32)
        c.follow = (unsigned)(f >> 6) * 7u & SR_UAC_FOLLOW_ALL;
    else if (f & 64)
        c.resolve = later;
    c.bodies = bodies;
    c.n_bodies = 1;
    c.supported = sup;
    c.random = rnd;
    c.random_user = &z;
    if (sr_uac_new(&z.u, z.s, req, &c) != 0)
        abort();
    sr_msg_free(req);
    if (sr_uac_start(z.u, 0) != 0)
        abort();
    pump(&z);
    size_t nc = sizeof common / sizeof common[0];
    for (size_t i = 1; i + 3 <= size; i += 3) {
        unsigned op = data[i], a = data[i + 1], b = data[i + 2];
        switch (op & 7) {
        case 0: respond(&z, 0, 100 + (a * 256 + b) % 600, common[b % nc].hdrs, b); break;
        case 1: advance(&z, z.now + a * 100u + b); break;
        case 2:
            if (a & 4)
                resolved(&z, servers, b, a % 3);
            else
                (void)sr_stack_on_transport_error(z.s, &servers[a & 1], z.now);
            break;
        case 3: (void)sr_uac_cancel(z.u, z.now); break; /* SR_ESTATE is fine */
        case 4: (void)sr_uac_hangup(z.u, z.now); break; /* idem */
        case 5: respond(&z, op >> 3, common[a % nc].code, common[a % nc].hdrs, b); break;
        case 6:
            if (z.last_len)
                (void)sr_stack_receive(z.s, z.last, z.last_len, &z.last_from, z.now);
            break;
        default: advance(&z, z.now + a * 1000u); break;
        }
        pump(&z);
    }
    /* Every lookup still out answers "nothing"; then time runs out: every wait, Timer B/F/C,
     * the 64·T1 after a CANCEL, Timer M fire. */
    for (unsigned k = 0; k < NURIS; k++)
        resolved(&z, servers, k, 0);
    pump(&z);
    for (int k = 0; k < 64 && sr_uac_is_active(z.u); k++)
        advance(&z, z.now + 60000);
    if (z.done != 1 || sr_uac_is_active(z.u))
        abort();
    sr_uac_free(z.u);
    sr_stack_free(z.s);
    return 0;
}
