/* sipreplyd: the rule engine — one sr_stack, the configuration's rules and the response
 * sequences in flight. Sans-I/O like the core: bytes, addresses and the time go in; bytes to
 * send come out through a callback, one log record per transaction through another. */
#ifndef SIPREPLYD_ENGINE_H
#define SIPREPLYD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sipreply/sipreply.h"

/** Our address as the request reached it: what Contact and SDP say. */
typedef struct sd_local {
    char host[SR_ADDR_HOST_MAX]; /**< "127.0.0.1" or "[::1]" */
    uint16_t port;
} sd_local;

/** Send @p len bytes at @p data to @p to (transport and connection id inside). */
typedef void (*sd_send_cb)(const char *data, size_t len, const sr_addr *to, void *user);

/** One transaction's outcome, for the log. Slices live during the call only. */
typedef struct sd_txlog {
    const sr_addr *src;
    sr_str method;
    sr_str ruri;
    unsigned code;    /**< the final response (487 when cancelled), 0 when none */
    const char *rule; /**< NULL for a message dropped without an answer (a debug record) */
    const char *note; /**< NULL, or why ("cancelled", "no PRACK", the check's phrase) */
} sd_txlog;

typedef void (*sd_log_cb)(const sd_txlog *l, void *user);

/** One dialog's end, for the log. Slices live during the call only. */
typedef struct sd_dialog_log {
    const sr_addr *peer; /**< where its requests came from */
    sr_str call_id;
    sr_str remote_target; /**< the peer's Contact */
    bool confirmed;       /**< false: an early dialog */
    uint64_t duration_ms; /**< from its first 1xx or 2xx to its end */
    const char *reason;   /**< "BYE received", "session timer expired"... */
    bool bye_sent;        /**< we sent a BYE to end it */
} sd_dialog_log;

typedef void (*sd_dialog_log_cb)(const sd_dialog_log *l, void *user);

/** What a message received says about its source (for the shell's reflection budget). */
enum {
    SD_SIGN_REQUEST = 1, /**< a new request (the transaction layer absorbed retransmissions) */
    SD_SIGN_ALIVE        /**< proof the source receives our responses: an ACK naming the 2xx
                              we sent (its To tag), or a PRACK matching our reliable 1xx */
};

/** Called during sd_engine_receive(), about the message being received from @p src. */
typedef void (*sd_sign_cb)(const sr_addr *src, int sign, void *user);

/** Media (engine_media.c): open an RTP/RTCP socket pair for media session @p sess on @p host
 *  (an address literal) in [@p port_min, @p port_max] (0-0: the kernel's ports). 0 with
 *  *@p sock and *@p port, or -1. */
typedef int (*sd_media_open_cb)(void *user, void *sess, const char *host, uint16_t port_min,
                                uint16_t port_max, void **sock, uint16_t *port);
/** Send a datagram from the pair's RTP (or RTCP) socket to @p host:@p port. */
typedef void (*sd_media_send_cb)(void *user, void *sock, bool rtcp, const uint8_t *data, size_t len,
                                 const char *host, uint16_t port);
typedef void (*sd_media_close_cb)(void *user, void *sock);
/** The wall clock as a 64-bit NTP timestamp (RFC 3550 §4), for RTCP sender reports. */
typedef uint64_t (*sd_ntp_cb)(void *user);
/** One line for the log (@p level: 0 notice, 1 info, 2 debug). */
typedef void (*sd_line_cb)(int level, const char *line, void *user);
/** Log levels of sd_note_cb (main.c's). */
enum { SD_NOTE_ERROR = 0, SD_NOTE_WARN, SD_NOTE_NOTICE, SD_NOTE_INFO, SD_NOTE_DEBUG };

/** A line for the log (the registrations' state changes). */
typedef void (*sd_note_cb)(void *user, int level, const char *msg);

/**
 * Locate registrar @p uri of registration group @p group (RFC 3263): the answer goes to
 * sd_engine_reg_resolved(), later or from inside the call.
 */
typedef void (*sd_resolve_cb)(void *user, size_t group, const char *uri);

