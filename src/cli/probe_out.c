/* sipreply CLI: what `sipreply probe` prints — the ladder, the JSON object, the --count
 * statistics, the --nagios line — and its exit status (probe.h). */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "sipreply/sipreply.h"

#include "cli.h"
#include "json.h"
#include "net.h"
#include "probe.h"

const char *pr_tp_name(sr_transport tp)
{
    static const char *names[] = {"udp", "tcp", "tls", "sctp"};
    return (unsigned)tp < 4 ? names[tp] : "?";
}

/* A final response arrived (not a timeout or transport error made up locally). */
static bool answered(const pr_run *run)
{
    return run->done && run->status >= 200 && run->reason[0];
}

/* The first sentence of the registry's meaning of @p code, or a class's. */
static void meaning_line(unsigned code, char *out, size_t cap)
{
    const sr_status_info *i = sr_status_lookup((int)code);
    const char *m = NULL;
    if (i) {
        m = i->meaning;
    } else {
        const sr_status_class_info *ci = sr_status_class_get(sr_status_class_of((int)code));
        if (ci)
            m = ci->meaning;
        snprintf(out, cap, "not registered; acts as %u: ", code / 100 * 100);
    }
    size_t used = i ? 0 : strlen(out);
    out[used] = '\0';
    if (!m)
        return;
    const char *dot = strstr(m, ". ");
    size_t n = dot ? (size_t)(dot - m) + 1 : strlen(m);
    if (n > cap - used - 1)
        n = cap - used - 1;
    memcpy(out + used, m, n);
    out[used + n] = '\0';
}

static const char *step_arrow(pr_step_kind k)
{
    return k == PR_SENT ? "-->" : k == PR_RESPONSE ? "<--" : "  *";
}

static void print_outcome(const pr_run *run)
{
    const char *to = NULL; /* where the last request went */
    for (size_t i = run->n; i-- > 0 && !to;)
        if (run->steps[i].kind == PR_SENT)
            to = run->steps[i].addr;
    if (run->timed_out && run->failed[0])
        printf("outcome: timeout after a transport error (%s)", run->failed);
    else if (run->timed_out)
        printf("outcome: timeout (no final response from %s within --timeout)", to ? to : "anyone");
    else if (run->done && run->outcome == SR_UAC_TRANSPORT_ERROR && run->failed[0])
        printf("outcome: %s (%s)", sr_uac_outcome_name(run->outcome), run->failed);
    else if (!run->done)
        printf("outcome: interrupted");
    else
        printf("outcome: %s", sr_uac_outcome_name(run->outcome));
    if (answered(run))
        printf(", %u %s in %llu ms", run->status, run->reason, (unsigned long long)run->rtt_ms);
    if (run->n_lint)
        printf(", %zu lint finding%s", run->n_lint, run->n_lint == 1 ? "" : "s");
    printf("\n");
}

void pr_print_run(const pr_result *r, const pr_run *run)
{
    const pr_opts *o = r->o;
    if (o->json || o->nagios)
        return;
    if (o->count > 1) {
        if (answered(run))
            printf("probe %u: %u %s in %llu ms (%s)\n", run->seq, run->status, run->reason,
                   (unsigned long long)run->rtt_ms, sr_uac_outcome_name(run->outcome));
        else
            printf("probe %u: %s\n", run->seq,
                   run->timed_out ? "timeout"
                   : run->done    ? sr_uac_outcome_name(run->outcome)
                                  : "interrupted");
        fflush(stdout);
        return;
    }
    if (o->quiet) {
        print_outcome(run);
        return;
    }
    for (size_t i = 0; i < run->n; i++) {
        const pr_step *st = &run->steps[i];
        printf("%6llu ms %s ", (unsigned long long)st->t_ms, step_arrow(st->kind));
        if (st->kind == PR_SENT) {
            printf("%s %s (%s)\n", st->method, st->uri, st->addr);
        } else if (st->kind == PR_RESPONSE) {
            char m[400];
            meaning_line(st->status, m, sizeof(m));
            printf("%u %s (%s, %s%s)\n", st->status, st->reason, st->cseq_method, st->addr,
                   st->retransmission ? ", retransmission" : "");
            printf("                %s\n", m);
            for (size_t k = 0; k < st->n_lint; k++)
                printf("                lint %s %s %s: %s%s%s%s\n", st->lint[k].rule->id,
                       sr_lint_severity_name(st->lint[k].rule->severity), st->lint[k].rule->section,
                       st->lint[k].rule->message, st->lint[k].arg ? " (" : "",
                       st->lint[k].arg ? st->lint[k].arg : "", st->lint[k].arg ? ")" : "");
        } else {
            printf("%s", sr_uac_action_name(st->action));
            if (st->status)
                printf(" on %u", st->status);
            if (st->detail[0])
                printf(" %s", st->detail);
            if (st->delay_ms)
                printf(" after %llu ms", (unsigned long long)st->delay_ms);
            printf(" (%s)\n", sr_uac_action_rfc(st->action));
        }
    }
    print_outcome(run);
    fflush(stdout);
}

