/* sipreply CLI: `sipreply analyze` shared state: what a capture's SIP messages add up to.
 * analyze.c reads packets (libpcap), analyze_state.c accounts, analyze_out.c reports. */
#ifndef SIPREPLY_CLI_ANALYZE_H
#define SIPREPLY_CLI_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sipreply/sipreply.h"

#define AZ_MAX_ELEMENTS   1024  /* sending elements tracked one by one; the rest are "other" */
#define AZ_MAX_CALLS_KEPT 10000 /* finished calls kept for the report; all are counted */
#define AZ_MAX_METHODS    64
#define AZ_EXAMPLE_MAX    4096
#define AZ_MAX_PENDING    16384 /* requests kept to check their responses against */
#define AZ_MAX_NAMES      65536 /* formatted addresses kept */

/* A small chained hash map from byte strings to pointers (CLI side, plain malloc). */
typedef struct az_entry {
    struct az_entry *next;
    struct az_entry *qnext; /* az_tab: the next entry in its slot of the expiry wheel */
    uint64_t hash;
    uint64_t stamp; /* when the entry was last used (capture time): expiry without the value */
    uint64_t due;   /* az_map_sweep() calls its function on the entry only after this */
    size_t klen;
    void *val;
    char key[]; /* klen bytes */
} az_entry;

typedef struct az_map {
    az_entry **b;
    uint64_t *lo; /* per bucket, at most the smallest stamp in it (UINT64_MAX: none): the
                     sweep passes a bucket by without reading its entries when lo says none
                     of them can be old enough */
    size_t nb, n;
} az_map;

/* A table of entries that expire ttl ns of capture time after their last use
 * (analyze_tab.c): open addressing over slots holding each entry's hash; entries recycled
 * by size; a time wheel of AZ_WHEEL_SLOTS slots of width ns, each listing the entries due
 * then (cur: the first slot not processed). Values inline in their entries, one size. */
#define AZ_WHEEL_SLOTS 512
#define AZ_TAB_CLASSES 16
typedef struct az_slot {
    uint64_t hash;
    az_entry *e; /* NULL: free */
} az_slot;
typedef struct az_tab {
    az_slot *s;
    size_t cap, n, vsize;
    uint64_t ttl, width, cur;
    az_entry **wheel;
    az_entry *spare[AZ_TAB_CLASSES]; /* entries freed, by size in steps of 64 bytes */
} az_tab;

/* Blocks for parsed messages, recycled instead of going back to malloc each message: a
 * free list per power-of-two size class from 1 KiB to 64 KiB, each holding at most
 * keep (AZ_POOL_KEEP) blocks (larger blocks come from malloc and go back to it)
 * (analyze_pool.c). Shared by threads (the pipeline: parsed on one, freed on another), the
 * free blocks are kept as arrays of pointers under a lock, which each thread takes only to
 * move a run of AZ_POOL_RUN pointers: it allocates from and frees to blocks of its own
 * (az_pool_cache), and a block is not touched in passing from one thread to another. */
#define AZ_POOL_CLASSES 7
#define AZ_POOL_KEEP    64
#define AZ_POOL_RUN     32
typedef struct az_pool {
    void *free[AZ_POOL_CLASSES];
    unsigned nfree[AZ_POOL_CLASSES];
    unsigned keep; /* blocks kept per class (AZ_POOL_KEEP unless set otherwise) */
    void *lock;    /* a pthread_mutex_t *: shared by threads, or NULL */
    void **shared; /* shared: keep pointers per class, nshared[k] of them free blocks */
    unsigned nshared[AZ_POOL_CLASSES];
    sr_allocator alloc; /* hands out and takes back the blocks; user = the pool */
} az_pool;
typedef struct az_pool_cache {
    void *b[AZ_POOL_CLASSES][2 * AZ_POOL_RUN];
    unsigned n[AZ_POOL_CLASSES];
} az_pool_cache;

/* A sending element: an address and port, and what it sent. */
typedef struct az_element {
    char name[64]; /* "192.0.2.5:5060" or "[2001:db8::5]:5060" */
    uint64_t requests, responses;
    uint64_t codes[700]; /* responses by code */
} az_element;

/* A lint finding aggregated per element and rule. */
typedef struct az_finding {
    const az_element *el;
    const sr_lint_rule *rule;
    const char *arg;
    uint64_t count;
    char *example; /* the first message that broke it (capped) */
} az_finding;

#define AZ_LADDER_LANES  4   /* elements drawn in a call's ladder diagram */
#define AZ_LADDER_EVENTS 24  /* messages kept per call for it */
#define AZ_TIMELINE      240 /* buckets of the codes-over-time series */

