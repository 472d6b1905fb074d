/* sipreply CLI: `sipreply analyze` checks of each message: the retransmission rule (as
 * tshark counts it) and the conformance findings per sender, with the requests kept for
 * pair checks of their responses. */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

#define RESEND_NS  (600ull * 1000000000ull) /* retransmission state forgotten after 10 min */
#define PENDING_NS (64ull * 1000000000ull)  /* 64*T1: a request's responses come by then */
/* ------------------------------------------------------------------ retransmissions */

/* The retransmission rule of Wireshark's SIP dissector (which `tshark -z sip,stat` counts),
 * so that the counts agree: UDP only; state per (Call-ID, source and destination address and
 * port): the last CSeq number, the method of the first message with that number, and whether
 * a request, a provisional or a final response was seen last (a new CSeq number starts over). A request repeating the CSeq of a request
 * seen last (same method, not ACK or CANCEL) is a retransmission, and so is a final response
 * repeating the CSeq and code of the final response seen last. */
enum { RS_NOTHING, RS_REQUEST, RS_PROVISIONAL, RS_FINAL };

typedef struct az_resend {
    uint32_t cseq;
    char method[24];
    int state;
    unsigned code;
    uint64_t last;
} az_resend;

/* @p h continued over @p n bytes a word at a time (a multiply-xorshift: the table it keys
 * compares the whole key, and nothing of the report depends on where an entry sits) */
static inline uint64_t hash_words(uint64_t h, const char *k, size_t n)
{
    while (n) {
        uint64_t w = 0;
        size_t c = n < 8 ? n : 8;
        if (c == 8)
            memcpy(&w, k, 8); /* a fixed size: one load, no call */
        else
            memcpy(&w, k, c);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 32;
        k += c;
        n -= c;
    }
    return h;
}

sr_str az_call_id(const sr_msg *m)
{
    sr_str cid = sr_msg_call_id(m);
    if (!cid.p)
        cid.p = "";
    return cid;
}

/* The retransmission key: the Call-ID's first 256 bytes and the two addresses. */
static size_t resend_key(char *key, const sr_cap_msg *cm, sr_str cid)
{
    size_t k = 0;
    size_t cl = cid.len < 256 ? cid.len : 256;
    memcpy(key + k, cid.p, cl);
    k += cl;
    memcpy(key + k, &cm->src, sizeof cm->src);
    k += sizeof cm->src;
    memcpy(key + k, &cm->dst, sizeof cm->dst);
    k += sizeof cm->dst;
    return k;
}

/* the two addresses are one run of bytes: the key's after the Call-ID, hashed in place */
_Static_assert(offsetof(sr_cap_msg, dst) == offsetof(sr_cap_msg, src) + sizeof(sr_cap_addr),
               "sr_cap_msg: dst right after src");

uint64_t az_resend_hash(const sr_cap_msg *cm, uint64_t h256)
{
    /* the Call-ID's hash (hashed once per message) continued over the addresses */
    return hash_words(h256, (const char *)&cm->src, 2 * sizeof cm->src); /* unrolled: a constant */
}

