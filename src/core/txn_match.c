/* sipreply core: matching messages to transactions — RFC 3261 §17.1.3 (client), §17.2.3
 * (server, with the RFC 2543 fallback), §9.2 (CANCEL) and §8.2.2.2 (merged requests). */
#include <stdint.h>
#include <string.h>

#include "core_int.h"
#include "siphash_int.h"
#include "txn_int.h"

/* §8.1.1.7: a branch starting with the magic cookie was built by an RFC 3261 element. */
bool sr__branch_is_3261(sr_str branch)
{
    return branch.len > 7 && memcmp(branch.p, "z9hG4bK", 7) == 0;
}

static bool is_client(const sr__txn *t)
{
    return sr__txn_is_client(t->kind);
}

/* ------------------------------------------------------------------ the index */

/* Keys are hashed with SipHash-1-3 keyed by s->hkey (drawn from the stack's seeded PRNG), so
 * that a peer cannot choose branches that all land in one bucket; equal fields give equal
 * hashes. SipHash-1-3 rather than -2-4: these hashes only pick a bucket inside this process
 * (every candidate is then compared field by field), never leave it, and are not a MAC; 1-3
 * is the variant kept for hash tables against flooding. The fields are read where they lie,
 * a word at a time (siphash_int.h), never copied: a first word holds the key's label, the
 * method (its sr_method; an extension method is hashed as its text too) and the fields'
 * lengths, then each field follows as whole words, its last one zero-padded, so that the
 * words say the fields back. A length is hashed up to 65535 (max_message's default): longer
 * fields only share more hashes, and candidates are compared whole anyway. */
static uint64_t hlen(size_t n)
{
    return n < 0xffff ? n : 0xffff;
}

SR__ALWAYS_INLINE void h_start(sr__sip13 *h, const sr_stack *s, uint64_t first)
{
    sr__sip13_init(h, s->hkey);
    sr__sip13_word(h, first);
}

/* An extension method's text (SR_METHOD_OTHER): its length, then its words. */
static void h_method(sr__sip13 *h, sr_method mid, sr_str method)
{
    if (mid != SR_METHOD_OTHER)
        return;
    sr__sip13_word(h, method.len);
    sr__sip13_field(h, method.p, method.len, false);
}

static sr_str to_tag(const sr_msg *m)
{
    const sr_nameaddr *to = sr_msg_to(m);
    sr_str none = {"", 0};
    return to != NULL ? to->tag : none;
}

static sr_str from_tag(const sr_msg *m)
{
    const sr_nameaddr *f = sr_msg_from(m);
    sr_str none = {"", 0};
    return f != NULL ? f->tag : none;
}

