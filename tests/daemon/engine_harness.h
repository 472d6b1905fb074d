/* sipreplyd tests: the harness the engine's cmocka tests share — the engine on a configuration
 * with its sends and log records captured, requests built from a few fields, received from a
 * peer at the test's simulated time, and the timers run up to a given instant. No sockets. */
#ifndef SIPREPLYD_ENGINE_HARNESS_H
#define SIPREPLYD_ENGINE_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "engine.h"

#define EH_MAX_SENT 128

/* One datagram the engine sent: its bytes (NUL-terminated copy), where to and when. */
typedef struct eh_sent {
    char *data;
    size_t len;
    sr_addr to;
    uint64_t at;
} eh_sent;

/* What the engine sent and logged; @c now is the simulated time of the test. */
typedef struct eh_cap {
    eh_sent s[EH_MAX_SENT];
    size_t n;
    uint64_t now;
    unsigned logs;      /* log records */
    unsigned last_code; /* the code of the last one */
    bool last_dropped;  /* the last one has no rule: a message dropped without an answer */
    char last_rule[64];
    char last_note[512];
} eh_cap;

/* The sd_send_cb and sd_log_cb that fill an eh_cap (their user pointer). */
void eh_on_send(const char *data, size_t len, const sr_addr *to, void *user);
void eh_on_log(const sd_txlog *l, void *user);

/* Frees what @p c captured and empties it (the time stays). */
void eh_cap_clear(eh_cap *c);

/* Options with @p c's callbacks (send and log) and @p seed, to complete before eh_engine_new. */
sd_engine_opts eh_opts(eh_cap *c, uint64_t seed);

/* A new engine on configuration @p yaml (a configuration error fails the test) with options
 * @p o; NULL when sd_engine_new refuses (the configuration is freed then). */
sd_engine *eh_engine_try(const char *yaml, const sd_engine_opts *o);

/* eh_engine_try that fails the test when the engine is refused. */
sd_engine *eh_engine_new(const char *yaml, const sd_engine_opts *o);

/* eh_engine_new with eh_opts(@p c, @p seed). */
sd_engine *eh_engine(const char *yaml, eh_cap *c, uint64_t seed);

/* The address @p host:@p port on @p tp, connection @p conn_id (stream transports). */
sr_addr eh_addr(const char *host, uint16_t port, sr_transport tp, uint64_t conn_id);

/* Hands @p msg from @p src to the engine at @p now, as received on 127.0.0.1:5060. */
void eh_receive(sd_engine *e, const char *msg, const sr_addr *src, uint64_t now);

/* @p msg from 127.0.0.1:5062 over UDP at @p c's time. */
void eh_feed(sd_engine *e, const eh_cap *c, const char *msg);

/* Runs every timer due up to @p to, each at its own deadline, then moves @p *now to @p to
 * and runs the timers once more there. */
void eh_advance(sd_engine *e, uint64_t *now, uint64_t to);

/* Runs the timers up to @p until (eh_advance), where no transaction may be left, then frees
 * the engine and what @p c captured. */
void eh_finish(sd_engine *e, eh_cap *c, uint64_t until);

/* A request from alice at 127.0.0.1:5062; what is NULL takes the default in brackets. */
typedef struct eh_req {
    const char *method;      /* request line, CSeq ("INVITE") */
    const char *uri;         /* Request-URI and To ("sip:bob@127.0.0.1") */
    const char *transport;   /* of the top Via ("UDP") */
    const char *branch;      /* of the top Via ("z9hG4bK1") */
    bool no_rport;           /* the top Via without ";rport" */
    const char *from_tag;    /* ("ft1") */
    const char *to_tag;      /* (none) */
    const char *callid;      /* ("call-1") */
    unsigned cseq;           /* (1 when 0) */
    const char *cseq_method; /* (the method; INVITE for an ACK) */
    const char *extra;       /* header lines, each ending in CRLF (none) */
    const char *sdp;         /* the body, as application/sdp (none) */
} eh_req;

/* An INVITE over UDP whose body is shorter than its Content-Length: it does not parse, and
 * the answer is a 400 built from its head (RFC 3261 §18.3). Call-ID bad1. */
extern const char eh_short_body_invite[];

/* The text of request @p r, NUL-terminated, to free(). */
char *eh_req_text(const eh_req *r);

/* eh_req_text of the request with these fields (NULL: the default). */
char *eh_request(const char *method, const char *uri, const char *branch, const char *callid,
                 unsigned cseq, const char *to_tag, const char *extra, const char *sdp);

/* The status code of the response @p msg, 0 for a request. */
unsigned eh_status(const char *msg);

/* The body of @p msg ("" when it has none). */
const char *eh_body(const char *msg);

/* The To tag of @p msg (it must have one), in a static buffer. */
const char *eh_to_tag(const char *msg);

/* The value of header @p name in @p msg ("" when absent), into @p out of @p size bytes. */
const char *eh_hdr(const char *msg, const char *name, char *out, size_t size);

/* Whether what @p s carries contains @p text. */
bool eh_has(const eh_sent *s, const char *text);

/* A fake of the engine's media sockets (sd_engine_opts.media_open/_send/_close): up to 8
 * sessions opened on ports 30000, 30002, ..., every packet sent recorded. The callbacks get
 * the engine's user pointer, so an eh_media must be the FIRST member of the test's user
 * struct. */
#define EH_MAX_PK 1024

typedef struct eh_pk {
    bool rtcp;
    uint8_t data[300];
    size_t len;
    char host[64];
    uint16_t port;
} eh_pk;

typedef struct eh_media {
    eh_pk p[EH_MAX_PK];
    size_t n;
    void *sess[8];
    int sock_ids[8];
    size_t opened, closed;
    bool refuse_open; /* make every open fail */
} eh_media;

int eh_m_open(void *user, void *sess, const char *host, uint16_t lo, uint16_t hi, void **sock,
              uint16_t *port);
void eh_m_send(void *user, void *sock, bool rtcp, const uint8_t *data, size_t len, const char *host,
               uint16_t port);
void eh_m_close(void *user, void *sock);

#endif
