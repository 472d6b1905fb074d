/* sipreply CLI: `sipreply analyze` reports: the text summary, --json and --csv.
 * Every figure is defined in docs/analyze.md (RFC 6076 §4 for the session metrics). */
#define _DEFAULT_SOURCE /* libpcap's u_char/u_int, gmtime_r, inet_ntop, fileno */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze.h"
#include "json.h"

static double pct(uint64_t num, uint64_t den)
{
    return den ? 100.0 * (double)num / (double)den : -1.0;
}

static double mean(const az_delay *d)
{
    return d->n ? d->sum / (double)d->n : -1.0;
}

static const char *class_title(int cls)
{
    const sr_status_class_info *ci = sr_status_class_get(sr_status_class_of(cls * 100));
    return ci ? ci->title : "?";
}

/* The phrase and one line of meaning of a code (the registry's first sentence). */
static const char *phrase_of(unsigned code)
{
    const char *p = sr_status_phrase((int)code);
    return p ? p : "(unregistered)";
}

static void first_sentence(const char *s, char *out, size_t cap)
{
    if (!s) {
        out[0] = '\0';
        return;
    }
    size_t n = 0;
    while (s[n] && n + 1 < cap) {
        out[n] = s[n];
        n++;
        if (s[n - 1] == '.' && (s[n] == ' ' || s[n] == '\0'))
            break;
    }
    out[n] = '\0';
}

static void meaning_of(unsigned code, char *out, size_t cap)
{
    const sr_status_info *i = sr_status_lookup((int)code);
    first_sentence(i ? i->meaning : NULL, out, cap);
}

static void advice_of(unsigned code, char *out, size_t cap)
{
    const sr_status_info *i = sr_status_lookup((int)code);
    first_sentence(i ? i->advice : NULL, out, cap);
}

static void fmt_time(uint64_t ns, char *out, size_t cap)
{
    time_t t = (time_t)(ns / 1000000000ull);
    struct tm tm;
    if (!ns || !gmtime_r(&t, &tm)) {
        snprintf(out, cap, "-");
        return;
    }
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03uZ", b, (unsigned)(ns % 1000000000ull / 1000000ull));
}

static double secs(uint64_t from, uint64_t to)
{
    return from && to && to >= from ? (double)(to - from) / 1e9 : -1.0;
}

/* Codes ordered by count (descending), then code: @p out gets up to @p cap codes >= @p min. */
static size_t top_codes(const az *a, unsigned min, unsigned *out, size_t cap)
{
    size_t n = 0;
    for (unsigned c = min; c < 700; c++) {
        if (!a->codes[c])
            continue;
        size_t i = n < cap ? n : cap;
        while (i > 0 && a->codes[out[i - 1]] < a->codes[c]) {
            if (i < cap)
                out[i] = out[i - 1];
            i--;
        }
        if (i < cap) {
            out[i] = c;
            if (n < cap)
                n++;
        }
    }
    return n;
}

static void fmt_secs(char *out, size_t cap, uint64_t from, uint64_t to)
{
    double s = secs(from, to);
    if (s >= 0)
        snprintf(out, cap, "%.3f", s);
    else
        snprintf(out, cap, "-");
}

static const char *hangup_name(int h)
{
    return h == 1 ? "caller" : h == 2 ? "callee" : "";
}

/* ------------------------------------------------------------------ text */

static void text_delay(FILE *o, const char *name, const az_delay *d)
{
    if (d->n)
        fprintf(o, "  %-44s mean %.3f s, min %.3f s, max %.3f s (%llu)\n", name, mean(d), d->min,
                d->max, (unsigned long long)d->n);
    else
        fprintf(o, "  %-44s -\n", name);
}

static void text_ratio(FILE *o, const char *name, uint64_t num, uint64_t den)
{
    if (den)
        fprintf(o, "  %-44s %.2f %% (%llu of %llu)\n", name, pct(num, den), (unsigned long long)num,
                (unsigned long long)den);
    else
        fprintf(o, "  %-44s -\n", name);
}