/* Handles are ours (sequential), so a plain mix spreads them; no key needed. */
static uint64_t key_id(sr_txn_id id)
{
    uint64_t z = (uint64_t)id + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* §17.1.3: a client transaction is the top-Via branch and the CSeq method (@p mid its
 * sr_method, as the parser gives for @p method). */
static uint64_t key_client(const sr_stack *s, sr_str branch, sr_str method, sr_method mid)
{
    sr__sip13 h;
    h_start(&h, s, 'c' | (uint64_t)mid << 8 | hlen(branch.len) << 16);
    sr__sip13_field(&h, branch.p, branch.len, false);
    h_method(&h, mid, method);
    return sr__sip13_end(&h);
}

/* §17.2.3: branch, sent-by (host case-insensitively, port) and method; an ACK and a CANCEL
 * look up their INVITE with the method INVITE. */
static uint64_t key_server(const sr_stack *s, const sr_via *v, sr_str method, sr_method mid)
{
    sr__sip13 h;
    h_start(&h, s,
            's' | (uint64_t)mid << 8 | (uint64_t)v->port << 16 | hlen(v->host.len) << 32 |
                hlen(v->branch.len) << 48);
    sr__sip13_field(&h, v->branch.p, v->branch.len, false);
    sr__sip13_field(&h, v->host.p, v->host.len, true);
    h_method(&h, mid, method);
    return sr__sip13_end(&h);
}

/* §17.2.3, RFC 2543 fallback: the fields an INVITE, its ACK and its CANCEL share (Call-ID,
 * From tag, CSeq number, Request-URI, top Via); the rest is compared on the candidates. */
static uint64_t key_2543_f(const sr_stack *s, sr_str call_id, sr_str ftag, uint32_t num,
                           sr_str ruri, sr_str via)
{
    sr__sip13 h;
    h_start(&h, s, '2' | hlen(call_id.len) << 16 | hlen(ftag.len) << 32 | hlen(ruri.len) << 48);
    sr__sip13_word(&h, num | hlen(via.len) << 32);
    sr__sip13_field(&h, call_id.p, call_id.len, false);
    sr__sip13_field(&h, ftag.p, ftag.len, false);
    sr__sip13_field(&h, ruri.p, ruri.len, false);
    sr__sip13_field(&h, via.p, via.len, false);
    return sr__sip13_end(&h);
}

static uint64_t key_2543(const sr_stack *s, const sr_msg *m)
{
    return key_2543_f(s, sr_msg_call_id(m), from_tag(m), sr_msg_cseq(m)->num, sr_msg_request_uri(m),
                      sr_msg_via(m, 0)->raw);
}

/* §8.2.2.2 (merged requests) and RFC 3262 §3 (PRACK → INVITE): Call-ID, From tag, CSeq. */
static uint64_t key_dialog(const sr_stack *s, sr_str call_id, sr_str ftag, uint32_t num,
                           sr_str method, sr_method mid)
{
    sr__sip13 h;
    h_start(&h, s,
            'd' | (uint64_t)mid << 8 | hlen(call_id.len) << 16 | hlen(ftag.len) << 32 |
                (uint64_t)(num >> 16) << 48);
    sr__sip13_field(&h, call_id.p, call_id.len, false);
    sr__sip13_field(&h, ftag.p, ftag.len, false);
    sr__sip13_word(&h, num & 0xffff);
    h_method(&h, mid, method);
    return sr__sip13_end(&h);
}

int sr__index_init(sr_stack *s)
{
    s->tbl_size = 64;
    s->tbl = sr__malloc(s->alloc, s->tbl_size * sizeof(*s->tbl));
    if (s->tbl == NULL)
        return SR_ENOMEM;
    memset(s->tbl, 0, s->tbl_size * sizeof(*s->tbl));
    s->tbl_n = 0;
    return 0;
}

void sr__index_cleanup(sr_stack *s)
{
    sr__free(s->alloc, s->tbl);
    s->tbl = NULL;
    s->tbl_size = s->tbl_n = 0;
}

/* Double the bucket array when the load passes 1. Failing to grow is not an error: the
 * table stays correct, only the chains get longer. */
static void grow(sr_stack *s)
{
    size_t n = s->tbl_size * 2;
    if (n < s->tbl_size || n > SIZE_MAX / sizeof(*s->tbl))
        return;
    sr__hnode **nt = sr__malloc(s->alloc, n * sizeof(*nt));
    if (nt == NULL)
        return;
    memset(nt, 0, n * sizeof(*nt));
    for (size_t i = 0; i < s->tbl_size; i++) {
        sr__hnode *e = s->tbl[i];
        while (e != NULL) {
            sr__hnode *next = e->next;
            size_t b = (size_t)(e->hash & (n - 1));
            e->next = nt[b];
            if (e->next != NULL)
                e->next->pprev = &e->next;
            e->pprev = &nt[b];
            nt[b] = e;
            e = next;
        }
    }
    sr__free(s->alloc, s->tbl);
    s->tbl = nt;
    s->tbl_size = n;
}

/* An entry's stored hash: the key's hash with its top two bits replaced by the role (the
 * bucket is picked by the low bits, and a lookup compares the stored value whole, so an
 * entry of another role never matches). */
static uint64_t role_hash(int role, uint64_t hash)
{
    return (hash & (UINT64_MAX >> 2)) | (uint64_t)role << 62;
}

/* A transaction's entry of @p role: hn[role], a server's dialog entry hn_dialog. */
static sr__hnode *hnode_of(sr__txn *t, int role)
{
    return role == SR__HR_DIALOG ? &t->hn_dialog : &t->hn[role];
}

/* The transaction an entry of @p role (a lookup's own, so the offset is a constant) is
 * embedded in: it is that transaction's entry of that role. */
static inline sr__txn *hnode_txn(const sr__hnode *e, int role)
{
    size_t off = role == SR__HR_DIALOG ? offsetof(sr__txn, hn_dialog)
                                       : offsetof(sr__txn, hn) + (size_t)role * sizeof(sr__hnode);
    return (sr__txn *)(void *)((char *)(uintptr_t)e - off);
}

static void link_node(sr_stack *s, sr__txn *t, int role, uint64_t hash)
{
    sr__hnode *e = hnode_of(t, role);
    size_t b = (size_t)(hash & (s->tbl_size - 1));
    e->hash = role_hash(role, hash);
    e->next = s->tbl[b];
    if (e->next != NULL)
        e->next->pprev = &e->next;
    e->pprev = &s->tbl[b];
    s->tbl[b] = e;
    s->tbl_n++;
}

void sr__txn_index_k(sr_stack *s, sr__txn *t, const sr__keys *k)
{
    if (s->tbl_n + SR__HR_COUNT > s->tbl_size)
        grow(s);
    link_node(s, t, SR__HR_ID, key_id(t->id));
    const sr_msg *r = t->req;
    const sr_via *v = sr_msg_via(r, 0);
    const sr_cseq *cs = sr_msg_cseq(r);
    bool km = k != NULL && k->has_match, kd = k != NULL && k->has_dialog;
    if (is_client(t)) {
        link_node(s, t, SR__HR_MATCH,
                  km ? k->match : key_client(s, v->branch, cs->method, cs->method_id));
        return;
    }
    link_node(s, t, SR__HR_MATCH,
              km ? k->match
              : sr__branch_is_3261(v->branch)
                  ? key_server(s, v, sr_msg_method_str(r), sr_msg_method(r))
                  : key_2543(s, r));
    link_node(
        s, t, SR__HR_DIALOG,
        kd ? k->dialog
           : key_dialog(s, sr_msg_call_id(r), from_tag(r), cs->num, cs->method, cs->method_id));
}

void sr__txn_index(sr_stack *s, sr__txn *t)
{
    sr__txn_index_k(s, t, NULL);
}

void sr__txn_unindex(sr_stack *s, sr__txn *t)
{
    int roles = is_client(t) ? SR__HR_DIALOG : SR__HR_COUNT; /* a client has no dialog entry */
    for (int role = 0; role < roles; role++) {
        sr__hnode *e = hnode_of(t, role);
        if (e->pprev == NULL)
            continue;
        *e->pprev = e->next; /* O(1): no walk through the chain's other transactions */
        if (e->next != NULL)
            e->next->pprev = e->pprev;
        e->next = NULL;
        e->pprev = NULL;
        s->tbl_n--;
    }
}

/* The first entry of @p role and @p hash after @p prev (NULL: the first), most recent first. */
static sr__hnode *bucket_next(const sr_stack *s, int role, uint64_t hash, sr__hnode *prev)
{
    uint64_t want = role_hash(role, hash);
    sr__hnode *e = prev != NULL ? prev->next : s->tbl[hash & (s->tbl_size - 1)];
    for (; e != NULL; e = e->next)
        if (e->hash == want)
            return e;
    return NULL;
}

#define EACH(s, role, hash, e)                                       \
    for (sr__hnode *e = bucket_next(s, role, hash, NULL); e != NULL; \
         e = bucket_next(s, role, hash, e))

sr__txn *sr__txn_find(const sr_stack *s, sr_txn_id id)
{
    EACH(s, SR__HR_ID, key_id(id), e)
    {
        if (hnode_txn(e, SR__HR_ID)->id == id)
            return hnode_txn(e, SR__HR_ID);
    }
    return NULL;
}

/* ------------------------------------------------------------------ matching */

/* The method a transaction is keyed on (CSeq method of its request; a client that released
 * its request in Completed keeps it in ckey). */
static sr_str txn_method(const sr__txn *t)
{
    if (t->req == NULL)
        return (sr_str){t->ckey + t->ckey_blen, t->ckey_mlen};
    return sr_msg_cseq(t->req)->method;
}

/* A client transaction's top-Via branch (§17.1.3). */
static sr_str client_branch(const sr__txn *t)
{
    if (t->req == NULL)
        return (sr_str){t->ckey, t->ckey_blen};
    return sr_msg_via(t->req, 0)->branch;
}

static bool sent_by_eq(const sr_via *a, const sr_via *b);

/* ------------------------------------------------------------------ a server's fields
 * An INVITE server in Confirmed may have released its request (sr__server_compact): these
 * read the same fields from its request or from its skey. */

static sr_str skey_branch(const sr__skey *k)
{
    return (sr_str){k->b, k->blen};
}

static sr_str skey_host(const sr__skey *k)
{
    return (sr_str){k->b + k->blen, k->hlen};
}

static sr_str skey_call_id(const sr__skey *k)
{
    return (sr_str){k->b + k->blen + k->hlen, k->clen};
}

static sr_str skey_from_tag(const sr__skey *k)
{
    return (sr_str){k->b + k->blen + k->hlen + k->clen, k->flen};
}

/* §17.2.3: the server's top-Via branch and sent-by equal @p v's. */
static bool srv_via_eq(const sr__txn *t, const sr_via *v)
{
    if (t->req == NULL) {
        const sr__skey *k = t->skey;
        return sr_str_eq(skey_branch(k), v->branch) && sr_str_caseeq(skey_host(k), v->host) &&
               k->port == v->port;
    }
    const sr_via *tv = sr_msg_via(t->req, 0);
    return sr_str_eq(tv->branch, v->branch) && sent_by_eq(tv, v);
}

/* Whether the server's request has an RFC 2543 top-Via branch (no magic cookie): a server
 * without its request had a magic cookie (sr__server_compact keeps the others' request). */
static bool srv_is_2543(const sr__txn *t)
{
    return t->req != NULL && !sr__branch_is_3261(sr_msg_via(t->req, 0)->branch);
}

/* The §8.2.2.2 fields of a server: CSeq number, Call-ID, From tag (and CSeq method). */
static uint32_t srv_cseq(const sr__txn *t)
{
    return t->req != NULL ? sr_msg_cseq(t->req)->num : t->skey->cseq;
}

static sr_str srv_call_id(const sr__txn *t)
{
    return t->req != NULL ? sr_msg_call_id(t->req) : skey_call_id(t->skey);
}

static sr_str srv_from_tag(const sr__txn *t)
{
    return t->req != NULL ? from_tag(t->req) : skey_from_tag(t->skey);
}

/* A server's CSeq method and request method (INVITE for one without its request). */
static sr_str srv_method(const sr__txn *t)
{
    return t->req != NULL ? sr_msg_cseq(t->req)->method : SR_STR("INVITE");
}

static sr_str srv_req_method(const sr__txn *t)
{
    return t->req != NULL ? sr_msg_method_str(t->req) : SR_STR("INVITE");
}

void sr__server_compact(sr_stack *s, sr__txn *t)
{
    if (t->kind != SR_TXN_INVITE_SERVER || t->req == NULL)
        return;
    const sr_via *v = sr_msg_via(t->req, 0);
    if (!sr__branch_is_3261(v->branch))
        return; /* RFC 2543 matching compares most of the request: it stays */
    const sr_str inv = SR_STR("INVITE");
    if (!sr_str_eq(sr_msg_cseq(t->req)->method, inv) || !sr_str_eq(sr_msg_method_str(t->req), inv))
        return; /* the key's methods are INVITE (srv_method): kept exact for any other */
    sr_str cid = sr_msg_call_id(t->req), ft = from_tag(t->req);
    if (v->branch.len > UINT16_MAX || v->host.len > UINT16_MAX || cid.len > UINT16_MAX ||
        ft.len > UINT16_MAX)
        return;
    size_t n = v->branch.len + v->host.len + cid.len + ft.len;
    sr__skey *k = sr__malloc(&s->talloc, offsetof(sr__skey, b) + n);
    if (k == NULL)
        return; /* the request stays: the same matching, only more bytes held */
    k->cseq = sr_msg_cseq(t->req)->num;
    k->port = v->port;
    k->blen = (uint16_t)v->branch.len;
    k->hlen = (uint16_t)v->host.len;
    k->clen = (uint16_t)cid.len;
    k->flen = (uint16_t)ft.len;
    char *p = k->b;
    const sr_str f[4] = {v->branch, v->host, cid, ft};
    for (size_t i = 0; i < 4; i++) {
        if (f[i].len > 0)
            memcpy(p, f[i].p, f[i].len);
        p += f[i].len;
    }
    sr__server_release_req(s, t);
    t->skey = k;
}

sr__txn *sr__find_client(const sr_stack *s, sr_str branch, sr_str method, sr_method mid)
{
    return sr__find_client_k(s, branch, method, mid, NULL);
}

sr__txn *sr__find_client_k(const sr_stack *s, sr_str branch, sr_str method, sr_method mid,
                           sr__keys *k)
{
    uint64_t key = key_client(s, branch, method, mid);
    if (k != NULL) {
        k->match = key;
        k->has_match = true;
    }
    EACH(s, SR__HR_MATCH, key, e)
    {
        sr__txn *t = hnode_txn(e, SR__HR_MATCH);
        if (is_client(t) && sr_str_eq(client_branch(t), branch) && sr_str_eq(txn_method(t), method))
            return t;
    }
    return NULL;
}

/* §17.1.3: the response's top-Via branch equals the request's, and its CSeq method equals
 * the request's method (so a response to a CANCEL does not match the INVITE). */
sr__txn *sr__match_client(const sr_stack *s, const sr_msg *resp)
{
    const sr_via *v = sr_msg_via(resp, 0);
    const sr_cseq *cs = sr_msg_cseq(resp);
    if (v == NULL || cs == NULL || v->branch.len == 0)
        return NULL;
    return sr__find_client(s, v->branch, cs->method, cs->method_id);
}

/* sent-by (host and port) of two Vias: §17.2.3 compares it as well as the branch. */
static bool sent_by_eq(const sr_via *a, const sr_via *b)
{
    return sr_str_caseeq(a->host, b->host) && a->port == b->port;
}

/* RFC 2543 fallback (§17.2.3): same Request-URI, To tag, From tag, Call-ID, CSeq and top Via;
 * an ACK matches when its To tag is the tag of the response the server sent. */
static bool match_2543(const sr__txn *t, const sr_msg *req, sr_method method)
{
    const sr_msg *o = t->req;
    const sr_cseq *a = sr_msg_cseq(o), *b = sr_msg_cseq(req);
    if (a->num != b->num || !sr_str_eq(sr_msg_call_id(o), sr_msg_call_id(req)) ||
        !sr_str_eq(from_tag(o), from_tag(req)) ||
        !sr_str_eq(sr_msg_request_uri(o), sr_msg_request_uri(req)) ||
        !sr_str_eq(sr_msg_via(o, 0)->raw, sr_msg_via(req, 0)->raw))
        return false;
    if (method == SR_METHOD_ACK) {
        sr_str tag = {t->to_tag, t->to_tag_len};
        return t->kind == SR_TXN_INVITE_SERVER && sr_str_eq(to_tag(req), tag);
    }
    return sr_str_eq(a->method, b->method) && sr_str_eq(to_tag(o), to_tag(req));
}

/* §17.2.3: branch + sent-by + method, ACK matching the INVITE it acknowledges. */
sr__txn *sr__match_server(const sr_stack *s, const sr_msg *req)
{
    return sr__match_server_k(s, req, NULL);
}

sr__txn *sr__match_server_k(const sr_stack *s, const sr_msg *req, sr__keys *k)
{
    const sr_via *v = sr_msg_via(req, 0);
    const sr_cseq *cs = sr_msg_cseq(req);
    sr_method m = sr_msg_method(req);
    if (!sr__branch_is_3261(v->branch)) {
        uint64_t key = key_2543(s, req);
        if (k != NULL && m != SR_METHOD_ACK) {
            k->match = key; /* what sr__txn_index_k links a server under */
            k->has_match = true;
        }
        EACH(s, SR__HR_MATCH, key, e)
        {
            sr__txn *t = hnode_txn(e, SR__HR_MATCH);
            if (!is_client(t) && srv_is_2543(t) && match_2543(t, req, m))
                return t;
        }
        return NULL;
    }
    sr_str key_method = m == SR_METHOD_ACK ? SR_STR("INVITE") : sr_msg_method_str(req);
    uint64_t key = key_server(s, v, key_method, m == SR_METHOD_ACK ? SR_METHOD_INVITE : m);
    if (k != NULL && m != SR_METHOD_ACK) {
        k->match = key;
        k->has_match = true;
    }
    EACH(s, SR__HR_MATCH, key, e)
    {
        sr__txn *t = hnode_txn(e, SR__HR_MATCH);
        if (is_client(t) || !srv_via_eq(t, v))
            continue;
        if (m == SR_METHOD_ACK) {
            if (t->kind == SR_TXN_INVITE_SERVER)
                return t;
            continue;
        }
        if (sr_str_eq(srv_method(t), cs->method) &&
            sr_str_eq(srv_req_method(t), sr_msg_method_str(req)))
            return t;
    }
    return NULL;
}

/* sr__match_server_k for an ACK read from its head (stack_ack.c): the same transaction from
 * the same fields, in the same order. */
sr__txn *sr__match_ack(const sr_stack *s, const sr__ack_fields *a)
{
    const sr_via *v = a->via;
    if (!sr__branch_is_3261(v->branch)) {
        /* RFC 2543: match_2543 for an ACK */
        EACH(s, SR__HR_MATCH, key_2543_f(s, a->call_id, a->from_tag, a->cseq, a->ruri, v->raw), e)
        {
            sr__txn *t = hnode_txn(e, SR__HR_MATCH);
            if (t->kind != SR_TXN_INVITE_SERVER || !srv_is_2543(t))
                continue;
            const sr_msg *o = t->req;
            sr_str tag = {t->to_tag, t->to_tag_len};
            if (!sr__branch_is_3261(sr_msg_via(o, 0)->branch) && sr_msg_cseq(o)->num == a->cseq &&
                sr_str_eq(sr_msg_call_id(o), a->call_id) && sr_str_eq(from_tag(o), a->from_tag) &&
                sr_str_eq(sr_msg_request_uri(o), a->ruri) &&
                sr_str_eq(sr_msg_via(o, 0)->raw, v->raw) && sr_str_eq(a->to_tag, tag))
                return t;
        }
        return NULL;
    }
    EACH(s, SR__HR_MATCH, key_server(s, v, SR_STR("INVITE"), SR_METHOD_INVITE), e)
    {
        sr__txn *t = hnode_txn(e, SR__HR_MATCH);
        if (t->kind == SR_TXN_INVITE_SERVER && srv_via_eq(t, v))
            return t;
    }
    return NULL;
}

/* §9.2: the INVITE server transaction a CANCEL targets — matched as for any request by
 * §17.2.3, but with the method INVITE (the CANCEL's own transaction is separate). */
sr__txn *sr__match_cancel(const sr_stack *s, const sr_msg *cancel)
{
    const sr_via *v = sr_msg_via(cancel, 0);
    if (sr__branch_is_3261(v->branch)) {
        EACH(s, SR__HR_MATCH, key_server(s, v, SR_STR("INVITE"), SR_METHOD_INVITE), e)
        {
            sr__txn *t = hnode_txn(e, SR__HR_MATCH);
            if (t->kind == SR_TXN_INVITE_SERVER && srv_via_eq(t, v))
                return t;
        }
        return NULL;
    }
    /* RFC 2543: Request-URI, Call-ID, From tag, To (tag of the request), CSeq number and
     * top Via equal. */
    EACH(s, SR__HR_MATCH, key_2543(s, cancel), e)
    {
        sr__txn *t = hnode_txn(e, SR__HR_MATCH);
        if (t->kind != SR_TXN_INVITE_SERVER || !srv_is_2543(t))
            continue;
        const sr_msg *o = t->req;
        const sr_via *tv = sr_msg_via(o, 0);
        if (sr_msg_cseq(o)->num == sr_msg_cseq(cancel)->num &&
            sr_str_eq(sr_msg_call_id(o), sr_msg_call_id(cancel)) &&
            sr_str_eq(from_tag(o), from_tag(cancel)) && sr_str_eq(to_tag(o), to_tag(cancel)) &&
            sr_str_eq(sr_msg_request_uri(o), sr_msg_request_uri(cancel)) &&
            sr_str_eq(tv->raw, v->raw))
            return t;
    }
    return NULL;
}

/* §8.2.2.2: no To tag, and From tag, Call-ID and CSeq (number and method) equal to those of
 * a live server transaction that the request did not match: a fork arriving twice. */
bool sr__is_merged(const sr_stack *s, const sr_msg *req)
{
    return sr__is_merged_k(s, req, NULL);
}

bool sr__is_merged_k(const sr_stack *s, const sr_msg *req, sr__keys *k)
{
    if (to_tag(req).len != 0)
        return false;
    const sr_cseq *cs = sr_msg_cseq(req);
    sr_str cid = sr_msg_call_id(req), ftag = from_tag(req);
    uint64_t key = key_dialog(s, cid, ftag, cs->num, cs->method, cs->method_id);
    if (k != NULL) {
        k->dialog = key;
        k->has_dialog = true;
    }
    EACH(s, SR__HR_DIALOG, key, e)
    {
        const sr__txn *t = hnode_txn(e, SR__HR_DIALOG);
        if (srv_cseq(t) == cs->num && sr_str_eq(srv_method(t), cs->method) &&
            sr_str_eq(srv_call_id(t), cid) && sr_str_eq(srv_from_tag(t), ftag))
            return true;
    }
    return false;
}

/* RFC 3262 §3: the INVITE server transaction whose reliable 1xx a PRACK acknowledges: RAck
 * (RSeq, the INVITE's CSeq number, method INVITE) in the same dialog (Call-ID, From tag, To
 * tag = the tag our 1xx carried). */
sr__txn *sr__find_prack_target(const sr_stack *s, const sr_msg *prack, const sr_rack *ra)
{
    if (ra->method_id != SR_METHOD_INVITE)
        return NULL;
    sr_str cid = sr_msg_call_id(prack), ftag = from_tag(prack);
    EACH(s, SR__HR_DIALOG, key_dialog(s, cid, ftag, ra->cseq, SR_STR("INVITE"), SR_METHOD_INVITE),
         e)
    {
        sr__txn *t = hnode_txn(e, SR__HR_DIALOG);
        if (t->kind != SR_TXN_INVITE_SERVER || !t->rel_pending || t->rseq != ra->rseq ||
            srv_cseq(t) != ra->cseq)
            continue;
        sr_str tt = {t->to_tag, t->to_tag_len};
        if (sr_str_eq(srv_call_id(t), cid) && sr_str_eq(srv_from_tag(t), ftag) &&
            sr_str_eq(tt, to_tag(prack)))
            return t;
    }
    return NULL;
}

/* RFC 3261 §13.3.1.4: the INVITE server transaction retransmitting the 2xx an ACK with a
 * branch of its own acknowledges: same Call-ID, From tag, CSeq number, and the To tag of
 * the 2xx. */
sr__txn *sr__find_2xx_target(const sr_stack *s, const sr_msg *ack)
{
    const sr_cseq *cs = sr_msg_cseq(ack);
    sr_str cid = sr_msg_call_id(ack), ftag = from_tag(ack), ttag = to_tag(ack);
    if (ttag.len == 0)
        return NULL;
    EACH(s, SR__HR_DIALOG, key_dialog(s, cid, ftag, cs->num, SR_STR("INVITE"), SR_METHOD_INVITE), e)
    {
        sr__txn *t = hnode_txn(e, SR__HR_DIALOG);
        if (t->kind != SR_TXN_INVITE_SERVER || !t->retx_2xx || srv_cseq(t) != cs->num)
            continue;
        sr_str tt = {t->to_tag, t->to_tag_len};
        if (sr_str_eq(srv_call_id(t), cid) && sr_str_eq(srv_from_tag(t), ftag) &&
            sr_str_eq(tt, ttag))
            return t;
    }
    return NULL;
}
