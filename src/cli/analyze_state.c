/* sipreply CLI: `sipreply analyze` accounting: messages, retransmissions, calls, REGISTER
 * outcomes, per-method transactions, lint findings per sender, RFC 6076 figures. */
#define _DEFAULT_SOURCE /* libpcap's u_char/u_int, gmtime_r, inet_ntop, fileno */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

#define LINGER_NS     (32ull * 1000000000ull)   /* a finished call waits for retransmissions */
#define STALE_NS      (3600ull * 1000000000ull) /* an unfinished call gives up after an hour */
#define RESEND_NS     (600ull * 1000000000ull)  /* as in analyze_check.c */
#define PENDING_NS    (64ull * 1000000000ull)   /* as in analyze_check.c */
#define SWEEP_BUCKETS 2                         /* buckets of each table looked at per message */

/* ------------------------------------------------------------------ helpers */

static void addr_name(const sr_cap_addr *ad, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(ad->family == 6 ? AF_INET6 : AF_INET, ad->ip, ip, sizeof ip);
    if (ad->family == 6)
        snprintf(out, cap, "[%s]:%u", ip, ad->port);
    else
        snprintf(out, cap, "%s:%u", ip, ad->port);
}

/* The name of @p ad, formatted once and kept (up to AZ_MAX_NAMES addresses; past that,
 * formatted into @p buf each time). */
static const char *addr_cached(az *a, const sr_cap_addr *ad, char *buf, size_t cap)
{
    uint64_t h = az_hash_addr(ad);
    const char *name = az_map_get_h(&a->names, h, ad, sizeof *ad);
    if (name)
        return name;
    addr_name(ad, buf, cap);
    if (a->names.n >= AZ_MAX_NAMES)
        return buf;
    size_t n = strlen(buf) + 1;
    char *copy = malloc(n);
    if (!copy)
        return buf;
    memcpy(copy, buf, n);
    if (az_map_put_h(&a->names, h, ad, sizeof *ad, copy, 0) != 0) {
        free(copy);
        return buf;
    }
    return copy;
}

