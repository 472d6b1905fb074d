/* sipreplyd: a call's DTMF menu — the keys of RFC 4733 telephone-events and SIP INFO gathered
 * by the core's sr_dtmf (patterns, '#', the inter-digit timeout, a bounded sequence), and the
 * action of the sequence that matched: the call's media switched (sr_media_switch), our BYE
 * now or after a delay. One log line per sequence. */
#include "engine_dtmf.h"

#include <stdio.h>

struct sd_dtmf_call {
    const sd_dtmf_rule *r; /* in the configuration the media session holds */
    sr_dtmf d;
    uint64_t hangup_at; /* UINT64_MAX: none */
};

sd_dtmf_call *sd__dtmf_open(sd_engine *e, const sd_dtmf_rule *r)
{
    if (!r || !r->set)
        return NULL;
    sd_dtmf_call *t = sd__calloc(e, sizeof(*t));
    if (!t) {
        e->cnt.failures++; /* the call goes on without its menu */
        return NULL;
    }
    t->r = r;
    sr_dtmf_init(&t->d, r->max_keys, r->timeout_ms);
    t->hangup_at = UINT64_MAX;
    return t;
}

void sd__dtmf_close(sd_engine *e, sd_dtmf_call *t)
{
    sd__free(e, t);
}

uint64_t sd__dtmf_deadline(const sd_dtmf_call *t)
{
    if (!t)
        return UINT64_MAX;
    return t->d.deadline < t->hangup_at ? t->d.deadline : t->hangup_at;
}

void sd__dtmf_retry_hangup(sd_dtmf_call *t, uint64_t at)
{
    if (t)
        t->hangup_at = at;
}

bool sd__dtmf_takes_info(const sd_dtmf_call *t)
{
    return t && t->r->info;
}

static void dlog(const sd_engine *e, const char *line)
{
    if (e->o.media_log)
        e->o.media_log(1, line, e->o.log_user);
}

/* what @p a does, for the log line */
static void describe(const sd_dtmf_action *a, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    if (a->media.set) {
        const sd_media_rule *m = &a->media;
        if (m->mode == SR_MEDIA_TONE)
            n = (size_t)snprintf(out, cap, "media tone %u Hz", m->tone_hz);
        else if (m->mode == SR_MEDIA_SAMPLES)
            n = (size_t)snprintf(out, cap, "media file %s", m->file ? m->file : "-");
        else
            n = (size_t)snprintf(out, cap, "media %s", sr_media_mode_name((sr_media_mode)m->mode));
    }
    if (a->hangup && n < cap) {
        if (a->hangup_ms)
            snprintf(out + n, cap - n, "%shangup in %u ms", n ? ", " : "", (unsigned)a->hangup_ms);
        else
            snprintf(out + n, cap - n, "%shangup", n ? ", " : "");
    }
}

static sd_dtmf_do act(sd_dtmf_call *t, const sd_dtmf_action *a, sr_media *m, uint64_t now)
{
    if (a->media.set) {
        sr_media_cfg c;
        sr_media_cfg_init(&c);
        c.mode = (sr_media_mode)a->media.mode;
        c.tone_hz = a->media.tone_hz;
        c.amplitude = a->media.amplitude;
        c.samples = a->media.samples;
        c.n_samples = a->media.n_samples;
        sr_media_switch(m, &c, now);
    }
    if (!a->hangup)
        return SD_DTMF_NOTHING;
    if (a->hangup_ms) {
        t->hangup_at = now + a->hangup_ms;
        return SD_DTMF_NOTHING;
    }
    return SD_DTMF_HANGUP;
}

