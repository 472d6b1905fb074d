/* sipreplyd: media sessions — one RTP/RTCP stream per call (RFC 3550) driven by the core's
 * sr_media (echo, tone, silence, file, none): opened when our SDP names its port, sent to
 * where the SDP says and then to where packets come from (symmetric RTP, RFC 4961), RTCP
 * reports on port+1 (§6), the RTP timeout, one log line at the end. Sans-I/O: sockets and the
 * wall clock through sd_engine_opts. */
#include "engine_media.h"

#include "engine_dialog.h"
#include "engine_dtmf.h"

#include <stdio.h>
#include <string.h>

#define MEDIA_BUCKETS 4096u /* Call-ID hash buckets (a power of two) */
#define DIGITS_MAX    32u   /* RFC 4733 events kept for the end line */

struct sd_mcall {
    char *call_id;
    size_t call_id_len;
    uint32_t hash;
    struct sd_mcall *hnext; /* the bucket's chain */
    size_t heap_i;
    uint64_t due;
    void *sock;
    uint16_t port;
    char host[SR_ADDR_HOST_MAX]; /* ours, for the CNAME */
    sd_config *cfg;              /* held: the rule's samples live in it */
    char rule[48];
    sr_media m;
    bool negotiated;
    bool have_remote; /* an address to send to */
    char rhost[SR_ADDR_HOST_MAX], rchost[SR_ADDR_HOST_MAX];
    uint16_t rport, rcport;         /* RTP and RTCP destinations */
    bool rtp_latched, rtcp_latched; /* RFC 4961: learnt from what arrived */
    uint64_t start;
    char digits[DIGITS_MAX + 1];
    size_t n_digits;
    sd_dtmf_call *dtmf; /* the rule's `dtmf:` menu, NULL: none */
};

struct sd_media_tab {
    sd_mcall *buckets[MEDIA_BUCKETS];
    sd_mcall **heap;
    size_t len, cap;
};

static uint32_t hash_of(sr_str id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < id.len; i++)
        h = (h ^ (uint8_t)id.p[i]) * 16777619u;
    return h;
}

static sd_mcall *find(const sd_engine *e, sr_str id)
{
    if (!e->media || !id.len)
        return NULL;
    uint32_t h = hash_of(id);
    for (sd_mcall *c = e->media->buckets[h & (MEDIA_BUCKETS - 1)]; c; c = c->hnext)
        if (c->hash == h && c->call_id_len == id.len && memcmp(c->call_id, id.p, id.len) == 0)
            return c;
    return NULL;
}

/* ------------------------------------------------------------------ the deadline heap */

static bool before(const sd_mcall *a, const sd_mcall *b)
{
    return a->due < b->due;
}

static void heap_swap(struct sd_media_tab *t, size_t i, size_t k)
{
    sd_mcall *x = t->heap[i];
    t->heap[i] = t->heap[k];
    t->heap[k] = x;
    t->heap[i]->heap_i = i;
    t->heap[k]->heap_i = k;
}

static void heap_fix(struct sd_media_tab *t, size_t i)
{
    while (i > 0 && before(t->heap[i], t->heap[(i - 1) / 2])) {
        heap_swap(t, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->len && before(t->heap[l], t->heap[m]))
            m = l;
        if (r < t->len && before(t->heap[r], t->heap[m]))
            m = r;
        if (m == i)
            break;
        heap_swap(t, i, m);
        i = m;
    }
}

static void heap_remove(struct sd_media_tab *t, sd_mcall *c)
{
    size_t i = c->heap_i;
    t->len--;
    if (i != t->len) {
        t->heap[i] = t->heap[t->len];
        t->heap[i]->heap_i = i;
        heap_fix(t, i);
    }
}

static void reschedule(sd_engine *e, sd_mcall *c)
{
    c->due = sr_media_next_deadline(&c->m);
    uint64_t d = sd__dtmf_deadline(c->dtmf);
    if (d < c->due)
        c->due = d;
    heap_fix(e->media, c->heap_i);
}