/* snprintf(dst, cap, "%s", src) without the format machinery (once or more per message). */
static void copy_cstr(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The decimal digits of @p v at @p out (room for 10); returns how many. */
/* The element sending from @p ad, found by its binary address (the name is formatted once). */
static az_element *element(az *a, const sr_cap_addr *ad)
{
    uint64_t h = az_hash_addr(ad);
    az_element *el = az_map_get_h(&a->el_map, h, ad, sizeof *ad);
    if (el)
        return el;
    if (a->nelements == AZ_MAX_ELEMENTS)
        return &a->other;
    el = calloc(1, sizeof *el);
    if (!el)
        return &a->other;
    addr_name(ad, el->name, sizeof el->name);
    if (az_map_put_h(&a->el_map, h, ad, sizeof *ad, el, 0) != 0) {
        free(el);
        return &a->other;
    }
    a->elements[a->nelements++] = el;
    return el;
}

static az_method *method(az *a, sr_str name)
{
    for (size_t i = 0; i < a->nmethods; i++)
        if (a->methods[i].len == name.len && memcmp(a->methods[i].name, name.p, name.len) == 0)
            return &a->methods[i];
    if (a->nmethods == AZ_MAX_METHODS || name.len >= sizeof a->methods[0].name)
        return NULL;
    az_method *m = &a->methods[a->nmethods++];
    az_copy_str(m->name, sizeof m->name, name);
    m->len = name.len;
    return m;
}

static void delay_add(az_delay *d, uint64_t from, uint64_t to)
{
    if (!from || !to || to < from)
        return;
    double s = (double)(to - from) / 1e9;
    if (d->n == 0 || s < d->min)
        d->min = s;
    if (d->n == 0 || s > d->max)
        d->max = s;
    d->sum += s;
    d->n++;
}

/* ------------------------------------------------------------------ calls */

static void call_free(void *v)
{
    free(v);
}

/* A call no longer needed: kept for the next one (a few hundred at most) or freed. */
static void call_recycle(az *a, az_call *c)
{
    if (a->nspare < sizeof a->spare / sizeof a->spare[0])
        a->spare[a->nspare++] = c;
    else
        free(c);
}

static az_call *call_new(az *a)
{
    if (!a->nspare)
        return calloc(1, sizeof(az_call));
    az_call *c = a->spare[--a->nspare];
    memset(c, 0, sizeof *c);
    return c;
}

/* Account a call that is over (or given up) and take it out of the table's care. */
static void call_flush(az *a, az_call *c)
{
    if (c->is_register) {
        call_recycle(a, c);
        return;
    }
    az_metrics *mt = &a->m;
    if (!c->final_code && c->challenge_code) { /* challenged, never retried: the outcome */
        c->final_code = c->challenge_code;
        c->final_at = c->challenge_at;
    }
    a->calls_total++;
    mt->invites++;
    mt->hops_sum += c->vias;
    mt->hops_n++;
    unsigned code = c->final_code;
    if (code >= 200 && code < 300)
        mt->inv_200++;
    if (code >= 300 && code < 400)
        mt->inv_3xx++;
    /* RFC 6076 §4.7: 200, 480, 486, 600, 603 end a session attempt the way users decide */
    if ((code >= 200 && code < 300) || code == 480 || code == 486 || code == 600 || code == 603)
        mt->inv_effective++;
    /* RFC 6076 §4.8: 408, 500, 503, 504 are failures of the network elements */
    if (code == 408 || code == 500 || code == 503 || code == 504)
        mt->inv_ineffective++;
    /* NER (after ITU-T E.411 and GSMA IR.42): answered, or ended by the user (busy,
     * no answer, declined, abandoned by the caller) */
    if ((code >= 200 && code < 300) || code == 480 || code == 486 || code == 600 || code == 603 ||
        code == 487)
        mt->inv_ner++;
    if (code == 0)
        mt->inv_no_final++;
    if (c->cancel_at)
        mt->inv_cancelled++;
    if (c->answer && c->bye_ok_at)
        mt->inv_completed++;
    /* RFC 6076 §4.3.1: a successful setup is measured up to the first provisional response
     * other than 100, or the 2xx when none came; §4.3.2: a failed one up to the first such
     * provisional response or the failure response: 4xx other than the challenges 401, 402
     * and 407, 5xx, 6xx. From the first INVITE of the attempt (retransmissions and a
     * challenge included). 3xx ends neither. */
    if (c->answer)
        delay_add(&mt->srd_ok, c->start, c->ringing ? c->ringing : c->answer);
    else if (code >= 400 && code != 401 && code != 402 && code != 407)
        delay_add(&mt->srd_fail, c->start, c->ringing ? c->ringing : c->final_at);
    if (c->ringing) {
        delay_add(&mt->pdd, c->start, c->ringing);
        static const double edges[11] = {0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89};
        double s = (double)(c->ringing - c->start) / 1e9;
        size_t b = 0;
        while (b < 11 && s >= edges[b])
            b++;
        mt->pdd_hist[b]++;
    }
    delay_add(&mt->first_prov, c->start, c->first_prov);
    if (c->bye_code >= 200 && c->bye_code < 300)
        delay_add(&mt->sdd, c->bye_at, c->bye_ok_at); /* §4.4: BYE to its 2xx */
    if (c->answer)
        delay_add(&mt->sdt, c->answer, c->bye_at); /* §4.5 */
    if (a->csv)
        az_csv_row(a->csv_out, c);
    if (a->ndone < AZ_MAX_CALLS_KEPT) {
        if (a->ndone == a->capdone) {
            size_t nc = a->capdone ? a->capdone * 2 : 64;
            az_call **nd = realloc(a->done, nc * sizeof *nd);
            if (!nd) {
                call_recycle(a, c);
                return;
            }
            a->done = nd;
            a->capdone = nc;
        }
        a->done[a->ndone++] = c;
    } else {
        a->calls_dropped_from_report++;
        call_recycle(a, c);
    }
}

static bool sweep_call(az *a, void *v)
{
    az_call *c = v;
    uint64_t now = a->last_ns;
    if ((c->done && now - c->last_at > LINGER_NS) || now - c->last_at > STALE_NS) {
        call_flush(a, c);
        return true;
    }
    return false;
}

static bool flush_all(az *a, void *v)
{
    call_flush(a, v);
    return true;
}

static int lane_of(az_call *c, const char *name)
{
    for (int i = 0; i < c->nlanes; i++)
        if (strcmp(c->lanes[i], name) == 0)
            return i;
    if (c->nlanes == AZ_LADDER_LANES)
        return -1;
    copy_cstr(c->lanes[c->nlanes], sizeof c->lanes[0], name);
    return c->nlanes++;
}

static void ladder_add(az *a, az_call *c, const sr_cap_msg *cm, const sr_msg *m, const char *sender,
                       bool resend, uint64_t now)
{
    if (a->ndone >= AZ_MAX_CALLS_KEPT)
        return; /* the report's list is full: this call will not be in it */
    char buf[64];
    const char *dst = addr_cached(a, &cm->dst, buf, sizeof buf);
    int from = lane_of(c, sender), to = lane_of(c, dst);
    if (c->nev == AZ_LADDER_EVENTS || from < 0 || to < 0) {
        c->ev_truncated = true;
        return;
    }
    az_event *e = &c->ev[c->nev++];
    e->ts = now;
    e->from = (uint8_t)from;
    e->to = (uint8_t)to;
    e->resent = resend;
    if (sr_msg_is_request(m)) {
        az_copy_str(e->label, sizeof e->label, sr_msg_method_str(m));
    } else {
        sr_str r = sr_msg_reason(m);
        /* "CODE Reason" with the reason cut at 24 bytes */
        unsigned code = sr_msg_status(m);
        size_t n = az_put_uint(e->label, code < 1000 ? code : 999);
        e->label[n++] = ' ';
        size_t rl = r.len < 24 ? r.len : 24;
        if (rl)
            memcpy(e->label + n, r.p, rl);
        e->label[n + rl] = '\0';
    }
}

static void timeline_add(az_timeline *t, uint64_t now, unsigned cls)
{
    if (!t->width_ns) {
        t->start_ns = now;
        t->width_ns = 1000000000ull;
    }
    if (now < t->start_ns)
        now = t->start_ns; /* out-of-order timestamps go to the first bucket */
    while ((now - t->start_ns) / t->width_ns >= AZ_TIMELINE) {
        /* bucket i takes buckets 2i and 2i+1 (AZ_TIMELINE is even); the upper half empties */
        for (size_t i = 0; i < AZ_TIMELINE; i++)
            for (size_t k = 0; k < 7; k++)
                t->n[i][k] = i < AZ_TIMELINE / 2 ? t->n[2 * i][k] + t->n[2 * i + 1][k] : 0;
        t->width_ns *= 2;
    }
    t->n[(now - t->start_ns) / t->width_ns][cls]++;
}

static void track_call_msg(az *a, const sr_cap_msg *cm, const sr_msg *m, const sr_cseq *cs,
                           const char *sender, bool resend, uint64_t now, az_entry **ep)
{
    sr_str cid = a->cid;
    if (!cs || cid.len == 0)
        return;
    size_t kl = cid.len < 127 ? cid.len : 127;
    az_entry *e = az_map_find_touch_h(&a->calls, a->keys.cid_h127, cid.p, kl, now);
    az_call *c = e ? e->val : NULL;
    bool req = sr_msg_is_request(m);
    const sr_nameaddr *to = sr_msg_to(m);
    if (!c) {
        bool invite = req && cs->method_id == SR_METHOD_INVITE && (!to || to->tag.len == 0);
        bool reg = req && cs->method_id == SR_METHOD_REGISTER;
        if (!invite && !reg)
            return;
        c = call_new(a);
        if (!c || !(e = az_map_put_entry_h(&a->calls, a->keys.cid_h127, cid.p, kl, c, now))) {
            if (c)
                call_recycle(a, c);
            return;
        }
        c->is_register = reg;
        az_copy_str(c->call_id, sizeof c->call_id, cid);
        const sr_nameaddr *from = sr_msg_from(m);
        if (from)
            az_copy_str(c->caller, sizeof c->caller, from->uri);
        if (to)
            az_copy_str(c->callee, sizeof c->callee, to->uri);
        copy_cstr(c->caller_addr, sizeof c->caller_addr, sender);
        char buf[64];
        copy_cstr(c->callee_addr, sizeof c->callee_addr, addr_cached(a, &cm->dst, buf, sizeof buf));
        c->start = now;
        c->invite_cseq = cs->num;
        c->vias = (unsigned)sr_msg_via_count(m);
    }
    *ep = e;
    c->last_at = now;
    if (resend)
        c->retrans++;
    ladder_add(a, c, cm, m, sender, resend, now);
    if (c->is_register) {
        if (req && cs->method_id == SR_METHOD_REGISTER && !resend &&
            (c->reg_at == 0 || cs->num != c->reg_cseq)) {
            c->reg_cseq = cs->num;
            c->reg_at = now;
            if (!c->reg_start)
                c->reg_start = now;
            a->m.reg_attempts++;
        } else if (!req && cs->method_id == SR_METHOD_REGISTER && cs->num == c->reg_cseq &&
                   c->reg_at && !resend) {
            unsigned code = sr_msg_status(m);
            if (code >= 200 && code < 300) {
                a->m.reg_ok++;
                /* RFC 6076 §4.1: from the first REGISTER of the attempt, the expected
                 * challenge included, to the 2xx */
                delay_add(&a->m.rrd, c->reg_start, now);
                c->reg_at = 0;
                c->reg_start = 0;
                c->done = true;
            } else if (code == 401 || code == 407) {
                a->m.reg_challenged++;
            } else if (code >= 300) {
                a->m.reg_failed++;
                c->reg_start = 0;
                c->done = true;
            }
        }
        return;
    }
    if (req) {
        /* the INVITE that answers a challenge (a new CSeq, no To tag) continues the attempt */
        if (cs->method_id == SR_METHOD_INVITE && c->challenge_code && !c->final_code &&
            cs->num > c->invite_cseq && (!to || to->tag.len == 0)) {
            c->invite_cseq = cs->num;
            c->challenge_code = 0;
            c->done = false;
        }
        if (cs->method_id == SR_METHOD_CANCEL && !c->cancel_at)
            c->cancel_at = now;
        if (cs->method_id == SR_METHOD_BYE && !c->bye_at) {
            c->bye_at = now;
            c->hangup = strcmp(sender, c->caller_addr) == 0 ? 1 : 2;
        }
        return;
    }
    unsigned code = sr_msg_status(m);
    if (cs->method_id == SR_METHOD_INVITE && cs->num == c->invite_cseq) {
        if (code < 200) {
            if (!c->first_prov)
                c->first_prov = now;
            if (code != 100 && !c->ringing)
                c->ringing = now;
        } else if (!c->final_code && (code == 401 || code == 407)) {
            /* a challenge (RFC 6076 §4.3.2: not a failure): the attempt goes on with the
             * INVITE that carries credentials, if one comes */
            c->challenge_code = code;
            c->challenge_at = now;
            copy_cstr(c->final_by, sizeof c->final_by, sender);
            c->done = true;
        } else if (!c->final_code) {
            c->final_code = code;
            c->final_at = now;
            copy_cstr(c->final_by, sizeof c->final_by, sender);
            if (code < 300) {
                c->answer = now;
                copy_cstr(c->callee_addr, sizeof c->callee_addr, sender);
                c->done = false; /* a 2xx after a challenge of another branch: it goes on */
            } else {
                c->done = true;
            }
        }
    } else if (cs->method_id == SR_METHOD_BYE && code >= 200 && !c->bye_ok_at && c->bye_at) {
        c->bye_ok_at = now;
        c->bye_code = code;
        c->done = true;
    }
}

/* The calls' part of a message; then the call's entry learns when sweep_call() can first
 * let it go, so the sweep passes it by without reading the call until then. */
static void track_call(az *a, const sr_cap_msg *cm, const sr_msg *m, const sr_cseq *cs,
                       const char *sender, bool resend, uint64_t now)
{
    az_entry *e = NULL;
    track_call_msg(a, cm, m, cs, sender, resend, now, &e);
    if (e) {
        const az_call *c = e->val;
        e->due = c->last_at + (c->done ? LINGER_NS : STALE_NS);
    }
}

/* ------------------------------------------------------------------ entry points */

void az_keys_of(const sr_cap_msg *cm, const sr_msg *m, az_keys *k, bool all)
{
    sr_str cid = az_call_id(m);
    size_t k127 = cid.len < 127 ? cid.len : 127, k256 = cid.len < 256 ? cid.len : 256;
    k->cid_h127 = az_hash(cid.p, k127);
    k->cid_h256 = az_hash_more(k->cid_h127, cid.p + k127, k256 - k127);
    k->all = all;
    k->resend = k->txn = 0;
    if (!all)
        return;
    const sr_cseq *cs = sr_msg_cseq(m);
    if (cs && cm->transport == SR_CAP_UDP)
        k->resend = az_resend_hash(cm, k->cid_h256);
    if (cs)
        k->txn = az_txn_hash(cid, k, cs);
}

int az_init(az *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->other.name, sizeof a->other.name, "other");
    az_tab_init(&a->resend, RESEND_NS);
    az_tab_init(&a->pending, PENDING_NS);
    az_pool_init(&a->pool);
    sr_capture_opts co;
    memset(&co, 0, sizeof co);
    co.udp_unframed = true; /* framed by az_parse, after the parse, at no cost */
    return sr_capture_new(&a->cap, &co, NULL);
}

