/* sipreply CLI: `sipreply analyze FILE...|-i IFACE [--json] [--csv]`: what a capture's SIP
 * messages say. Packets come from libpcap; the core's capture decoder turns them into SIP. */
#define _DEFAULT_SOURCE /* libpcap's u_char/u_int, gmtime_r, inet_ntop, fileno */
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "cli.h"

static volatile sig_atomic_t stop_flag;
static pcap_t *live_pcap; /* the live capture the signal handler interrupts */

static void on_signal(int sig)
{
    (void)sig; /* any of SIGINT/SIGTERM: stop after the current packet */
    stop_flag = 1;
    /* wakes a read blocked in the kernel (pcap_breakloop only sets a flag libpcap checks) */
    if (live_pcap)
        pcap_breakloop(live_pcap);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s analyze [--json|--csv] [--html FILE] FILE...\n"
            "       %s analyze [--json|--csv] [--html FILE] -i IFACE [-f FILTER] [--every N]\n\n"
            "Read pcap or pcapng captures ('-' for standard input) or capture live, and report\n"
            "what their SIP messages say: message counts by method and response code (as\n"
            "tshark -z sip,stat counts them), codes by class with their meaning per sending\n"
            "element, calls (INVITE dialogs) and REGISTER outcomes, the RFC 6076 session\n"
            "metrics with ASR and NER, retransmissions, the top failure causes, and every\n"
            "message's conformance findings counted per sender and rule.\n\n"
            "  --json          the report as one JSON object\n"
            "  --csv           one row per call (INVITE dialog) instead of the report\n"
            "  --html FILE     also write a self-contained HTML page: codes over time, the\n"
            "                  post-dial delay distribution, classes, the calls with a\n"
            "                  ladder diagram of each on click (no network access)\n"
            "  -i IFACE        capture live on IFACE until SIGINT; the text report is\n"
            "                  printed again every --every seconds (default 5)\n"
            "  -f FILTER       a pcap filter for the live capture (e.g. 'port 5060')\n"
            "  --no-progress   no progress bar on standard error\n"
            "  --no-lint       skip the conformance checks (faster; messages that do not\n"
            "                  parse are still reported)\n"
            "  --threads N     N threads (1 to 16; default 2, or 1 on one CPU): one reads\n"
            "                  and decodes, the main one accounts in capture order, all\n"
            "                  parse and lint requests; the same report as one thread\n"
            "  --lint-cache KIB  memory of the memo of syntax checks by exact bytes, per\n"
            "                  thread (default 1024; 0: none; the same report either way)\n"
            "  --lint-cache-stats  say on standard error how often the memo was used\n"
            "  --pipe-stats    with --threads 2 or more, say on standard error how each\n"
            "                  thread spent its time (reading, parsing, accounting, waiting)\n\n"
            "Link types: Ethernet (with VLAN tags), Linux cooked v1/v2, BSD loopback, raw IP.\n"
            "IPv4/IPv6 fragments are reassembled, TCP streams too; SIP is recognised by\n"
            "content on any port. Bad packets are counted and skipped. docs/analyze.md\n"
            "defines every figure.\n\n"
            "Exit status: 0 the capture was read; 2 bad usage or a capture that cannot be\n"
            "opened.\n",
            cli_prog, cli_prog);
}

void az_counts_apply(az *a, const az_counts *c)
{
    a->packets = c->packets;
    a->bytes = c->bytes;
    a->first_ns = c->first_ns;
    if (c->last_ns > a->last_ns)
        a->last_ns = c->last_ns;
}

