/* sipreplyd: the configuration — rules tried in order, each a match and a list of actions.
 * Read from YAML (libyaml) by sd_config_parse(); sans-I/O: text in, a tree out. The schema is
 * documented in docs/sipreplyd.md. */
#ifndef SIPREPLYD_CONFIG_H
#define SIPREPLYD_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipreply/sipreply.h"

/** Most regex capture groups a rule may refer to ($1..$9). */
#define SD_MAX_CAPTURES 10

/** One extra header of a response: name and value as written. */
typedef struct sd_header {
    char *name;
    char *value;
} sd_header;

/** One Contact of a redirect or a 485/300: URI and q in thousandths (-1: none). */
typedef struct sd_contact {
    char *uri;
    int q;
} sd_contact;

/** When a provisional step is sent reliably (RFC 3262). */
typedef enum sd_reliable {
    SD_REL_REQUIRED = 0, /**< only when the request requires 100rel (default) */
    SD_REL_AUTO,         /**< when the request supports or requires 100rel */
    SD_REL_NEVER         /**< never (a request that requires it then gets it unreliably) */
} sd_reliable;

/**
 * One response of a sequence. The code is @p code, or the number captured by the match's
 * regex group @p capture ("code: $1"). @p delay_ms is waited before the step; a step with
 * @p repeat > 1 is sent that many times, @p interval_ms apart. @p wait_cancel marks a step
 * that sends nothing and waits (for a CANCEL) until @p delay_ms, forever when 0.
 */
typedef struct sd_step {
    unsigned code;
    int capture;
    char *reason;
    uint32_t delay_ms;
    uint32_t repeat;
    uint32_t interval_ms;
    sd_reliable reliable;
    bool unregistered;
    bool wait_cancel;
    sd_header *headers;
    size_t n_headers;
    sd_contact *contacts;
    size_t n_contacts;
    uint32_t retry_after; /**< 0: none (or the builder's need) */
    char *body; /**< template: {{ip}} {{ipver}} {{port}} {{mediaport}} {{user}} {{session}} */
    char *body_type;
    bool no_sdp;   /**< "sdp: false": no automatic SDP (2xx to INVITE, 183 to an offer) */
    bool sdp_auto; /**< "sdp: true": our SDP by RFC 3264 (engine_sdp.c), not @p body */
} sd_step;

/** A weighted alternative of a respond action. */
typedef struct sd_choice {
    unsigned weight;
    sd_step *steps;
    size_t n_steps;
} sd_choice;

typedef enum sd_action_kind {
    SD_ACT_RESPOND = 0, /**< a sequence of responses (one of several by weight) */
    SD_ACT_CHALLENGE,   /**< digest challenge; on success go on with the next action */
    SD_ACT_REGISTER,    /**< the registrar */
    SD_ACT_STATELESS,   /**< one response without a transaction */
    SD_ACT_FORWARD      /**< a stateful forking proxy (config_forward.h) */
} sd_action_kind;

/** A user of a digest challenge. */
typedef struct sd_user {
    char *name;
    char *password;
} sd_user;

typedef struct sd_action {
    sd_action_kind kind;
    sd_choice *choices; /**< RESPOND, STATELESS (one choice, one step) */
    size_t n_choices;
    unsigned total_weight;
    /* CHALLENGE */
    char *realm;
    bool proxy; /**< 407 Proxy-Authenticate instead of 401 */
    sd_user *users;
    size_t n_users;
    char *any_user_password; /**< any user name is accepted with this password; NULL: none */
    bool sha256;             /**< offer SHA-256 */
    bool md5;                /**< offer MD5 */
    bool md5_first;          /**< `algorithms:` lists MD5 before SHA-256: offered first */
    uint32_t nonce_ttl_s;
    /* REGISTER */
    uint32_t min_expires;
    uint32_t max_expires;
    uint32_t default_expires;
    char **domains;             /**< NULL-terminated; NULL: any */
    struct sd_forward *forward; /**< FORWARD */
} sd_action;

/** An IPv4 or IPv6 prefix. */
typedef struct sd_cidr {
    int family; /**< 4 or 6 */
    uint8_t addr[16];
    unsigned bits;
} sd_cidr;

typedef struct sd_hdr_match {
    char *name;
    regex_t re;
} sd_hdr_match;