/* One arrow of a ladder diagram. */
typedef struct az_event {
    uint64_t ts;
    uint8_t from, to; /* lane indices */
    bool resent;
    char label[29]; /* "INVITE" or "180 Ringing" */
} az_event;

/* Responses by class over time: AZ_TIMELINE buckets of width_ns from start_ns; when the
 * capture outgrows them the width doubles and neighbours merge (memory stays fixed). */
typedef struct az_timeline {
    uint64_t start_ns, width_ns;
    uint64_t n[AZ_TIMELINE][7]; /* [bucket][class 1..6] */
} az_timeline;

/* One INVITE dialog (a call) or REGISTER Call-ID. Times in ns of the capture; 0: never. */
typedef struct az_call {
    bool is_register;
    char call_id[128];
    char caller[128], callee[128];         /* From and To URIs of the initial INVITE */
    char caller_addr[64], callee_addr[64]; /* who sent the INVITE / who answered */
    uint32_t invite_cseq;
    uint64_t start, first_prov, ringing, answer, final_at, cancel_at, bye_at, bye_ok_at;
    unsigned bye_code;       /* the final response to the BYE */
    unsigned challenge_code; /* 401/407 to the INVITE, until the INVITE with credentials */
    uint64_t challenge_at;
    uint64_t last_at;
    unsigned final_code;
    char final_by[64];
    int hangup;       /* 0 none, 1 caller, 2 callee */
    unsigned retrans; /* resent messages of this call (tshark's heuristic) */
    unsigned vias;    /* Via values of the initial INVITE as captured (hops) */
    bool done;
    /* REGISTER: the time of each CSeq's first request, to pair with its final response */
    uint32_t reg_cseq;
    uint64_t reg_at;
    uint64_t reg_start; /* the first REGISTER of the attempt (before any challenge) */
    /* the ladder diagram: lanes (elements) and the first messages */
    char lanes[AZ_LADDER_LANES][64];
    uint8_t nlanes, nev;
    bool ev_truncated;
    az_event ev[AZ_LADDER_EVENTS];
} az_call;

/* Running sums for a delay metric. */
typedef struct az_delay {
    uint64_t n;
    double sum, min, max; /* seconds */
} az_delay;

typedef struct az_metrics {
    uint64_t invites; /* session attempts: initial INVITEs (RFC 6076 "Total # of INVITE") */
    uint64_t inv_200, inv_3xx, inv_effective, inv_ineffective, inv_completed, inv_ner;
    uint64_t inv_no_final, inv_cancelled;
    uint64_t hops_sum, hops_n;
    az_delay rrd, srd_ok, srd_fail, sdd, sdt, pdd, first_prov;
    uint64_t pdd_hist[12]; /* post-dial delay: <0.5,<1,<2,<3,<5,<8,<13,<21,<34,<55,<89,>= s */
    uint64_t reg_attempts, reg_ok, reg_challenged, reg_failed;
} az_metrics;

typedef struct az_method {
    char name[24];
    size_t len;            /* of name */
    uint64_t messages;     /* requests with this method (as tshark counts them) */
    uint64_t transactions; /* requests that were not retransmissions */
    uint64_t finals[7];    /* final responses to it by class 1..6 (index 0 unused) */
} az_method;

/* The hashes of the keys a message is accounted under, from the message alone, so that any
 * thread can compute them before the accounting (which can then look ahead in its tables):
 * the az_hash() of the Call-ID's first 127 bytes (the key of the calls) and of its first 256
 * (in the keys of the other tables), and, when @p all, of the retransmission key (UDP with a
 * CSeq) and of the pending-request key (with a CSeq; 0 where there is no such key). Without
 * all, the accounting hashes those two as it builds them (one thread: nothing to look ahead
 * for, and cheaper than hashing them apart). */
typedef struct az_keys {
    uint64_t cid_h127, cid_h256, resend, txn;
    bool all;
} az_keys;

