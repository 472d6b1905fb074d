/* sipreplyd: responses a rule asks for — the builder's policy, our Contact, body templates
 * ({{ip}}, {{session}}...) and the automatic SDP — and the transaction log. */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ building */

const char *const sd__methods_allowed[] = {"INVITE",   "ACK",       "CANCEL", "BYE",     "OPTIONS",
                                           "REGISTER", "PRACK",     "UPDATE", "INFO",    "MESSAGE",
                                           "NOTIFY",   "SUBSCRIBE", "REFER",  "PUBLISH", NULL};
const char *const sd__supported_tags[] = {"100rel", "timer", NULL}; /* RFC 4028: as UAS */
static const char *const required_tags[] = {"100rel", NULL};        /* what a 421 asks for */
const char *const sd__accept_types[] = {"application/sdp", "text/plain", "message/sipfrag",
                                        "application/dtmf-relay", NULL};

static void local_addr(const sd_engine *e, const job *j, const sd_config *cf, char *host,
                       size_t cap, uint16_t *port)
{
    (void)e;
    /* per response with a Contact: a copy, not snprintf */
    const char *h = cf->advertise ? cf->advertise : j->local.host;
    size_t n = strlen(h);
    if (n >= cap)
        n = cap - 1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = j->local.port;
}

/* Append @p s to @p out at *@p n, within @p cap (NUL kept). */
static void put_cstr(char *out, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (*n + l >= cap)
        l = *n < cap ? cap - 1 - *n : 0;
    memcpy(out + *n, s, l);
    *n += l;
    out[*n] = '\0';
}

/* Expand {{ip}} {{ipver}} {{port}} {{mediaport}} {{user}} {{session}} in @p tpl. */
static int expand(sd_engine *e, const job *j, const sr_msg *req, const char *tpl, sr_buf *out)
{
    char host[SR_ADDR_HOST_MAX + 8];
    uint16_t port;
    local_addr(e, j, j->cfg, host, sizeof(host), &port);
    char *ip = host;
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        ip = host + 1;
    }
    bool v6 = strchr(ip, ':') != NULL;
    for (const char *p = tpl; *p;) {
        const char *o = strstr(p, "{{");
        if (!o)
            return sr_buf_append_cstr(out, p);
        int rc = sr_buf_append(out, p, (size_t)(o - p));
        if (rc)
            return rc;
        const char *c = strstr(o, "}}");
        if (!c)
            return sr_buf_append_cstr(out, o);
        sr_str name = {o + 2, (size_t)(c - o - 2)};
        if (sr_str_eq(name, SR_STR("ip")))
            rc = sr_buf_append_cstr(out, ip);
        else if (sr_str_eq(name, SR_STR("ipver")))
            rc = sr_buf_append_cstr(out, v6 ? "IP6" : "IP4");
        else if (sr_str_eq(name, SR_STR("port")))
            rc = sr_buf_append_u64(out, port);
        else if (sr_str_eq(name, SR_STR("mediaport")))
            rc = sr_buf_append_cstr(out, SD_SDP_MEDIA_PORT);
        else if (sr_str_eq(name, SR_STR("session")))
            rc = sr_buf_append_u64(out, j->session);
        else if (sr_str_eq(name, SR_STR("user"))) {
            sr_str ru = sr_msg_request_uri(req);
            sr_uri u;
            if (sr_uri_parse(&u, ru.p, ru.len, NULL) == 0)
                rc = sr_buf_append_str(out, u.user);
        } else
            rc = sr_buf_append(out, o, (size_t)(c + 2 - o));
        if (rc)
            return rc;
        p = c + 2;
    }
    return 0;
}

#define MAX_EXTRA 48

/*
 * Build response @p code for the step @p st (NULL: a bare response) to @p req. @p sdp: add
 * our SDP when the step has no body. On success *@p out owns it.
 */
