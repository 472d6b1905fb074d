/* sipreply bench: the engine interface shared by the parse benchmark and its engines.
 * Each engine parses one complete SIP message (RFC 3261 §7) and reads the same six fields. */
#ifndef SIPREPLY_BENCH_H
#define SIPREPLY_BENCH_H

#include <stddef.h>
#include <stdint.h>

/** Longest field value the --verify mode keeps (the corpus values are far shorter). */
#define BENCH_FIELD_MAX 128

/**
 * What an engine read from one message, as slices into the engine's own parsed message
 * (valid only until the engine frees it). An absent field is { NULL, 0 }.
 */
typedef struct bench_view {
    const char *branch; /* top Via ;branch= value (RFC 3261 §8.1.1.7) */
    size_t branch_len;
    const char *from_tag; /* From ;tag= (§8.1.1.3) */
    size_t from_tag_len;
    const char *to_tag; /* To ;tag= (§8.1.1.2), absent outside a dialog */
    size_t to_tag_len;
    const char *call_id; /* the whole Call-ID value (§8.1.1.4) */
    size_t call_id_len;
    const char *method; /* CSeq method (§8.1.1.5) */
    size_t method_len;
    uint32_t cseq; /* CSeq number */
} bench_view;

/** A copy of a bench_view that outlives the message (for --verify). */
typedef struct bench_fields {
    char branch[BENCH_FIELD_MAX];
    char from_tag[BENCH_FIELD_MAX];
    char to_tag[BENCH_FIELD_MAX];
    char call_id[BENCH_FIELD_MAX];
    char method[BENCH_FIELD_MAX];
    uint32_t cseq;
    int present; /* bit mask of fields present, BENCH_HAS_* */
} bench_fields;

#define BENCH_HAS_BRANCH   0x01
#define BENCH_HAS_FROM_TAG 0x02
#define BENCH_HAS_TO_TAG   0x04
#define BENCH_HAS_CALL_ID  0x08
#define BENCH_HAS_METHOD   0x10

/**
 * One engine: parse the whole message at @p buf (@p len bytes, not NUL-terminated, not
 * modified), read the fields, hand them to bench_consume(), free everything. @p out is NULL
 * when timing and a place to copy the fields to in --verify mode. Returns 0, or -1 when the
 * library rejected the message.
 */
typedef int (*bench_parse_fn)(const char *buf, size_t len, bench_fields *out);

typedef struct bench_engine {
    const char *name;    /* as given on the command line: osip, sofia, sipreply */
    const char *version; /* the library version measured */
    int (*setup)(void);  /* once per process, before any parse (may be NULL) */
    bench_parse_fn parse;
} bench_engine;

extern const bench_engine bench_engine_osip;
extern const bench_engine bench_engine_sofia;
#ifdef BENCH_HAVE_SIPREPLY
extern const bench_engine bench_engine_sipreply;
extern const bench_engine bench_engine_sipreply_full;
#endif

/** Accumulates the lengths read so the compiler cannot drop the reads; the harness prints it. */
extern uint64_t bench_sink;

/**
 * Use what an engine read: add every length and the CSeq number to bench_sink and, in
 * --verify mode, copy the values to @p out. Called by every engine the same way, while its
 * message is still alive.
 */
void bench_consume(const bench_view *v, bench_fields *out);

/**
 * The measured region: @p iters passes of @p engine over the @p n messages. Not inlined, so
 * `valgrind --tool=callgrind --toggle-collect=bench_measured_loop` counts exactly this.
 * Returns the number of failed parses (0 expected).
 */
unsigned bench_measured_loop(const bench_engine *engine, const char *const *bufs,
                             const size_t *lens, size_t n, unsigned long iters);

#endif /* SIPREPLY_BENCH_H */
