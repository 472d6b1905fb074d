/* sipreply bench: transaction matching cost against the number of live transactions.
 *
 * For each table size L (default 10, 1000, 100000) a stack is filled with L live server
 * transactions (OPTIONS, unanswered, so they stay in Trying) and, separately, L live client
 * transactions (OPTIONS answered 200, so they stay in Completed while the clock stands
 * still). Then retransmissions are fed through sr_stack_receive(), each for a transaction
 * picked at random: a request retransmission is matched (§17.2.3) and absorbed, a response
 * retransmission is matched (§17.1.3) and absorbed — no event, no allocation but the parse.
 * The figure is ns per received message (parse + match + absorb), next to the parse alone
 * (sr_msg_parse of the same bytes), so the matching share is the difference.
 *
 * usage: txn_bench [--sizes 10,1000,100000] [--msgs N] [--runs R]
 * Prints a Markdown table; median of R runs of N messages each. Not a test: no assertion
 * about speed anywhere (docs/performance.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sipreply/sipreply.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "txn_bench: %s: %s\n", what, sr_strerror(rc));
    exit(1);
}

/* Request/response text for transaction @p i (distinct branch and Call-ID per i). */
static int req_text(char *out, size_t cap, size_t i)
{
    return snprintf(out, cap,
                    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP pc%zu.example.com:5060;branch=z9hG4bK-b%zu\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:alice@example.com>;tag=f%zu\r\n"
                    "To: <sip:bob@example.com>\r\n"
                    "Call-ID: call-%zu@example.com\r\n"
                    "CSeq: 1 OPTIONS\r\n"
                    "Content-Length: 0\r\n\r\n",
                    i, i, i, i);
}

static int resp_text(char *out, size_t cap, size_t i)
{
    return snprintf(out, cap,
                    "SIP/2.0 200 OK\r\n"
                    "Via: SIP/2.0/UDP pc%zu.example.com:5060;branch=z9hG4bK-b%zu\r\n"
                    "From: <sip:alice@example.com>;tag=f%zu\r\n"
                    "To: <sip:bob@example.com>;tag=t%zu\r\n"
                    "Call-ID: call-%zu@example.com\r\n"
                    "CSeq: 1 OPTIONS\r\n"
                    "Content-Length: 0\r\n\r\n",
                    i, i, i, i, i);
}

static void drain(sr_stack *s)
{
    sr_event ev;
    while (sr_stack_poll(s, &ev) == 0)
        ;
}

static sr_stack *new_stack(size_t live)
{
    sr_config c;
    sr_config_default(&c);
    c.max_transactions = live + 16;
    c.seed = 0x7478;
    sr_stack *s = NULL;
    int rc = sr_stack_new(&s, &c);
    if (rc != 0)
        die("sr_stack_new", rc);
    return s;
}

/* A message set to feed: @p n texts for random transactions among @p live. */
typedef struct feed {
    char (*text)[512];
    size_t *len;
    size_t n;
} feed;

static uint64_t xs(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void make_feed(feed *f, size_t n, size_t live, bool responses)
{
    f->n = n;
    f->text = malloc(n * sizeof *f->text);
    f->len = malloc(n * sizeof *f->len);
    if (!f->text || !f->len)
        die("malloc", SR_ENOMEM);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < n; k++) {
        size_t i = (size_t)(xs(&x) % live);
        int len = responses ? resp_text(f->text[k], sizeof f->text[k], i)
                            : req_text(f->text[k], sizeof f->text[k], i);
        f->len[k] = (size_t)len;
    }
}

static void free_feed(feed *f)
{
    free(f->text);
    free(f->len);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ns per message: median over @p runs passes of the feed through sr_stack_receive. */
static double time_receive(sr_stack *s, const feed *f, int runs)
{
    sr_addr src;
    sr_addr_set(&src, "192.0.2.1", 5060, SR_TP_UDP);
    uint64_t t[32];
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = now_ns();
        for (size_t k = 0; k < f->n; k++) {
            int rc = sr_stack_receive(s, f->text[k], f->len[k], &src, 0);
            if (rc != 0)
                die("sr_stack_receive", rc);
        }
        t[r] = now_ns() - t0;
        drain(s); /* nothing is expected; keeps the measure honest if something were */
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_u64);
    return (double)t[runs / 2] / (double)f->n;
}

