/* sipreplyd: registering to a PBX (`registrations:`) — each AOR registered to its registrar
 * as a UAC (RFC 3261 §10.2) by a UAC context of the core (uac.h: digest, 423, failover and
 * Retry-After within one REGISTER) on the engine's stack, kept registered by the scheduler
 * (regsched.h: refresh, back-off, rate), and de-registered at shutdown (Expires: 0,
 * §10.2.2). The rules answer the calls the registrar routes to our Contact. */
#include "engine_int.h"
#include "regsched.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/version.h"

#define GROUP_SERVERS 8
#define URI_MAX       512
#define TRAIL_MAX     160

/* One registrar: a `registrations:` entry, its AORs [base, base + r->count). */
typedef struct reg_group {
    const sd_registration *r;
    size_t base;
    char ruri[URI_MAX]; /* the REGISTER's Request-URI: the registrar, or the AOR's domain */
    bool located;       /* servers and local known */
    bool asked;         /* a lookup in progress */
    unsigned dns_failures;
    uint64_t dns_retry_at; /* the next lookup after a failed one (UINT64_MAX: none) */
    sr_addr servers[GROUP_SERVERS];
    size_t n_servers;
    sd_local local; /* our address: Via sent-by and Contact */
    sr_transport tp;
} reg_group;

/* One REGISTER in flight (a de-registration too): its UAC context and what it saw. */
typedef struct reg_fl {
    sr_uac *u;
    size_t idx;
    reg_group *g;
    bool unreg;
    bool dead; /* DONE: freed once the stack's queue is empty (events may still name it) */
    unsigned status;
    uint32_t asked;       /* the Expires asked */
    uint32_t granted;     /* from the 200 */
    uint32_t retry_after; /* from the final */
    sr_uac_credential cred;
    char user[128], pass[128], contact[URI_MAX], aor[URI_MAX];
    char trail[TRAIL_MAX]; /* what went on the wire: "401 AUTH 200" */
    sr_addr to;            /* where the last request went */
} reg_fl;