typedef struct az {
    /* options */
    bool csv;
    FILE *csv_out;
    bool no_lint; /* --no-lint: no conformance checks (parse errors are still reported) */
    /* packet layer */
    sr_capture *cap;
    uint64_t packets, bytes, first_ns, last_ns;
    uint64_t parse_errors;
    /* message counts, as tshark -z sip,stat */
    uint64_t messages, resent;
    uint64_t codes[700];
    az_method methods[AZ_MAX_METHODS];
    size_t nmethods;
    uint64_t methods_other;
    /* elements */
    az_element *elements[AZ_MAX_ELEMENTS];
    size_t nelements;
    az_element other;
    az_map el_map;
    /* retransmission heuristic state, calls, pending requests (for pair linting) */
    az_map calls;
    az_tab resend, pending;
    az_map names;        /* address -> "host:port", formatted once (at most AZ_MAX_NAMES) */
    az_pool pool;        /* the allocator of parsed messages */
    az_call *spare[256]; /* calls accounted and not listed, reused for new ones */
    size_t nspare;
    size_t sweep_calls, sweep_resend, sweep_pending; /* incremental expiry cursors */
    uint64_t pending_full; /* requests not kept: AZ_MAX_PENDING were waiting already */
    /* the message being accounted: its Call-ID and its keys' hashes (az_keys_of()) */
    sr_str cid;
    az_keys keys;
    /* findings */
    az_finding *findings;
    size_t nfindings, capfindings;
    az_map finding_map;
    /* finished calls kept for the report */
    az_call **done;
    size_t ndone, capdone;
    uint64_t calls_total, calls_dropped_from_report;
    uint64_t retrans_requests, retrans_responses;
    az_metrics m;
    az_timeline tl;
} az;

int az_init(az *a);
void az_cleanup(az *a);
/* Parse the message @p cm (into *m, NULL when it does not parse: @p e says why). The
 * decoder hands UDP datagrams over unframed (sr_capture_opts.udp_unframed): this frames
 * them with sr_frame_datagram_msg() after the parse (nothing to scan for the usual
 * datagram) and, when bytes trail the message, parses the framed part again and sets
 * cm->len (and cm->bad_framing) as the decoder's own framing would have. */
void az_parse(sr_cap_msg *cm, const sr_parse_opts *po, sr_msg **m, sr_parse_error *e);
/* One SIP message of the capture. */
void az_message(az *a, const sr_cap_msg *cm);
/* The same, parsed already (@p m, or NULL when it did not parse: @p e says why); @p pre:
 * when not NULL, its @p npre findings from az_lint_alone() (which is pure, so another
 * thread can run it; a response's pair checks are added here); @p keys: its az_keys_of(),
 * or NULL (computed here). Returns true when it keeps @p m (for the pair checks of the
 * responses to come), false when the caller frees it (when it likes: nothing refers to it). */
bool az_message_parsed(az *a, const sr_cap_msg *cm, sr_msg *m, const sr_parse_error *e,
                       const sr_lint_finding *pre, size_t npre, const az_keys *keys);
/* The hashes of @p m's keys (@p m parsed; pure: any thread); @p all: see az_keys. */
void az_keys_of(const sr_cap_msg *cm, const sr_msg *m, az_keys *k, bool all);
/* sr_lint_msg() of a message with the options az_message() lints it with (a response's
 * pair checks, which need its request, are not among them: sr_lint_pair_add()). */
size_t az_lint_alone(const sr_cap_msg *cm, const sr_msg *m, sr_lint_finding *f, size_t cap);
/* The memo of the linter's byte-keyed checks (--lint-cache, analyze_check.c): each thread
 * that lints gets its own, of @p bytes (0: none), made on its first use. */
void az_lint_cache_config(size_t bytes);
/* The calling thread's memo, or NULL (none asked, or out of memory: linted without). */
sr_lint_cache *az_lint_cache_mine(void);
/* Write what the memos did to @p f (--lint-cache-stats; NULL: nothing) and free them; call
 * when no other thread lints any more. */
void az_lint_cache_done(FILE *f);
/* End of input: every call still open is finished and accounted. */
void az_finish(az *a);

/* The packet counters of the reader (what feed_packets() has seen so far). */
typedef struct az_counts {
    uint64_t packets, bytes, first_ns, last_ns;
} az_counts;
/* Bring @p a's packet counters up to @p c (the reader's, taken when a message came). */
void az_counts_apply(az *a, const az_counts *c);

/* analyze.c: the input, files read in turn and decoded. The next SIP message: 1 with *@p cm
 * (valid until the next call) and *@p c (the packet counters when it came), 0 at the end of
 * the input (*@p c: the final counters). */
typedef struct az_input az_input;
/* @p files: read in turn (until one cannot be opened); @p progress: a bar on a terminal. */
az_input *az_input_new(az *a, const char **files, size_t nfiles, bool progress);
int az_input_next(az_input *in, sr_cap_msg *cm, az_counts *c);
/* Returns CLI_OK when every file was read, else CLI_USAGE (the cause was printed). */
int az_input_free(az_input *in);
/* pcap's DLT_ value to the LINKTYPE_ value the core speaks; -1 when not supported. */
int az_link_of(int dlt);