void az_parse(sr_cap_msg *cm, const sr_parse_opts *po, sr_msg **m, sr_parse_error *e)
{
    if (sr_msg_parse(m, cm->data, cm->len, po, e) != 0)
        *m = NULL;
    if (cm->transport != SR_CAP_UDP)
        return; /* framed by the decoder's stream framer */
    /* the limits the decoder frames datagrams with when it frames them (its defaults) */
    static const sr_frame_opts fo = {SR_FRAME_DEFAULT_MAX_HEADER,
                                     SR_FRAME_DEFAULT_MAX_HEADER + SR_FRAME_DEFAULT_MAX_BODY,
                                     false};
    sr_frame f;
    ptrdiff_t r = sr_frame_datagram_msg(cm->data, cm->len, *m, &fo, &f, NULL);
    if (r > 0 && (size_t)r != cm->len) {
        /* bytes after the body (RFC 3261 §18.3): the message is the framed part, parsed
         * again on its own, as the decoder would have handed it over */
        sr_msg_free(*m);
        cm->len = (size_t)r;
        if (sr_msg_parse(m, cm->data, cm->len, po, e) != 0)
            *m = NULL;
    } else if (r <= 0) {
        cm->bad_framing = true;
    }
}

/* A message whose start line is SIP's (the decoder checked) but which does not parse: it
 * still counts by its method or code, as tshark counts it, and as an R-MSG-SYNTAX finding. */