struct sd_reg {
    sd_config *cfg; /* a reference on the configuration the engine started with */
    sd_regsched *s;
    reg_group *g;
    size_t n_g;
    size_t n;          /* AORs */
    uint32_t *cseq;    /* per AOR: the last CSeq number sent (RFC 3261 §10.2.4: one Call-ID) */
    uint32_t *expires; /* per AOR: asked, raised by a 423's Min-Expires (§10.2.8) */
    uint8_t *ok;       /* per AOR: its last REGISTER succeeded */
    reg_fl **fl;       /* in flight, and dead ones */
    size_t n_fl, cap_fl;
    uint64_t cid_key;
    uint64_t now;
    bool draining;
    uint64_t ok_total, failed_total, unreg_total;
};

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; /* splitmix64's finaliser */
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void note(sd_engine *e, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(sd_engine *e, int level, const char *fmt, ...)
{
    if (!e->o.note)
        return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    e->o.note(e->o.reg_user, level, msg);
}

static reg_group *group_of(struct sd_reg *r, size_t idx)
{
    for (size_t i = 0; i < r->n_g; i++)
        if (idx >= r->g[i].base && idx < r->g[i].base + r->g[i].r->count)
            return &r->g[i];
    return NULL;
}

static void trail_add(reg_fl *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trail_add(reg_fl *f, const char *fmt, ...)
{
    size_t n = strlen(f->trail);
    if (n + 8 >= sizeof(f->trail))
        return;
    if (n)
        f->trail[n++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->trail + n, sizeof(f->trail) - n, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ the REGISTER */

/* The user part of @p uri into @p out ("" when none). */
static void uri_user(const char *uri, char *out, size_t cap)
{
    sr_uri u;
    out[0] = '\0';
    if (sr_uri_parse(&u, uri, strlen(uri), NULL) == 0 && u.has_user && u.user.len < cap) {
        memcpy(out, u.user.p, u.user.len);
        out[u.user.len] = '\0';
    }
}

/* The request the UAC context takes (it writes its own Via): RFC 3261 §10.2.1 — To and From
 * the AOR, one Call-ID per AOR for every REGISTER of this process, CSeq one higher each time
 * (§10.2.4), our Contact with Expires (0 to de-register, §10.2.2: only our binding, never
 * "*", which would end other devices' bindings too). */
static sr_msg *build_register(sd_engine *e, reg_fl *f)
{
    struct sd_reg *r = e->reg;
    reg_group *g = f->g;
    char tag[17];
    snprintf(tag, sizeof(tag), "%016llx", (unsigned long long)sd__rng_next(e));
    char text[2560];
    int n = snprintf(text, sizeof(text),
                     "REGISTER %s SIP/2.0\r\n"
                     "From: <%s>;tag=%s\r\n"
                     "To: <%s>\r\n"
                     "Call-ID: %016llx%08zx@sipreplyd\r\n"
                     "CSeq: %lu REGISTER\r\n"
                     "Contact: <%s>\r\n"
                     "Expires: %lu\r\n"
                     "Max-Forwards: 70\r\n"
                     "User-Agent: sipreplyd/%s\r\n"
                     "Content-Length: 0\r\n\r\n",
                     g->ruri, f->aor, tag, f->aor, (unsigned long long)mix(r->cid_key + f->idx),
                     f->idx, (unsigned long)r->cseq[f->idx] + 1, f->contact,
                     (unsigned long)f->asked, SR_VERSION_STRING);
    if (n < 0 || (size_t)n >= sizeof(text))
        return NULL;
    sr_msg *m = NULL;
    return sd__parse(e, text, (size_t)n, &m) == 0 ? m : NULL;
}

static int uac_random(uint8_t *out, size_t n, void *user)
{
    sd_engine *e = user;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)sd__rng_next(e);
    return 0;
}

static void fl_end(sd_engine *e, reg_fl *f);
static void fl_events(sd_engine *e, reg_fl *f);

/* Start the REGISTER of @p idx (@p unreg: Expires 0). */
static void start(sd_engine *e, size_t idx, bool unreg, uint64_t now)
{
    struct sd_reg *r = e->reg;
    reg_group *g = group_of(r, idx);
    reg_fl *f = sd__calloc(e, sizeof(*f));
    if (!f || !g || r->n_fl == r->cap_fl) {
        sd__free(e, f);
        e->cnt.failures++;
        if (unreg)
            sd_regsched_unregistered(r->s, idx);
        else
            sd_regsched_failed(r->s, idx, 0, now);
        return;
    }
    const sd_registration *c = g->r;
    uint32_t i = (uint32_t)(idx - g->base);
    f->idx = idx;
    f->g = g;
    f->unreg = unreg;
    f->asked = unreg ? 0 : r->expires[idx];
    char auser[128];
    bool ok = sd_registration_expand(c, c->aor, i, f->aor, sizeof(f->aor)) == 0;
    uri_user(f->aor, auser, sizeof(auser));
    ok = ok && (!c->user || sd_registration_expand(c, c->user, i, f->user, sizeof(f->user)) == 0);
    if (!c->user)
        snprintf(f->user, sizeof(f->user), "%s", auser);
    ok = ok &&
         (!c->password || sd_registration_expand(c, c->password, i, f->pass, sizeof(f->pass)) == 0);
    if (c->contact)
        ok = ok && sd_registration_expand(c, c->contact, i, f->contact, sizeof(f->contact)) == 0;
    else
        snprintf(f->contact, sizeof(f->contact), "sip:%s@%s:%u%s", auser[0] ? auser : f->user,
                 r->cfg->advertise ? r->cfg->advertise : g->local.host, (unsigned)g->local.port,
                 g->tp == SR_TP_TCP ? ";transport=tcp" : "");
    sr_msg *req = ok ? build_register(e, f) : NULL;
    sr_uac_config uc;
    sr_uac_config_init(&uc);
    uc.alloc = e->alloc;
    uc.servers = g->servers;
    uc.n_servers = g->n_servers;
    uc.via_host = g->local.host;
    uc.via_port = g->local.port;
    f->cred = (sr_uac_credential){.realm = c->realm, .username = f->user, .password = f->pass};
    if (c->password) {
        uc.creds = &f->cred;
        uc.n_creds = 1;
    }
    uc.random = uac_random;
    uc.random_user = e;
    uc.t1 = sd__cfg_of(e)->t1;
    uc.follow =
        SR_UAC_FOLLOW_AUTH | SR_UAC_FOLLOW_RETRY | SR_UAC_FOLLOW_FAILOVER | SR_UAC_FOLLOW_REDIRECT;
    uc.max_retry_after = 32; /* longer: the scheduler waits it out (regsched.h) */
    int rc = req ? sr_uac_new(&f->u, e->stack, req, &uc) : SR_ENOMEM;
    sr_msg_free(req);
    r->fl[r->n_fl++] = f;
    if (rc == 0)
        rc = sr_uac_start(f->u, now);
    if (f->u) {
        fl_events(e, f); /* what it sent; a DONE (SR_UAC_ERROR) when sending failed */
    } else {
        e->cnt.failures++;
        snprintf(f->trail, sizeof(f->trail), "not sent: %s", sr_strerror(rc));
        fl_end(e, f);
    }
}

/* ------------------------------------------------------------------ outcomes */

/* The expiry the 200 grants our Contact (RFC 3261 §10.2.4: its expires parameter, else the
 * Expires header, else what we asked). */
static uint32_t granted(const sr_msg *ok, const reg_fl *f)
{
    sr_uri ours;
    bool have = sr_uri_parse(&ours, f->contact, strlen(f->contact), NULL) == 0;
    int64_t found = -1, only = -1;
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find(ok, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(ok, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str item;
        while (sr_value_next(h->value, &pos, &item)) {
            sr_contact c;
            if (sr_contact_parse(&c, item, NULL) != 0 || c.star)
                continue;
            n++;
            only = c.expires;
            sr_uri u;
            if (found < 0 && have && sr_uri_parse(&u, c.addr.uri.p, c.addr.uri.len, NULL) == 0 &&
                sr_uri_eq(&u, &ours))
                found = c.expires;
        }
    }
    if (found < 0 && n == 1)
        found = only;
    if (found < 0)
        found = sr_msg_expires(ok);
    if (found < 0)
        return f->asked;
    return found > 0xffffffffLL ? 0xffffffffu : (uint32_t)found;
}

static uint32_t header_u32(const sr_msg *m, const char *name)
{
    const sr_header *h = sr_msg_header_find_name(m, sr_str_from_cstr(name), NULL);
    uint32_t v = 0;
    if (h && sr_uint32_parse(h->value, &v) != 0)
        v = 0;
    return v;
}

static uint32_t retry_after(const sr_msg *m)
{
    const sr_header *h = sr_msg_header_find(m, SR_HDR_RETRY_AFTER, NULL);
    sr_retry_after ra;
    return h && sr_retry_after_parse(&ra, h->value, NULL) == 0 ? ra.seconds : 0;
}

static void fl_end(sd_engine *e, reg_fl *f)
{
    struct sd_reg *r = e->reg;
    f->dead = true;
    uint64_t now = r->now;
    char to[SR_ADDR_HOST_MAX + 24] = "-";
    if (f->to.host[0])
        snprintf(to, sizeof(to), "%s %s:%u", f->to.transport == SR_TP_TCP ? "tcp" : "udp",
                 f->to.host, (unsigned)f->to.port);
    if (f->unreg) {
        sd_regsched_unregistered(r->s, f->idx);
        r->unreg_total++;
        note(e, f->status >= 200 && f->status < 300 ? SD_NOTE_INFO : SD_NOTE_WARN,
             "register %s: %s (REGISTER Expires: 0 to %s: %s)", f->aor,
             f->status >= 200 && f->status < 300 ? "de-registered" : "de-registration failed", to,
             f->trail[0] ? f->trail : "no answer");
        return;
    }
    if (f->status >= 200 && f->status < 300 && f->granted > 0) {
        uint64_t at = sd_regsched_ok(r->s, f->idx, f->granted, now);
        r->ok_total++;
        /* a state change is logged at info, a refresh that changes nothing at debug */
        bool was = r->ok[f->idx];
        r->ok[f->idx] = 1;
        char tail[64] = ", shutting down: de-registering";
        if (at != UINT64_MAX)
            snprintf(tail, sizeof(tail), ", refresh in %llu s",
                     (unsigned long long)((at - now) / 1000));
        note(e, was ? SD_NOTE_DEBUG : SD_NOTE_INFO,
             "register %s: %s as %s at %s (%s; expires %lu s%s)", f->aor,
             was ? "refreshed" : "registered", f->contact, to, f->trail, (unsigned long)f->granted,
             tail);
        return;
    }
    r->failed_total++;
    r->ok[f->idx] = 0;
    uint64_t at = sd_regsched_failed(r->s, f->idx, f->retry_after, now);
    char retry[64] = "";
    if (at != UINT64_MAX)
        snprintf(retry, sizeof(retry), "; retry in %llu s",
                 (unsigned long long)((at - now) / 1000));
    const char *why = "";
    if (f->status >= 200 && f->status < 300)
        why = " (the registrar kept no binding of our Contact)";
    else if (strstr(f->trail, "AUTH_FAILED"))
        why = " (the registrar refused the credentials: check user and password)";
    note(e, SD_NOTE_WARN, "register %s: failed at %s (%s%s)%s", f->aor, to,
         f->trail[0] ? f->trail : "no answer", why, retry);
}

/* The context's events: what went on the wire, and its outcome. */
static void fl_events(sd_engine *e, reg_fl *f)
{
    struct sd_reg *r = e->reg;
    sr_uac_event ev;
    while (!f->dead && sr_uac_poll(f->u, &ev) == 0) {
        switch (ev.kind) {
        case SR_UAC_EV_SENT: {
            f->to = ev.addr;
            const sr_cseq *cs = ev.msg ? sr_msg_cseq(ev.msg) : NULL;
            if (cs && cs->num > r->cseq[f->idx])
                r->cseq[f->idx] = cs->num;
            break;
        }
        case SR_UAC_EV_RESPONSE:
            if (ev.status < 200 || ev.retransmission)
                break;
            trail_add(f, "%u", ev.status);
            if (ev.status == 423 && ev.msg) {
                /* RFC 3261 §10.2.8: the context asks again with Min-Expires; so do the
                 * refreshes from now on */
                uint32_t min = header_u32(ev.msg, "Min-Expires");
                if (min > r->expires[f->idx])
                    r->expires[f->idx] = min;
                f->asked = r->expires[f->idx];
            }
            break;
        case SR_UAC_EV_ACTION: trail_add(f, "%s", sr_uac_action_name(ev.action)); break;
        case SR_UAC_EV_DONE:
            f->status = ev.status;
            if (ev.outcome == SR_UAC_TIMEOUT || ev.outcome == SR_UAC_TRANSPORT_ERROR ||
                ev.outcome == SR_UAC_ERROR)
                trail_add(f, "%s", sr_uac_outcome_name(ev.outcome));
            if (ev.msg && ev.status >= 200 && ev.status < 300)
                f->granted = granted(ev.msg, f);
            else if (ev.msg)
                f->retry_after = retry_after(ev.msg);
            fl_end(e, f);
            break;
        default: break;
        }
    }
}

/* Locate registrar group @p i (sd_engine_opts.resolve; the answer may come from inside). */
static void ask(sd_engine *e, size_t i)
{
    reg_group *g = &e->reg->g[i];
    g->asked = true;
    g->dns_retry_at = UINT64_MAX;
    if (e->o.resolve) {
        e->o.resolve(e->o.reg_user, i, g->ruri);
        return;
    }
    /* no resolver (tests): the host as an address literal */
    sr_uri u;
    sr_addr a;
    char host[SR_ADDR_HOST_MAX];
    sd_local l = {.host = "127.0.0.1", .port = 5060};
    if (sr_uri_parse(&u, g->ruri, strlen(g->ruri), NULL) == 0 && u.host.len < sizeof(host) &&
        u.host_kind != SR_URI_HOST_NAME) {
        memcpy(host, u.host.p, u.host.len);
        host[u.host.len] = '\0';
        if (sr_addr_set(&a, host, u.has_port ? u.port : 5060, g->tp) == 0) {
            sd_engine_reg_resolved(e, i, &a, 1, &l, NULL, e->reg->now);
            return;
        }
    }
    sd_engine_reg_resolved(e, i, NULL, 0, NULL, "not an address (no resolver)", e->reg->now);
}

/* ------------------------------------------------------------------ engine hooks */

bool sd__reg_event(sd_engine *e, const sr_event *ev, uint64_t now)
{
    struct sd_reg *r = e->reg;
    if (!r || !ev->user || r->n_fl == 0)
        return false;
    for (size_t i = 0; i < r->n_fl; i++) {
        reg_fl *f = r->fl[i];
        if (ev->user != f->u)
            continue;
        if (ev->kind == SR_EV_SEND)
            return false; /* the engine sends it */
        r->now = now;
        /* a response matched to our client transaction (its branch is ours, unguessable):
         * the registrar receives what we send (the reflection budget's sign of life) */
        if (ev->kind == SR_EV_RESPONSE)
            sd__sign(e, &ev->addr, SD_SIGN_ALIVE);
        if (!f->dead) {
            sr_uac_handle(f->u, ev, now);
            fl_events(e, f);
        }
        return true;
    }
    return false;
}

void sd__reg_reap(sd_engine *e)
{
    struct sd_reg *r = e->reg;
    if (!r)
        return;
    size_t k = 0;
    for (size_t i = 0; i < r->n_fl; i++) {
        reg_fl *f = r->fl[i];
        if (f->dead) {
            sr_uac_free(f->u);
            sd__free(e, f);
        } else {
            r->fl[k++] = f;
        }
    }
    r->n_fl = k;
}

uint64_t sd__reg_next_deadline(const sd_engine *e)
{
    const struct sd_reg *r = e->reg;
    if (!r)
        return UINT64_MAX;
    uint64_t d = sd_regsched_next_deadline(r->s);
    for (size_t i = 0; i < r->n_g && !r->draining; i++)
        if (r->g[i].dns_retry_at < d)
            d = r->g[i].dns_retry_at;
    for (size_t i = 0; i < r->n_fl; i++)
        if (!r->fl[i]->dead) {
            uint64_t u = sr_uac_next_deadline(r->fl[i]->u);
            if (u < d)
                d = u;
        }
    return d;
}

void sd__reg_on_timer(sd_engine *e, uint64_t now)
{
    struct sd_reg *r = e->reg;
    if (!r)
        return;
    r->now = now;
    for (size_t i = 0; i < r->n_fl; i++) {
        reg_fl *f = r->fl[i];
        if (!f->dead && sr_uac_next_deadline(f->u) <= now) {
            sr_uac_on_timer(f->u, now);
            fl_events(e, f);
        }
    }
    for (size_t i = 0; i < r->n_g && !r->draining; i++)
        if (r->g[i].dns_retry_at <= now)
            ask(e, i);
    size_t idx;
    bool unreg;
    while (r->n_fl < r->cap_fl && sd_regsched_next(r->s, now, &idx, &unreg)) {
        start(e, idx, unreg, now);
        sd__drain_events(e, NULL, now);
    }
}

void sd__reg_drain(sd_engine *e)
{
    struct sd_reg *r = e->reg;
    if (!r || r->draining)
        return;
    r->draining = true;
    sd_regsched_drain(r->s, r->now);
    size_t n = sd_regsched_pending(r->s);
    if (n)
        note(e, SD_NOTE_NOTICE,
             "registrations: shutting down: %zu to de-register (or REGISTERs in flight to end "
             "first)",
             n);
}

size_t sd__reg_pending(const sd_engine *e)
{
    return e->reg && e->reg->draining ? sd_regsched_pending(e->reg->s) : 0;
}

void sd__reg_abort(sd_engine *e)
{
    struct sd_reg *r = e->reg;
    if (!r)
        return;
    size_t n = sd_regsched_pending(r->s);
    if (n)
        note(e, SD_NOTE_WARN,
             "registrations: out of time: %zu REGISTERs or de-registrations unfinished", n);
    sd_regsched_abort(r->s);
    for (size_t i = 0; i < r->n_fl; i++)
        r->fl[i]->dead = true;
    sd__reg_reap(e); /* the contexts forget their transactions: nothing more is sent */
}

void sd__reg_free(sd_engine *e)
{
    struct sd_reg *r = e->reg;
    if (!r)
        return;
    for (size_t i = 0; i < r->n_fl; i++)
        r->fl[i]->dead = true;
    sd__reg_reap(e);
    sd_regsched_free(r->s);
    sd__free(e, r->fl);
    sd__free(e, r->g);
    sd__free(e, r->cseq);
    sd__free(e, r->expires);
    sd__free(e, r->ok);
    sd__cfg_release(e, r->cfg);
    sd__free(e, r);
    e->reg = NULL;
}

int sd__reg_metrics(const sd_engine *e, sr_buf *out)
{
    const struct sd_reg *r = e->reg;
    size_t reg = 0, failed = 0, pending = 0;
    if (r) {
        sd_regsched_tally(r->s, r->now, &reg, &failed, &pending);
        for (size_t i = 0; i < r->n_g; i++)
            if (!r->g[i].located && r->g[i].dns_failures && pending >= r->g[i].r->count) {
                pending -= r->g[i].r->count; /* its lookup failed: they cannot register */
                failed += r->g[i].r->count;
            }
    }
    char text[1024];
    snprintf(text, sizeof(text),
             "# HELP sipreplyd_registrations AORs registered to a registrar (registrations:), "
             "by state.\n"
             "# TYPE sipreplyd_registrations gauge\n"
             "sipreplyd_registrations{state=\"registered\"} %zu\n"
             "sipreplyd_registrations{state=\"failed\"} %zu\n"
             "sipreplyd_registrations{state=\"pending\"} %zu\n"
             "# HELP sipreplyd_registration_results_total REGISTERs ended, by result.\n"
             "# TYPE sipreplyd_registration_results_total counter\n"
             "sipreplyd_registration_results_total{result=\"ok\"} %llu\n"
             "sipreplyd_registration_results_total{result=\"failed\"} %llu\n"
             "sipreplyd_registration_results_total{result=\"unregistered\"} %llu\n",
             reg, failed, pending, r ? (unsigned long long)r->ok_total : 0ULL,
             r ? (unsigned long long)r->failed_total : 0ULL,
             r ? (unsigned long long)r->unreg_total : 0ULL);
    return sr_buf_append_cstr(out, text);
}

/* ------------------------------------------------------------------ start */

/* The Request-URI: the registrar, else "sip:" and the AOR's host and port (§10.2). */
static int group_ruri(reg_group *g)
{
    const sd_registration *c = g->r;
    if (c->registrar) {
        snprintf(g->ruri, sizeof(g->ruri), "%s", c->registrar);
    } else {
        char aor[URI_MAX];
        sr_uri u;
        if (sd_registration_expand(c, c->aor, 0, aor, sizeof(aor)) != 0 ||
            sr_uri_parse(&u, aor, strlen(aor), NULL) != 0)
            return -1;
        if (u.has_port)
            snprintf(g->ruri, sizeof(g->ruri), "sip:%.*s:%u", (int)u.host.len, u.host.p,
                     (unsigned)u.port);
        else
            snprintf(g->ruri, sizeof(g->ruri), "sip:%.*s", (int)u.host.len, u.host.p);
    }
    sr_uri u;
    sr_str tp;
    g->tp = SR_TP_UDP;
    if (sr_uri_parse(&u, g->ruri, strlen(g->ruri), NULL) == 0 &&
        sr_uri_param_find(&u, "transport", &tp) && sr_str_caseeq_cstr(tp, "tcp"))
        g->tp = SR_TP_TCP;
    return 0;
}

int sd_engine_reg_start(sd_engine *e, uint64_t now)
{
    sd_config *cf = sd__cfg_of(e);
    if (e->reg || cf->n_regs == 0)
        return 0;
    struct sd_reg *r = sd__calloc(e, sizeof(*r));
    if (!r)
        return -1;
    e->reg = r;
    r->cfg = cf;
    e->cur->refs++; /* the registrations keep the configuration they started with */
    r->n = cf->n_reg_aors;
    r->n_g = cf->n_regs;
    r->now = now;
    r->cid_key = sd__rng_next(e);
    r->cap_fl = cf->reg.in_flight;
    r->g = sd__calloc(e, r->n_g * sizeof(*r->g));
    r->cseq = sd__calloc(e, r->n * sizeof(*r->cseq));
    r->expires = sd__calloc(e, r->n * sizeof(*r->expires));
    r->ok = sd__calloc(e, r->n);
    r->fl = sd__calloc(e, r->cap_fl * sizeof(*r->fl));
    sd_regsched_opts so = {.n = r->n,
                           .rate = cf->reg.rate,
                           .max_inflight = cf->reg.in_flight,
                           .retry_min_s = cf->reg.retry_min_s,
                           .retry_max_s = cf->reg.retry_max_s,
                           .seed = sd__rng_next(e),
                           .alloc = e->alloc};
    if (!r->g || !r->cseq || !r->expires || !r->ok || !r->fl || sd_regsched_new(&r->s, &so) != 0) {
        sd__reg_free(e);
        return -1;
    }
    size_t base = 0;
    for (size_t i = 0; i < r->n_g; i++) {
        reg_group *g = &r->g[i];
        g->r = &cf->regs[i];
        g->base = base;
        for (size_t k = 0; k < g->r->count; k++)
            r->expires[base + k] = g->r->expires;
        base += g->r->count;
        if (group_ruri(g) != 0) {
            sd__reg_free(e);
            return -1;
        }
    }
    for (size_t i = 0; i < r->n_g; i++)
        ask(e, i);
    return 0;
}

void sd_engine_reg_resolved(sd_engine *e, size_t group, const sr_addr *servers, size_t n,
                            const sd_local *local, const char *why, uint64_t now)
{
    struct sd_reg *r = e->reg;
    if (!r || group >= r->n_g || r->g[group].located)
        return;
    reg_group *g = &r->g[group];
    r->now = now;
    g->asked = false;
    if (n == 0 || !local) {
        /* looked up again after a back-off, as a REGISTER that fails would be sent again */
        uint64_t w = r->cfg->reg.retry_min_s;
        for (unsigned k = 0; k < g->dns_failures && w < r->cfg->reg.retry_max_s; k++)
            w *= 2;
        if (w > r->cfg->reg.retry_max_s)
            w = r->cfg->reg.retry_max_s;
        g->dns_failures++;
        g->dns_retry_at = now + w * 1000;
        note(e, SD_NOTE_ERROR,
             "registrations[%zu]: registrar %s: %s; its %lu AOR(s) stay unregistered; lookup "
             "again in %llu s",
             group, g->ruri, why ? why : "not found", (unsigned long)g->r->count,
             (unsigned long long)w);
        return;
    }
    g->dns_retry_at = UINT64_MAX;
    g->n_servers = n < GROUP_SERVERS ? n : GROUP_SERVERS;
    memcpy(g->servers, servers, g->n_servers * sizeof(*servers));
    g->local = *local;
    g->tp = servers[0].transport;
    g->located = true;
    note(e, SD_NOTE_NOTICE,
         "registrations[%zu]: registrar %s at %s:%u (%zu server(s)); registering %lu AOR(s) "
         "at %lu/s, contact %s:%u",
         group, g->ruri, servers[0].host, (unsigned)servers[0].port, g->n_servers,
         (unsigned long)g->r->count, (unsigned long)r->cfg->reg.rate, local->host,
         (unsigned)local->port);
    sd_regsched_release(r->s, g->base, g->r->count, now);
}
