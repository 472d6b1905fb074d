/* sipreplyd: our SDP by the offer/answer model (RFC 3264, core sdp.h) — the answer to an
 * INVITE's offer, our offer when it had none, the 488 (or 400) when no answer can be made,
 * and the check of the answer to our offer in the PRACK or ACK. For a rule with `media:` the
 * port is the call's media session's (engine_media.c), which learns the outcome; otherwise
 * the address is the one our Contact names and the port SD_SDP_MEDIA_PORT (nothing flows). */
#include "engine_int.h"
#include "engine_media.h"

#include <stdio.h>
#include <string.h>

/* The SDP body of @p m, or false when it has none (Content-Type application/sdp). */
static bool sdp_of(const sr_msg *m, sr_str *body)
{
    const sr_header *ct = sr_msg_header_find(m, SR_HDR_CONTENT_TYPE, NULL);
    sr_str b = sr_msg_body(m);
    if (!b.len || !ct || ct->value.len < 15 ||
        !sr_str_caseeq((sr_str){ct->value.p, 15}, SR_STR("application/sdp")))
        return false;
    if (body)
        *body = b;
    return true;
}

/* What we are for the job: the address our Contact names (the advertised one or the
 * listener's, without IPv6 brackets), the media port, our codecs (sdp.h defaults: PCMU,
 * PCMA, telephone-event), one audio stream, 20 ms packets (RFC 3551 §4.5). */
static void local_of(const job *j, sr_sdp_local *l, char *host, size_t cap)
{
    const char *h = j->cfg->advertise ? j->cfg->advertise : j->local.host;
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(host, h, n);
    host[n] = '\0';
    sr_sdp_local_init(l);
    l->username = "sipreplyd";
    l->session_name = "sipreplyd";
    l->addr = host;
    unsigned port = 0;
    for (const char *p = SD_SDP_MEDIA_PORT; *p; p++)
        port = port * 10 + (unsigned)(*p - '0');
    l->port = (uint16_t)port;
    l->ptime = 20;
    l->max_streams = 1;
}

/* RFC 3264 §8: one o= per call; the same text keeps its version (each response is made
 * afresh from the same offer, so within a call it does not change). */
static void session_of(const job *j, sr_sdp_session *s)
{
    if (j->sdp_sess)
        *s = *j->sdp_sess; /* the call's (or its dialog's): versions go on from it */
    else
        sr_sdp_session_init(s, j->session, j->session);
}

/* The call's media session (a rule with `media:`): its port in @p l; NULL when none. */
static sd_mcall *media_of(sd_engine *e, const job *j, const sr_msg *m, sr_sdp_local *l, char *host,
                          size_t cap, bool *created)
{
    size_t before = sd_engine_media_calls(e);
    uint16_t port = l->port;
    sd_mcall *c = sd__media_prepare(e, j, m, host, cap, &port);
    if (created)
        *created = c && sd_engine_media_calls(e) > before;
    if (c)
        l->port = port;
    return c;
}

int sd__sdp_body(sd_engine *e, const job *j, const sr_msg *req, sr_buf *out)
{
    char host[SR_ADDR_HOST_MAX + 8];
    sr_sdp_local l;
    local_of(j, &l, host, sizeof(host));
    sr_sdp_session s;
    session_of(j, &s);
    sr_str body;
    bool created = false;
    sd_mcall *mc = media_of(e, j, req, &l, host, sizeof(host), &created);
    int rc;
    if (!sdp_of(req, &body)) {
        rc = sr_sdp_offer(&l, &s, out); /* RFC 3261 §13.2.1: the offer in our response */
        if (rc == 0 && j->sdp_sess)
            *j->sdp_sess = s;
        return rc;
    }
    sr_sdp *offer = NULL;
    sr_sdp_result res;
    rc = sr_sdp_parse(&offer, body.p, body.len, e->alloc, NULL);
    if (rc == 0)
        rc = sr_sdp_answer(offer, &l, &s, out, &res);
    if (rc == 0 && j->sdp_sess)
        *j->sdp_sess = s; /* RFC 3264 §8: the version goes up when what we send changes */
    if (rc == 0 && mc) {
        size_t i = sd__media_stream_of(&res, offer->n_media);
        if (i < SR_SDP_MAX_REPORT)
            sd__media_negotiated(e, mc, offer, i, &res.streams[i], true);
    } else if (rc != 0 && created) {
        sd__media_discard(e, mc); /* refused: the caller sends 488 (or 400) */
    }
    sr_sdp_free(offer);
    /* an offer we cannot answer, malformed or with nothing in common: sd__sdp_refuse() */
    return rc == SR_ENOMEM || rc == 0 ? rc : SR_ENOCODEC;
}

/* ------------------------------------------------------------------ refusing the offer */

