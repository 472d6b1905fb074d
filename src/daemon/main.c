/* sipreplyd: command line (its --help text in usage.c), logging, configuration loading and
 * reloading, and the one place that knows both the engine (src/daemon) and the network shell
 * (src/net): it fills the shell's handler table with thin adapters over sd_engine_*. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../net/net.h"
#include "config.h"
#include "config_forward.h"
#include "engine.h"
#include "usage.h"
#include "sipreply/version.h"

/* notice: start-up, reloads and the stop, which -q keeps (a healthy start is no warning) */
enum { LOG_ERROR = 0, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

typedef struct reg_lookup {
    struct app *a;
    size_t group;
} reg_lookup;

typedef struct app {
    int level;
    const char *config_path;
    const char *port_file; /* --port-file: where the bound addresses go, or NULL */
    sd_engine *engine;
    sn_loop *loop;
    sn_resolver *res;        /* the registrars' lookups (registrations:), made on first use */
    reg_lookup lookups[256]; /* one per registration group (config_register.c: at most 256) */
    bool cli_listen;         /* -l given: the configuration's listen is not used, nor reloaded */
} app;

static const char *const default_listen[] = {"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"};

/* The listener specs of @p cf (its listen, else the defaults) into @p out. */
static size_t config_listen(const sd_config *cf, const char **out, size_t cap)
{
    size_t n = 0;
    for (char **x = cf->listen; x && *x && n < cap; x++)
        out[n++] = *x;
    if (n == 0) {
        out[n++] = default_listen[0];
        out[n++] = default_listen[1];
    }
    return n;
}

static void logf_(const app *a, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void stamp(char *buf, size_t cap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
}

static void logf_(const app *a, int level, const char *fmt, ...)
{
    if (level > a->level)
        return;
    static const char *const names[] = {"error", "warn", "notice", "info", "debug"};
    char ts[40];
    stamp(ts, sizeof(ts));
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s\n", ts, names[level], msg);
}

static void on_txlog(const sd_txlog *l, void *user)
{
    app *a = user;
    if (a->level < (l->rule ? LOG_INFO : LOG_DEBUG))
        return;
    char ts[40];
    stamp(ts, sizeof(ts));
    const char *tp = l->src->transport == SR_TP_UDP ? "udp" : "tcp";
    char code[16] = "-";
    if (l->code)
        snprintf(code, sizeof(code), "%u", l->code);
    if (!l->rule) {
        fprintf(stderr, "%s debug %s:%s:%u %s\n", ts, tp, l->src->host, l->src->port,
                l->note ? l->note : "dropped");
        return;
    }
    fprintf(stderr, "%s info %s:%s:%u %.*s %.*s -> %s rule=%s%s%s%s\n", ts, tp, l->src->host,
            l->src->port, (int)l->method.len, l->method.p ? l->method.p : "",
            (int)(l->ruri.len > 200 ? 200 : l->ruri.len), l->ruri.p ? l->ruri.p : "", code,
            l->rule ? l->rule : "-", l->note ? " (" : "", l->note ? l->note : "",
            l->note ? ")" : "");
}

/* One line per dialog end: who, how long, why (docs/sipreplyd.md "Dialogs"). */
static void on_dialog_log(const sd_dialog_log *l, void *user)
{
    app *a = user;
    if (a->level < LOG_INFO)
        return;
    char ts[40];
    stamp(ts, sizeof(ts));
    const char *tp = l->peer->transport == SR_TP_UDP ? "udp" : "tcp";
    fprintf(stderr, "%s info %s:%s:%u dialog %s ended after %llu.%03llu s: %s%s; Call-ID %.*s\n",
            ts, tp, l->peer->host, l->peer->port, l->confirmed ? "confirmed" : "early",
            (unsigned long long)(l->duration_ms / 1000),
            (unsigned long long)(l->duration_ms % 1000), l->reason,
            l->bye_sent ? " (BYE sent)" : "", (int)(l->call_id.len > 200 ? 200 : l->call_id.len),
            l->call_id.p);
}

static int load(const char *path, sd_config **out, sd_config_error *err)
{
    int rc = path ? sd_config_load(out, path, err)
                  : sd_config_parse(out, sd_default_config, strlen(sd_default_config), err);
    if (rc == 0 && sd_media_load_files(*out, err->msg, sizeof(err->msg)) != 0) {
        err->line = err->column = 0;
        sd_config_free(*out);
        *out = NULL;
        return -1;
    }
    return rc;
}

static void report_error(const app *a, const char *path, const sd_config_error *err)
{
    if (err->line)
        logf_(a, LOG_ERROR, "%s:%u:%u: %s", path ? path : "(default)", err->line, err->column,
              err->msg);
    else
        logf_(a, LOG_ERROR, "%s: %s", path ? path : "(default)", err->msg);
}

/* --port-file: the addresses listened on (sn_listeners), written to a temporary file and
 * renamed over FILE, so a reader sees the whole list or the previous one. 0 or -1. */
static int write_port_file(const app *a)
{
    if (!a->port_file)
        return 0;
    char text[2048];
    sn_listeners(a->loop, text, sizeof(text));
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", a->port_file) >= (int)sizeof(tmp)) {
        logf_(a, LOG_ERROR, "--port-file %s: name too long", a->port_file);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
        logf_(a, LOG_ERROR, "--port-file %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (rename(tmp, a->port_file) != 0) {
        logf_(a, LOG_ERROR, "--port-file %s: %s", a->port_file, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* The forward targets the configuration lists: chosen by it, not by a request's source */
static void trust_targets(const app *a, const sd_config *cf)
{
    sr_addr p[SN_TRUST_MAX];
    for (size_t i = 0, n = sd__forward_peers(cf, p, SN_TRUST_MAX); i < n; i++)
        (void)sn_trust(a->loop, &p[i]); /* -1: 64 trusted already; the budget applies */
}

static void on_reload(void *user)
{
    app *a = user;
    sd_config *cf = NULL;
    sd_config_error err;
    if (load(a->config_path, &cf, &err) != 0) {
        report_error(a, a->config_path, &err);
        logf_(a, LOG_ERROR, "reload failed: keeping the previous configuration");
        return;
    }
    char changes[1024] = "";
    if (!a->cli_listen) {
        /* listen changed: open the new listeners, close the removed ones (all or nothing) */
        const char *specs[16];
        size_t n = config_listen(cf, specs, 16);
        char msg[256];
        if (sn_listen_set(a->loop, specs, n, changes, sizeof(changes), msg, sizeof(msg)) != 0) {
            logf_(a, LOG_ERROR, "listen: %s", msg);
            logf_(a, LOG_ERROR, "reload failed: keeping the previous configuration");
            sd_config_free(cf);
            return;
        }
    }
    size_t n_rules = cf->n_rules;
    trust_targets(a, cf);
    sd_engine_set_config(a->engine, cf);
    if (changes[0])
        write_port_file(a);
    logf_(a, LOG_NOTICE, "configuration reloaded from %s (%zu rules)%s%s",
          a->config_path ? a->config_path : "the embedded default", n_rules,
          changes[0] ? "; listeners: " : "", changes);
}

static void on_report(void *user)
{
    app *a = user;
    sr_buf b;
    sr_buf_init(&b, NULL);
    if (sd_engine_metrics(a->engine, &b) == 0 && sn_loop_metrics(a->loop, &b) == 0 && b.p)
        fprintf(stderr, "%s", b.p);
    sr_buf_cleanup(&b);
    fflush(stderr);
}

static void on_warn(void *user, const char *msg)
{
    logf_(user, LOG_WARN, "%s", msg);
}

/* ---- the shell's handler table (net.h) over the engine (engine.h); user is the app */

static void net_receive(void *user, const char *data, size_t len, const sr_addr *src,
                        const sn_local *local, uint64_t now_ms)
{
    app *a = user;
    sd_local dst;
    size_t n = strlen(local->host) + 1;
    memcpy(dst.host, local->host, n <= sizeof(dst.host) ? n : sizeof(dst.host));
    dst.host[sizeof(dst.host) - 1] = '\0';
    dst.port = local->port;
    sd_engine_receive(a->engine, data, len, src, &dst, now_ms);
}

static bool net_proves_alive(void *user, const char *data, size_t len)
{
    return sd_engine_ack_is_ours(((app *)user)->engine, data, len);
}

static uint64_t net_next_deadline(void *user)
{
    return sd_engine_wake_deadline(((app *)user)->engine);
}

static void net_timer(void *user, uint64_t now_ms)
{
    sd_engine_on_timer(((app *)user)->engine, now_ms);
}

static void net_transport_error(void *user, const sr_addr *peer, uint64_t now_ms)
{
    sd_engine_transport_error(((app *)user)->engine, peer, now_ms);
}

static void net_drain(void *user)
{
    sd_engine_drain(((app *)user)->engine);
}

static size_t net_pending(void *user)
{
    return sd_engine_pending(((app *)user)->engine);
}

static void net_abort(void *user, uint64_t now_ms)
{
    sd_engine_abort_pending(((app *)user)->engine, now_ms);
}

static int net_metrics(void *user, sr_buf *out)
{
    return sd_engine_metrics(((app *)user)->engine, out);
}

/* the engine's callbacks into the shell; user is the loop */
/* ------------------------------------------------------------------ media */

static void net_media_receive(void *user, void *sock_user, bool rtcp, const uint8_t *data,
                              size_t len, const sr_addr *src, uint64_t now_ms)
{
    app *a = user;
    sd_engine_media_receive(a->engine, sock_user, rtcp, data, len, src, now_ms);
}

static int engine_media_open(void *user, void *sess, const char *host, uint16_t port_min,
                             uint16_t port_max, void **sock, uint16_t *port)
{
    char err[160];
    sn_media_sock *s = NULL;
    if (sn_media_open(user, host, port_min, port_max, sess, &s, port, err, sizeof(err)) != 0)
        return -1;
    *sock = s;
    return 0;
}

static void engine_media_send(void *user, void *sock, bool rtcp, const uint8_t *data, size_t len,
                              const char *host, uint16_t port)
{
    (void)sn_media_send(user, sock, rtcp, data, len, host, port); /* UDP: a loss like any */
}

static void engine_media_close(void *user, void *sock)
{
    sn_media_close(user, sock);
}

/* the wall clock as NTP time (RFC 3550 §4: seconds since 1900 in 32.32 fixed point) */
static uint64_t engine_ntp(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t sec = (uint64_t)ts.tv_sec + 2208988800ULL;
    uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000ULL;
    return sec << 32 | frac;
}

static void on_media_log(int level, const char *line, void *user)
{
    app *a = user;
    logf_(a, level == 0 ? LOG_NOTICE : level == 1 ? LOG_INFO : LOG_DEBUG, "%s", line);
}

static void engine_send(const char *data, size_t len, const sr_addr *to, void *user)
{
    sn_send(user, data, len, to);
}

static void engine_sign(const sr_addr *src, int sign, void *user)
{
    sn_sign(user, src, sign == SD_SIGN_ALIVE ? SN_SIGN_ALIVE : SN_SIGN_REQUEST);
}

/* ---- registrations: the log lines, and each registrar located (RFC 3263) */

static void engine_note(void *user, int level, const char *msg)
{
    logf_(user, level, "%s", msg);
}

/* Our address for a REGISTER to @p to: the first listener of its transport and family (its
 * host, or for a wildcard the address the kernel sends from to @p to). 0 or -1. */
static int reg_local(const app *a, const sr_addr *to, sd_local *out)
{
    char text[2048];
    sn_listeners(a->loop, text, sizeof(text));
    const char *want = to->transport == SR_TP_TCP ? "tcp" : "udp";
    bool v6 = to->host[0] == '[';
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char tp[8], host[SR_ADDR_HOST_MAX];
        unsigned port;
        if (sscanf(line, "%7s %63s %u", tp, host, &port) != 3 || strcmp(tp, want) != 0 ||
            (strchr(host, ':') != NULL) != v6)
            continue;
        if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::")) {
            if (sn_local_addr_for(to, out->host, sizeof(out->host)) != 0)
                return -1;
        } else {
            snprintf(out->host, sizeof(out->host), v6 ? "[%s]" : "%s", host);
        }
        out->port = (uint16_t)port;
        return 0;
    }
    return -1;
}

static void reg_located(void *user, int status, const sn_targets *t)
{
    reg_lookup *q = user;
    app *a = q->a;
    sr_addr servers[8];
    size_t n = status == 0 ? sn_targets_usable(t, servers, 8) : 0;
    sd_local local;
    const char *why = status ? sr_strerror(status) : "no UDP or TCP server";
    /* our registrar, chosen by the configuration: our REGISTERs to it are not reflections
     * (a burst of them would otherwise be over its budget before its first answer) */
    for (size_t i = 0; i < n; i++)
        (void)sn_trust(a->loop, &servers[i]); /* -1: 64 trusted already; the budget applies */
    if (n && reg_local(a, &servers[0], &local) != 0) {
        why = "no listener of that transport and address family to register";
        n = 0;
    }
    sd_engine_reg_resolved(a->engine, q->group, servers, n, n ? &local : NULL, why, sn_now_ms());
}

static void engine_resolve(void *user, size_t group, const char *uri)
{
    app *a = user;
    char err[160] = "too many registrations";
    reg_lookup *q = group < 256 ? &a->lookups[group] : NULL;
    int rc;
    if (q && !a->res) {
        sn_resolver_opts ro;
        sn_resolver_opts_default(&ro);
        ro.servers = sd_engine_config(a->engine)->reg.dns; /* NULL: the system's */
        if (sn_resolver_new(&a->res, a->loop, &ro, err, sizeof(err)) != 0)
            a->res = NULL;
    }
    if (q && a->res) {
        *q = (reg_lookup){.a = a, .group = group};
        rc = sn_resolve_uri(a->res, uri, strlen(uri), reg_located, q, NULL);
        if (rc == 0)
            return;
        snprintf(err, sizeof(err), "%s", sr_strerror(rc));
    }
    sd_engine_reg_resolved(a->engine, group, NULL, 0, NULL, err, sn_now_ms());
}

static int num_arg(const char *s, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stderr, NULL, _IOLBF, 0);
    /* Under load every live transaction holds a few kilobytes (its request, its last
     * response) until its Timer I/J/K ends it; the default malloc gives that memory back to
     * the kernel as soon as the calls stop and page-faults it in again (zeroed) at the next
     * burst. Keep up to 256 MB of freed memory for reuse instead. */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 4 << 20);
    app a = {.level = LOG_INFO};
    const char *listens[16];
    size_t n_listen = 0;
    const char *metrics = NULL;
    bool check = false;
    sn_opts so;
    sn_opts_default(&so);
    /* paced UDP: one wake-up per millisecond rather than per datagram while more than two
     * datagrams a millisecond arrive (docs/performance.md, "Paced traffic"); --udp-hold 0
     * turns it off */
    so.udp_hold_us = 1000;
    size_t max_txn = 262144;
    /* what live transactions may retain: at about 5 KB each (a request head, its last
     * response), room for the 262144 of --max-transactions; a flood of large heads is
     * stopped by it first (docs/sipreplyd.md "Memory") */
    size_t max_mem = (size_t)1 << 30;
    size_t max_dlg = 65536, dlg_mem = (size_t)64 << 20;
    uint32_t dlg_dur = 7200;
    enum {
        O_PRINT = 256,
        O_LEVEL,
        O_METRICS,
        O_MAXCONN,
        O_MAXBUF,
        O_IDLE,
        O_SHUT,
        O_MAXTXN,
        O_MAXMEM,
        O_MAXDLG,
        O_DLGMEM,
        O_DLGDUR,
        O_GSO,
        O_HOLD,
        O_PERSRC,
        O_MSGTIME,
        O_RBUDGET,
        O_RRATIO,
        O_RWINDOW,
        O_PORTFILE
    };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"check", no_argument, NULL, 't'},
        {"print-default", no_argument, NULL, O_PRINT},
        {"log-level", required_argument, NULL, O_LEVEL},
        {"quiet", no_argument, NULL, 'q'},
        {"metrics", required_argument, NULL, O_METRICS},
        {"max-connections", required_argument, NULL, O_MAXCONN},
        {"max-buffer", required_argument, NULL, O_MAXBUF},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"shutdown-timeout", required_argument, NULL, O_SHUT},
        {"max-transactions", required_argument, NULL, O_MAXTXN},
        {"max-memory", required_argument, NULL, O_MAXMEM},
        {"max-dialogs", required_argument, NULL, O_MAXDLG},
        {"dialog-memory", required_argument, NULL, O_DLGMEM},
        {"dialog-max-duration", required_argument, NULL, O_DLGDUR},
        {"udp-gso", no_argument, NULL, O_GSO},
        {"udp-hold", required_argument, NULL, O_HOLD},
        {"max-connections-per-source", required_argument, NULL, O_PERSRC},
        {"message-timeout", required_argument, NULL, O_MSGTIME},
        {"reflection-budget", required_argument, NULL, O_RBUDGET},
        {"reflection-ratio", required_argument, NULL, O_RRATIO},
        {"reflection-window", required_argument, NULL, O_RWINDOW},
        {"port-file", required_argument, NULL, O_PORTFILE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    unsigned long v;
    while ((ch = getopt_long(argc, argv, "c:l:tqhV", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': a.config_path = optarg; break;
        case 'l':
            if (n_listen == 16) {
                fprintf(stderr, "sipreplyd: at most 16 listeners\n");
                return 2;
            }
            listens[n_listen++] = optarg;
            break;
        case 't': check = true; break;
        case 'q': a.level = LOG_NOTICE; break;
        case O_PRINT: fputs(sd_default_config, stdout); return 0;
        case O_LEVEL:
            if (!strcmp(optarg, "error"))
                a.level = LOG_ERROR;
            else if (!strcmp(optarg, "warn"))
                a.level = LOG_WARN;
            else if (!strcmp(optarg, "notice"))
                a.level = LOG_NOTICE;
            else if (!strcmp(optarg, "info"))
                a.level = LOG_INFO;
            else if (!strcmp(optarg, "debug"))
                a.level = LOG_DEBUG;
            else {
                fprintf(stderr, "sipreplyd: --log-level: error, warn, notice, info or debug\n");
                return 2;
            }
            break;
        case O_METRICS: metrics = optarg; break;
        case O_MAXMEM:
            if (num_arg(optarg, &v) != 0 || v < 65536) {
                fprintf(stderr, "sipreplyd: --max-memory '%s': expected bytes, at least 65536\n",
                        optarg);
                return 2;
            }
            max_mem = v;
            break;
        case O_MAXDLG:
        case O_DLGMEM:
        case O_DLGDUR:
            if (num_arg(optarg, &v) != 0 || v == 0 || v > 0xffffffffUL ||
                (ch == O_DLGMEM && v < 65536)) {
                fprintf(stderr, "sipreplyd: '%s': expected a positive number%s\n", optarg,
                        ch == O_DLGMEM ? " of bytes, at least 65536" : "");
                return 2;
            }
            if (ch == O_MAXDLG)
                max_dlg = v;
            else if (ch == O_DLGMEM)
                dlg_mem = v;
            else
                dlg_dur = (uint32_t)v;
            break;
        case O_GSO: so.udp_gso = true; break;
        case O_HOLD: /* 0 turns it off */
            if (num_arg(optarg, &v) != 0 || v > 1000) {
                fprintf(stderr, "sipreplyd: --udp-hold '%s': expected microseconds, 0 to 1000\n",
                        optarg);
                return 2;
            }
            so.udp_hold_us = (uint32_t)v;
            break;
        case O_RBUDGET: /* 0 turns it off */
            if (num_arg(optarg, &v) != 0 || v > 0xffffffffUL) {
                fprintf(stderr, "sipreplyd: '%s': expected a number\n", optarg);
                return 2;
            }
            so.reflection_budget = v;
            break;
        case O_PORTFILE: a.port_file = optarg; break;
        case O_MAXCONN:
        case O_MAXBUF:
        case O_IDLE:
        case O_SHUT:
        case O_MAXTXN:
        case O_PERSRC:
        case O_MSGTIME:
        case O_RRATIO:
        case O_RWINDOW:
            if (num_arg(optarg, &v) != 0 || v == 0 || v > 0xffffffffUL) {
                fprintf(stderr, "sipreplyd: '%s': expected a positive number\n", optarg);
                return 2;
            }
            if (ch == O_MAXCONN)
                so.max_conns = v > 65536 ? 65536 : v;
            else if (ch == O_MAXBUF)
                so.max_conn_buffer = v;
            else if (ch == O_IDLE)
                so.idle_ms = (uint32_t)v;
            else if (ch == O_SHUT)
                so.shutdown_ms = (uint32_t)v;
            else if (ch == O_PERSRC)
                so.max_conns_per_source = v;
            else if (ch == O_MSGTIME)
                so.message_ms = (uint32_t)v;
            else if (ch == O_RRATIO)
                so.reflection_ratio = (unsigned)v;
            else if (ch == O_RWINDOW)
                so.reflection_window_ms = (uint32_t)v;
            else
                max_txn = v;
            break;
        case 'h': sd_usage(stdout); return 0;
        case 'V': printf("sipreplyd %s\n", SR_VERSION_STRING); return 0;
        default: sd_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sipreplyd: unexpected argument '%s'\n", argv[optind]);
        sd_usage(stderr);
        return 2;
    }
    sd_config *cf = NULL;
    sd_config_error err;
    if (load(a.config_path, &cf, &err) != 0) {
        report_error(&a, a.config_path, &err);
        return 1;
    }
    if (check) {
        if (cf->n_reg_aors)
            printf("%s: ok (%zu rules, %zu AORs to register)\n",
                   a.config_path ? a.config_path : "(default)", cf->n_rules, cf->n_reg_aors);
        else
            printf("%s: ok (%zu rules)\n", a.config_path ? a.config_path : "(default)",
                   cf->n_rules);
        sd_config_free(cf);
        return 0;
    }
    a.cli_listen = n_listen > 0;
    if (n_listen == 0)
        n_listen = config_listen(cf, listens, 16);
    sn_handler nh = {.user = &a,
                     .receive = net_receive,
                     .proves_alive = net_proves_alive,
                     .next_deadline = net_next_deadline,
                     .timer = net_timer,
                     .transport_error = net_transport_error,
                     .drain = net_drain,
                     .pending = net_pending,
                     .abort = net_abort,
                     .metrics = net_metrics,
                     .reload = on_reload,
                     .report = on_report,
                     .warn = on_warn,
                     .media_receive = net_media_receive};
    sn_loop *loop = NULL;
    char msg[256];
    if (sn_loop_new(&loop, &so, &nh, msg, sizeof(msg)) != 0) {
        logf_(&a, LOG_ERROR, "%s", msg);
        sd_config_free(cf);
        return 1;
    }
    /* the stack's seed (branches, tags, RSeq, the transaction index's SipHash key) and the
     * digest nonce key come from the kernel's CSPRNG; a configuration's `seed` still fixes
     * the seed for replayable runs */
    uint64_t seed = 0;
    uint8_t nonce_secret[32];
    if (sn_random(&seed, sizeof(seed)) != 0 || sn_random(nonce_secret, sizeof(nonce_secret)) != 0) {
        logf_(&a, LOG_ERROR, "cannot read random bytes (getrandom, /dev/urandom): %s",
              strerror(errno));
        sn_loop_free(loop);
        sd_config_free(cf);
        return 1;
    }
    sd_engine_opts eo = {.send = engine_send,
                         .user = loop,
                         .sign = engine_sign,
                         /* below info, no transaction line is printed: the engine
                          * need not write them (a forwarded call's branches, above all) */
                         .log = a.level >= LOG_INFO ? on_txlog : NULL,
                         .dialog_log = on_dialog_log,
                         .log_user = &a,
                         .seed = seed,
                         .max_transactions = max_txn,
                         .max_memory = max_mem,
                         .max_dialogs = max_dlg,
                         .dialog_memory = dlg_mem,
                         .dialog_max_s = dlg_dur,
                         .nonce_secret = nonce_secret,
                         .nonce_secret_len = sizeof(nonce_secret),
                         .media_open = engine_media_open,
                         .media_send = engine_media_send,
                         .media_close = engine_media_close,
                         .ntp = engine_ntp,
                         .media_log = on_media_log,
                         .note = engine_note,
                         .resolve = engine_resolve,
                         .reg_user = &a};
    int rc = 1;
    sd_engine *e = NULL;
    if (sd_engine_new(&e, cf, &eo) != 0) {
        logf_(&a, LOG_ERROR, "cannot create the engine");
        sd_config_free(cf);
        goto out;
    }
    a.engine = e;
    a.loop = loop;
    trust_targets(&a, cf);
    for (size_t i = 0; i < n_listen; i++) {
        char bound[128];
        if (sn_listen(loop, listens[i], bound, sizeof(bound), msg, sizeof(msg)) != 0) {
            logf_(&a, LOG_ERROR, "%s", msg);
            goto out;
        }
        logf_(&a, LOG_NOTICE, "listening on %s", bound);
    }
    if (metrics) {
        char bound[128];
        if (sn_metrics_listen(loop, metrics, bound, sizeof(bound), msg, sizeof(msg)) != 0) {
            logf_(&a, LOG_ERROR, "--metrics %s", msg);
            goto out;
        }
        logf_(&a, LOG_NOTICE, "metrics at %s", bound);
    }
    if (write_port_file(&a) != 0)
        goto out;
    logf_(&a, LOG_NOTICE, "sipreplyd %s running %s (%zu rules)", SR_VERSION_STRING,
          a.config_path ? a.config_path : "the embedded default (dial a code)", cf->n_rules);
    if (sd_engine_reg_start(e, sn_now_ms()) != 0) {
        logf_(&a, LOG_ERROR, "registrations: cannot start them (out of memory)");
        goto out;
    }
    rc = sn_loop_run(loop);
    logf_(&a, LOG_NOTICE, "stopped (%zu sequences or BYEs unfinished)", sd_engine_pending(e));
out:
    sn_resolver_free(a.res);
    sd_engine_free(e); /* first: its media sessions close their sockets in the loop */
    sn_loop_free(loop);
    return rc;
}