static void unparsed(az *a, az_element *el, const sr_cap_msg *cm, const sr_parse_error *e,
                     uint64_t now)
{
    a->parse_errors++;
    a->messages++;
    const char *p = cm->data;
    if (cm->len >= 11 && memcmp(p, "SIP/2.0 ", 8) == 0) {
        unsigned code =
            (unsigned)(p[8] - '0') * 100 + (unsigned)(p[9] - '0') * 10 + (unsigned)(p[10] - '0');
        el->responses++;
        if (code >= 100 && code < 700) {
            a->codes[code]++;
            el->codes[code]++;
            timeline_add(&a->tl, now, code / 100);
        }
    } else {
        size_t n = 0;
        while (n < cm->len && p[n] != ' ')
            n++;
        el->requests++;
        sr_str name = {p, n};
        az_method *me = method(a, name);
        if (me)
            me->messages++;
        else
            a->methods_other++;
    }
    const sr_lint_rule *rule = sr_lint_rule_find("R-MSG-SYNTAX");
    if (rule) {
        sr_lint_finding f = {rule, e->phrase};
        az_finding_add(a, el, &f, cm);
    }
}

void az_message(az *a, const sr_cap_msg *cm)
{
    sr_msg *m = NULL;
    sr_parse_error e;
    sr_parse_opts po;
    sr_parse_opts_init(&po);
    po.alloc = &a->pool.alloc;
    sr_cap_msg c = *cm;
    az_parse(&c, &po, &m, &e);
    if (!az_message_parsed(a, &c, m, &e, NULL, 0, NULL))
        sr_msg_free(m);
}