typedef struct sd_engine_opts {
    sd_send_cb send;
    void *user;    /**< handed to @p send and @p sign */
    sd_log_cb log; /**< NULL: no transaction log */
    void *log_user;
    uint64_t seed; /**< PRNG seed when the configuration has none (0: fixed); the daemon draws
                        it from getrandom(2) */
    size_t max_transactions;
    size_t max_memory; /**< bytes live transactions may retain (sr_config.max_memory; 0: the
                            stack's default, 64 MiB) */
    /** Key of the digest nonces (auth.h), @p nonce_secret_len bytes (at least 16); NULL: derived
     *  from the seed (tests). The daemon draws 32 bytes from getrandom(2). */
    const uint8_t *nonce_secret;
    size_t nonce_secret_len;
    /** What requests say about their sources, for the reflection budget (NULL: nothing). */
    sd_sign_cb sign;
    /** Where the engine's memory comes from (its jobs, tables and messages, through its
     *  pool); NULL: malloc. Tests hand a failing allocator here. */
    const sr_allocator *alloc;
    /** Media sockets (NULL: no media; rules with `media:` answer with the template port as
     *  before) and its log, all with @p user */
    sd_media_open_cb media_open;
    sd_media_send_cb media_send;
    sd_media_close_cb media_close;
    sd_ntp_cb ntp;
    sd_line_cb media_log; /**< with @p log_user */
    /** The registrations (`registrations:`): their log lines and their registrars' lookups,
     *  with @p reg_user. NULL note: not logged; NULL resolve: the registrar's host is taken as
     *  an address literal with its port (5060) and transport (udp). */
    sd_note_cb note;
    sd_resolve_cb resolve;
    void *reg_user;
    sd_dialog_log_cb dialog_log; /**< NULL: dialog ends are not logged (handed log_user) */
    size_t max_dialogs;          /**< dialogs recorded at most (0: 4096, dialog.h) */
    size_t dialog_memory;        /**< bytes they may use (0: 8 MiB) */
    uint32_t dialog_max_s; /**< the longest a dialog without a session timer lives (0: 7200) */
} sd_engine_opts;

/** Counters, for SIGUSR1 and /metrics. */
#define SD_METHOD_SLOTS (SR_METHOD__COUNT)
typedef struct sd_counters {
    uint64_t requests[SD_METHOD_SLOTS]; /**< new requests by method (OTHER = index 0) */
    uint64_t responses[700];            /**< responses sent by code, retransmissions included */
    uint64_t acks_absorbed;             /**< ACKs to stateless replies */
    uint64_t dropped;                   /**< messages dropped (unparseable, stray) */
    uint64_t bad_requests;              /**< requests answered from the raw head (unparseable) */
    uint64_t failures; /**< work cut short by a failure of ours (out of memory: a sequence not
                            kept or not scheduled, a 2xx whose ACK is not tracked, a reply
                            not built) */
    /* media (engine_media.c) */
    uint64_t media_calls;    /**< media sessions opened */
    uint64_t media_failures; /**< sessions not opened (no port pair, max-calls, memory) */
    uint64_t media_timeouts; /**< sessions ended by the RTP timeout */
    uint64_t rtp_sent, rtp_received, rtp_bad; /**< RTP packets (bad: not RTP nor RTCP) */
    uint64_t rtp_lost; /**< packets lost (RFC 3550 A.3), added at each session's end */
    uint64_t rtcp_sent, rtcp_received;
    uint64_t rtp_events;      /**< RFC 4733 telephone-events received */
    uint64_t dialogs_created; /**< dialogs recorded (early or confirmed) */
    uint64_t dialogs_ended;   /**< dialogs ended, whatever the reason */
    uint64_t dialog_481;      /**< 481s for requests with a To tag matching no dialog */
    uint64_t byes_sent;       /**< BYEs we sent (session timer, no ACK, longest duration) */
    /* DTMF (engine_dtmf.c) */
    uint64_t dtmf_keys;     /**< keys a rule with `dtmf:` read (RTP events and INFO) */
    uint64_t dtmf_info;     /**< of them, keys of SIP INFO requests */
    uint64_t dtmf_matches;  /**< sequences that matched an `on` entry */
    uint64_t dtmf_no_match; /**< sequences that matched none */
    uint64_t dtmf_hangups;  /**< calls a DTMF action ended with our BYE */
    uint64_t shutdown_byes; /**< BYEs sent at shutdown for dialogs still up */
} sd_counters;

typedef struct sd_engine sd_engine;

/** Create an engine running @p cfg (the engine takes it). 0 or -1. */
int sd_engine_new(sd_engine **out, sd_config *cfg, const sd_engine_opts *o);
void sd_engine_free(sd_engine *e);