bool sd__sdp_refuse(sd_engine *e, job *j, const sr_msg *req, uint64_t now)
{
    char host[SR_ADDR_HOST_MAX + 8];
    sr_sdp_local l;
    local_of(j, &l, host, sizeof(host));
    sr_sdp_session s;
    session_of(j, &s);
    sr_str body = SR_STR_NULL;
    sr_sdp *offer = NULL;
    sr_parse_error pe;
    memset(&pe, 0, sizeof(pe));
    unsigned code = 488;
    char warning[200], note[160];
    int rc = sdp_of(req, &body) ? sr_sdp_parse(&offer, body.p, body.len, e->alloc, &pe) : 0;
    if (rc == SR_ENOMEM) {
        e->cnt.failures++;
        sd__job_final(e, j, req, 500, "out of memory: the offer could not be read", now);
        return false;
    }
    if (rc != 0) {
        /* RFC 3261 §21.4.1: the body of the request is malformed */
        code = 400;
        snprintf(warning, sizeof(warning), "399 sipreplyd \"Malformed session description: %s\"",
                 pe.phrase ? pe.phrase : "too large");
        snprintf(note, sizeof(note), "SDP offer: %s", pe.phrase ? pe.phrase : "too large");
    } else {
        sr_sdp_result res;
        sr_buf scratch;
        sr_buf_init(&scratch, e->alloc);
        rc = sr_sdp_answer(offer, &l, &s, &scratch, &res);
        sr_buf_cleanup(&scratch);
        if (rc == SR_ENOMEM) {
            sr_sdp_free(offer);
            e->cnt.failures++;
            sd__job_final(e, j, req, 500, "out of memory: the answer could not be made", now);
            return false;
        }
        /* RFC 3261 §21.4.26 and §20.43: 488 with the warn-code that says why */
        snprintf(warning, sizeof(warning), "%u sipreplyd \"%s\"", res.warning ? res.warning : 305,
                 res.phrase ? res.phrase : "Incompatible media format");
        snprintf(note, sizeof(note), "SDP offer: %s", res.phrase ? res.phrase : "refused");
    }
    sr_sdp_free(offer);
    sd_header h = {.name = "Warning", .value = warning};
    sd_step st = {.code = code, .repeat = 1, .headers = &h, .n_headers = 1, .no_sdp = true};
    if (code == 400)
        st.reason = "Malformed SDP";
    sr_msg *resp = NULL;
    if (sd__build(e, j, req, &st, code, false, e->tag_key, &resp) == 0 &&
        sd__send_resp(e, j, resp, 0, now) == 0) {
        sd__job_done(e, j, req, code, note);
        return false;
    }
    sd__job_final(e, j, req, 500, "the refusal of the offer could not be built", now);
    return false;
}

/* ------------------------------------------------------------------ the answer to ours */

void sd__sdp_check_answer(sd_engine *e, const job *j, const sr_msg *m, const sr_addr *src)
{
    sr_str offered, answered;
    char host[SR_ADDR_HOST_MAX + 8];
    sr_sdp_local l;
    local_of(j, &l, host, sizeof(host));
    sr_sdp_session s;
    session_of(j, &s);
    /* our offer named the media session's port: the same offer again, to check against */
    sd_mcall *mc = media_of(e, j, m, &l, host, sizeof(host), NULL);
    sr_buf again;
    sr_buf_init(&again, e->alloc);
    if (sr_sdp_offer(&l, &s, &again) != 0) {
        e->cnt.failures++; /* SR_ENOMEM: not checked */
        sr_buf_cleanup(&again);
        return;
    }
    offered = (sr_str){again.p, again.len};
    const char *method = sr_msg_method(m) == SR_METHOD_PRACK ? "PRACK" : "ACK";
    char note[200];
    if (!sdp_of(m, &answered)) {
        /* RFC 3261 §13.2.1, RFC 3262 §5: the answer to an offer in a reliable response
         * comes in its acknowledgement */
        snprintf(note, sizeof(note), "%s without the answer to our offer", method);
        sd__log_tx(e, m, src, 0, NULL, note);
        sr_buf_cleanup(&again);
        return;
    }
    sr_sdp *o = NULL, *a = NULL;
    sr_parse_error pe;
    memset(&pe, 0, sizeof(pe));
    int rc = sr_sdp_parse(&o, offered.p, offered.len, e->alloc, NULL);
    if (rc == 0)
        rc = sr_sdp_parse(&a, answered.p, answered.len, e->alloc, &pe);
    sr_sdp_result res;
    memset(&res, 0, sizeof(res));
    if (rc == 0)
        rc = sr_sdp_check_answer(o, a, &res);
    if (rc == 0) {
        const sr_sdp_media *am = &a->media[0];
        sr_str enc = SR_STR("-");
        for (size_t k = 0; a->n_media && k < am->n_fmts; k++) {
            if (am->fmts[k].pt == res.streams[0].pt) {
                enc = am->fmts[k].has_rtpmap ? am->fmts[k].encoding : am->fmts[k].id;
                break;
            }
        }
        snprintf(note, sizeof(note), "%s: the answer to our offer is accepted (%.*s, answered %s)",
                 method, (int)(enc.len > 40 ? 40 : enc.len), enc.p,
                 sr_sdp_dir_name(res.streams[0].dir));
        if (mc)
            sd__media_negotiated(e, mc, a, 0, &res.streams[0], false);
    } else if (rc == SR_ENOMEM) {
        e->cnt.failures++;
        snprintf(note, sizeof(note), "%s: out of memory: the answer was not checked", method);
    } else {
        /* ending the session (a BYE) needs dialogs: logged only */
        snprintf(note, sizeof(note), "%s: the answer to our offer is refused: %s", method,
                 rc == SR_ENOCODEC ? "no codec accepted"
                 : res.phrase      ? res.phrase
                 : pe.phrase       ? pe.phrase
                                   : "malformed");
    }
    sr_sdp_free(o);
    sr_sdp_free(a);
    sr_buf_cleanup(&again);
    sd__log_tx(e, m, src, 0, NULL, note);
}