bool az_message_parsed(az *a, const sr_cap_msg *cm, sr_msg *m, const sr_parse_error *e,
                       const sr_lint_finding *pre, size_t npre, const az_keys *keys)
{
    uint64_t now = cm->ts_ns;
    if (now > a->last_ns)
        a->last_ns = now;
    az_element *el = element(a, &cm->src);
    char other[64];
    const char *sender = el->name;
    if (el == &a->other) /* past AZ_MAX_ELEMENTS: the calls still need the address */
        sender = addr_cached(a, &cm->src, other, sizeof other);
    if (!m) {
        unparsed(a, el, cm, e, now);
        return false;
    }
    /* the Call-ID, hashed once for the tables keyed by it (where parsed, or here) */
    a->cid = az_call_id(m);
    if (keys)
        a->keys = *keys;
    else
        az_keys_of(cm, m, &a->keys, false);
    const sr_cseq *cs = sr_msg_cseq(m);
    bool resend = az_is_resend(a, cm, m, cs, now);
    a->messages++;
    if (resend)
        a->resent++;
    bool req = sr_msg_is_request(m);
    if (req) {
        el->requests++;
        az_method *me = method(a, sr_msg_method_str(m));
        if (me) {
            me->messages++;
            if (!resend)
                me->transactions++;
        } else {
            a->methods_other++;
        }
        if (resend)
            a->retrans_requests++;
    } else {
        unsigned code = sr_msg_status(m);
        el->responses++;
        if (code < 700) {
            a->codes[code]++;
            el->codes[code]++;
            if (code >= 100)
                timeline_add(&a->tl, now, code / 100);
        }
        if (resend)
            a->retrans_responses++;
        if (cs && code >= 200 && code < 700 && !resend) {
            az_method *me = method(a, cs->method);
            if (me)
                me->finals[code / 100]++;
        }
    }
    track_call(a, cm, m, cs, sender, resend, now);
    bool kept = false;
    if (!a->no_lint)
        az_lint(a, el, cm, m, cs, &kept, now, pre, npre);
    /* expiry is incremental: a few buckets of each table per message, so the cost per
     * message stays constant and every entry is looked at again after about as many
     * messages as its table has buckets (tables grow with their entries) */
    uint64_t t = a->last_ns;
    az_map_sweep(&a->calls, sweep_call, a, &a->sweep_calls, SWEEP_BUCKETS,
                 t > LINGER_NS ? t - LINGER_NS : 0, t);
    az_tab_expire(&a->resend, az_sweep_resend, a, t);
    az_tab_expire(&a->pending, az_sweep_pending, a, t);
    return kept;
}