/* ------------------------------------------------------------------ configuration refs */

static void cfg_hold(sd_engine *e, sd_config *cf)
{
    if (e->cur->cfg == cf) {
        e->cur->refs++;
        return;
    }
    for (cfg_ref *r = e->olds; r; r = r->next)
        if (r->cfg == cf) {
            r->refs++;
            return;
        }
}

/* ------------------------------------------------------------------ open */

static void mlog(const sd_engine *e, int level, const char *line)
{
    if (e->o.media_log)
        e->o.media_log(level, line, e->o.log_user);
}

sd_mcall *sd__media_prepare(sd_engine *e, const job *j, const sr_msg *req, char *host, size_t cap,
                            uint16_t *port)
{
    const sd_media_rule *mr = &j->rule->media;
    sr_str id = sr_msg_call_id(req);
    sd_mcall *c = find(e, id);
    if (c) {
        /* RFC 3264 §8: a later offer or answer in the call keeps the port (whatever rule
         * answers a re-INVITE or UPDATE) */
        snprintf(host, cap, "%s", c->host);
        *port = c->port;
        return c;
    }
    if (!mr->set || !e->o.media_open)
        return NULL;
    const sd_media_conf *mc = &j->cfg->media;
    if (!e->media) {
        e->media = sd__calloc(e, sizeof(*e->media));
        if (!e->media) {
            e->cnt.media_failures++;
            return NULL;
        }
    }
    struct sd_media_tab *t = e->media;
    if (t->len >= mc->max_calls || !id.len) {
        e->cnt.media_failures++;
        mlog(e, 0, "media: max-calls reached, this call gets no media");
        return NULL;
    }
    if (t->len == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 64;
        sd_mcall **nh = sd__realloc(e, t->heap, nc * sizeof(*nh));
        if (!nh) {
            e->cnt.media_failures++;
            return NULL;
        }
        t->heap = nh;
        t->cap = nc;
    }
    c = sd__calloc(e, sizeof(*c));
    char *cid = c ? sd__alloc(e, id.len) : NULL;
    if (!cid) {
        sd__free(e, c);
        e->cnt.media_failures++;
        return NULL;
    }
    memcpy(cid, id.p, id.len);
    c->call_id = cid;
    c->call_id_len = id.len;
    c->hash = hash_of(id);
    if (mc->address)
        snprintf(host, cap, "%s", mc->address);
    snprintf(c->host, sizeof(c->host), "%s", host);
    if (e->o.media_open(e->o.user, c, c->host, mc->port_min, mc->port_max, &c->sock, &c->port) !=
        0) {
        char line[160];
        snprintf(line, sizeof(line), "media: no RTP port pair on %s (ports %u-%u): no media",
                 c->host, mc->port_min, mc->port_max);
        mlog(e, 0, line);
        sd__free(e, cid);
        sd__free(e, c);
        e->cnt.media_failures++;
        return NULL;
    }
    c->cfg = j->cfg;
    cfg_hold(e, c->cfg);
    snprintf(c->rule, sizeof(c->rule), "%s", j->rule->name);
    c->dtmf = sd__dtmf_open(e, &j->rule->dtmf); /* the rule lives in c->cfg, held */
    sr_media_cfg cfg;
    sr_media_cfg_init(&cfg);
    cfg.mode = (sr_media_mode)mr->mode;
    cfg.tone_hz = mr->tone_hz;
    cfg.amplitude = mr->amplitude;
    cfg.samples = mr->samples;
    cfg.n_samples = mr->n_samples;
    /* RFC 3550 §5.1, §8.1: random SSRC, first sequence number and timestamp */
    uint64_t r = sd__rng_next(e);
    cfg.ssrc = (uint32_t)r;
    cfg.seq0 = (uint16_t)(r >> 32);
    cfg.ts0 = (uint32_t)sd__rng_next(e);
    cfg.timeout_ms = mc->timeout_ms;
    cfg.rtcp_ms = mc->rtcp_ms;
    cfg.rtcp_seed = (uint32_t)(r >> 48) | 1u; /* RFC 3550 §6.3.1: randomised intervals */
    sr_media_init(&c->m, &cfg, e->now);
    /* nothing flows before the offer/answer settles */
    sr_media_set_direction(&c->m, false, false, e->now);
    c->start = e->now;
    size_t b = c->hash & (MEDIA_BUCKETS - 1);
    c->hnext = t->buckets[b];
    t->buckets[b] = c;
    c->heap_i = t->len;
    t->heap[t->len++] = c;
    reschedule(e, c);
    e->cnt.media_calls++;
    *port = c->port;
    return c;
}