typedef struct stats {
    size_t sent, answered;
    double min, avg, max, mdev; /* ms */
    unsigned codes[700];
} stats;

static void compute(const pr_result *r, stats *s)
{
    memset(s, 0, sizeof(*s));
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < r->n_runs; i++) {
        const pr_run *run = &r->runs[i];
        s->sent++;
        if (!answered(run))
            continue;
        double t = (double)run->rtt_ms;
        if (!s->answered || t < s->min)
            s->min = t;
        if (t > s->max)
            s->max = t;
        s->answered++;
        sum += t;
        sum2 += t * t;
        if (run->status < 700)
            s->codes[run->status]++;
    }
    if (s->answered) {
        s->avg = sum / (double)s->answered;
        double var = sum2 / (double)s->answered - s->avg * s->avg;
        s->mdev = var > 0 ? sqrt(var) : 0;
    }
}

static double loss_pct(const stats *s)
{
    return s->sent ? 100.0 * (double)(s->sent - s->answered) / (double)s->sent : 100.0;
}

static bool expected(const pr_opts *o, unsigned code)
{
    for (size_t i = 0; i < o->n_expect; i++)
        if (o->expect[i] == code || (o->expect[i] < 10 && o->expect[i] == code / 100))
            return true;
    return false;
}

/* Monitoring-plugin state and the reason for it. */
static int nagios_state(const pr_result *r, const stats *s, char *why, size_t cap)
{
    const pr_opts *o = r->o;
    why[0] = '\0';
    if (r->error[0]) {
        snprintf(why, cap, "%s", r->error);
        return PR_NAG_UNKNOWN;
    }
    if (!s->answered) {
        snprintf(why, cap, "no answer");
        return PR_NAG_CRITICAL;
    }
    for (size_t i = 0; i < r->n_runs; i++)
        if (answered(&r->runs[i]) && !expected(o, r->runs[i].status)) {
            snprintf(why, cap, "unexpected %u", r->runs[i].status);
            return PR_NAG_CRITICAL;
        }
    double t = o->count > 1 ? s->avg : s->max;
    if (o->crit_ms && t > (double)o->crit_ms) {
        snprintf(why, cap, "slower than %llu ms", (unsigned long long)o->crit_ms);
        return PR_NAG_CRITICAL;
    }
    if (o->warn_ms && t > (double)o->warn_ms) {
        snprintf(why, cap, "slower than %llu ms", (unsigned long long)o->warn_ms);
        return PR_NAG_WARNING;
    }
    if (s->answered < s->sent) {
        snprintf(why, cap, "%.0f%% lost", loss_pct(s));
        return PR_NAG_WARNING;
    }
    return PR_NAG_OK;
}

/* Without --expect: the best probe's class (probe.h). */
static int plain_status(const pr_result *r)
{
    if (r->error[0] && r->n_runs == 0)
        return PR_EXIT_USAGE;
    int best = r->error[0] ? PR_EXIT_USAGE : PR_EXIT_NOANSWER;
    for (size_t i = 0; i < r->n_runs; i++) {
        const pr_run *run = &r->runs[i];
        int st = !answered(run)                                   ? PR_EXIT_NOANSWER
                 : run->status < 300 && run->outcome == SR_UAC_OK ? PR_EXIT_2XX
                                                                  : PR_EXIT_FINAL;
        if (run->done && run->outcome == SR_UAC_ERROR)
            st = PR_EXIT_USAGE;
        if (st < best)
            best = st;
    }
    return best;
}

