/* sipreplyd: the engine's counters in Prometheus text format (/metrics). */
#include "engine_int.h"
#include "engine_dtmf.h"
#include "engine_media.h"

#include <stdio.h>

const sd_counters *sd_engine_counters(const sd_engine *e)
{
    return &e->cnt;
}

/* ------------------------------------------------------------------ metrics */

/* "# HELP name help" (when @p help), "# TYPE name counter", "name value". */
static int counter(sr_buf *out, const char *name, const char *help, uint64_t value)
{
    int rc = 0;
    if (help) {
        rc = sr_buf_append_cstr(out, "# HELP ");
        rc = rc ? rc : sr_buf_append_cstr(out, name);
        rc = rc ? rc : sr_buf_append_cstr(out, " ");
        rc = rc ? rc : sr_buf_append_cstr(out, help);
        rc = rc ? rc : sr_buf_append_cstr(out, "\n");
    }
    rc = rc ? rc : sr_buf_append_cstr(out, "# TYPE ");
    rc = rc ? rc : sr_buf_append_cstr(out, name);
    rc = rc ? rc : sr_buf_append_cstr(out, " counter\n");
    rc = rc ? rc : sr_buf_append_cstr(out, name);
    rc = rc ? rc : sr_buf_append_cstr(out, " ");
    rc = rc ? rc : sr_buf_append_u64(out, value);
    return rc ? rc : sr_buf_append_cstr(out, "\n");
}

int sd_engine_metrics(const sd_engine *e, sr_buf *out)
{
    char line[400];
    int rc = sr_buf_append_cstr(
        out, "# HELP sipreplyd_requests_total Requests received, by method (retransmissions "
             "absorbed by the transaction layer are not counted).\n"
             "# TYPE sipreplyd_requests_total counter\n");
    for (size_t i = 0; i < SD_METHOD_SLOTS && !rc; i++) {
        const char *name = i ? sr_method_name((sr_method)i) : "other";
        snprintf(line, sizeof(line), "sipreplyd_requests_total{method=\"%s\"} %llu\n",
                 name ? name : "other", (unsigned long long)e->cnt.requests[i]);
        rc = sr_buf_append_cstr(out, line);
    }
    rc = rc ? rc
            : sr_buf_append_cstr(out, "# HELP sipreplyd_responses_total Responses sent, by code "
                                      "(retransmissions included).\n"
                                      "# TYPE sipreplyd_responses_total counter\n");
    for (size_t i = 100; i < 700 && !rc; i++) {
        if (!e->cnt.responses[i])
            continue;
        snprintf(line, sizeof(line), "sipreplyd_responses_total{code=\"%zu\"} %llu\n", i,
                 (unsigned long long)e->cnt.responses[i]);
        rc = sr_buf_append_cstr(out, line);
    }
    rc = rc ? rc : counter(out, "sipreplyd_acks_absorbed_total", NULL, e->cnt.acks_absorbed);
    /* the stack's own count (sr_stack_dropped) is of the same datagrams: each came back
     * SR_EBADMSG to sd_engine_receive, which counted it */
    rc = rc ? rc : counter(out, "sipreplyd_dropped_total", NULL, e->cnt.dropped);
    rc = rc ? rc
            : counter(out, "sipreplyd_engine_failures_total",
                      "Work the engine cut short for want of memory (a sequence ended early "
                      "with a 500, a 2xx whose ACK is not tracked, a reply not built).",
                      e->cnt.failures);
    rc = rc ? rc
            : counter(out, "sipreplyd_dialogs_created_total",
                      "Dialogs recorded (RFC 3261 §12: early by a 1xx, confirmed by a 2xx).",
                      e->cnt.dialogs_created);
    rc = rc ? rc
            : counter(out, "sipreplyd_dialogs_ended_total",
                      "Dialogs ended (BYE, a non-2xx final of an early one, session timer, no "
                      "ACK, longest duration).",
                      e->cnt.dialogs_ended);
    rc = rc ? rc
            : counter(out, "sipreplyd_dialog_481_total",
                      "481 sent for requests whose To tag matches no dialog.", e->cnt.dialog_481);
    rc = rc ? rc
            : counter(out, "sipreplyd_byes_sent_total",
                      "BYEs sent by sipreplyd (session timer, no ACK, longest duration).",
                      e->cnt.byes_sent);
    if (!rc) {
        snprintf(line, sizeof(line),
                 "# TYPE sipreplyd_dialogs gauge\nsipreplyd_dialogs %zu\n"
                 "# TYPE sipreplyd_dialog_bytes gauge\nsipreplyd_dialog_bytes %zu\n",
                 sr_dialog_count(e->dialogs), sr_dialog_memory(e->dialogs));
        rc = sr_buf_append_cstr(out, line);
    }
    if (!rc) {
        snprintf(line, sizeof(line),
                 "# TYPE sipreplyd_transactions gauge\nsipreplyd_transactions %zu\n"
                 "# TYPE sipreplyd_transaction_bytes gauge\nsipreplyd_transaction_bytes %zu\n"
                 "# TYPE sipreplyd_refused_total counter\nsipreplyd_refused_total %llu\n"
                 "# TYPE sipreplyd_pending_sequences gauge\nsipreplyd_pending_sequences %zu\n"
                 "# TYPE sipreplyd_bindings gauge\nsipreplyd_bindings %zu\n",
                 sr_stack_txn_count(e->stack), sr_stack_memory(e->stack),
                 (unsigned long long)sr_stack_refused(e->stack), e->n_jobs,
                 sd_auth_glue_bindings(e->auth));
        rc = sr_buf_append_cstr(out, line);
    }
    if (!rc && e->reg)
        rc = sd__reg_metrics(e, out);
    rc = rc ? rc : sd__media_metrics(e, out);
    return rc ? rc : sd__dtmf_metrics(e, out);
}