/* The response into *@p out, or printed into @p wire when that is not NULL. */
static int build(sd_engine *e, job *j, const sr_msg *req, const sd_step *st, unsigned code,
                 bool sdp, const uint8_t *key, sr_msg **out, sr_buf *wire)
{
    const sd_config *cf = j->cfg;
    /* our Contact, for the codes that carry one (dialog-creating 1xx/2xx, 3xx, 485) */
    char contact[SR_ADDR_HOST_MAX + 64] = "";
    const char *contacts[2] = {contact, NULL};
    if ((code > 100 && code < 400) || code == 485) {
        char host[SR_ADDR_HOST_MAX + 8];
        uint16_t port;
        local_addr(e, j, cf, host, sizeof(host), &port);
        char digits[8], *d = digits + sizeof(digits);
        *--d = '\0';
        do
            *--d = (char)('0' + port % 10);
        while ((port /= 10) != 0);
        size_t n = 0;
        put_cstr(contact, sizeof(contact), &n, "sip:sipreplyd@");
        put_cstr(contact, sizeof(contact), &n, host);
        put_cstr(contact, sizeof(contact), &n, ":");
        put_cstr(contact, sizeof(contact), &n, d);
        if (j->src.transport == SR_TP_TCP)
            put_cstr(contact, sizeof(contact), &n, ";transport=tcp");
    } else {
        contacts[0] = NULL;
    }
    sr_build_policy pol;
    sr_build_policy_init(&pol);
    pol.allow = sd__methods_allowed;
    pol.supported = sd__supported_tags;
    pol.require = required_tags;
    pol.accept = sd__accept_types;
    pol.contacts = contacts;
    pol.retry_after = st && st->retry_after ? st->retry_after : cf->retry_after;
    pol.min_expires = cf->min_expires;
    pol.min_se = cf->min_se;
    pol.security_server = "digest"; /* 494 (RFC 3329) */

    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags =
        SR_BUILD_DEFAULTS | (st && st->unregistered ? SR_BUILD_UNREGISTERED | SR_BUILD_LEGACY : 0);
    o.tag_key = key;
    const sr_nameaddr *rto = sr_msg_to(req);
    if (code != 100 && rto && !rto->tag.p) {
        /* the tag the builder would derive (sr_build_to_tag), derived once per job */
        if (j->totag_key != key) {
            char t[SR_BUILD_TAG_LEN + 1];
            if (sr_build_to_tag(req, key, t) == 0) {
                memcpy(j->totag, t, SR_BUILD_TAG_LEN);
                j->totag_key = key;
            }
        }
        if (j->totag_key == key)
            o.to_tag = (sr_str){j->totag, SR_BUILD_TAG_LEN};
    }
    o.policy = &pol;
    o.alloc = e->alloc;
    o.source_host = sr_str_from_cstr(j->src.host);
    o.source_port = j->src.port;
    sr_build_header hdrs[MAX_EXTRA];
    size_t nh = 0;
    char cvals[8][300];
    if (st) {
        if (st->reason)
            o.reason = sr_str_from_cstr(st->reason);
        for (size_t i = 0; i < st->n_contacts && nh < MAX_EXTRA && i < 8; i++) {
            if (st->contacts[i].q >= 0) {
                int q = st->contacts[i].q;
                char qs[16]; /* "0.%03d" of any int: gcc -Wformat-truncation counts 14 */
                if (q >= 1000)
                    snprintf(qs, sizeof(qs), "1");
                else if (q % 100 == 0)
                    snprintf(qs, sizeof(qs), "0.%d", q / 100);
                else if (q % 10 == 0)
                    snprintf(qs, sizeof(qs), "0.%02d", q / 10);
                else
                    snprintf(qs, sizeof(qs), "0.%03d", q);
                snprintf(cvals[i], sizeof(cvals[i]), "<%s>;q=%s", st->contacts[i].uri, qs);
            } else {
                snprintf(cvals[i], sizeof(cvals[i]), "<%s>", st->contacts[i].uri);
            }
            hdrs[nh].name = SR_STR("Contact");
            hdrs[nh].value = sr_str_from_cstr(cvals[i]);
            nh++;
        }
        for (size_t i = 0; i < st->n_headers && nh < MAX_EXTRA; i++) {
            hdrs[nh].name = sr_str_from_cstr(st->headers[i].name);
            hdrs[nh].value = sr_str_from_cstr(st->headers[i].value);
            nh++;
        }
    }
    /* a 420 nobody explained (dial a code, a rule with a bare 420) lists the request's
     * Require tags, or a tag that says where it came from */
    bool have_unsup = false;
    for (size_t i = 0; i < nh; i++)
        have_unsup = have_unsup || sr_str_caseeq_cstr(hdrs[i].name, "Unsupported");
    if (code == 420 && !have_unsup && nh < MAX_EXTRA) {
        const sr_header *rq = sr_msg_header_find(req, SR_HDR_REQUIRE, NULL);
        hdrs[nh].name = SR_STR("Unsupported");
        hdrs[nh].value = rq && rq->value.len ? rq->value : SR_STR("x-dial-a-code");
        nh++;
    }
    if (cf->server && nh < MAX_EXTRA) {
        hdrs[nh].name = SR_STR("Server");
        hdrs[nh].value = sr_str_from_cstr(cf->server);
        nh++;
    }
    o.headers = hdrs;
    o.n_headers = nh;
    sr_buf *b = &e->scratch;
    b->len = 0;
    const char *tpl = st && st->body && !st->sdp_auto ? st->body : NULL;
    if (tpl || sdp || (st && st->sdp_auto)) {
        /* our SDP (engine_sdp.c): the RFC 3264 answer to the offer, or our offer */
        int rc = tpl ? expand(e, j, req, tpl, b) : sd__sdp_body(e, j, req, b);
        if (rc == SR_ENOCODEC)
            return rc; /* the caller refuses the offer: sd__sdp_refuse() */
        if (rc) {
            e->cnt.failures++; /* SR_ENOMEM: the only error of sr_buf */
            return rc;
        }
        o.body = (sr_str){b->p ? b->p : "", b->len};
        o.body_type = tpl ? sr_str_from_cstr(st->body_type) : SR_STR("application/sdp");
    }
    sr_build_error berr;
    int rc = wire ? sr_build_response_print(wire, req, code, &o, &berr)
                  : sr_build_response(out, req, code, &o, &berr);
    if (rc == SR_ENOMEM)
        e->cnt.failures++; /* the callers log what (not) went out instead */
    return rc;
}

int sd__build(sd_engine *e, job *j, const sr_msg *req, const sd_step *st, unsigned code, bool sdp,
              const uint8_t *key, sr_msg **out)
{
    return build(e, j, req, st, code, sdp, key, out, NULL);
}

int sd__build_print(sd_engine *e, job *j, const sr_msg *req, const sd_step *st, unsigned code,
                    const uint8_t *key, sr_buf *wire)
{
    return build(e, j, req, st, code, false, key, NULL, wire);
}

/* ------------------------------------------------------------------ logging */

void sd__log_tx(sd_engine *e, const sr_msg *req, const sr_addr *src, unsigned code,
                const char *rule, const char *note)
{
    if (!e->o.log)
        return;
    sd_txlog l = {.src = src,
                  .method = sr_msg_method_str(req),
                  .ruri = sr_msg_request_uri(req),
                  .code = code,
                  .rule = rule,
                  .note = note};
    e->o.log(&l, e->o.log_user);
}