bool az_is_resend(az *a, const sr_cap_msg *cm, const sr_msg *m, const sr_cseq *cs, uint64_t now)
{
    if (cm->transport != SR_CAP_UDP || !cs)
        return false;
    char key[400];
    size_t k = resend_key(key, cm, a->cid);
    uint64_t h = a->keys.all ? a->keys.resend : az_resend_hash(cm, a->keys.cid_h256);
    az_resend *r = az_tab_get_touch_h(&a->resend, h, key, k, now);
    uint32_t compare = 0;
    if (r && a->last_ns - r->last > RESEND_NS) {
        /* forgotten (its expiry has not come round yet): the path starts afresh */
        memset(r, 0, sizeof *r);
        r->cseq = cs->num;
        az_copy_str(r->method, sizeof r->method, cs->method);
    } else if (r) {
        compare = r->cseq;
        if (cs->num != r->cseq) { /* a new transaction on this path starts afresh */
            r->cseq = cs->num;
            az_copy_str(r->method, sizeof r->method, cs->method);
            r->state = RS_NOTHING;
        }
    } else {
        r = az_tab_put_inline_h(&a->resend, h, key, k, sizeof *r, now);
        if (!r)
            return false;
        r->cseq = cs->num;
        az_copy_str(r->method, sizeof r->method, cs->method);
    }
    r->last = now;
    bool same_method =
        strlen(r->method) == cs->method.len && memcmp(r->method, cs->method.p, cs->method.len) == 0;
    bool req = sr_msg_is_request(m);
    unsigned code = sr_msg_status(m);
    bool resend = false;
    if (req && cs->num == compare && r->state == RS_REQUEST && same_method &&
        !sr_str_eq(cs->method, SR_STR("ACK")) && !sr_str_eq(cs->method, SR_STR("CANCEL")))
        resend = true;
    if (!req && cs->num == compare && r->state == RS_FINAL && same_method && code >= 200 &&
        code == r->code)
        resend = true;
    r->cseq = cs->num;
    if (req) {
        r->state = RS_REQUEST;
    } else if (code >= 200) {
        r->code = code;
        r->state = RS_FINAL;
    } else {
        r->state = RS_PROVISIONAL;
    }
    return resend;
}

/* ------------------------------------------------------------------ lint */

void az_finding_add(az *a, const az_element *el, const sr_lint_finding *f, const sr_cap_msg *cm)
{
    char key[sizeof(void *) * 2];
    memcpy(key, &el, sizeof el);
    memcpy(key + sizeof el, &f->rule, sizeof f->rule);
    uint64_t h =
        ((uintptr_t)el * 0x9E3779B97F4A7C15ull) ^ ((uintptr_t)f->rule * 0xBF58476D1CE4E5B9ull);
    h ^= h >> 31;
    uintptr_t ix = (uintptr_t)az_map_get_h(&a->finding_map, h, key, sizeof key);
    if (ix) { /* the map stores index + 1, so growing the array is harmless */
        a->findings[ix - 1].count++;
        return;
    }
    if (a->nfindings == a->capfindings) {
        size_t nc = a->capfindings ? a->capfindings * 2 : 64;
        az_finding *nf = realloc(a->findings, nc * sizeof *nf);
        if (!nf)
            return;
        a->findings = nf;
        a->capfindings = nc;
    }
    az_finding *x = &a->findings[a->nfindings];
    memset(x, 0, sizeof *x);
    x->el = el;
    x->rule = f->rule;
    x->arg = f->arg;
    x->count = 1;
    size_t n = cm->len < AZ_EXAMPLE_MAX ? cm->len : AZ_EXAMPLE_MAX;
    x->example = malloc(n + 1);
    if (x->example) {
        memcpy(x->example, cm->data, n);
        x->example[n] = '\0';
    }
    if (az_map_put_h(&a->finding_map, h, key, sizeof key, (void *)(uintptr_t)(a->nfindings + 1),
                     0) != 0) {
        free(x->example);
        return;
    }
    a->nfindings++;
}

typedef struct az_pending {
    sr_msg *req;
    uint64_t at;
} az_pending;

#define TXN_KEY_MAX 400 /* room for a pending-request key and its NUL */
#define TXN_PRE_MAX 48  /* "CSEQ METHOD " of the usual method, built apart to hash it */

/* The az_hash() of the first @p n bytes of @p cid, whose first 127 and 256 are in @p k. */
static uint64_t cid_hash(sr_str cid, const az_keys *k, size_t n)
{
    size_t k127 = cid.len < 127 ? cid.len : 127, k256 = cid.len < 256 ? cid.len : 256;
    if (n == k127)
        return k->cid_h127;
    if (n == k256)
        return k->cid_h256;
    return az_hash(cid.p, n);
}

/* "CSEQ METHOD CALL-ID" (the Call-ID's first 256 bytes), cut at cap - 1 bytes; *@p h (when
 * not NULL): its hash, that of the Call-ID's part continued over the rest (a function of the
 * key's bytes: the number and the method hold no space, so the key says where the Call-ID
 * starts) */