/* A live capture: each packet decoded and its messages accounted at once. */
static void feed_live(az *a, pcap_t *pc, int link, const char *iface, unsigned every)
{
    az_counts c = {0, 0, 0, 0};
    struct pcap_pkthdr *h;
    const u_char *data;
    bool nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
    uint64_t next_report = 0;
    bool draining = false;
    for (;;) {
        if (stop_flag && !draining) {
            /* after SIGINT, take what the kernel already holds, without waiting for more */
            char err[PCAP_ERRBUF_SIZE];
            draining = true;
            if (pcap_setnonblock(pc, 1, err) != 0)
                break;
        }
        int r = pcap_next_ex(pc, &h, &data);
        if (r == 0) { /* the read timeout passed with no packet (or nothing is left) */
            if (draining)
                break;
            continue;
        }
        if (r == PCAP_ERROR) {
            fprintf(stderr, "%s analyze: %s: %s (the report covers the packets before)\n", cli_prog,
                    iface, pcap_geterr(pc));
            break;
        }
        if (r == PCAP_ERROR_BREAK && !draining)
            continue; /* the signal handler broke the read: drain, then stop */
        if (r < 0)
            break;
        uint64_t ts =
            (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec * (nano ? 1u : 1000u);
        c.packets++;
        c.bytes += h->caplen;
        if (!c.first_ns || ts < c.first_ns)
            c.first_ns = ts;
        if (ts > c.last_ns)
            c.last_ns = ts;
        if (sr_capture_packet(a->cap, link, ts, data, h->caplen) != 0)
            continue; /* SR_ENOMEM: the packet is dropped, the decoder stays usable */
        sr_cap_msg m;
        while (sr_capture_poll(a->cap, &m) == 1) {
            az_counts_apply(a, &c);
            az_message(a, &m);
        }
        if (every && ts >= next_report) {
            az_counts_apply(a, &c);
            if (next_report)
                az_print_text(a, stdout);
            next_report = ts + (uint64_t)every * 1000000000ull;
        }
    }
    az_counts_apply(a, &c);
}

static int capture_live(az *a, const char *iface, const char *filter, unsigned every)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_create(iface, err);
    if (!pc) {
        fprintf(stderr, "%s analyze: %s: %s\n", cli_prog, iface, err);
        return CLI_USAGE;
    }
    pcap_set_snaplen(pc, 262144);
    pcap_set_timeout(pc, 500);
    pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_NANO);
    if (pcap_activate(pc) < 0) {
        fprintf(stderr, "%s analyze: %s: %s\n", cli_prog, iface, pcap_geterr(pc));
        pcap_close(pc);
        return CLI_USAGE;
    }
    if (filter) {
        struct bpf_program prog;
        if (pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
            pcap_setfilter(pc, &prog) != 0) {
            fprintf(stderr, "%s analyze: filter '%s': %s\n", cli_prog, filter, pcap_geterr(pc));
            pcap_close(pc);
            return CLI_USAGE;
        }
        pcap_freecode(&prog);
    }
    int link = az_link_of(pcap_datalink(pc));
    if (link < 0) {
        fprintf(stderr, "%s analyze: %s: link type not supported\n", cli_prog, iface);
        pcap_close(pc);
        return CLI_USAGE;
    }
    live_pcap = pc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* a line for people and scripts: packets are being captured from now on */
    fprintf(stderr, "%s analyze: capturing on %s%s%s (SIGINT stops)\n", cli_prog, iface,
            filter ? " with filter " : "", filter ? filter : "");
    feed_live(a, pc, link, iface, every);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    live_pcap = NULL;
    pcap_close(pc);
    return CLI_OK;
}