/** Replace the configuration (the engine takes it); sequences in flight keep the old one. */
void sd_engine_set_config(sd_engine *e, sd_config *cfg);
const sd_config *sd_engine_config(const sd_engine *e);

/** One datagram or one framed stream message from @p src, received on @p local. */
void sd_engine_receive(sd_engine *e, const char *buf, size_t len, const sr_addr *src,
                       const sd_local *local, uint64_t now_ms);

/**
 * true when @p buf is an ACK whose To tag is one this engine derived for the request it
 * acknowledges (the ACK for a non-2xx final, RFC 3261 §17.1.1.3): its sender received that
 * final. Parses @p buf; for the shell, on a source that owes a sign of life.
 */
bool sd_engine_ack_is_ours(sd_engine *e, const char *buf, size_t len);

/** Run what is due by @p now_ms (stack timers and delayed responses). */
void sd_engine_on_timer(sd_engine *e, uint64_t now_ms);

/** The earliest deadline, UINT64_MAX when nothing is pending. */
uint64_t sd_engine_next_deadline(const sd_engine *e);

/**
 * When the loop must call sd_engine_on_timer() next: sd_engine_next_deadline(), except that
 * the transactions' timers that only end their kept state (D, I, J, K, M) may wait
 * SD_TIMER_SLACK_MS, so that under load one wake-up ends a run of them
 * (sr_stack_next_deadline_slack; docs/performance.md, "Proxy row").
 */
#define SD_TIMER_SLACK_MS 50
uint64_t sd_engine_wake_deadline(const sd_engine *e);

/** A connection to @p peer failed: its transactions end. */
void sd_engine_transport_error(sd_engine *e, const sr_addr *peer, uint64_t now_ms);

/** A datagram on media session @p sess's RTP (or RTCP) socket, from @p src. */
void sd_engine_media_receive(sd_engine *e, void *sess, bool rtcp, const uint8_t *data, size_t len,
                             const sr_addr *src, uint64_t now_ms);

/** Media sessions open. */
size_t sd_engine_media_calls(const sd_engine *e);

/** Shutting down: from now on new requests get 503 (with Retry-After). */
void sd_engine_drain(sd_engine *e);

/**
 * Shutting down and out of time: every sequence still running gets 503 with Retry-After
 * now (a caller is not left ringing). Returns how many.
 */
size_t sd_engine_abort_pending(sd_engine *e, uint64_t now_ms);

/** Response sequences still running (not yet final). */
size_t sd_engine_pending(const sd_engine *e);

/** Dialogs recorded now (early and confirmed). */
size_t sd_engine_dialogs(const sd_engine *e);

/** Live transactions in the stack. */
size_t sd_engine_transactions(const sd_engine *e);

const sd_counters *sd_engine_counters(const sd_engine *e);

/**
 * Start registering the configuration's `registrations:` (once the listeners are open): each
 * group's registrar is located (sd_engine_opts.resolve), then its AORs are registered at the
 * configured rate and kept registered. The registrations of the configuration the engine
 * started with run until shutdown (a reload does not change them). 0, or -1 (no memory).
 */
int sd_engine_reg_start(sd_engine *e, uint64_t now_ms);

/**
 * The servers registrar group @p group resolved to, in order (RFC 3263 §4.3; @p n 0: not
 * found, @p why says why), and @p local, our address for the Via and the Contact (the
 * listener of the first server's transport).
 */
void sd_engine_reg_resolved(sd_engine *e, size_t group, const sr_addr *servers, size_t n,
                            const sd_local *local, const char *why, uint64_t now_ms);

/** Append the counters in Prometheus text format to @p out. 0 or SR_ENOMEM. */
int sd_engine_metrics(const sd_engine *e, sr_buf *out);

/**
 * The rule for @p req from @p src: the first that matches, else the configuration's default.
 * @p codes receives the numeric value of each user-regex capture group (0 when not a number).
 */
const sd_rule *sd_rule_find(const sd_config *cf, const sr_msg *req, const sr_addr *src,
                            unsigned codes[SD_MAX_CAPTURES]);

/** true when @p r matches (see sd_rule_find). */
bool sd_rule_matches(const sd_rule *r, const sr_msg *req, const sr_addr *src,
                     unsigned codes[SD_MAX_CAPTURES]);

#endif /* SIPREPLYD_ENGINE_H */