static size_t txn_key(sr_str cid, const az_keys *ks, char *key, size_t cap, const sr_cseq *cs,
                      uint64_t *h)
{
    char num[10];
    size_t nl = az_put_uint(num, cs->num);
    size_t cl = cid.len < 256 ? cid.len : 256, ml = cs->method.len, n = 0, pre = 0;
    if (nl + 1 + ml + 1 + cl <= cap - 1) { /* the usual key, nothing cut: the parts in place */
        memcpy(key, num, nl);
        key[nl] = ' ';
        if (ml)
            memcpy(key + nl + 1, cs->method.p, ml);
        key[nl + 1 + ml] = ' ';
        pre = nl + 2 + ml;
        if (cl)
            memcpy(key + pre, cid.p, cl);
        n = pre + cl;
        if (h)
            *h = cl ? az_hash_more(cid_hash(cid, ks, cl), key, pre) : az_hash(key, n);
        return n;
    }
    sr_str parts[5] = {{num, nl}, {" ", 1}, cs->method, {" ", 1}, {cid.p, cl}};
    for (size_t i = 0; i < 5 && n < cap - 1; i++) {
        size_t k = parts[i].len < cap - 1 - n ? parts[i].len : cap - 1 - n;
        if (k)
            memcpy(key + n, parts[i].p, k);
        n += k;
        if (i == 3)
            pre = n;
    }
    if (!h)
        ;
    else if (pre == 0 || n == pre) /* cut before the Call-ID */
        *h = az_hash(key, n);
    else
        *h = az_hash_more(cid_hash(cid, ks, n - pre), key, pre);
    return n;
}

uint64_t az_txn_hash(sr_str cid, const az_keys *k, const sr_cseq *cs)
{
    char num[10];
    size_t nl = az_put_uint(num, cs->num);
    size_t cl = cid.len < 256 ? cid.len : 256, ml = cs->method.len;
    if (cl && nl + 1 + ml + 1 + cl <= TXN_KEY_MAX - 1) {
        /* the usual key, nothing cut: the Call-ID's hash (it is k->cid_h256) continued
         * over "CSEQ METHOD ", which txn_key() puts before it: FNV-1a is a stream, so these
         * are the values of the key built and hashed, without building it */
        char pre[TXN_PRE_MAX];
        if (nl + ml + 2 <= sizeof pre) { /* a few bytes: copied, hashed in one call */
            memcpy(pre, num, nl);
            pre[nl] = ' ';
            memcpy(pre + nl + 1, cs->method.p, ml);
            pre[nl + 1 + ml] = ' ';
            return az_hash_more(k->cid_h256, pre, nl + ml + 2);
        }
        uint64_t h = az_hash_more(k->cid_h256, num, nl);
        h = az_hash_more(h, " ", 1);
        h = az_hash_more(h, cs->method.p, ml);
        return az_hash_more(h, " ", 1);
    }
    char key[TXN_KEY_MAX];
    uint64_t h = 0;
    txn_key(cid, k, key, sizeof key, cs, &h);
    return h;
}

void az_pending_free(void *v) /* inline in its entry: only the request is freed */
{
    az_pending *p = v;
    sr_msg_free(p->req);
}

