/* sipreply bench: parse benchmark over a corpus of complete SIP messages (RFC 3261 §7), one
 * process measuring every engine (sipreply, oSIP2, Sofia-SIP) on the same bytes. */
#define _GNU_SOURCE /* sched_setaffinity */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"

#define MAX_MSGS    256
#define MAX_RUNS    101
#define NAME_MAX_SZ 256

uint64_t bench_sink;

static const bench_engine *const engines[] = {
#ifdef BENCH_HAVE_SIPREPLY
    &bench_engine_sipreply,
    &bench_engine_sipreply_full,
#endif
    &bench_engine_sofia,
    &bench_engine_osip,
};
#define N_ENGINES (sizeof engines / sizeof engines[0])

typedef struct corpus {
    size_t n;
    char names[MAX_MSGS][NAME_MAX_SZ];
    char *bufs[MAX_MSGS];
    size_t lens[MAX_MSGS];
} corpus;

static void copy_field(char *dst, const char *s, size_t len, int bit, int *present)
{
    if (s == NULL)
        return;
    if (len >= BENCH_FIELD_MAX)
        len = BENCH_FIELD_MAX - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    *present |= bit;
}

void bench_consume(const bench_view *v, bench_fields *out)
{
    bench_sink +=
        v->branch_len + v->from_tag_len + v->to_tag_len + v->call_id_len + v->method_len + v->cseq;
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    copy_field(out->branch, v->branch, v->branch_len, BENCH_HAS_BRANCH, &out->present);
    copy_field(out->from_tag, v->from_tag, v->from_tag_len, BENCH_HAS_FROM_TAG, &out->present);
    copy_field(out->to_tag, v->to_tag, v->to_tag_len, BENCH_HAS_TO_TAG, &out->present);
    copy_field(out->call_id, v->call_id, v->call_id_len, BENCH_HAS_CALL_ID, &out->present);
    copy_field(out->method, v->method, v->method_len, BENCH_HAS_METHOD, &out->present);
    out->cseq = v->cseq;
}

__attribute__((noinline)) unsigned bench_measured_loop(const bench_engine *engine,
                                                       const char *const *bufs, const size_t *lens,
                                                       size_t n, unsigned long iters)
{
    unsigned failed = 0;
    for (unsigned long it = 0; it < iters; it++)
        for (size_t i = 0; i < n; i++)
            failed += engine->parse(bufs[i], lens[i], NULL) != 0;
    return failed;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static int load_corpus(corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    int rc = -1;

    memset(c, 0, sizeof *c);
    if (d == NULL) {
        fprintf(stderr, "parse_bench: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (c->n == MAX_MSGS || strlen(e->d_name) >= NAME_MAX_SZ) {
            fprintf(stderr, "parse_bench: too many files or name too long in %s\n", dir);
            goto out;
        }
        strcpy(c->names[c->n++], e->d_name);
    }
    if (c->n == 0) {
        fprintf(stderr, "parse_bench: no files in %s\n", dir);
        goto out;
    }
    qsort(c->names, c->n, sizeof c->names[0], by_name);
    for (size_t i = 0; i < c->n; i++) {
        /* The bytes exactly as stored: no line-end or trailing-data normalisation. */
        FILE *f;
        long sz;
        snprintf(path, sizeof path, "%s/%s", dir, c->names[i]);
        f = fopen(path, "rb");
        if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) <= 0 ||
            fseek(f, 0, SEEK_SET) != 0) {
            fprintf(stderr, "parse_bench: cannot read %s\n", path);
            if (f != NULL)
                fclose(f);
            goto out;
        }
        c->lens[i] = (size_t)sz;
        c->bufs[i] = malloc(c->lens[i]);
        if (c->bufs[i] == NULL || fread(c->bufs[i], 1, c->lens[i], f) != c->lens[i]) {
            fprintf(stderr, "parse_bench: cannot read %s\n", path);
            fclose(f);
            goto out;
        }
        fclose(f);
    }
    rc = 0;
out:
    closedir(d);
    return rc;
}

static void free_corpus(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->bufs[i]);
}

