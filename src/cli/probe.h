/* sipreply CLI: `sipreply probe` — shared between the driver (probe.c: options, the loop, the
 * UAC context) and the output (probe_out.c: ladder, JSON, statistics, exit statuses). */
#ifndef SIPREPLY_CLI_PROBE_H
#define SIPREPLY_CLI_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/sipreply.h"

/* Exit statuses of probe without --expect (docs/sipreply.1 "probe"). */
enum {
    PR_EXIT_2XX = 0,      /* a 2xx final response */
    PR_EXIT_FINAL = 1,    /* a 3xx-6xx final response (or an outcome such as a loop) */
    PR_EXIT_NOANSWER = 2, /* no final response: timeout, transport error, nothing to send to */
    PR_EXIT_USAGE = 3     /* bad usage, a URI that cannot be resolved or used, internal error */
};

/* With --expect: the monitoring-plugin convention. */
enum { PR_NAG_OK = 0, PR_NAG_WARNING = 1, PR_NAG_CRITICAL = 2, PR_NAG_UNKNOWN = 3 };

#define PR_MAX_HEADERS 32
#define PR_MAX_EXPECT  16
#define PR_MAX_LINT    16

typedef struct pr_opts {
    const char *uri;
    const char *method; /* "OPTIONS" */
    const char *user, *password;
    const char *proxy;
    int transport; /* -1: as resolved; else SR_TP_UDP / SR_TP_TCP */
    const char *headers[PR_MAX_HEADERS];
    size_t n_headers;
    uint64_t timeout_ms;  /* per probe (5000) */
    unsigned count;       /* probes (1) */
    uint64_t interval_ms; /* between starts (1000) */
    bool json, nagios, quiet;
    unsigned expect[PR_MAX_EXPECT]; /* a code (100-699) or a class (1-6) */
    size_t n_expect;
    uint64_t warn_ms, crit_ms; /* 0: none */
    const char *dns_servers;
} pr_opts;

typedef enum pr_step_kind { PR_SENT, PR_RESPONSE, PR_ACTION } pr_step_kind;

typedef struct pr_lint {
    const sr_lint_rule *rule;
    const char *arg;
} pr_lint;

/* One line of the ladder. */
typedef struct pr_step {
    pr_step_kind kind;
    uint64_t t_ms; /* since the probe started */
    char method[24];
    char uri[256];
    char addr[80]; /* "udp 127.0.0.1:5060" */
    unsigned status;
    char reason[64];
    char cseq_method[24];
    bool unknown, retransmission;
    sr_uac_action action;
    uint64_t delay_ms;
    char detail[160];
    size_t n_lint;
    pr_lint lint[PR_MAX_LINT];
} pr_step;

/* One probe: its steps and outcome. */
typedef struct pr_run {
    unsigned seq; /* 1-based */
    pr_step *steps;
    size_t n, cap;
    uint64_t start_ms;
    bool done;      /* the UAC said DONE */
    bool timed_out; /* our --timeout ran out first */
    sr_uac_outcome outcome;
    unsigned status; /* the final code (0: none) */
    char reason[64];
    uint64_t rtt_ms;  /* first request sent to the DONE */
    size_t n_lint;    /* findings over all responses */
    char failed[200]; /* the last transport failure: "tcp 127.0.0.1:5060: Connection refused" */
} pr_run;

/* Everything printed once the probes are over. */
typedef struct pr_result {
    const pr_opts *o;
    char error[256];     /* set when nothing could be probed (resolution failed...) */
    char targets[8][96]; /* where the request goes, in order ("udp 127.0.0.1:5060") */
    size_t n_targets;
    pr_run *runs;
    size_t n_runs;
    bool interrupted; /* SIGINT/SIGTERM */
} pr_result;

/* The ladder of one probe (text; --count > 1: one line), as it ends. */
void pr_print_run(const pr_result *r, const pr_run *run);

/* The end: statistics, JSON or the --nagios line. Returns the exit status. */
int pr_finish(const pr_result *r);

/* "udp", "tcp"... */
const char *pr_tp_name(sr_transport tp);

#endif