static double time_parse(const feed *f, int runs)
{
    uint64_t t[32];
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = now_ns();
        for (size_t k = 0; k < f->n; k++) {
            sr_msg *m = NULL;
            int rc = sr_msg_parse(&m, f->text[k], f->len[k], NULL, NULL);
            if (rc != 0)
                die("sr_msg_parse", rc);
            sr_msg_free(m);
        }
        t[r] = now_ns() - t0;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_u64);
    return (double)t[runs / 2] / (double)f->n;
}

/* Fill a stack with @p live server transactions (each OPTIONS received once). */
static sr_stack *fill_server(size_t live)
{
    sr_stack *s = new_stack(live);
    sr_addr src;
    sr_addr_set(&src, "192.0.2.1", 5060, SR_TP_UDP);
    char t[512];
    for (size_t i = 0; i < live; i++) {
        int n = req_text(t, sizeof t, i);
        int rc = sr_stack_receive(s, t, (size_t)n, &src, 0);
        if (rc != 0)
            die("fill server", rc);
        drain(s);
    }
    if (sr_stack_txn_count(s) != live)
        die("fill server: not every request made a transaction", SR_ESTATE);
    return s;
}

/* Fill a stack with @p live client transactions, each answered 200 (Completed). */
static sr_stack *fill_client(size_t live)
{
    sr_stack *s = new_stack(live);
    sr_addr dst;
    sr_addr_set(&dst, "192.0.2.1", 5060, SR_TP_UDP);
    char t[512];
    for (size_t i = 0; i < live; i++) {
        int n = req_text(t, sizeof t, i);
        sr_msg *m = NULL;
        int rc = sr_msg_parse(&m, t, (size_t)n, NULL, NULL);
        if (rc == 0)
            rc = sr_stack_send_request(s, m, &dst, 0, NULL);
        if (rc != 0)
            die("fill client", rc);
        n = resp_text(t, sizeof t, i);
        if ((rc = sr_stack_receive(s, t, (size_t)n, &dst, 0)) != 0)
            die("fill client: response", rc);
        drain(s);
    }
    if (sr_stack_txn_count(s) != live)
        die("fill client: not every request made a transaction", SR_ESTATE);
    return s;
}

int main(int argc, char **argv)
{
    size_t sizes[8] = {10, 1000, 100000};
    size_t nsizes = 3, msgs = 200000;
    int runs = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
            nsizes = 0;
            for (char *p = argv[++i]; *p && nsizes < 8;) {
                sizes[nsizes++] = strtoul(p, &p, 10);
                if (*p == ',')
                    p++;
            }
        } else if (strcmp(argv[i], "--msgs") == 0 && i + 1 < argc) {
            msgs = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--sizes 10,1000,100000] [--msgs N] [--runs R]\n", argv[0]);
            return 2;
        }
    }
    if (runs < 1 || runs > 31 || msgs == 0) {
        fprintf(stderr, "txn_bench: --runs 1..31, --msgs > 0\n");
        return 2;
    }
    printf("| live transactions | request → server txn (ns/msg) | response → client txn (ns/msg) "
           "| parse alone (ns/msg) |\n|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < nsizes; k++) {
        size_t live = sizes[k];
        if (live == 0)
            continue;
        feed rq, rs;
        make_feed(&rq, msgs, live, false);
        make_feed(&rs, msgs, live, true);
        sr_stack *s = fill_server(live);
        double srv = time_receive(s, &rq, runs);
        if (sr_stack_txn_count(s) != live)
            die("server: a retransmission made a transaction", SR_ESTATE);
        sr_stack_free(s);
        s = fill_client(live);
        double cli = time_receive(s, &rs, runs);
        sr_stack_free(s);
        double parse = time_parse(&rq, runs);
        printf("| %zu | %.0f | %.0f | %.0f |\n", live, srv, cli, parse);
        fflush(stdout);
        free_feed(&rq);
        free_feed(&rs);
    }
    return 0;
}