static const bench_engine *find_engine(const char *name)
{
    for (size_t i = 0; i < N_ENGINES; i++)
        if (strcmp(engines[i]->name, name) == 0)
            return engines[i];
    return NULL;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Calibrate how many passes over the @p n messages make one run of @p e last >= @p min_ms;
 * this also warms caches and the library's allocator. Returns 0 or -1 on a parse failure. */
static int calibrate(const bench_engine *e, const char *const *bufs, const size_t *lens, size_t n,
                     double min_ms, unsigned long *iters)
{
    for (*iters = 1;; *iters *= 2) {
        double t0 = now_ns();
        if (bench_measured_loop(e, bufs, lens, n, *iters) != 0)
            return -1;
        if (now_ns() - t0 >= min_ms * 1e6 || *iters >= (1UL << 30))
            return 0;
    }
}

/* For each of the @p ne engines: the median over @p runs runs of the time of one pass over the
 * @p n messages, in ns (@p median_ns[k]), and the passes per run (@p iters[k]). The runs are
 * interleaved (run r of every engine before run r + 1), so a burst of load on the machine hits
 * every engine alike. Returns 0, or -1 with *@p failed the engine that rejected a message. */
static int time_engines(const bench_engine *const *es, size_t ne, const char *const *bufs,
                        const size_t *lens, size_t n, unsigned runs, double min_ms,
                        double *median_ns, unsigned long *iters, size_t *failed)
{
    double t[N_ENGINES][MAX_RUNS];

    for (size_t k = 0; k < ne; k++)
        if (calibrate(es[k], bufs, lens, n, min_ms, &iters[k]) != 0) {
            *failed = k;
            return -1;
        }
    for (unsigned r = 0; r < runs; r++)
        for (size_t k = 0; k < ne; k++) {
            double t0 = now_ns();
            if (bench_measured_loop(es[k], bufs, lens, n, iters[k]) != 0) {
                *failed = k;
                return -1;
            }
            t[k][r] = (now_ns() - t0) / (double)iters[k];
        }
    for (size_t k = 0; k < ne; k++) {
        qsort(t[k], runs, sizeof t[k][0], cmp_double);
        median_ns[k] = t[k][runs / 2];
    }
    return 0;
}

static int pin_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        fprintf(stderr, "parse_bench: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
        return -1;
    }
    return 0;
}

static int run_timing(const corpus *c, const bench_engine *only, unsigned runs, double min_ms)
{
    const bench_engine *es[N_ENGINES];
    double ns[N_ENGINES];
    unsigned long iters[N_ENGINES];
    size_t ne = 0, total = 0, bad;

    for (size_t k = 0; k < N_ENGINES; k++)
        if (only == NULL || engines[k] == only)
            es[ne++] = engines[k];
    printf("# engine\tmessage\tbytes\tns_per_msg\tMB_per_s\titers_per_run\truns\n");
    /* Each message alone (i < c->n), then passes over the whole corpus (i == c->n), whose
     * ns/message is the corpus mean. */
    for (size_t i = 0; i <= c->n; i++) {
        const int all = i == c->n;
        const char *const *b = (const char *const *)(all ? &c->bufs[0] : &c->bufs[i]);
        const size_t *l = all ? &c->lens[0] : &c->lens[i];
        const size_t n = all ? c->n : 1;
        const size_t bytes = all ? total : c->lens[i];
        if (time_engines(es, ne, b, l, n, runs, min_ms, ns, iters, &bad) != 0) {
            fprintf(stderr, "parse_bench: %s failed to parse %s\n", es[bad]->name,
                    all ? "the corpus" : c->names[i]);
            return -1;
        }
        for (size_t k = 0; k < ne; k++)
            printf("%s\t%s\t%zu\t%.1f\t%.1f\t%lu\t%u\n", es[k]->name, all ? "ALL" : c->names[i],
                   bytes, ns[k] / (double)n, (double)bytes * 1e3 / ns[k], iters[k], runs);
        fflush(stdout);
        total += all ? 0 : c->lens[i];
    }
    return 0;
}

static void print_fields(const char *engine, const char *msg, const bench_fields *f)
{
    printf("%-8s %-24s branch=%s from-tag=%s to-tag=%s call-id=%s cseq=%lu %s\n", engine, msg,
           (f->present & BENCH_HAS_BRANCH) ? f->branch : "-",
           (f->present & BENCH_HAS_FROM_TAG) ? f->from_tag : "-",
           (f->present & BENCH_HAS_TO_TAG) ? f->to_tag : "-",
           (f->present & BENCH_HAS_CALL_ID) ? f->call_id : "-", (unsigned long)f->cseq,
           (f->present & BENCH_HAS_METHOD) ? f->method : "-");
}