static const char *last_phrase(const pr_result *r, unsigned *code)
{
    for (size_t i = r->n_runs; i-- > 0;)
        if (answered(&r->runs[i])) {
            *code = r->runs[i].status;
            return r->runs[i].reason;
        }
    *code = 0;
    return "";
}

static void print_nagios(const pr_result *r, const stats *s, int state, const char *why)
{
    static const char *names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    const pr_opts *o = r->o;
    unsigned code;
    const char *phrase = last_phrase(r, &code);
    printf("SIP %s - ", names[state]);
    if (s->answered && o->count > 1)
        printf("%u %s, %zu/%zu answered, avg %.1f ms", code, phrase, s->answered, s->sent, s->avg);
    else if (s->answered)
        printf("%u %s in %.0f ms", code, phrase, s->max);
    else
        printf("%s", why);
    if (state != PR_NAG_OK && s->answered)
        printf(" (%s)", why);
    double t = (o->count > 1 ? s->avg : s->max) / 1000.0;
    printf(" | time=%.6fs;", t);
    if (o->warn_ms)
        printf("%.6f", (double)o->warn_ms / 1000.0);
    printf(";");
    if (o->crit_ms)
        printf("%.6f", (double)o->crit_ms / 1000.0);
    printf(";0; loss=%.0f%%;;;0;100 code=%u\n", loss_pct(s), code);
}

static void json_run(jw *w, const pr_run *run)
{
    jw_obj_begin(w);
    jw_kv_int(w, "seq", run->seq);
    jw_key(w, "exchanges");
    jw_arr_begin(w);
    for (size_t i = 0; i < run->n; i++) {
        const pr_step *st = &run->steps[i];
        jw_obj_begin(w);
        jw_kv_int(w, "t_ms", (long long)st->t_ms);
        if (st->kind == PR_SENT) {
            jw_kv_cstr(w, "kind", "request");
            jw_kv_cstr(w, "method", st->method);
            jw_kv_cstr(w, "uri", st->uri);
            jw_kv_cstr(w, "to", st->addr);
        } else if (st->kind == PR_RESPONSE) {
            char m[400];
            meaning_line(st->status, m, sizeof(m));
            jw_kv_cstr(w, "kind", "response");
            jw_kv_int(w, "status", st->status);
            jw_kv_cstr(w, "reason", st->reason);
            jw_kv_cstr(w, "method", st->cseq_method);
            jw_kv_cstr(w, "from", st->addr);
            jw_kv_cstr(w, "meaning", m);
            jw_kv_bool(w, "unknown", st->unknown);
            jw_kv_bool(w, "retransmission", st->retransmission);
            jw_key(w, "lint");
            jw_arr_begin(w);
            for (size_t k = 0; k < st->n_lint; k++) {
                jw_obj_begin(w);
                jw_kv_cstr(w, "rule", st->lint[k].rule->id);
                jw_kv_cstr(w, "severity", sr_lint_severity_name(st->lint[k].rule->severity));
                jw_kv_cstr(w, "section", st->lint[k].rule->section);
                jw_kv_cstr(w, "message", st->lint[k].rule->message);
                jw_kv_cstr(w, "arg", st->lint[k].arg);
                jw_obj_end(w);
            }
            jw_arr_end(w);
        } else {
            jw_kv_cstr(w, "kind", "action");
            jw_kv_cstr(w, "action", sr_uac_action_name(st->action));
            jw_kv_cstr(w, "rfc", sr_uac_action_rfc(st->action));
            jw_kv_int(w, "status", st->status);
            jw_kv_cstr(w, "detail", st->detail);
            jw_kv_int(w, "delay_ms", (long long)st->delay_ms);
        }
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "actions");
    jw_arr_begin(w);
    for (size_t i = 0; i < run->n; i++)
        if (run->steps[i].kind == PR_ACTION)
            jw_cstr(w, sr_uac_action_name(run->steps[i].action));
    jw_arr_end(w);
    jw_kv_cstr(w, "outcome",
               run->timed_out ? "timeout"
               : run->done    ? sr_uac_outcome_name(run->outcome)
                              : "interrupted");
    jw_kv_int(w, "status", answered(run) ? run->status : 0);
    jw_kv_cstr(w, "reason", answered(run) ? run->reason : NULL);
    jw_kv_bool(w, "answered", answered(run));
    jw_kv_int(w, "time_ms", (long long)run->rtt_ms);
    jw_kv_int(w, "lint_findings", (long long)run->n_lint);
    jw_kv_cstr(w, "transport_error", run->failed[0] ? run->failed : NULL);
    jw_obj_end(w);
}

