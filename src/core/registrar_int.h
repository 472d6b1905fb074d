/* sipreply core: the registrar's table, shared by registrar_table.c (lifecycle, AORs,
 * queries, expiry) and registrar.c (REGISTER handling). */
#ifndef SIPREPLY_REGISTRAR_INT_H
#define SIPREPLY_REGISTRAR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/registrar.h"

typedef struct rbind {
    char *blob; /* owns uri, params and call_id */
    sr_str uri;
    sr_str params;
    sr_str call_id;
    uint32_t cseq;
    int q;
    uint64_t expires_at;
} rbind;

typedef struct raor {
    struct raor *next;
    uint64_t hash;
    char *key;
    size_t key_len;
    rbind *b;
    size_t n;
} raor;

struct sr_registrar {
    const sr_allocator *alloc;
    size_t max_aors;
    size_t max_bindings;
    uint32_t default_expires;
    uint32_t min_expires;
    uint32_t max_expires;
    char **domains; /* NULL: any */
    size_t n_domains;
    raor **buckets;
    size_t n_buckets; /* power of two */
    size_t n_aors;
    size_t n_bindings;
    uint64_t min_deadline; /* valid when !deadline_dirty */
    bool deadline_dirty;
};

/* true when @p host is one of the domains served (any when none is configured). */
bool sr__reg_domain_ok(const sr_registrar *r, sr_str host);
/* Hash of a canonical AOR. */
uint64_t sr__reg_key_hash(sr_str k);
/* The AOR with canonical key @p key (hash @p h), or NULL. */
raor *sr__reg_aor_find(const sr_registrar *r, sr_str key, uint64_t h);
/* Take @p x out of its bucket (not freed). */
void sr__reg_aor_unlink(sr_registrar *r, raor *x);
/* Free @p x, its bindings and their count. */
void sr__reg_aor_destroy(sr_registrar *r, raor *x);
/* Seconds left until @p at, rounded up, at least 1. */
uint32_t sr__reg_remaining_s(uint64_t at, uint64_t now);

#endif /* SIPREPLY_REGISTRAR_INT_H */