/* analyze_pipe.c: the input read, decoded, parsed, linted and accounted on @p threads
 * threads (parsing and linting requests in parallel; reading and accounting each by one
 * thread at a time, accounting in capture order): the report of one thread, byte for byte.
 * @p lint: lint requests before accounting (not --no-lint); @p stats: where each thread
 * says at the end how it spent its time (--pipe-stats), or NULL. */
void az_pipe_run(az *a, az_input *in, unsigned threads, bool lint, FILE *stats);

/* analyze_out.c */
void az_print_text(const az *a, FILE *out);
void az_print_json(const az *a, FILE *out);
void az_csv_header(FILE *out);
void az_csv_row(FILE *out, const az_call *c);
/* analyze_html.c: the self-contained HTML report (inline SVG and script, no network). */
int az_print_html(const az *a, FILE *out);

/* analyze_pool.c: the message pool */
void az_pool_init(az_pool *p);
void az_pool_cleanup(az_pool *p);
/* From now on, share the pool under @p mutex (a pthread_mutex_t *; NULL: not shared, as
 * before) and keep @p keep blocks per class; -1 when out of memory (nothing changed). */
int az_pool_share(az_pool *p, void *mutex, unsigned keep);
/* The calling thread uses a shared @p p through its own blocks @p c (NULL: no longer;
 * the blocks of its cache go back to the pool). */
void az_pool_attach(az_pool *p, az_pool_cache *c);

/* map helpers. A map hashes its keys with az_hash() (FNV-1a); the _h functions take that
 * hash computed already (the same key hashed once per message for several tables). */
uint64_t az_hash(const void *k, size_t n);
/* az_hash() of the bytes hashed into @p h followed by @p k */
uint64_t az_hash_more(uint64_t h, const void *k, size_t n);
/* A hash of an address (the tables of elements and names), cheaper than az_hash(). */
static inline uint64_t az_hash_addr(const sr_cap_addr *ad)
{
    uint64_t w[2];
    memcpy(w, ad->ip, sizeof w);
    uint64_t h = (w[0] ^ ((uint64_t)ad->port << 32 | ad->family)) * 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 29) ^ w[1]) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}
void *az_map_get_h(const az_map *m, uint64_t h, const void *key, size_t klen);
void *az_map_get_touch_h(az_map *m, uint64_t h, const void *key, size_t klen, uint64_t stamp);
int az_map_put_h(az_map *m, uint64_t h, const void *key, size_t klen, void *val, uint64_t stamp);
void *az_map_put_inline_h(az_map *m, uint64_t h, const void *key, size_t klen, size_t vsize,
                          uint64_t stamp);
/* analyze_tab.c */
void az_tab_init(az_tab *t, uint64_t ttl);
void *az_tab_get_h(const az_tab *t, uint64_t h, const void *key, size_t klen);
/* az_tab_get_h() that also records @p stamp as the entry's last use. */
void *az_tab_get_touch_h(az_tab *t, uint64_t h, const void *key, size_t klen, uint64_t stamp);
/* Add an entry (the key must not be there) with a zeroed value of @p vsize bytes (the
 * same for every entry of @p t); NULL when out of memory. */
void *az_tab_put_inline_h(az_tab *t, uint64_t h, const void *key, size_t klen, size_t vsize,
                          uint64_t stamp);
/* Visit the entries due by @p now (last used more than ttl before it), slot by slot of the
 * wheel, and delete those for which @p fn (which frees what the value holds) returns true.
 * An entry used since it was filed goes to the slot of its new due time, so each costs one
 * look per ttl of use, and nothing is swept. Entries due within the current slot's width
 * wait for the next slot: lookups must treat an entry past its age as gone. */
void az_tab_expire(az_tab *t, bool (*fn)(az *a, void *val), az *a, uint64_t now);
void az_tab_free(az_tab *t, void (*free_val)(void *));
/* Ask the cache for what a lookup of @p h in @p t will read, a few messages ahead of it
 * (only a hint: nothing changes): its slot (@p stage 0), then, once that is in the cache,
 * the entry the slot points to when its hash is @p h (stage 1), then, once that is too, the
 * first @p vbytes of the value (stage 2). Returns the value when stage 2 found one. */