static int by_start(const void *x, const void *y)
{
    const az_call *a = *(const az_call *const *)x, *b = *(const az_call *const *)y;
    return a->start < b->start ? -1 : a->start > b->start;
}

void az_finish(az *a)
{
    size_t cursor = 0;
    az_map_sweep(&a->calls, flush_all, a, &cursor, 0, UINT64_MAX, UINT64_MAX);
    if (a->ndone > 1)
        qsort(a->done, a->ndone, sizeof *a->done, by_start);
}

void az_cleanup(az *a)
{
    sr_capture_free(a->cap);
    az_map_free(&a->calls, call_free);
    for (size_t i = 0; i < a->nspare; i++)
        free(a->spare[i]);
    az_tab_free(&a->resend, NULL);
    az_tab_free(&a->pending, az_pending_free);
    az_map_free(&a->names, free);
    az_map_free(&a->finding_map, NULL);
    for (size_t i = 0; i < a->nfindings; i++)
        free(a->findings[i].example);
    free(a->findings);
    for (size_t i = 0; i < a->ndone; i++)
        free(a->done[i]);
    free(a->done);
    for (size_t i = 0; i < a->nelements; i++)
        free(a->elements[i]);
    az_map_free(&a->el_map, NULL);
    az_pool_cleanup(&a->pool); /* last: the messages above went back to it */
}