/* the address of stream @p m of @p sd: its own c=, else the session's */
static const sr_sdp_conn *conn_of(const sr_sdp *sd, const sr_sdp_media *m)
{
    if (m->n_conns)
        return &m->conns[0];
    return sd->has_conn ? &sd->conn : NULL;
}

void sd__media_negotiated(sd_engine *e, sd_mcall *c, const sr_sdp *remote, size_t idx,
                          const sr_sdp_stream *st, bool dir_ours)
{
    if (!c || idx >= remote->n_media || !st->accepted)
        return;
    const sr_sdp_media *m = &remote->media[idx];
    const sr_sdp_conn *cn = conn_of(remote, m);
    if (st->pt >= 0)
        c->m.cfg.pt = (uint8_t)st->pt;
    c->m.cfg.te_pt = st->event_pt;
    /* the SDP's address, unless a packet taught us better (RFC 4961) or it is a name */
    if (cn && !st->peer_no_media && cn->addr.len < sizeof(c->rhost) && !c->rtp_latched) {
        char h[SR_ADDR_HOST_MAX];
        memcpy(h, cn->addr.p, cn->addr.len);
        h[cn->addr.len] = '\0';
        bool literal = strspn(h, "0123456789.:abcdefABCDEF") == cn->addr.len;
        if (literal && m->port) {
            snprintf(c->rhost, sizeof(c->rhost), "%s", h);
            c->rport = (uint16_t)m->port;
            c->have_remote = true;
            if (!c->rtcp_latched) {
                snprintf(c->rchost, sizeof(c->rchost), "%s", h);
                c->rcport = (uint16_t)(m->port + 1); /* RFC 3550 §11 */
            }
        }
    }
    /* RFC 3264 §5.1: bit 1 of the direction is "sends", bit 2 "receives", for its author */
    unsigned d = (unsigned)st->dir;
    bool we_send = dir_ours ? (d & 1u) != 0 : (d & 2u) != 0;
    bool peer_sends = dir_ours ? (d & 2u) != 0 : (d & 1u) != 0;
    if (st->peer_no_media)
        we_send = false; /* RFC 3264 §8.4: c=0.0.0.0, send nothing */
    sr_media_set_direction(&c->m, we_send, peer_sends, e->now);
    if (!c->negotiated) {
        char line[320];
        snprintf(line, sizeof(line), "media: call %.*s rule=%s %s on %s:%u, to %s:%u, pt %u%s%s",
                 (int)c->call_id_len, c->call_id, c->rule, sr_media_mode_name(c->m.cfg.mode),
                 c->host, c->port, c->have_remote ? c->rhost : "-", c->have_remote ? c->rport : 0,
                 c->m.cfg.pt, we_send ? "" : ", not sending",
                 peer_sends ? "" : ", peer not sending");
        mlog(e, 1, line);
    }
    c->negotiated = true;
    reschedule(e, c);
}

/* ------------------------------------------------------------------ the stream */

static void send_rtp(sd_engine *e, sd_mcall *c, const uint8_t *p, size_t n)
{
    if (!c->have_remote)
        return;
    e->o.media_send(e->o.user, c->sock, false, p, n, c->rhost, c->rport);
    e->cnt.rtp_sent++;
}