void az_print_text(const az *a, FILE *o)
{
    const sr_capture_stats *st = sr_capture_get_stats(a->cap);
    char t1[40], t2[40], buf[512];
    fmt_time(a->first_ns, t1, sizeof t1);
    fmt_time(a->last_ns, t2, sizeof t2);
    fprintf(o, "Capture: %llu packets, %llu bytes, %s to %s\n", (unsigned long long)a->packets,
            (unsigned long long)a->bytes, t1, t2);
    fprintf(o,
            "  skipped: %llu not IP, %llu bad or truncated, %llu neither UDP nor TCP, %llu UDP "
            "not SIP; %llu fragments held, %llu datagrams reassembled\n",
            (unsigned long long)(st->not_ip + st->link_unsupported),
            (unsigned long long)(st->link_truncated + st->ip_bad + st->ip_truncated +
                                 st->ip_ext_bad + st->frag_bad + st->udp_bad + st->tcp_bad),
            (unsigned long long)st->ip_other, (unsigned long long)st->udp_not_sip,
            (unsigned long long)st->frag_held, (unsigned long long)st->frag_reassembled);
    fprintf(o, "\nSIP messages: %llu (%llu resent), %llu that did not parse\n",
            (unsigned long long)a->messages, (unsigned long long)a->resent,
            (unsigned long long)a->parse_errors);
    fprintf(o, "  requests:");
    for (size_t i = 0; i < a->nmethods; i++)
        fprintf(o, " %s %llu", a->methods[i].name, (unsigned long long)a->methods[i].messages);
    fprintf(o, "\n\nResponses by class and code\n");
    for (int cls = 1; cls <= 6; cls++) {
        uint64_t n = 0;
        for (unsigned c = (unsigned)cls * 100; c < (unsigned)cls * 100 + 100; c++)
            n += a->codes[c];
        if (!n)
            continue;
        fprintf(o, "  %dxx %s: %llu\n", cls, class_title(cls), (unsigned long long)n);
        for (unsigned c = (unsigned)cls * 100; c < (unsigned)cls * 100 + 100; c++) {
            if (!a->codes[c])
                continue;
            meaning_of(c, buf, sizeof buf);
            fprintf(o, "    %u %-28s %6llu  %s\n", c, phrase_of(c), (unsigned long long)a->codes[c],
                    buf);
            for (size_t e = 0; e < a->nelements; e++)
                if (a->elements[e]->codes[c])
                    fprintf(o, "        from %-30s %llu\n", a->elements[e]->name,
                            (unsigned long long)a->elements[e]->codes[c]);
        }
    }
    const az_metrics *m = &a->m;
    fprintf(o,
            "\nCalls: %llu INVITE dialogs (%llu answered, %llu redirected, %llu cancelled, "
            "%llu without a final response)\n",
            (unsigned long long)m->invites, (unsigned long long)m->inv_200,
            (unsigned long long)m->inv_3xx, (unsigned long long)m->inv_cancelled,
            (unsigned long long)m->inv_no_final);
    fprintf(o,
            "Registrations: %llu REGISTER transactions, %llu accepted, %llu challenged, "
            "%llu failed\n",
            (unsigned long long)m->reg_attempts, (unsigned long long)m->reg_ok,
            (unsigned long long)m->reg_challenged, (unsigned long long)m->reg_failed);
    fprintf(o, "\nRFC 6076 metrics\n");
    text_delay(o, "Registration Request Delay (RRD)", &m->rrd);
    text_delay(o, "Session Request Delay, successful (SRD)", &m->srd_ok);
    text_delay(o, "Session Request Delay, failed (SRD)", &m->srd_fail);
    text_delay(o, "Session Disconnect Delay (SDD)", &m->sdd);
    text_delay(o, "Session Duration Time (SDT)", &m->sdt);
    uint64_t den = m->invites - m->inv_3xx;
    text_ratio(o, "Session Establishment Ratio (SER)", m->inv_200, den);
    text_ratio(o, "Session Establishment Effectiveness (SEER)", m->inv_effective, den);
    text_ratio(o, "Ineffective Session Attempts (ISA)", m->inv_ineffective, m->invites);
    text_ratio(o, "Session Completion Ratio (SCR)", m->inv_completed, m->invites);
    fprintf(o, "Other figures\n");
    if (m->hops_n)
        fprintf(o, "  %-44s %.2f\n", "Hops per Request (HpR)",
                (double)m->hops_sum / (double)m->hops_n);
    text_ratio(o, "Answer Seizure Ratio (ASR)", m->inv_200, m->invites);
    text_ratio(o, "Network Effectiveness Ratio (NER)", m->inv_ner, m->invites);
    text_delay(o, "Post-dial delay (INVITE to 18x)", &m->pdd);
    text_delay(o, "Time to first provisional response", &m->first_prov);
    fprintf(o, "\nRetransmissions: %llu requests, %llu responses (%.2f %% of messages)\n",
            (unsigned long long)a->retrans_requests, (unsigned long long)a->retrans_responses,
            a->messages ? pct(a->resent, a->messages) : 0.0);
    unsigned top[10];
    size_t nt = top_codes(a, 300, top, 10);
    if (nt) {
        fprintf(o, "\nTop failure causes\n");
        for (size_t i = 0; i < nt; i++) {
            meaning_of(top[i], buf, sizeof buf);
            char adv[512];
            advice_of(top[i], adv, sizeof adv);
            fprintf(o, "  %u %s: %llu\n    means: %s\n    next: %s\n", top[i], phrase_of(top[i]),
                    (unsigned long long)a->codes[top[i]], buf, adv);
        }
    }
    if (a->nfindings) {
        fprintf(o, "\nConformance findings (per sender and rule)\n");
        for (size_t i = 0; i < a->nfindings; i++) {
            const az_finding *f = &a->findings[i];
            fprintf(o, "  %s: %s %s, %llu time%s, %s%s%s%s\n      %s\n", f->el->name,
                    sr_lint_severity_name(f->rule->severity), f->rule->id,
                    (unsigned long long)f->count, f->count == 1 ? "" : "s", f->rule->section,
                    f->arg ? " (" : "", f->arg ? f->arg : "", f->arg ? ")" : "", f->rule->message);
        }
    }
    if (a->no_lint)
        fprintf(o, "\nConformance: not checked (--no-lint); only messages that do not parse "
                   "are reported above\n");
    if (a->ndone) {
        fprintf(o, "\nCalls (first %zu)\n", a->ndone < 50 ? a->ndone : (size_t)50);
        fprintf(o, "  %-24s %-26s %-26s %5s %8s %8s %8s %s\n", "start", "caller", "callee", "code",
                "pdd s", "answer s", "dur s", "ended by");
        for (size_t i = 0; i < a->ndone && i < 50; i++) {
            const az_call *c = a->done[i];
            fmt_time(c->start, t1, sizeof t1);
            char d1[16], d2[16], d3[16];
            fmt_secs(d1, sizeof d1, c->start, c->ringing);
            fmt_secs(d2, sizeof d2, c->start, c->answer);
            fmt_secs(d3, sizeof d3, c->answer, c->bye_at);
            fprintf(o, "  %-24s %-26.26s %-26.26s %5u %8s %8s %8s %s\n", t1, c->caller, c->callee,
                    c->final_code, d1, d2, d3, hangup_name(c->hangup));
        }
    }
    fflush(o);
}

