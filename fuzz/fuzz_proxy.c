/* sipreply fuzz target: a proxy response context fed arbitrary branch responses, timeouts,
 * transport errors, CANCELs, holds and time steps. abort() unless exactly one final goes
 * upstream (or 2xx only, for an INVITE), every message sent has the upstream's Vias, and the
 * context ends done once time runs out; a message sent upstream reads as the parse of its own
 * bytes does (it is made from the branch's response without parsing it). RFC 3261 §16.7,
 * §16.8. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/sipreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXB 12

typedef struct fz {
    sr_proxy *p;
    sr_msg *req;
    sr_msg *fwd[MAXB];
    size_t nb;
    bool invite;
    size_t vias;    /* Vias of the request as received */
    size_t non2xx;  /* non-2xx finals sent upstream */
    size_t ok2xx;   /* 2xx sent upstream */
    size_t targets; /* branches made */
    uint64_t now;
    sr_proxy_fwd_opts o;
} fz;

static void add_branch(fz *z, sr_str target)
{
    if (z->nb >= MAXB)
        return;
    sr_msg *f = NULL;
    if (sr_proxy_forward(&f, z->req, target, NULL, (unsigned)z->targets++, &z->o) != 0)
        abort(); /* the request is fine: forwarding it cannot fail but for memory */
    if (sr_proxy_branch_add(z->p, f, z->now, NULL) != 0) {
        sr_msg_free(f);
        return;
    }
    z->fwd[z->nb++] = f;
}

static bool same_str(sr_str a, sr_str b)
{
    return a.len == b.len && (!a.len || memcmp(a.p, b.p, a.len) == 0);
}

/* What the accessors say of @p m is what they say of the parse of its printed bytes. */
static void same_as_reparsed(const sr_msg *m)
{
    sr_buf b;
    sr_buf_init(&b, NULL);
    sr_msg *p = NULL;
    if (sr_msg_print(m, &b) != 0 || sr_msg_parse(&p, b.p, b.len, NULL, NULL) != 0)
        abort();
    if (sr_msg_status(p) != sr_msg_status(m) || !same_str(sr_msg_reason(p), sr_msg_reason(m)) ||
        sr_msg_via_count(p) != sr_msg_via_count(m) ||
        !same_str(sr_msg_call_id(p), sr_msg_call_id(m)) ||
        !same_str(sr_msg_body(p), sr_msg_body(m)) ||
        sr_msg_content_length(p) != sr_msg_content_length(m))
        abort();
    /* the fields in order; a built message's Content-Length is the printer's, not a field */
    for (size_t i = 0, j = 0;; i++, j++) {
        while (i < sr_msg_header_count(m) && sr_msg_header_at(m, i)->id == SR_HDR_CONTENT_LENGTH)
            i++;
        while (j < sr_msg_header_count(p) && sr_msg_header_at(p, j)->id == SR_HDR_CONTENT_LENGTH)
            j++;
        const sr_header *x = sr_msg_header_at(m, i), *y = sr_msg_header_at(p, j);
        if (!x || !y) {
            if (x || y)
                abort();
            break;
        }
        if (x->id != y->id || !same_str(x->value, y->value))
            abort();
    }
    for (size_t i = 0; i < sr_msg_via_count(m); i++) {
        const sr_via *x = sr_msg_via(m, i), *y = sr_msg_via(p, i);
        if (!same_str(x->host, y->host) || x->port != y->port || !same_str(x->branch, y->branch))
            abort();
    }
    const sr_nameaddr *tx = sr_msg_to(m), *ty = sr_msg_to(p);
    const sr_cseq *cx = sr_msg_cseq(m), *cy = sr_msg_cseq(p);
    if (!tx != !ty || (tx && !same_str(tx->tag, ty->tag)) || !cx != !cy ||
        (cx && (cx->num != cy->num || !same_str(cx->method, cy->method))))
        abort();
    sr_msg_free(p);
    sr_buf_cleanup(&b);
}