static int same_fields(const bench_fields *a, const bench_fields *b)
{
    return a->present == b->present && a->cseq == b->cseq && strcmp(a->branch, b->branch) == 0 &&
           strcmp(a->from_tag, b->from_tag) == 0 && strcmp(a->to_tag, b->to_tag) == 0 &&
           strcmp(a->call_id, b->call_id) == 0 && strcmp(a->method, b->method) == 0;
}

/* The expected fields of one message, from a TSV file (bench/expected.tsv): message, branch,
 * from tag, to tag, call-id, cseq number, method; "-" for an absent field. */
static int load_expected(const char *path, const char *msg, bench_fields *f)
{
    FILE *fp = fopen(path, "r");
    char line[1024];
    int found = -1;

    if (fp == NULL) {
        fprintf(stderr, "parse_bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (found != 0 && fgets(line, sizeof line, fp) != NULL) {
        char *col[7];
        char *save = NULL;
        size_t n = 0;
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        for (char *t = strtok_r(line, "\t", &save); t != NULL && n < 7;
             t = strtok_r(NULL, "\t", &save))
            col[n++] = t;
        if (n != 7 || strcmp(col[0], msg) != 0)
            continue;
        bench_view v = {0};
        const char *ptr[5];
        size_t len[5];
        for (size_t i = 0; i < 5; i++) {
            const char *c = col[i == 4 ? 6 : i + 1];
            ptr[i] = strcmp(c, "-") == 0 ? NULL : c;
            len[i] = ptr[i] != NULL ? strlen(c) : 0;
        }
        v.branch = ptr[0], v.branch_len = len[0];
        v.from_tag = ptr[1], v.from_tag_len = len[1];
        v.to_tag = ptr[2], v.to_tag_len = len[2];
        v.call_id = ptr[3], v.call_id_len = len[3];
        v.method = ptr[4], v.method_len = len[4];
        v.cseq = (uint32_t)strtoul(col[5], NULL, 10);
        bench_consume(&v, f);
        found = 0;
    }
    fclose(fp);
    if (found != 0)
        fprintf(stderr, "parse_bench: %s has no line for %s\n", path, msg);
    return found;
}

/* Every engine parses every message; all must succeed, find the mandatory fields (RFC 3261
 * §8.1.1: Via, From with tag, Call-ID, CSeq), agree with each other field by field and, given
 * @p expect, with the expected values written down independently of any engine. */
static int run_verify(const corpus *c, const char *expect)
{
    int bad = 0;
    for (size_t i = 0; i < c->n; i++) {
        bench_fields ref, f, want;
        if (expect != NULL && load_expected(expect, c->names[i], &want) != 0)
            return -1;
        for (size_t k = 0; k < N_ENGINES; k++) {
            const bench_engine *e = engines[k];
            const int need =
                BENCH_HAS_BRANCH | BENCH_HAS_FROM_TAG | BENCH_HAS_CALL_ID | BENCH_HAS_METHOD;
            if (e->parse(c->bufs[i], c->lens[i], &f) != 0) {
                printf("FAIL %s: %s rejected the message (or left headers unparsed)\n", c->names[i],
                       e->name);
                bad = 1;
                continue;
            }
            print_fields(e->name, c->names[i], &f);
            if ((f.present & need) != need || f.cseq == 0) {
                printf("FAIL %s: %s missed a mandatory field\n", c->names[i], e->name);
                bad = 1;
            }
            if (expect != NULL && !same_fields(&want, &f)) {
                printf("FAIL %s: %s disagrees with %s\n", c->names[i], e->name, expect);
                bad = 1;
            }
            if (k == 0)
                ref = f;
            else if (!same_fields(&ref, &f)) {
                printf("FAIL %s: %s disagrees with %s\n", c->names[i], e->name, engines[0]->name);
                bad = 1;
            }
        }
    }
    if (bad)
        printf("verify: DISAGREEMENT\n");
    else
        printf("verify: all engines agree on all %zu messages%s%s\n", c->n,
               expect != NULL ? " and with " : "", expect != NULL ? expect : "");
    return bad ? -1 : 0;
}

/* A fixed amount of work for callgrind: one warm-up pass (not collected), then @p iters passes
 * inside bench_measured_loop, the only function collected (--toggle-collect). */
static int run_callgrind(const corpus *c, const bench_engine *e, const char *msg,
                         unsigned long iters)
{
    size_t from = 0, n = c->n;
    unsigned failed = 0;
    if (msg != NULL) {
        for (from = 0; from < c->n && strcmp(c->names[from], msg) != 0; from++)
            ;
        if (from == c->n) {
            fprintf(stderr, "parse_bench: no message %s in the corpus\n", msg);
            return -1;
        }
        n = 1;
    }
    /* Warm up outside bench_measured_loop so lazy set-up in the libraries is not counted. */
    for (size_t i = from; i < from + n; i++)
        failed += e->parse(c->bufs[i], c->lens[i], NULL) != 0;
    if (failed == 0)
        failed =
            bench_measured_loop(e, (const char *const *)&c->bufs[from], &c->lens[from], n, iters);
    if (failed != 0) {
        fprintf(stderr, "parse_bench: %s failed to parse\n", e->name);
        return -1;
    }
    printf("callgrind\t%s\t%s\t%lu\t%zu\n", e->name, msg != NULL ? msg : "ALL", iters, n);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: parse_bench [options] CORPUS_DIR\n"
            "  --engine NAME     only this engine (default: all)\n"
            "  --runs N          timed runs per measurement, median reported (default 11)\n"
            "  --min-ms MS       minimum duration of one run (default 20)\n"
            "  --cpu N           pin to this CPU (default 0; -1: do not pin)\n"
            "  --verify          print the fields each engine read, fail on disagreement\n"
            "  --expect TSV      with --verify: also compare with these expected fields\n"
            "  --callgrind N     run N untimed passes of --engine inside bench_measured_loop\n"
            "  --msg FILE        with --callgrind: only this corpus file\n"
            "  --list            print the engines and their library versions\n");
}