/* ------------------------------------------------------------------ JSON */

static void j_delay(jw *w, const char *name, const az_delay *d)
{
    jw_key(w, name);
    jw_obj_begin(w);
    jw_kv_int(w, "count", (long long)d->n);
    jw_key(w, "mean_s");
    d->n ? jw_double(w, mean(d)) : jw_null(w);
    jw_key(w, "min_s");
    d->n ? jw_double(w, d->min) : jw_null(w);
    jw_key(w, "max_s");
    d->n ? jw_double(w, d->max) : jw_null(w);
    jw_obj_end(w);
}

static void j_ratio(jw *w, const char *name, uint64_t num, uint64_t den)
{
    jw_key(w, name);
    jw_obj_begin(w);
    jw_kv_int(w, "numerator", (long long)num);
    jw_kv_int(w, "denominator", (long long)den);
    jw_key(w, "percent");
    den ? jw_double(w, pct(num, den)) : jw_null(w);
    jw_obj_end(w);
}

static void j_secs(jw *w, const char *name, uint64_t from, uint64_t to)
{
    jw_key(w, name);
    double s = secs(from, to);
    s >= 0 ? jw_double(w, s) : jw_null(w);
}

static void j_stats(jw *w, const sr_capture_stats *s)
{
#define F(x) jw_kv_int(w, #x, (long long)s->x)
    jw_key(w, "decoder");
    jw_obj_begin(w);
    F(link_unsupported), F(link_truncated), F(not_ip), F(ip_bad), F(ip_truncated);
    F(ip_ext_bad), F(ip_other), F(frag_held), F(frag_bad), F(udp_bad), F(udp_not_sip);
    F(udp_keepalive), F(udp_sip), F(tcp_bad), F(tcp_segments), F(frag_reassembled);
    F(frag_timeout), F(frag_evicted), F(frag_overlap), F(tcp_retrans), F(tcp_overlap);
    F(tcp_ooo), F(tcp_gaps), F(tcp_gap_bytes), F(tcp_skipped_bytes), F(tcp_framing_errors);
    F(tcp_overflow), F(tcp_evicted), F(tcp_sip), F(sip_messages);
    jw_obj_end(w);
#undef F
}