int cmd_analyze(int argc, char **argv)
{
    bool json = false, csv = false, progress_on = true, no_lint = false, lc_stats = false;
    bool pipe_stats = false;
    unsigned long lc_kib = 1024;
    const char *iface = NULL, *filter = NULL, *html = NULL;
    unsigned every = 5;
    /* two: 1.6 times the speed of one for 1.2 times the CPU (docs/performance.md) */
    long threads = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
    const char *files[256];
    size_t nfiles = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (cli_is_help(s)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(s, "--json") == 0) {
            json = true;
        } else if (strcmp(s, "--csv") == 0) {
            csv = true;
        } else if (strcmp(s, "--html") == 0 && i + 1 < argc) {
            html = argv[++i];
        } else if (strcmp(s, "--no-progress") == 0) {
            progress_on = false;
        } else if (strcmp(s, "--no-lint") == 0) {
            no_lint = true;
        } else if (strcmp(s, "--lint-cache") == 0 && i + 1 < argc) {
            char *end;
            lc_kib = strtoul(argv[++i], &end, 10);
            if (*end || lc_kib > (1ul << 22) || (lc_kib && lc_kib < 4)) {
                fprintf(stderr, "%s analyze: --lint-cache takes 0 or 4 .. 4194304 (KiB)\n",
                        cli_prog);
                return CLI_USAGE;
            }
        } else if (strcmp(s, "--lint-cache-stats") == 0) {
            lc_stats = true;
        } else if (strcmp(s, "--pipe-stats") == 0) {
            pipe_stats = true;
        } else if (strcmp(s, "--threads") == 0 && i + 1 < argc) {
            threads = strtol(argv[++i], NULL, 10);
            if (threads < 1 || threads > 16) {
                fprintf(stderr, "%s analyze: --threads takes 1 to 16\n", cli_prog);
                return CLI_USAGE;
            }
        } else if (strcmp(s, "-i") == 0 && i + 1 < argc) {
            iface = argv[++i];
        } else if (strcmp(s, "-f") == 0 && i + 1 < argc) {
            filter = argv[++i];
        } else if (strcmp(s, "--every") == 0 && i + 1 < argc) {
            every = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (s[0] == '-' && s[1] != '\0') {
            fprintf(stderr, "%s analyze: unknown option %s\n", cli_prog, s);
            usage(stderr);
            return CLI_USAGE;
        } else if (nfiles < sizeof files / sizeof files[0]) {
            files[nfiles++] = s;
        } else {
            fprintf(stderr, "%s analyze: too many files\n", cli_prog);
            return CLI_USAGE;
        }
    }
    if ((nfiles == 0) == (iface == NULL) || (json && csv)) {
        usage(stderr);
        return CLI_USAGE;
    }
    az *a = malloc(sizeof *a);
    if (!a || az_init(a) != 0) {
        fprintf(stderr, "%s analyze: out of memory\n", cli_prog);
        free(a);
        return CLI_USAGE;
    }
    a->csv = csv;
    a->no_lint = no_lint;
    az_lint_cache_config(no_lint ? 0 : (size_t)lc_kib << 10);
    a->csv_out = stdout;
    if (csv)
        az_csv_header(stdout);
    int rc = CLI_OK;
    if (iface) {
        rc = capture_live(a, iface, filter, (json || csv) ? 0 : every);
    } else {
        az_input *in = az_input_new(a, files, nfiles, progress_on);
        if (!in) {
            fprintf(stderr, "%s analyze: out of memory\n", cli_prog);
            rc = CLI_USAGE;
        } else if (threads < 2) {
            sr_cap_msg m;
            az_counts c;
            while (az_input_next(in, &m, &c) == 1) {
                az_counts_apply(a, &c);
                az_message(a, &m);
            }
            az_counts_apply(a, &c);
        } else {
            az_pipe_run(a, in, (unsigned)threads, !no_lint, pipe_stats ? stderr : NULL);
        }
        if (in)
            rc = az_input_free(in);
    }
    if (rc == CLI_OK) {
        az_finish(a);
        if (html) {
            FILE *f = fopen(html, "w");
            if (!f || az_print_html(a, f) != 0) {
                fprintf(stderr, "%s analyze: cannot write %s\n", cli_prog, html);
                rc = CLI_USAGE;
            }
            if (f && fclose(f) != 0 && rc == CLI_OK) {
                fprintf(stderr, "%s analyze: cannot write %s\n", cli_prog, html);
                rc = CLI_USAGE;
            }
        }
        if (rc != CLI_OK)
            ; /* the report is not printed when the page could not be written */
        else if (json)
            az_print_json(a, stdout);
        else if (!csv)
            az_print_text(a, stdout);
    }
    az_lint_cache_done(lc_stats ? stderr : NULL);
    az_cleanup(a);
    free(a);
    return rc;
}