int main(int argc, char **argv)
{
    static corpus c;
    const char *dir = NULL, *engine = NULL, *msg = NULL, *expect = NULL;
    const bench_engine *only = NULL;
    unsigned runs = 11;
    double min_ms = 20;
    int cpu = 0, verify = 0, rc = 1;
    unsigned long cg_iters = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--list") == 0) {
            for (size_t k = 0; k < N_ENGINES; k++)
                printf("%s\t%s\n", engines[k]->name, engines[k]->version);
            return 0;
        } else if (strcmp(a, "--verify") == 0) {
            verify = 1;
        } else if (v != NULL && strcmp(a, "--engine") == 0) {
            engine = v, i++;
        } else if (v != NULL && strcmp(a, "--expect") == 0) {
            expect = v, i++;
        } else if (v != NULL && strcmp(a, "--msg") == 0) {
            msg = v, i++;
        } else if (v != NULL && strcmp(a, "--runs") == 0) {
            runs = (unsigned)strtoul(v, NULL, 10), i++;
        } else if (v != NULL && strcmp(a, "--min-ms") == 0) {
            min_ms = strtod(v, NULL), i++;
        } else if (v != NULL && strcmp(a, "--cpu") == 0) {
            cpu = atoi(v), i++;
        } else if (v != NULL && strcmp(a, "--callgrind") == 0) {
            cg_iters = strtoul(v, NULL, 10), i++;
        } else if (a[0] != '-' && dir == NULL) {
            dir = a;
        } else {
            usage();
            return 2;
        }
    }
    if (dir == NULL || runs == 0 || runs > MAX_RUNS || !(min_ms > 0)) {
        usage();
        return 2;
    }
    if (engine != NULL && (only = find_engine(engine)) == NULL) {
        fprintf(stderr, "parse_bench: unknown engine %s (see --list)\n", engine);
        return 2;
    }
    if (cg_iters > 0 && only == NULL) {
        fprintf(stderr, "parse_bench: --callgrind needs --engine\n");
        return 2;
    }
    if (cpu >= 0 && pin_cpu(cpu) != 0)
        return 1;
    for (size_t k = 0; k < N_ENGINES; k++)
        if (engines[k]->setup != NULL && engines[k]->setup() != 0) {
            fprintf(stderr, "parse_bench: %s setup failed\n", engines[k]->name);
            return 1;
        }
    if (load_corpus(&c, dir) != 0)
        goto out;
    if (verify)
        rc = run_verify(&c, expect) == 0 ? 0 : 1;
    else if (cg_iters > 0)
        rc = run_callgrind(&c, only, msg, cg_iters) == 0 ? 0 : 1;
    else
        rc = run_timing(&c, only, runs, min_ms) == 0 ? 0 : 1;
    fprintf(stderr, "parse_bench: sink %llu\n", (unsigned long long)bench_sink);
out:
    free_corpus(&c);
    return rc;
}