static void send_rtcp(sd_engine *e, sd_mcall *c, bool bye, uint64_t now)
{
    uint8_t buf[400];
    char cname[SR_ADDR_HOST_MAX + 16];
    snprintf(cname, sizeof(cname), "sipreplyd@%s", c->host);
    uint64_t ntp = e->o.ntp ? e->o.ntp(e->o.user) : 0;
    size_t n = sr_media_rtcp(&c->m, now, ntp, cname, bye, buf, sizeof(buf));
    if (n && c->have_remote) {
        e->o.media_send(e->o.user, c->sock, true, buf, n, c->rchost, c->rcport);
        e->cnt.rtcp_sent++;
    }
}

static void unlink_call(sd_engine *e, sd_mcall *c)
{
    struct sd_media_tab *t = e->media;
    for (sd_mcall **pp = &t->buckets[c->hash & (MEDIA_BUCKETS - 1)]; *pp; pp = &(*pp)->hnext)
        if (*pp == c) {
            *pp = c->hnext;
            break;
        }
    heap_remove(t, c);
}

static void end_call(sd_engine *e, sd_mcall *c, const char *why, uint64_t now, bool log)
{
    if (log) {
        if (c->negotiated)
            send_rtcp(e, c, true, now); /* RFC 3550 §6.6: BYE */
        sr_media_stats st;
        sr_media_get_stats(&c->m, &st);
        if (st.lost > 0)
            e->cnt.rtp_lost += (uint64_t)st.lost;
        char line[512];
        uint64_t dur = now > c->start ? now - c->start : 0;
        snprintf(line, sizeof(line),
                 "media end: call %.*s rule=%s %s port %u remote %s:%u duration %llu.%03llus "
                 "sent %llu received %llu lost %lld jitter %.1fms rtcp %llu/%llu events %llu%s%s%s "
                 "(%s)",
                 (int)c->call_id_len, c->call_id, c->rule, sr_media_mode_name(c->m.cfg.mode),
                 c->port, c->have_remote ? c->rhost : "-", c->have_remote ? c->rport : 0,
                 (unsigned long long)(dur / 1000), (unsigned long long)(dur % 1000),
                 (unsigned long long)st.sent, (unsigned long long)st.received, (long long)st.lost,
                 st.jitter / 8.0, (unsigned long long)st.rtcp_sent,
                 (unsigned long long)st.rtcp_received, (unsigned long long)st.events,
                 c->n_digits ? " \"" : "", c->digits, c->n_digits ? "\"" : "", why);
        mlog(e, 0, line);
    }
    unlink_call(e, c);
    sd__dtmf_close(e, c->dtmf);
    e->o.media_close(e->o.user, c->sock);
    sd__cfg_release(e, c->cfg);
    sd__free(e, c->call_id);
    sd__free(e, c);
}

void sd__media_discard(sd_engine *e, sd_mcall *c)
{
    if (c) {
        e->cnt.media_calls--;
        end_call(e, c, "discarded", e->now, false);
    }
}

size_t sd__media_stream_of(const sr_sdp_result *res, size_t n_media)
{
    for (size_t i = 0; i < n_media && i < SR_SDP_MAX_REPORT; i++)
        if (res->streams[i].accepted && res->streams[i].pt >= 0)
            return i;
    return SR_SDP_MAX_REPORT;
}

/* A DTMF action ends call @p c: our BYE (the dialog's end then ends the media); c is gone
 * unless the BYE must wait for the 2xx's ACK (RFC 3261 §15), or there is no confirmed
 * dialog (early media: a UAS cannot BYE before its 2xx). */
static void dtmf_hangup(sd_engine *e, sd_mcall *c, uint64_t now)
{
    char id[256];
    size_t n = c->call_id_len < sizeof(id) ? c->call_id_len : sizeof(id) - 1;
    memcpy(id, c->call_id, n);
    int r = sd__dialog_hangup(e, (sr_str){id, n}, "dtmf hangup", now);
    if (r > 0) {
        e->cnt.dtmf_hangups++;
        return; /* c was freed with its dialog */
    }
    if (r < 0) {
        sd__dtmf_retry_hangup(c->dtmf, now + 200);
    } else {
        char line[320];
        snprintf(line, sizeof(line), "dtmf: call %.*s hangup: no confirmed dialog, no BYE sent",
                 (int)n, id);
        mlog(e, 1, line);
    }
    reschedule(e, c);
}