typedef struct sd_match {
    char **methods; /**< NULL-terminated; NULL: any */
    char *user;     /**< exact (case-sensitive, as written in the URI) */
    bool has_user_re;
    regex_t user_re;
    char *host; /**< exact, case-insensitive */
    bool has_host_re;
    regex_t host_re;
    sd_hdr_match *headers;
    size_t n_headers;
    sd_cidr *sources;
    size_t n_sources;
    unsigned transports; /**< bit (1 << sr_transport); 0: any */
} sd_match;

/** A rule's media (`media:`, docs/sipreplyd.md "Media"): what flows on an answered call. */
typedef struct sd_media_rule {
    bool set;          /**< the rule has `media:`: calls it answers get an RTP port */
    int mode;          /**< sr_media_mode */
    unsigned tone_hz;  /**< tone: frequency (default 1000) */
    int16_t amplitude; /**< tone: peak of 32767 (default 8000, about -12 dBFS) */
    char *file;        /**< file: a WAV file's path */
    int16_t *samples;  /**< file: its samples at 8 kHz mono (sd_media_load_files) */
    size_t n_samples;
} sd_media_rule;

/** The top-level `media:` section. */
typedef struct sd_media_conf {
    uint16_t port_min, port_max; /**< RTP ports (even; RTCP on the next): default 16384-32767;
                                      0-0: the kernel's */
    char *address;               /**< address to bind and put in the SDP; NULL: our SDP's address */
    uint32_t timeout_ms;         /**< no RTP for this long ends the call (default 30 s; 0: never) */
    uint32_t rtcp_ms;            /**< RTCP report interval (default 5 s) */
    uint32_t max_calls;          /**< media sessions at most (default 4096) */
} sd_media_conf;

/** What a DTMF key sequence does (`dtmf.on[]`, `dtmf.no-match`). */
typedef struct sd_dtmf_action {
    char *keys;          /**< the key pattern (sr_dtmf_pattern_valid); NULL for no-match */
    sd_media_rule media; /**< media.set: switch the call's media to it */
    bool hangup;         /**< end the call with our BYE ... */
    uint32_t hangup_ms;  /**< ... this long after the match (0: at once) */
} sd_dtmf_action;

/** A rule's `dtmf:` (docs/sipreplyd.md "dtmf"): the keys a caller presses during the call. */
typedef struct sd_dtmf_rule {
    bool set;
    uint32_t timeout_ms; /**< inter-digit timeout (default 3 s) */
    uint32_t max_keys;   /**< a sequence ends at this many keys (default 16, at most 32) */
    bool info;           /**< keys of SIP INFO (application/dtmf-relay, dtmf) count (true) */
    sd_dtmf_action *on;  /**< in order: the first pattern that matches wins */
    size_t n_on;
    const char **patterns; /**< on[i].keys, for sr_dtmf_key */
    bool has_no_match;
    sd_dtmf_action no_match; /**< a sequence no pattern matched */
} sd_dtmf_rule;

typedef struct sd_rule {
    char *name;
    sd_match match;
    sd_action *actions;
    size_t n_actions;
    sd_media_rule media;
    sd_dtmf_rule dtmf;
} sd_rule;

/**
 * One entry of `registrations:` (docs/sipreplyd.md "registrations"): sipreplyd registers one
 * AOR, or @p count of them numbered from @p first (a "{A..B}" range in the AOR), to a
 * registrar as a UAC. The strings are templates: "{A..B}" in @p aor, "{n}" in @p aor, @p user,
 * @p password and @p contact stand for the number of each (sd_registration_expand()).
 */
typedef struct sd_registration {
    char *aor;        /**< "sip:user{1000..1999}@pbx.example" */
    char *registrar;  /**< a sip: URI, the REGISTER's Request-URI and where it goes (RFC 3263
                          resolution); NULL: "sip:" and the AOR's host and port */
    char *user;       /**< digest user name; NULL: the AOR's user part */
    char *password;   /**< NULL: none (a challenge is then a failure) */
    char *realm;      /**< the realm the credentials answer; NULL: any */
    char *contact;    /**< NULL: sip:USER@our address (the listener's, or `advertise`) */
    uint32_t expires; /**< asked for (3600); raised after a 423 (RFC 3261 §10.2.8) */
    uint32_t first;   /**< the range's first number (0 without a range) */
    uint32_t count;   /**< AORs (1 without a range) */
    unsigned width;   /**< digits of the number, zero-padded as "{0001..0100}" writes */
} sd_registration;