static void drain(fz *z)
{
    sr_proxy_action a;
    while (sr_proxy_poll(z->p, &a) == 0) {
        switch (a.kind) {
        case SR_PROXY_ACT_FORWARD:
            if (!a.msg || sr_msg_is_request(a.msg) || sr_msg_status(a.msg) != a.status ||
                sr_msg_via_count(a.msg) != z->vias)
                abort();
            same_as_reparsed(a.msg);
            if (a.final != (a.status >= 200))
                abort();
            if (a.status == 100 || (a.status < 200 && (z->non2xx || z->ok2xx)))
                abort(); /* §16.7 step 5: no 100, no provisional after the final */
            if (a.final && a.status >= 300) {
                if (++z->non2xx > 1 || z->ok2xx)
                    abort(); /* exactly one final upstream */
            } else if (a.final) {
                if (z->non2xx && !z->invite)
                    abort();
                if (++z->ok2xx > 1 && !z->invite)
                    abort();
            }
            break;
        case SR_PROXY_ACT_CANCEL:
            if (!z->invite || !a.msg || sr_msg_method(a.msg) != SR_METHOD_CANCEL ||
                a.branch >= z->nb ||
                !sr_str_eq(sr_msg_via(a.msg, 0)->branch, sr_msg_via(z->fwd[a.branch], 0)->branch))
                abort();
            break;
        case SR_PROXY_ACT_RECURSE:
            if (a.n_targets == 0 || !a.targets)
                abort();
            if (a.targets[0].len & 1) /* declined (a bound, say): a final like any other */
                (void)sr_proxy_recurse_none(z->p, a.branch);
            else
                for (size_t i = 0; i < a.n_targets && i < 2; i++)
                    add_branch(z, a.targets[i]);
            (void)sr_proxy_hold(z->p, false, z->now); /* ENOMEM only: the fuzzer checks order */
            break;
        default: abort();
        }
    }
}

static const char *const hnames[] = {"WWW-Authenticate", "Proxy-Authenticate", "Contact",
                                     "Retry-After"};
static const char *const hvals[] = {"Digest realm=\"a\", nonce=\"1\"",
                                    "Digest realm=\"b\", nonce=\"2\"",
                                    "<sip:c1@example.com>;q=0.4, <mailto:x@example.com>", "5"};

static void respond(fz *z, size_t b, unsigned code, unsigned tag, unsigned hdr)
{
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags = SR_BUILD_DEFAULTS | SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY;
    char t[8];
    snprintf(t, sizeof t, "t%u", tag % 4);
    o.to_tag = sr_str_from_cstr(t);
    sr_build_header hs[2];
    size_t n = 0;
    hs[n++] = (sr_build_header){SR_STR("Contact"), SR_STR("<sip:uas@192.0.2.7>")};
    if (hdr % 5 < 4 && hdr % 5 != 2)
        hs[n++] =
            (sr_build_header){sr_str_from_cstr(hnames[hdr % 5]), sr_str_from_cstr(hvals[hdr % 5])};
    else if (hdr % 5 == 2)
        hs[0].value = sr_str_from_cstr(hvals[2]);
    o.headers = hs;
    o.n_headers = n;
    sr_msg *m = NULL;
    if (sr_build_response(&m, z->fwd[b], code, &o, NULL) != 0)
        return;
    unsigned idx;
    if (sr_proxy_branch_find(z->p, m, &idx) != 0 || idx != b)
        abort();
    if (sr_proxy_on_response(z->p, (unsigned)b, m, z->now) != 0)
        abort();
    sr_msg_free(m);
}