static void print_json(const pr_result *r, const stats *s, int status, int nag)
{
    const pr_opts *o = r->o;
    jw w;
    jw_init(&w, stdout, true);
    jw_obj_begin(&w);
    jw_kv_cstr(&w, "uri", o->uri);
    jw_kv_cstr(&w, "method", o->method);
    jw_kv_cstr(&w, "proxy", o->proxy);
    jw_key(&w, "targets");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->n_targets; i++)
        jw_cstr(&w, r->targets[i]);
    jw_arr_end(&w);
    jw_kv_cstr(&w, "error", r->error[0] ? r->error : NULL);
    jw_key(&w, "probes");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->n_runs; i++)
        json_run(&w, &r->runs[i]);
    jw_arr_end(&w);
    jw_key(&w, "stats");
    jw_obj_begin(&w);
    jw_kv_int(&w, "sent", (long long)s->sent);
    jw_kv_int(&w, "answered", (long long)s->answered);
    jw_key(&w, "loss_pct");
    jw_double(&w, loss_pct(s));
    const char *k[] = {"min_ms", "avg_ms", "max_ms", "mdev_ms"};
    const double v[] = {s->min, s->avg, s->max, s->mdev};
    for (int i = 0; i < 4; i++) {
        jw_key(&w, k[i]);
        if (s->answered)
            jw_double(&w, v[i]);
        else
            jw_null(&w);
    }
    jw_key(&w, "codes");
    jw_obj_begin(&w);
    for (unsigned c = 100; c < 700; c++)
        if (s->codes[c]) {
            char key[8];
            snprintf(key, sizeof(key), "%u", c);
            jw_kv_int(&w, key, s->codes[c]);
        }
    jw_obj_end(&w);
    jw_obj_end(&w);
    const pr_run *last = r->n_runs ? &r->runs[r->n_runs - 1] : NULL;
    jw_kv_cstr(&w, "outcome",
               !last             ? "error"
               : last->timed_out ? "timeout"
               : last->done      ? sr_uac_outcome_name(last->outcome)
                                 : "interrupted");
    if (o->n_expect) {
        static const char *names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
        jw_kv_cstr(&w, "state", names[nag]);
    }
    jw_kv_int(&w, "exit", status);
    jw_obj_end(&w);
    jw_finish(&w);
}

int pr_finish(const pr_result *r)
{
    const pr_opts *o = r->o;
    stats *s = calloc(1, sizeof(*s));
    if (!s)
        return PR_EXIT_USAGE;
    compute(r, s);
    char why[300];
    int nag = o->n_expect ? nagios_state(r, s, why, sizeof(why)) : 0;
    int status = o->n_expect ? nag : plain_status(r);
    if (o->json) {
        print_json(r, s, status, nag);
    } else if (o->nagios) {
        print_nagios(r, s, nag, why);
    } else {
        if (r->error[0])
            fprintf(stderr, "%s probe: %s\n", cli_prog, r->error);
        if (o->count > 1) {
            printf("--- %s probe statistics ---\n", o->uri);
            printf("%zu sent, %zu answered, %.1f%% loss\n", s->sent, s->answered, loss_pct(s));
            if (s->answered)
                printf("rtt min/avg/max/mdev = %.0f/%.1f/%.0f/%.1f ms\n", s->min, s->avg, s->max,
                       s->mdev);
            printf("codes:");
            for (unsigned c = 100; c < 700; c++)
                if (s->codes[c])
                    printf(" %u x%u", c, s->codes[c]);
            printf("%s\n", s->answered ? "" : " none");
        }
        if (o->n_expect) {
            static const char *names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
            printf("state: %s%s%s\n", names[nag], why[0] ? " - " : "", why);
        }
    }
    free(s);
    return status;
}