/* @p pre: the message's findings alone when already computed (az_lint_alone()), else NULL. */
void az_lint(az *a, az_element *el, const sr_cap_msg *cm, sr_msg *m, const sr_cseq *cs, bool *kept,
             uint64_t now, const sr_lint_finding *pre, size_t npre)
{
    sr_lint_finding buf[64];
    const sr_lint_finding *f = buf;
    size_t n;
    char key[TXN_KEY_MAX];
    uint64_t h = a->keys.txn;
    size_t kl = cs ? txn_key(a->cid, &a->keys, key, sizeof key, cs, a->keys.all ? NULL : &h) : 0;
    if (sr_msg_is_request(m)) {
        if (pre) {
            f = pre;
            n = npre;
        } else {
            n = az_lint_alone(cm, m, buf, 64);
        }
        if (kl && !sr_str_eq(cs->method, SR_STR("ACK"))) {
            az_pending *p = az_tab_get_touch_h(&a->pending, h, key, kl, now);
            if (!p && a->pending.n >= AZ_MAX_PENDING) {
                a->pending_full++; /* its responses are checked alone */
            } else if (!p) {
                p = az_tab_put_inline_h(&a->pending, h, key, kl, sizeof *p, now);
            }
            if (p) {
                sr_msg_free(p->req);
                p->req = m;
                p->at = now;
                *kept = true;
            }
        }
    } else {
        az_pending *p = kl ? az_tab_get_h(&a->pending, h, key, kl) : NULL;
        if (p && a->last_ns - p->at > PENDING_NS)
            p = NULL; /* expired (its expiry has not come round yet) */
        /* the checks of the response alone, then against its request (as sr_lint_pair()) */
        if (pre) {
            n = npre < 64 ? npre : 64;
            memcpy(buf, pre, n * sizeof *buf);
        } else {
            n = az_lint_alone(cm, m, buf, 64);
        }
        if (p)
            n = sr_lint_pair_add(m, p->req, buf, 64, n);
    }
    for (size_t i = 0; i < n && i < 64; i++)
        az_finding_add(a, el, &f[i], cm);
}

/* ------------------------------------------------------------------ the lint memo */

/* One sr_lint_cache per thread that lints (it is not thread-safe), made on first use, all
 * listed here for the statistics and to be freed at the end. */
#define LC_MAX 16
static size_t lc_bytes;
static pthread_mutex_t lc_mu = PTHREAD_MUTEX_INITIALIZER;
static sr_lint_cache *lc_all[LC_MAX];
static size_t lc_n;
static _Atomic unsigned lc_gen = 1; /* a thread's memo is valid while this is its generation */
static _Thread_local sr_lint_cache *lc_mine;
static _Thread_local unsigned lc_mine_gen;

void az_lint_cache_config(size_t bytes)
{
    pthread_mutex_lock(&lc_mu);
    lc_bytes = bytes;
    pthread_mutex_unlock(&lc_mu);
}

sr_lint_cache *az_lint_cache_mine(void)
{
    /* the common case without the lock: lc_gen changes only in az_lint_cache_done(), when
     * no other thread lints */
    if (lc_mine_gen == atomic_load_explicit(&lc_gen, memory_order_relaxed))
        return lc_mine;
    pthread_mutex_lock(&lc_mu);
    if (lc_mine_gen != lc_gen) { /* first use in this thread (or since the last done) */
        lc_mine_gen = lc_gen;
        lc_mine = NULL;
        if (lc_bytes && lc_n < LC_MAX && sr_lint_cache_new(&lc_mine, lc_bytes, NULL) == 0)
            lc_all[lc_n++] = lc_mine;
    }
    sr_lint_cache *c = lc_mine;
    pthread_mutex_unlock(&lc_mu);
    return c;
}

void az_lint_cache_done(FILE *f)
{
    pthread_mutex_lock(&lc_mu);
    for (size_t i = 0; i < lc_n; i++) {
        sr_lint_cache_stats st;
        sr_lint_cache_stats_get(lc_all[i], &st);
        if (f && st.lookups)
            fprintf(f,
                    "lint cache (thread %zu): %llu lookups, %llu hits (%.1f %%), %llu evictions, "
                    "%zu entries, %zu bytes\n",
                    i + 1, (unsigned long long)st.lookups, (unsigned long long)st.hits,
                    100.0 * (double)st.hits / (double)st.lookups, (unsigned long long)st.evictions,
                    st.entries, st.bytes);
        sr_lint_cache_free(lc_all[i]);
    }
    lc_n = 0;
    lc_gen++;
    pthread_mutex_unlock(&lc_mu);
}

bool az_sweep_resend(az *a, void *v)
{
    az_resend *r = v; /* inline in its entry: freed with it */
    if (a->last_ns - r->last > RESEND_NS)
        return true;
    return false;
}

bool az_sweep_pending(az *a, void *v)
{
    az_pending *p = v;
    if (a->last_ns - p->at > PENDING_NS) {
        az_pending_free(p);
        return true;
    }
    return false;
}