/** How the registrations run (`registrations:` written as a mapping). */
typedef struct sd_reg_opts {
    uint32_t rate;        /**< REGISTERs started per second at most (20) */
    uint32_t in_flight;   /**< REGISTERs in flight at most (64) */
    uint32_t retry_min_s; /**< back-off after a first failure (30) */
    uint32_t retry_max_s; /**< the longest back-off (1800) */
    char *dns; /**< DNS servers to locate the registrars, "IP[:PORT],..."; NULL: the system's */
} sd_reg_opts;

/** Most AORs of all registrations together. */
#define SD_REG_MAX_AORS 100000u

/**
 * @p tmpl with "{A..B}" and "{n}" replaced by the number of registration @p i (0-based, <
 * r->count) of @p r, zero-padded to its width, into @p out. 0, or -1 when it does not fit.
 */
int sd_registration_expand(const sd_registration *r, const char *tmpl, uint32_t i, char *out,
                           size_t cap);

/** A whole configuration. Free with sd_config_free(). */
typedef struct sd_config {
    sd_rule *rules;
    size_t n_rules;
    sd_rule fallback; /**< "default": for requests no rule matches (404) */
    char **listen;    /**< NULL-terminated listener specs ("udp:127.0.0.1:5060"); may be NULL */
    char *advertise;  /**< address put in Contact and SDP; NULL: the listener's */
    char *server;     /**< Server header value; NULL: none */
    uint64_t seed;    /**< seed of weighted choices, tags, branches; 0: random (getrandom) */
    uint32_t t1, t2, t4;
    uint32_t retry_after;  /**< the builder's Retry-After for 503 & co */
    uint32_t min_expires;  /**< Min-Expires of a 423 */
    uint32_t min_se;       /**< Min-SE of a 422 */
    bool has_stateless;    /**< some rule starts with a stateless action */
    sd_registration *regs; /**< `registrations:` (register to a PBX as a UAC) */
    size_t n_regs;
    size_t n_reg_aors; /**< the AORs of all regs */
    sd_reg_opts reg;
    sd_media_conf media;
} sd_config;

/** A configuration error: the line and column (1-based, 0 unknown) and a message. */
typedef struct sd_config_error {
    unsigned line;
    unsigned column;
    char msg[256];
} sd_config_error;

/**
 * Parse the YAML text @p text (@p len bytes). On success *@p out owns the configuration.
 * Returns 0 or -1 with @p err filled ("rules[2].respond[0]: unknown key 'cod'").
 */
int sd_config_parse(sd_config **out, const char *text, size_t len, sd_config_error *err);

/** Read and parse @p path. Returns 0 or -1 with @p err filled (I/O errors too). */
int sd_config_load(sd_config **out, const char *path, sd_config_error *err);

/** Free @p c (NULL is a no-op). */
void sd_config_free(sd_config *c);

/** The embedded default configuration ("dial a code"), YAML text. */
extern const char sd_default_config[];

/**
 * Load the WAV file of every rule in `file` mode (libsndfile; mono or the first channel,
 * resampled to 8 kHz by dropping or repeating samples — telephony files are 8 kHz already).
 * 0, or -1 with @p err ("rules[2]: cannot open x.wav: ..."). media_file.c, the only file of
 * the daemon's engine that reads files besides sd_config_load.
 */
int sd_media_load_files(sd_config *c, char *err, size_t errlen);

/** Parse a duration: a number of milliseconds, or "250ms", "2s", "1.5s", "3m". 0 or -1. */
int sd_parse_duration(const char *s, uint32_t *ms);

/** Parse "10.0.0.0/8", "::1", "2001:db8::/32". 0 or -1. */
int sd_cidr_parse(const char *s, sd_cidr *out);

/** true when the address text @p host ("192.0.2.1", "[2001:db8::1]") is in @p c. */
bool sd_cidr_contains(const sd_cidr *c, const char *host);

/** The media port our SDP offers and answers name ({{mediaport}}). */
#define SD_SDP_MEDIA_PORT "49170"

/**
 * Our SDP (RFC 4566) as a body template, the body of a step's "sdp: true" as the
 * configuration holds it (-t). The engine sends the RFC 3264 answer or offer of
 * engine_sdp.c in its place (sd_step.sdp_auto).
 */
extern const char sd_sdp_template[];

#endif /* SIPREPLYD_CONFIG_H */