/* key @p ch of call @p c (an RFC 4733 event or an INFO): its DTMF menu acts. c may be gone. */
static void on_key(sd_engine *e, sd_mcall *c, char ch, const char *via, uint64_t now)
{
    if (c->n_digits < DIGITS_MAX)
        c->digits[c->n_digits++] = ch;
    if (!c->dtmf)
        return;
    sr_str id = {c->call_id, c->call_id_len};
    if (sd__dtmf_key(e, c->dtmf, &c->m, id, c->rule, ch, via, now) == SD_DTMF_HANGUP)
        dtmf_hangup(e, c, now);
    else
        reschedule(e, c); /* the inter-digit timeout, a switched generator */
}

void sd__media_info_key(sd_engine *e, sr_str call_id, char key, uint64_t now)
{
    sd_mcall *c = find(e, call_id);
    if (!c || !sd__dtmf_takes_info(c->dtmf))
        return;
    char line[320];
    snprintf(line, sizeof(line), "media: call %.*s INFO key '%c'", (int)c->call_id_len, c->call_id,
             key);
    mlog(e, 1, line);
    on_key(e, c, key, "info", now);
}

void sd__media_end(sd_engine *e, sr_str call_id, const char *why, uint64_t now)
{
    sd_mcall *c = find(e, call_id);
    if (c)
        end_call(e, c, why, now, true);
}

uint64_t sd__media_next_deadline(const sd_engine *e)
{
    return e->media && e->media->len ? e->media->heap[0]->due : UINT64_MAX;
}

void sd__media_timer(sd_engine *e, uint64_t now)
{
    uint8_t buf[SR_RTP_MAX_PACKET];
    while (e->media && e->media->len && e->media->heap[0]->due <= now) {
        sd_mcall *c = e->media->heap[0];
        if (c->dtmf && sd__dtmf_deadline(c->dtmf) <= now) {
            sr_str id = {c->call_id, c->call_id_len};
            if (sd__dtmf_timer(e, c->dtmf, &c->m, id, c->rule, now) == SD_DTMF_HANGUP) {
                dtmf_hangup(e, c, now);
                continue; /* c may be gone; else rescheduled */
            }
        }
        if (sr_media_timed_out(&c->m, now)) {
            char id[256];
            size_t n = c->call_id_len < sizeof(id) ? c->call_id_len : sizeof(id) - 1;
            memcpy(id, c->call_id, n);
            e->cnt.media_timeouts++;
            end_call(e, c, "RTP timeout", now, true);
            if (e->media_timeout)
                e->media_timeout(e, (sr_str){id, n}, now);
            continue;
        }
        size_t k;
        while ((k = sr_media_tick(&c->m, now, buf, sizeof(buf))) > 0)
            send_rtp(e, c, buf, k);
        if (sr_media_rtcp_due(&c->m, now))
            send_rtcp(e, c, false, now);
        reschedule(e, c);
    }
}