/*
 * Input: [flags][branches] then records [op][a][b]. flags: bit 0 OPTIONS instead of INVITE,
 * bit 1 Supported: 199, bit 2 SR_PROXY_RECURSE, bit 3 SR_PROXY_KEEP_503. op & 7: 0 a response
 * 100 + (a*256+b) % 600 on branch op >> 3, with a header picked by b; 1 time step a s + b ms;
 * 2 Timer B; 3 transport error; 4 CANCEL from upstream; 5 hold (a & 1); 6 a new branch;
 * 7 a common final (180, 183, 200, 302, 401, 407, 486, 503, 600) picked by a.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    fz z;
    memset(&z, 0, sizeof z);
    z.invite = !(data[0] & 1);
    char txt[1024];
    snprintf(txt, sizeof txt,
             "%s sip:bob@example.com SIP/2.0\r\n"
             "Via: SIP/2.0/UDP pc33.example.net:5062;branch=z9hG4bK776asd\r\n"
             "Via: SIP/2.0/UDP edge.example.net;branch=z9hG4bKedge1\r\n"
             "Max-Forwards: 70\r\n"
             "To: Bob <sip:bob@example.com>\r\n"
             "From: Alice <sip:alice@example.net>;tag=1928301774\r\n"
             "Call-ID: fuzz@pc33.example.net\r\n"
             "CSeq: 7 %s\r\n"
             "Contact: <sip:alice@pc33.example.net>\r\n"
             "%s"
             "Content-Length: 0\r\n\r\n",
             z.invite ? "INVITE" : "OPTIONS", z.invite ? "INVITE" : "OPTIONS",
             (data[0] & 2) ? "Supported: 199\r\n" : "");
    if (sr_msg_parse(&z.req, txt, strlen(txt), NULL, NULL) != 0)
        abort();
    z.vias = sr_msg_via_count(z.req);
    sr_proxy_fwd_opts_init(&z.o);
    z.o.via_host = SR_STR("proxy.example.org");
    sr_proxy_config c;
    sr_proxy_config_default(&c);
    c.flags = ((data[0] & 4) ? SR_PROXY_RECURSE : 0) | ((data[0] & 8) ? SR_PROXY_KEEP_503 : 0);
    if (sr_proxy_new(&z.p, z.req, &c) != 0)
        abort();
    size_t nb = 1 + data[1] % 4;
    for (size_t i = 0; i < nb; i++)
        add_branch(&z, SR_STR("sip:t@example.com"));
    static const unsigned common[] = {180, 183, 200, 302, 401, 407, 486, 503, 600};
    for (size_t i = 2; i + 3 <= size; i += 3) {
        unsigned op = data[i], a = data[i + 1], b = data[i + 2];
        size_t br = z.nb ? (op >> 3) % z.nb : 0;
        switch (op & 7) {
        case 0: respond(&z, br, 100 + (a * 256 + b) % 600, b, b); break;
        case 1:
            z.now += a * 1000u + b;
            if (sr_proxy_on_timer(z.p, z.now) != 0)
                abort();
            break;
        case 2: (void)sr_proxy_on_timeout(z.p, (unsigned)br, z.now); break; /* ENOMEM only */
        case 3: (void)sr_proxy_on_transport_error(z.p, (unsigned)br, z.now); break; /* idem */
        case 4:
            (void)sr_proxy_cancel(z.p, (a & 1) ? SR_STR("SIP;cause=487") : SR_STR_NULL, z.now);
            break;
        case 5: (void)sr_proxy_hold(z.p, a & 1, z.now); break;
        case 6: add_branch(&z, SR_STR("sip:more@example.com")); break;
        default: respond(&z, br, common[a % 9], b, b); break;
        }
        drain(&z);
    }
    /* Time runs out: the hold ends, Timer C and the CANCEL waits fire, Timer F ends every
     * non-INVITE branch. Then the final must have gone up. */
    (void)sr_proxy_hold(z.p, false, z.now);
    drain(&z);
    for (int k = 0; k < 4; k++) {
        z.now += 400000;
        if (sr_proxy_on_timer(z.p, z.now) != 0)
            abort();
        drain(&z);
    }
    for (size_t i = 0; i < z.nb; i++)
        (void)sr_proxy_on_timeout(z.p, (unsigned)i, z.now);
    drain(&z);
    if (!sr_proxy_final_sent(z.p) || !sr_proxy_is_done(z.p) || (z.non2xx == 0 && z.ok2xx == 0))
        abort();
    if (sr_proxy_next_deadline(z.p) != UINT64_MAX)
        abort();
    sr_proxy_free(z.p);
    for (size_t i = 0; i < z.nb; i++)
        sr_msg_free(z.fwd[i]);
    sr_msg_free(z.req);
    return 0;
}