static inline const void *az_tab_prefetch(const az_tab *t, uint64_t h, int stage, size_t vbytes)
{
    if (!t->cap)
        return NULL;
    const az_slot *s = &t->s[h & (t->cap - 1)];
    if (stage == 0) {
        __builtin_prefetch(s);
        return NULL;
    }
    const az_entry *e = s->e;
    if (!e || s->hash != h)
        return NULL;
    if (stage == 1) {
        __builtin_prefetch(e);
        __builtin_prefetch((const char *)e + 64);
        return NULL;
    }
    for (size_t b = 0; b < vbytes; b += 64)
        __builtin_prefetch((const char *)e->val + b);
    return e->val;
}
/* The same for a map (the first entry of the bucket, its value). */
static inline const void *az_map_prefetch(const az_map *m, uint64_t h, int stage, size_t vbytes)
{
    if (!m->nb)
        return NULL;
    size_t k = h & (m->nb - 1);
    if (stage == 0) {
        __builtin_prefetch(&m->b[k]);
        __builtin_prefetch(&m->lo[k]);
        return NULL;
    }
    const az_entry *e = m->b[k];
    if (!e)
        return NULL;
    if (stage == 1) {
        __builtin_prefetch(e);
        return NULL;
    }
    if (e->hash != h)
        return NULL;
    for (size_t b = 0; b < vbytes; b += 64)
        __builtin_prefetch((const char *)e->val + b);
    return e->val;
}
void *az_map_get(const az_map *m, const void *key, size_t klen);
/* Add an entry used at @p stamp; 0 or -1 when out of memory. */
int az_map_put(az_map *m, const void *key, size_t klen, void *val, uint64_t stamp);
/* Add an entry whose value (@p vsize bytes, zeroed) lives in the entry itself, one
 * allocation and one cache miss fewer; freed with the entry (its table's free and sweep
 * functions must not free it). Returns the value, or NULL when out of memory. */
void *az_map_put_inline(az_map *m, const void *key, size_t klen, size_t vsize, uint64_t stamp);
/* az_map_get() that also records @p stamp as the entry's last use. */
void *az_map_get_touch(az_map *m, const void *key, size_t klen, uint64_t stamp);
void *az_map_del(az_map *m, const void *key, size_t klen);
void az_map_free(az_map *m, void (*free_val)(void *));
/* Visit the entries of @p count buckets from *@p cursor on (wrapping; 0: every bucket) last
 * used before @p before and due before @p now, and delete those for which @p fn, which frees
 * the value itself, returns true. Entries used since, or not due, are skipped without
 * looking at their value. */
void az_map_sweep(az_map *m, bool (*fn)(az *a, void *val), az *a, size_t *cursor, size_t count,
                  uint64_t before, uint64_t now);
/* az_map_get_touch_h() and az_map_put_h() that return the entry (NULL: none, or no memory) */
az_entry *az_map_find_touch_h(az_map *m, uint64_t h, const void *key, size_t klen, uint64_t stamp);
az_entry *az_map_put_entry_h(az_map *m, uint64_t h, const void *key, size_t klen, void *val,
                             uint64_t stamp);

/* analyze_check.c: the retransmission rule and the conformance checks of each message */
/* The Call-ID of @p m as the tables key it ("" when it has none: no null pointer is copied) */
sr_str az_call_id(const sr_msg *m);
/* The hash of the retransmission key of a message whose Call-ID's first 256 bytes have the
 * az_hash() @p h256, sent from cm->src to cm->dst. */
uint64_t az_resend_hash(const sr_cap_msg *cm, uint64_t h256);
/* The hash of the pending-request key of a message with CSeq @p cs and Call-ID @p cid. */
uint64_t az_txn_hash(sr_str cid, const az_keys *k, const sr_cseq *cs);
bool az_is_resend(az *a, const sr_cap_msg *cm, const sr_msg *m, const sr_cseq *cs, uint64_t now);
void az_finding_add(az *a, const az_element *el, const sr_lint_finding *f, const sr_cap_msg *cm);
/* Lint @p m (@p pre: its findings alone when already computed by az_lint_alone(), else
 * NULL); a request may be kept for the pair checks of its responses (*@p kept: do not free
 * it). */
void az_lint(az *a, az_element *el, const sr_cap_msg *cm, sr_msg *m, const sr_cseq *cs, bool *kept,
             uint64_t now, const sr_lint_finding *pre, size_t npre);
bool az_sweep_resend(az *a, void *v);
bool az_sweep_pending(az *a, void *v);
void az_pending_free(void *v);

/* The decimal digits of @p v at @p out (room for 10); returns how many. */
static inline size_t az_put_uint(char *out, uint32_t v)
{
    char b[10];
    size_t i = sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t k = i; k < sizeof b; k++)
        out[k - i] = b[k];
    return sizeof b - i;
}

/* snprintf(dst, cap, "%.*s", s) without the format machinery */
static inline void az_copy_str(char *dst, size_t cap, sr_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = s.p[i];
    dst[n] = '\0';
}

#endif /* SIPREPLY_CLI_ANALYZE_H */