void sd_engine_media_receive(sd_engine *e, void *sess, bool rtcp, const uint8_t *data, size_t len,
                             const sr_addr *src, uint64_t now)
{
    sd_mcall *c = sess;
    e->now = now;
    if (rtcp) {
        if (sr_media_rtcp_receive(&c->m, data, len, now) != 0) {
            e->cnt.rtp_bad++;
            return;
        }
        e->cnt.rtcp_received++;
        /* RFC 4961: RTCP goes back to where RTCP comes from */
        if (!c->rtcp_latched || c->rcport != src->port || strcmp(c->rchost, src->host) != 0) {
            snprintf(c->rchost, sizeof(c->rchost), "%s", src->host);
            c->rcport = src->port;
            c->rtcp_latched = true;
        }
        return;
    }
    uint8_t out[SR_RTP_MAX_PACKET];
    sr_media_rx rx;
    if (sr_media_receive(&c->m, data, len, now, out, sizeof(out), &rx) != 0) {
        e->cnt.rtp_bad++;
        return;
    }
    e->cnt.rtp_received++;
    /* RFC 4961: symmetric RTP, send where the peer sends from (behind a NAT, the SDP's address
     * is not where it is reached) */
    if (!c->rtp_latched || c->rport != src->port || strcmp(c->rhost, src->host) != 0) {
        snprintf(c->rhost, sizeof(c->rhost), "%s", src->host);
        c->rport = src->port;
        c->have_remote = true;
        c->rtp_latched = true;
        if (!c->rtcp_latched) {
            snprintf(c->rchost, sizeof(c->rchost), "%s", src->host);
            c->rcport = (uint16_t)(src->port + 1);
        }
    }
    if (rx.out_len)
        send_rtp(e, c, out, rx.out_len);
    if (rx.has_event) {
        e->cnt.rtp_events++;
        char ch = sr_rtp_event_char(rx.event.event);
        char line[256];
        snprintf(line, sizeof(line), "media: call %.*s telephone-event %u '%c'",
                 (int)c->call_id_len, c->call_id, rx.event.event, ch);
        mlog(e, 1, line);
        on_key(e, c, ch, "rtp", now);   /* last: c may be gone */
        sd__drain_events(e, NULL, now); /* a BYE it sent goes out */
    }
}

size_t sd_engine_media_calls(const sd_engine *e)
{
    return e->media ? e->media->len : 0;
}

void sd__media_free_all(sd_engine *e)
{
    if (!e->media)
        return;
    while (e->media->len)
        end_call(e, e->media->heap[0], "shutdown", e->now, false);
    sd__free(e, e->media->heap);
    sd__free(e, e->media);
    e->media = NULL;
}

static int counter(sr_buf *out, const char *name, const char *help, const char *type, uint64_t v)
{
    char line[400];
    snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type,
             name, (unsigned long long)v);
    return sr_buf_append_cstr(out, line);
}

int sd__media_metrics(const sd_engine *e, sr_buf *out)
{
    const sd_counters *k = &e->cnt;
    int rc = counter(out, "sipreplyd_media_calls_total", "Media sessions opened.", "counter",
                     k->media_calls);
    rc = rc ? rc
            : counter(out, "sipreplyd_media_calls_active", "Media sessions open now.", "gauge",
                      sd_engine_media_calls(e));
    rc = rc ? rc
            : counter(out, "sipreplyd_media_failures_total",
                      "Calls that got no media (no port pair, max-calls, memory).", "counter",
                      k->media_failures);
    rc = rc ? rc
            : counter(out, "sipreplyd_media_timeouts_total",
                      "Media sessions ended by the RTP timeout.", "counter", k->media_timeouts);
    rc = rc ? rc
            : counter(out, "sipreplyd_rtp_packets_sent_total", "RTP packets sent.", "counter",
                      k->rtp_sent);
    rc = rc ? rc
            : counter(out, "sipreplyd_rtp_packets_received_total", "RTP packets received.",
                      "counter", k->rtp_received);
    rc = rc ? rc
            : counter(out, "sipreplyd_rtp_packets_lost_total",
                      "RTP packets lost (RFC 3550 A.3), counted when each session ends.", "counter",
                      k->rtp_lost);
    rc = rc ? rc
            : counter(out, "sipreplyd_rtp_bad_total",
                      "Datagrams on media ports that were not RTP or RTCP.", "counter", k->rtp_bad);
    rc = rc ? rc
            : counter(out, "sipreplyd_rtcp_packets_sent_total", "RTCP compound packets sent.",
                      "counter", k->rtcp_sent);
    rc = rc ? rc
            : counter(out, "sipreplyd_rtcp_packets_received_total",
                      "RTCP compound packets received.", "counter", k->rtcp_received);
    rc = rc ? rc
            : counter(out, "sipreplyd_rtp_events_total", "RFC 4733 telephone-events received.",
                      "counter", k->rtp_events);
    return rc;
}