/* a sequence ended: the log line, the counters, the action */
static sd_dtmf_do ended(sd_engine *e, sd_dtmf_call *t, const sr_dtmf_result *res, sr_media *m,
                        sr_str call_id, const char *rule, const char *how, uint64_t now)
{
    const sd_dtmf_action *a = NULL;
    char what[320], line[600];
    if (res->match >= 0) {
        e->cnt.dtmf_matches++;
        a = &t->r->on[res->match];
        describe(a, what, sizeof(what));
        snprintf(line, sizeof(line), "dtmf: call %.*s rule=%s digits \"%s\"%s matched \"%s\": %s",
                 (int)call_id.len, call_id.p, rule, res->keys, how, a->keys, what);
    } else {
        e->cnt.dtmf_no_match++;
        if (t->r->has_no_match)
            a = &t->r->no_match;
        if (a)
            describe(a, what, sizeof(what));
        snprintf(line, sizeof(line), "dtmf: call %.*s rule=%s digits \"%s\"%s matched nothing%s%s",
                 (int)call_id.len, call_id.p, rule, res->keys, how, a ? ": no-match, " : "",
                 a ? what : "");
    }
    dlog(e, line);
    return a ? act(t, a, m, now) : SD_DTMF_NOTHING;
}

sd_dtmf_do sd__dtmf_key(sd_engine *e, sd_dtmf_call *t, sr_media *m, sr_str call_id,
                        const char *rule, char key, const char *via, uint64_t now)
{
    if (!t || !sr_dtmf_key_norm(key))
        return SD_DTMF_NOTHING;
    e->cnt.dtmf_keys++;
    if (via[0] == 'i')
        e->cnt.dtmf_info++;
    sr_dtmf_result res;
    sr_dtmf_key(&t->d, key, t->r->patterns, t->r->n_on, now, &res);
    if (!res.done)
        return SD_DTMF_NOTHING;
    char how[48];
    snprintf(how, sizeof(how), " (%s)", via);
    return ended(e, t, &res, m, call_id, rule, how, now);
}

sd_dtmf_do sd__dtmf_timer(sd_engine *e, sd_dtmf_call *t, sr_media *m, sr_str call_id,
                          const char *rule, uint64_t now)
{
    if (!t)
        return SD_DTMF_NOTHING;
    sd_dtmf_do r = SD_DTMF_NOTHING;
    if (t->d.deadline <= now) {
        sr_dtmf_result res;
        sr_dtmf_timer(&t->d, t->r->patterns, t->r->n_on, now, &res);
        if (res.done)
            r = ended(e, t, &res, m, call_id, rule, " (inter-digit timeout)", now);
    }
    if (t->hangup_at <= now) {
        t->hangup_at = UINT64_MAX;
        r = SD_DTMF_HANGUP;
    }
    return r;
}

static int counter(sr_buf *out, const char *name, const char *help, uint64_t v)
{
    char line[400];
    snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name,
             name, (unsigned long long)v);
    return sr_buf_append_cstr(out, line);
}

int sd__dtmf_metrics(const sd_engine *e, sr_buf *out)
{
    const sd_counters *k = &e->cnt;
    int rc =
        counter(out, "sipreplyd_dtmf_keys_total",
                "DTMF keys read by rules with dtmf (RFC 4733 events and SIP INFO).", k->dtmf_keys);
    rc = rc ? rc
            : counter(out, "sipreplyd_dtmf_info_keys_total",
                      "Of them, keys of SIP INFO (application/dtmf-relay, application/dtmf).",
                      k->dtmf_info);
    rc = rc ? rc
            : counter(out, "sipreplyd_dtmf_matches_total",
                      "DTMF sequences that matched an on entry.", k->dtmf_matches);
    rc = rc ? rc
            : counter(out, "sipreplyd_dtmf_no_match_total", "DTMF sequences that matched none.",
                      k->dtmf_no_match);
    rc = rc ? rc
            : counter(out, "sipreplyd_dtmf_hangups_total",
                      "Calls a DTMF action ended with our BYE.", k->dtmf_hangups);
    rc = rc ? rc
            : counter(out, "sipreplyd_shutdown_byes_total",
                      "BYEs sent at shutdown for the dialogs still up.", k->shutdown_byes);
    return rc;
}