void az_print_json(const az *a, FILE *out)
{
    jw w;
    char buf[512], t[40];
    jw_init(&w, out, true);
    jw_obj_begin(&w);
    jw_key(&w, "capture");
    jw_obj_begin(&w);
    jw_kv_int(&w, "packets", (long long)a->packets);
    jw_kv_int(&w, "bytes", (long long)a->bytes);
    fmt_time(a->first_ns, t, sizeof t);
    jw_kv_cstr(&w, "first", t);
    fmt_time(a->last_ns, t, sizeof t);
    jw_kv_cstr(&w, "last", t);
    j_stats(&w, sr_capture_get_stats(a->cap));
    jw_obj_end(&w);

    jw_key(&w, "sip");
    jw_obj_begin(&w);
    jw_kv_int(&w, "messages", (long long)a->messages);
    jw_kv_int(&w, "resent", (long long)a->resent);
    jw_kv_int(&w, "parse_errors", (long long)a->parse_errors);
    jw_kv_int(&w, "requests_not_kept_for_pair_checks", (long long)a->pending_full);
    jw_key(&w, "requests");
    jw_obj_begin(&w);
    for (size_t i = 0; i < a->nmethods; i++)
        jw_kv_int(&w, a->methods[i].name, (long long)a->methods[i].messages);
    jw_obj_end(&w);
    jw_key(&w, "responses");
    jw_obj_begin(&w);
    for (unsigned c = 100; c < 700; c++) {
        if (!a->codes[c])
            continue;
        char k[8];
        snprintf(k, sizeof k, "%u", c);
        jw_kv_int(&w, k, (long long)a->codes[c]);
    }
    jw_obj_end(&w);
    jw_obj_end(&w);

    jw_key(&w, "classes");
    jw_arr_begin(&w);
    for (int cls = 1; cls <= 6; cls++) {
        uint64_t n = 0;
        for (unsigned c = (unsigned)cls * 100; c < (unsigned)cls * 100 + 100; c++)
            n += a->codes[c];
        if (!n)
            continue;
        jw_obj_begin(&w);
        snprintf(buf, sizeof buf, "%dxx", cls);
        jw_kv_cstr(&w, "class", buf);
        jw_kv_cstr(&w, "title", class_title(cls));
        jw_kv_int(&w, "count", (long long)n);
        jw_key(&w, "codes");
        jw_arr_begin(&w);
        for (unsigned c = (unsigned)cls * 100; c < (unsigned)cls * 100 + 100; c++) {
            if (!a->codes[c])
                continue;
            jw_obj_begin(&w);
            jw_kv_int(&w, "code", c);
            jw_kv_cstr(&w, "phrase", phrase_of(c));
            meaning_of(c, buf, sizeof buf);
            jw_kv_cstr(&w, "meaning", buf);
            jw_kv_int(&w, "count", (long long)a->codes[c]);
            jw_key(&w, "by");
            jw_obj_begin(&w);
            for (size_t e = 0; e < a->nelements; e++)
                if (a->elements[e]->codes[c])
                    jw_kv_int(&w, a->elements[e]->name, (long long)a->elements[e]->codes[c]);
            if (a->other.codes[c])
                jw_kv_int(&w, "other", (long long)a->other.codes[c]);
            jw_obj_end(&w);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);

    jw_key(&w, "transactions");
    jw_arr_begin(&w);
    for (size_t i = 0; i < a->nmethods; i++) {
        const az_method *me = &a->methods[i];
        jw_obj_begin(&w);
        jw_kv_cstr(&w, "method", me->name);
        jw_kv_int(&w, "requests", (long long)me->messages);
        jw_kv_int(&w, "transactions", (long long)me->transactions);
        jw_key(&w, "finals");
        jw_obj_begin(&w);
        for (int c = 2; c <= 6; c++) {
            snprintf(buf, sizeof buf, "%dxx", c);
            jw_kv_int(&w, buf, (long long)me->finals[c]);
        }
        jw_obj_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);

    const az_metrics *m = &a->m;
    jw_key(&w, "registrations");
    jw_obj_begin(&w);
    jw_kv_int(&w, "transactions", (long long)m->reg_attempts);
    jw_kv_int(&w, "accepted", (long long)m->reg_ok);
    jw_kv_int(&w, "challenged", (long long)m->reg_challenged);
    jw_kv_int(&w, "failed", (long long)m->reg_failed);
    jw_obj_end(&w);

    jw_key(&w, "metrics");
    jw_obj_begin(&w);
    j_delay(&w, "rrd", &m->rrd);
    j_delay(&w, "srd_successful", &m->srd_ok);
    j_delay(&w, "srd_failed", &m->srd_fail);
    j_delay(&w, "sdd", &m->sdd);
    j_delay(&w, "sdt", &m->sdt);
    uint64_t den = m->invites - m->inv_3xx;
    j_ratio(&w, "ser", m->inv_200, den);
    j_ratio(&w, "seer", m->inv_effective, den);
    j_ratio(&w, "isa", m->inv_ineffective, m->invites);
    j_ratio(&w, "scr", m->inv_completed, m->invites);
    jw_key(&w, "hpr");
    m->hops_n ? jw_double(&w, (double)m->hops_sum / (double)m->hops_n) : jw_null(&w);
    j_ratio(&w, "asr", m->inv_200, m->invites);
    j_ratio(&w, "ner", m->inv_ner, m->invites);
    j_delay(&w, "post_dial_delay", &m->pdd);
    j_delay(&w, "first_provisional", &m->first_prov);
    jw_key(&w, "post_dial_delay_histogram");
    jw_arr_begin(&w);
    for (size_t i = 0; i < 12; i++)
        jw_int(&w, (long long)m->pdd_hist[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);

    jw_key(&w, "timeline");
    jw_obj_begin(&w);
    fmt_time(a->tl.start_ns, t, sizeof t);
    jw_kv_cstr(&w, "start", t);
    jw_key(&w, "bucket_s");
    jw_double(&w, (double)a->tl.width_ns / 1e9);
    size_t used = 0;
    for (size_t i = 0; i < AZ_TIMELINE; i++)
        for (int k = 1; k <= 6; k++)
            if (a->tl.n[i][k])
                used = i + 1;
    for (int k = 1; k <= 6; k++) {
        snprintf(buf, sizeof buf, "%dxx", k);
        jw_key(&w, buf);
        jw_arr_begin(&w);
        for (size_t i = 0; i < used; i++)
            jw_int(&w, (long long)a->tl.n[i][k]);
        jw_arr_end(&w);
    }
    jw_obj_end(&w);

    jw_key(&w, "retransmissions");
    jw_obj_begin(&w);
    jw_kv_int(&w, "requests", (long long)a->retrans_requests);
    jw_kv_int(&w, "responses", (long long)a->retrans_responses);
    jw_key(&w, "percent_of_messages");
    jw_double(&w, a->messages ? pct(a->resent, a->messages) : 0.0);
    jw_obj_end(&w);

    unsigned top[10];
    size_t nt = top_codes(a, 300, top, 10);
    jw_key(&w, "top_failures");
    jw_arr_begin(&w);
    for (size_t i = 0; i < nt; i++) {
        jw_obj_begin(&w);
        jw_kv_int(&w, "code", top[i]);
        jw_kv_cstr(&w, "phrase", phrase_of(top[i]));
        jw_kv_int(&w, "count", (long long)a->codes[top[i]]);
        meaning_of(top[i], buf, sizeof buf);
        jw_kv_cstr(&w, "meaning", buf);
        advice_of(top[i], buf, sizeof buf);
        jw_kv_cstr(&w, "advice", buf);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);

    if (a->no_lint) /* only with --no-lint, so the default report keeps its shape */
        jw_kv_bool(&w, "conformance_checked", false);
    jw_key(&w, "conformance");
    jw_arr_begin(&w);
    for (size_t i = 0; i < a->nfindings; i++) {
        const az_finding *f = &a->findings[i];
        jw_obj_begin(&w);
        jw_kv_cstr(&w, "element", f->el->name);
        jw_kv_cstr(&w, "rule", f->rule->id);
        jw_kv_cstr(&w, "severity", sr_lint_severity_name(f->rule->severity));
        jw_kv_cstr(&w, "section", f->rule->section);
        jw_kv_cstr(&w, "message", f->rule->message);
        jw_kv_cstr(&w, "detail", f->arg);
        jw_kv_int(&w, "count", (long long)f->count);
        jw_kv_cstr(&w, "example", f->example);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);

    jw_key(&w, "calls");
    jw_obj_begin(&w);
    jw_kv_int(&w, "total", (long long)a->calls_total);
    jw_kv_int(&w, "listed", (long long)a->ndone);
    jw_key(&w, "list");
    jw_arr_begin(&w);
    for (size_t i = 0; i < a->ndone; i++) {
        const az_call *c = a->done[i];
        jw_obj_begin(&w);
        jw_kv_cstr(&w, "call_id", c->call_id);
        jw_kv_cstr(&w, "caller", c->caller);
        jw_kv_cstr(&w, "callee", c->callee);
        jw_kv_cstr(&w, "caller_addr", c->caller_addr);
        jw_kv_cstr(&w, "callee_addr", c->callee_addr);
        fmt_time(c->start, t, sizeof t);
        jw_kv_cstr(&w, "start", t);
        j_secs(&w, "first_provisional_s", c->start, c->first_prov);
        j_secs(&w, "post_dial_delay_s", c->start, c->ringing);
        j_secs(&w, "answer_s", c->start, c->answer);
        jw_key(&w, "final_code");
        c->final_code ? jw_int(&w, c->final_code) : jw_null(&w);
        jw_kv_cstr(&w, "final_by", c->final_code ? c->final_by : NULL);
        j_secs(&w, "duration_s", c->answer, c->bye_at);
        jw_kv_cstr(&w, "hangup", c->hangup ? hangup_name(c->hangup) : NULL);
        jw_kv_bool(&w, "cancelled", c->cancel_at != 0);
        jw_kv_int(&w, "retransmissions", c->retrans);
        jw_key(&w, "ladder");
        jw_obj_begin(&w);
        jw_key(&w, "lanes");
        jw_arr_begin(&w);
        for (int l = 0; l < c->nlanes; l++)
            jw_cstr(&w, c->lanes[l]);
        jw_arr_end(&w);
        jw_key(&w, "events");
        jw_arr_begin(&w);
        for (int e = 0; e < c->nev; e++) {
            const az_event *ev = &c->ev[e];
            jw_obj_begin(&w);
            jw_key(&w, "t_s");
            jw_double(&w, (double)(ev->ts - c->start) / 1e9);
            jw_kv_int(&w, "from", ev->from);
            jw_kv_int(&w, "to", ev->to);
            jw_kv_cstr(&w, "label", ev->label);
            jw_kv_bool(&w, "resent", ev->resent);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_kv_bool(&w, "truncated", c->ev_truncated);
        jw_obj_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_obj_end(&w);
    jw_finish(&w);
}

/* ------------------------------------------------------------------ CSV */

void az_csv_header(FILE *out)
{
    fputs("call_id,start,caller,callee,caller_addr,callee_addr,first_provisional_s,"
          "post_dial_delay_s,answer_s,final_code,final_by,duration_s,hangup,cancelled,"
          "retransmissions\n",
          out);
}

/* RFC 4180: quote every text field, double the quotes inside. */
static void csv_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_secs(FILE *out, uint64_t from, uint64_t to)
{
    double s = secs(from, to);
    if (s >= 0)
        fprintf(out, "%.3f", s);
    fputc(',', out);
}

void az_csv_row(FILE *out, const az_call *c)
{
    char t[40];
    csv_str(out, c->call_id);
    fmt_time(c->start, t, sizeof t);
    fprintf(out, ",%s,", t);
    csv_str(out, c->caller);
    fputc(',', out);
    csv_str(out, c->callee);
    fprintf(out, ",%s,%s,", c->caller_addr, c->callee_addr);
    csv_secs(out, c->start, c->first_prov);
    csv_secs(out, c->start, c->ringing);
    csv_secs(out, c->start, c->answer);
    if (c->final_code)
        fprintf(out, "%u,%s", c->final_code, c->final_by);
    else
        fputc(',', out);
    fputc(',', out);
    csv_secs(out, c->answer, c->bye_at);
    fprintf(out, "%s,%s,%u\n", hangup_name(c->hangup), c->cancel_at ? "yes" : "no", c->retrans);
}
