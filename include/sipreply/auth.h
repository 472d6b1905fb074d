/* sipreply: digest authentication, sans I/O — MD5 and SHA-256, server nonces, challenges,
 * verification of Authorization / Proxy-Authorization, and the client's answer.
 * RFC 3261 §22 (SIP authentication), RFC 2617 §3 (Digest), RFC 7616 (SHA-256 Digest),
 * RFC 8760 (SIP Digest with SHA-256), RFC 1321 (MD5), FIPS 180-4 (SHA-256), RFC 2104 (HMAC). */
#ifndef SIPREPLY_AUTH_H
#define SIPREPLY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipreply/alloc.h>
#include <sipreply/build.h>
#include <sipreply/error.h>
#include <sipreply/export.h>
#include <sipreply/msg.h>
#include <sipreply/str.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================== hashes */

/** Bytes of an MD5 digest. */
#define SR_MD5_LEN 16
/** Bytes of a SHA-256 digest. */
#define SR_SHA256_LEN 32

/** An MD5 computation in progress (RFC 1321). A plain value: copy it to fork a hash. */
typedef struct sr_md5_ctx {
    uint32_t h[4];
    uint64_t total; /**< bytes hashed so far */
    uint8_t block[64];
} sr_md5_ctx;

/** A SHA-256 computation in progress (FIPS 180-4 §6.2). A plain value. */
typedef struct sr_sha256_ctx {
    uint32_t h[8];
    uint64_t total; /**< bytes hashed so far */
    uint8_t block[64];
} sr_sha256_ctx;

SR_API void sr_md5_init(sr_md5_ctx *c);
SR_API void sr_md5_update(sr_md5_ctx *c, const void *data, size_t len);
/** Write the digest to @p out (SR_MD5_LEN bytes); @p c must be initialised again to reuse. */
SR_API void sr_md5_final(sr_md5_ctx *c, uint8_t *out);
/** One-shot MD5 of @p len bytes at @p data. */
SR_API void sr_md5(const void *data, size_t len, uint8_t *out);

SR_API void sr_sha256_init(sr_sha256_ctx *c);
SR_API void sr_sha256_update(sr_sha256_ctx *c, const void *data, size_t len);
/** Write the digest to @p out (SR_SHA256_LEN bytes). */
SR_API void sr_sha256_final(sr_sha256_ctx *c, uint8_t *out);
/** One-shot SHA-256 of @p len bytes at @p data. */
SR_API void sr_sha256(const void *data, size_t len, uint8_t *out);

/** HMAC-SHA-256 (RFC 2104, RFC 4231) of @p data under @p key; @p out gets SR_SHA256_LEN bytes. */
SR_API void sr_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                           uint8_t *out);

/** true when @p a and @p b (@p n bytes each) are equal, in time independent of the contents. */
SR_API bool sr_mem_eq_ct(const void *a, const void *b, size_t n);

/* ================================================================== digest */

/** Digest algorithms (RFC 7616 §3.2, RFC 8760 §2.1). */
typedef enum sr_digest_alg {
    SR_DIGEST_ALG_NONE = 0, /**< not a supported algorithm */
    SR_DIGEST_MD5 = 1,      /**< "MD5" (also what an absent algorithm means, RFC 2617 §3.2.1) */
    SR_DIGEST_SHA256 = 2    /**< "SHA-256" */
} sr_digest_alg;

/** Bit of an algorithm in a set: SR_DIGEST_BIT(SR_DIGEST_SHA256). */
#define SR_DIGEST_BIT(alg) (1u << (unsigned)(alg))
/** Both supported algorithms. */
#define SR_DIGEST_ALL (SR_DIGEST_BIT(SR_DIGEST_MD5) | SR_DIGEST_BIT(SR_DIGEST_SHA256))

/** Longest hex digest of any supported algorithm (SHA-256: 64), without the NUL. */
#define SR_DIGEST_HEX_MAX 64

/** The algorithm's token ("MD5", "SHA-256"), or NULL for SR_DIGEST_ALG_NONE / unknown. */
SR_API const char *sr_digest_alg_name(sr_digest_alg alg);
/**
 * The algorithm named by @p tok (case-insensitive, RFC 7616 §3.3; quotes tolerated). An empty
 * slice gives SR_DIGEST_MD5 (RFC 2617 §3.2.1: absent means MD5); any other token, including
 * the "-sess" variants and SHA-512-256, gives SR_DIGEST_ALG_NONE.
 */
SR_API sr_digest_alg sr_digest_alg_from_str(sr_str tok);
/** Hex length of the algorithm's digests (32 or 64), 0 for NONE. */
SR_API size_t sr_digest_hex_len(sr_digest_alg alg);

/** Quality of protection (RFC 2617 §3.2.1, RFC 7616 §3.3). */
typedef enum sr_digest_qop {
    SR_QOP_NONE = 0,    /**< no qop: the RFC 2069 compatible response */
    SR_QOP_AUTH = 1,    /**< "auth" */
    SR_QOP_AUTH_INT = 2 /**< "auth-int": the body is hashed into A2 */
} sr_digest_qop;

/** Bit of a qop in a set: SR_QOP_BIT(SR_QOP_AUTH). */
#define SR_QOP_BIT(q) (1u << (unsigned)(q))

/**
 * Everything a digest response is computed from (RFC 7616 §3.4.1–§3.4.3, RFC 2617 §3.2.2).
 * Either @p password, or @p ha1 (the hex H(username:realm:password) of this algorithm, as a
 * server may store it) when @p ha1.len != 0. Values are the unquoted ones.
 */
typedef struct sr_digest_input {
    sr_digest_alg alg;
    sr_str username;
    sr_str realm;
    sr_str password;
    sr_str ha1; /**< hex HA1; used instead of username/realm/password when non-empty */
    sr_str method;
    sr_str uri; /**< the digest-uri as sent in the credentials */
    sr_str nonce;
    sr_digest_qop qop;
    sr_str nc;     /**< 8 hex digits; needed with a qop */
    sr_str cnonce; /**< needed with a qop */
    sr_str body;   /**< the message body (only with SR_QOP_AUTH_INT; empty: H("")) */
    bool sess;     /**< the "-sess" variant (RFC 7616 §3.4.2): HA1 = H(H(user:realm:pass)
                        ":" nonce ":" cnonce), from @p ha1 when given; needs @p cnonce */
} sr_digest_input;

/**
 * HA1 = H(username ":" realm ":" password) as lower-case hex into @p out (capacity @p cap,
 * NUL-terminated when room remains). Returns the hex length (32 or 64), or SR_EINVAL (NULL,
 * unsupported algorithm), SR_ENOSPC (@p cap too small).
 */
SR_API ptrdiff_t sr_digest_ha1(sr_digest_alg alg, sr_str username, sr_str realm, sr_str password,
                               char *out, size_t cap);

/**
 * The request-digest (the "response" parameter) for @p in as lower-case hex into @p out:
 * with a qop KD(HA1, nonce:nc:cnonce:qop:HA2), without KD(HA1, nonce:HA2); HA2 is
 * H(method:uri), or H(method:uri:H(body)) for auth-int. Returns the hex length, or SR_EINVAL
 * (NULL, unsupported algorithm, a qop without nc/cnonce, an @p ha1 of the wrong length),
 * SR_ENOSPC.
 */
SR_API ptrdiff_t sr_digest_response(const sr_digest_input *in, char *out, size_t cap);

/** Bytes of unescaped text a parsed challenge or credentials value can hold. */
#define SR_DIGEST_STORE 1024

/**
 * A Digest challenge (WWW-Authenticate / Proxy-Authenticate value, RFC 7616 §3.3) with
 * every quoted value unquoted. Slices point into the parsed text or into @p store; the
 * struct must not be moved while they are used (copy the values out instead).
 */
typedef struct sr_digest_challenge {
    sr_str realm;
    sr_str nonce;
    sr_str opaque;    /**< p == NULL when absent */
    sr_str domain;    /**< p == NULL when absent */
    sr_str algorithm; /**< as written; empty when absent */
    sr_digest_alg alg;
    unsigned qops; /**< SR_QOP_BIT() set offered; 0 when no qop parameter */
    bool stale;
    bool sess;     /**< the algorithm is @p alg's "-sess" variant ("MD5-sess", RFC 7616 §3.3) */
    bool userhash; /**< userhash=true: the server accepts a hashed user name (§3.4.4) */
    char store[SR_DIGEST_STORE];
} sr_digest_challenge;

/**
 * Digest credentials (Authorization / Proxy-Authorization value, RFC 7616 §3.4, RFC 3261
 * §20.7, §25.1 dig-resp), unquoted like sr_digest_challenge.
 */
typedef struct sr_digest_credentials {
    sr_str username;
    sr_str realm;
    sr_str nonce;
    sr_str uri;
    sr_str response; /**< the request-digest hex */
    sr_str algorithm;
    sr_digest_alg alg;
    sr_str cnonce;
    sr_str opaque; /**< p == NULL when absent */
    sr_str qop;    /**< as written; empty when absent */
    sr_digest_qop qop_id;
    sr_str nc; /**< as written (8 hex digits); empty when absent */
    uint32_t nc_value;
    bool userhash; /**< userhash=true (RFC 7616 §3.4.4), not supported for verification */
    char store[SR_DIGEST_STORE];
} sr_digest_credentials;

/**
 * Parse a WWW-Authenticate / Proxy-Authenticate value. Returns 0, SR_EUNSUPPORTED (scheme is
 * not Digest), SR_EBADMSG (malformed, no realm or nonce, a parameter repeated), SR_ETOOBIG
 * (unquoted values exceed SR_DIGEST_STORE), SR_EINVAL (NULL). An unknown algorithm is not an
 * error: @p out->alg is then SR_DIGEST_ALG_NONE. "MD5-sess" and "SHA-256-sess" give the base
 * algorithm with @p out->sess set. Never allocates.
 */
SR_API int sr_digest_challenge_parse(sr_digest_challenge *out, sr_str value);

/**
 * Parse an Authorization / Proxy-Authorization value. Returns 0, SR_EUNSUPPORTED (not
 * Digest), SR_EBADMSG (malformed, missing username/realm/nonce/uri/response, qop without
 * cnonce or a valid 8-hex-digit nc, a parameter repeated), SR_ETOOBIG, SR_EINVAL. An
 * unknown algorithm or qop is not an error (alg NONE / qop_id reported as SR_QOP_NONE with
 * @p qop non-empty). Never allocates.
 */
SR_API int sr_digest_credentials_parse(sr_digest_credentials *out, sr_str value);

/* ================================================================== server side */

/** Which exchange: a UAS/registrar (401) or a proxy (407) (RFC 3261 §22.1, §22.3). */
typedef enum sr_auth_kind {
    SR_AUTH_WWW = 0,  /**< 401, WWW-Authenticate, Authorization */
    SR_AUTH_PROXY = 1 /**< 407, Proxy-Authenticate, Proxy-Authorization */
} sr_auth_kind;

/** The challenge header of @p kind (SR_HDR_WWW_AUTHENTICATE or SR_HDR_PROXY_AUTHENTICATE). */
SR_API enum sr_hdr_id sr_auth_challenge_hdr(sr_auth_kind kind);
/** The credentials header of @p kind (SR_HDR_AUTHORIZATION or SR_HDR_PROXY_AUTHORIZATION). */
SR_API enum sr_hdr_id sr_auth_credentials_hdr(sr_auth_kind kind);
/** The response code of @p kind (401 or 407). */
SR_API unsigned sr_auth_code(sr_auth_kind kind);

/** Bytes of the secret keying the nonces (copied; shorter secrets are allowed, not advised). */
#define SR_AUTH_SECRET_MAX 64

/**
 * Configuration of an authentication server. Fill with sr_auth_config_init(), then set
 * @p secret (required) and change what you need. Strings are copied by sr_auth_server_new().
 */
typedef struct sr_auth_config {
    size_t size;               /**< sizeof(sr_auth_config), set by sr_auth_config_init() */
    const sr_allocator *alloc; /**< NULL: malloc */
    const uint8_t *secret;     /**< key of the nonce MAC (required, 1..SR_AUTH_SECRET_MAX) */
    size_t secret_len;
    const char *realm;          /**< realm (default "sipreply"); quoted-string content */
    const char *opaque;         /**< opaque sent and checked; NULL: derived from the secret;
                                     "" : none sent, none checked */
    unsigned algs;              /**< SR_DIGEST_BIT set offered and accepted (default both) */
    unsigned qops;              /**< SR_QOP_BIT set offered (default auth; add auth-int) */
    bool allow_no_qop;          /**< accept RFC 2069 style credentials without qop (default
                                     true; each such nonce is then usable once) */
    bool check_uri;             /**< a digest-uri naming a user must name the Request-URI's
                                     (default true); host, port and parameters may differ: a
                                     proxy may have rewritten it (RFC 3261 §22.4 item 6) */
    uint32_t nonce_lifetime_ms; /**< a nonce older than this is stale (default 300000) */
    uint32_t nonce_skew_ms;     /**< a nonce dated up to this far in the future is still
                                     accepted (default 5000); further is a bad nonce */
    size_t nc_slots;            /**< nonce-count table: the last N nonces issued are tracked
                                     for replay (default 1024; 0: no replay detection) */
    bool md5_first;             /**< offer MD5 before SHA-256 (default false: SHA-256 first,
                                     RFC 8760 §2.4's order of preference). For UACs that read
                                     only the first challenge and do not know SHA-256 */
} sr_auth_config;

/** Fill @p c with the defaults above (no secret). */
SR_API void sr_auth_config_init(sr_auth_config *c);

/**
 * An authentication server: the nonce source and the bounded nonce-count table. Opaque;
 * owned by the caller; not thread-safe (one per thread, or lock around it).
 */
typedef struct sr_auth_server sr_auth_server;

/**
 * Create a server from @p c. Returns 0, SR_EINVAL (NULL, no secret, secret too long, no
 * algorithm, a realm or opaque containing '"', '\\' or a control character), SR_ENOMEM.
 */
SR_API int sr_auth_server_new(sr_auth_server **out, const sr_auth_config *c);
/** Free @p s. NULL is a no-op. */
SR_API void sr_auth_server_free(sr_auth_server *s);
/** The realm the server challenges for (NUL-terminated, owned by @p s). */
SR_API const char *sr_auth_server_realm(const sr_auth_server *s);

/** Length of a nonce made by sr_auth_nonce_make(). */
#define SR_AUTH_NONCE_LEN 52

/**
 * Make a fresh self-validating nonce at @p now_ms (any monotonic or wall clock in ms, the
 * same one passed to sr_auth_verify()): 12 hex digits of the timestamp, 8 of a per-server
 * serial, 32 of HMAC-SHA-256(secret, realm, timestamp, serial) truncated to 128 bits.
 * Writes SR_AUTH_NONCE_LEN bytes and a NUL if room. Returns SR_AUTH_NONCE_LEN or SR_EINVAL,
 * SR_ENOSPC.
 */
SR_API ptrdiff_t sr_auth_nonce_make(sr_auth_server *s, uint64_t now_ms, char *out, size_t cap);

/** What sr_auth_nonce_check() and sr_auth_verify() found. Names are stable. */
#define SR_AUTH_RESULT_MAP(X)                                                            \
    X(OK, "credentials verified")                                                        \
    X(NO_CREDENTIALS, "no Digest credentials in the request")                            \
    X(WRONG_USERNAME, "the username is not known in this realm")                         \
    X(BAD_RESPONSE, "the response digest is wrong (wrong password?)")                    \
    X(STALE_NONCE, "the nonce has expired; challenge again with stale=true")             \
    X(BAD_NONCE, "the nonce was not issued by us, was tampered with, or opaque differs") \
    X(REALM_MISMATCH, "credentials only for another realm")                              \
    X(URI_MISMATCH, "the digest-uri names another user than the Request-URI")            \
    X(UNSUPPORTED_ALG, "algorithm, qop or userhash not supported")                       \
    X(NC_REPLAY, "nonce-count not higher than one already seen: a replay")               \
    X(MALFORMED, "the credentials do not parse")

/** Verdicts. */
typedef enum sr_auth_result {
#define SR_AUTH_RESULT_ENUM_(name, text) SR_AUTH_##name,
    SR_AUTH_RESULT_MAP(SR_AUTH_RESULT_ENUM_)
#undef SR_AUTH_RESULT_ENUM_
        SR_AUTH__COUNT
} sr_auth_result;

/** "OK", "STALE_NONCE"...; NULL when out of range. Static. */
SR_API const char *sr_auth_result_name(sr_auth_result r);
/** A one-line English description. Static; never NULL. */
SR_API const char *sr_auth_result_text(sr_auth_result r);
/**
 * The response a UAS sends for @p r under @p kind: 0 for OK; 400 for MALFORMED and
 * URI_MISMATCH (RFC 3261 §22.4 item 6); 401/407 for every other verdict (challenge again, with
 * stale=true for STALE_NONCE; RFC 3261 §22.3).
 */
SR_API unsigned sr_auth_result_code(sr_auth_result r, sr_auth_kind kind);

/**
 * Check a nonce alone: OK (ours, fresh), STALE_NONCE (ours, older than the lifetime),
 * BAD_NONCE (malformed, forged, or dated beyond the skew). Does not look at the nc table.
 */
SR_API sr_auth_result sr_auth_nonce_check(const sr_auth_server *s, sr_str nonce, uint64_t now_ms);

/**
 * Append one challenge value to @p out (without CRLF): Digest realm="..", nonce="..",
 * opaque=".." (unless disabled), algorithm=ALG, qop="auth[,auth-int]", stale=true when
 * @p stale. @p nonce is one from sr_auth_nonce_make(). Returns 0, SR_EINVAL (NULL, an
 * algorithm the server does not offer), SR_ENOMEM.
 */
SR_API int sr_auth_challenge_value(const sr_auth_server *s, sr_digest_alg alg, sr_str nonce,
                                   bool stale, sr_buf *out);

/**
 * Build the 401 (SR_AUTH_WWW) or 407 (SR_AUTH_PROXY) response to @p req with one challenge
 * per algorithm offered, SHA-256 first then MD5 (RFC 8760 §2.4), all with one fresh nonce
 * made at @p now_ms, and stale=true when @p stale (RFC 7616 §3.3). @p o (may be NULL: the
 * builder's defaults) is passed to sr_build_response() with the challenge headers appended
 * to its headers. Returns what sr_build_response() returns.
 */
SR_API int sr_auth_challenge_build(sr_msg **out, sr_auth_server *s, const sr_msg *req,
                                   sr_auth_kind kind, uint64_t now_ms, bool stale,
                                   const sr_build_opts *o, sr_build_error *err);

/**
 * The builder's nonce hook (sr_build_policy.nonce) backed by an auth server: set
 * policy.nonce = sr_auth_build_nonce and policy.nonce_user to an sr_auth_nonce_ctx with the
 * server and the current time, and every default 401/407 the builder makes carries one of
 * our nonces.
 */
typedef struct sr_auth_nonce_ctx {
    sr_auth_server *server;
    uint64_t now_ms;
} sr_auth_nonce_ctx;

/** sr_build_nonce_cb over an sr_auth_nonce_ctx (@p user). */
SR_API ptrdiff_t sr_auth_build_nonce(char *out, size_t cap, void *user);

/** How a stored secret is given back by the lookup callback. */
typedef enum sr_auth_secret_kind {
    SR_AUTH_SECRET_PASSWORD = 0, /**< the clear-text password */
    SR_AUTH_SECRET_HA1 = 1       /**< hex H(username:realm:password) for the algorithm asked */
} sr_auth_secret_kind;

/** The secret of one user. @p value must stay valid until sr_auth_verify() returns. */
typedef struct sr_auth_secret {
    sr_auth_secret_kind kind;
    sr_str value;
} sr_auth_secret;

/**
 * Credential lookup: the secret of @p username in @p realm (unquoted values) for @p alg.
 * Return 0 with @p out filled, SR_ENOTFOUND for an unknown user (verdict WRONG_USERNAME),
 * or another negative SR_E* code, which sr_auth_verify() returns to its caller.
 */
typedef int (*sr_auth_lookup_cb)(sr_str username, sr_str realm, sr_digest_alg alg,
                                 sr_auth_secret *out, void *user);

/** Details of a verification, for logs and for the next challenge. */
typedef struct sr_auth_verdict {
    sr_auth_result result;
    sr_digest_alg alg;    /**< algorithm of the credentials examined (NONE if none) */
    sr_digest_qop qop;    /**< their qop */
    sr_str username;      /**< unquoted, valid while @p req lives; empty if none */
    const sr_header *hdr; /**< the header examined, NULL if none */
    bool stale;           /**< the next challenge should carry stale=true */
} sr_auth_verdict;

/**
 * Verify the credentials of @p req for @p kind (Authorization for SR_AUTH_WWW,
 * Proxy-Authorization for SR_AUTH_PROXY) at @p now_ms (RFC 3261 §22.2, §22.3; RFC 7616 §3.4;
 * RFC 2617 §3.2.2). Among several credentials headers the first Digest one for our realm is
 * examined (REALM_MISMATCH when there are only others). Checks, in order: syntax, realm,
 * algorithm/qop/userhash support, nonce MAC, opaque, digest-uri against the Request-URI,
 * the user (lookup), the response digest (constant-time compare), nonce freshness (an
 * expired nonce with a correct digest is STALE_NONCE), then the nonce-count table (nc must
 * grow per nonce; a nonce evicted from the table is reported STALE_NONCE so the client just
 * retries). The table is only updated on OK.
 * Returns 0 with @p v filled (@p v->result says the verdict), or SR_EINVAL (NULL argument,
 * @p req not a request, an HA1 from the lookup of the wrong length), or the lookup callback's
 * error. Never allocates.
 */
SR_API int sr_auth_verify(sr_auth_server *s, const sr_msg *req, sr_auth_kind kind, uint64_t now_ms,
                          sr_auth_lookup_cb lookup, void *user, sr_auth_verdict *v);

/**
 * Verify one credentials value @p value (as sr_auth_verify(), without looking for headers)
 * for a request with @p method, Request-URI @p request_uri and @p body. The fuzz entry point.
 */
SR_API int sr_auth_verify_value(sr_auth_server *s, sr_str value, sr_str method, sr_str request_uri,
                                sr_str body, uint64_t now_ms, sr_auth_lookup_cb lookup, void *user,
                                sr_auth_verdict *v);

/* ================================================================== client side */

/** Random bytes for the cnonce: fill @p n bytes at @p out; return 0 or a negative SR_E* code. */
typedef int (*sr_auth_random_cb)(uint8_t *out, size_t n, void *user);

/** What a client answers a challenge with. Fill with sr_auth_client_opts_init(). */
typedef struct sr_auth_client_opts {
    size_t size; /**< sizeof(sr_auth_client_opts) */
    sr_str username;
    sr_str password;
    sr_str method;        /**< method of the retried request ("REGISTER") */
    sr_str uri;           /**< its Request-URI (the digest-uri) */
    sr_str body;          /**< its body (for auth-int) */
    uint32_t nc;          /**< nonce-count to send (default 1; count up when reusing a nonce) */
    unsigned algs;        /**< acceptable algorithms (default both; the strongest offered wins) */
    bool prefer_auth_int; /**< choose auth-int when offered (default false: auth) */
    sr_auth_random_cb random; /**< cnonce source (required with a qop) */
    void *random_user;
    bool server_order; /**< answer the topmost acceptable challenge (RFC 8760 §2.4's SHOULD)
                            instead of the strongest (default false: strongest, a local policy
                            against reordered challenges, RFC 8760 §3) */
} sr_auth_client_opts;

/** Fill @p o with the defaults. */
SR_API void sr_auth_client_opts_init(sr_auth_client_opts *o);

/**
 * Answer the challenge(s) of the 401/407 response @p resp: pick the first challenge of the
 * strongest acceptable algorithm (SHA-256 over MD5; with @p o->server_order the topmost
 * acceptable one, RFC 8760 §2.4), qop auth (or auth-int,
 * see @p o), a 16-byte random cnonce in hex, and append the credentials value for the
 * retried request to @p out. *@p hdr (may be NULL) gets the header to send it in
 * (Authorization for a 401, Proxy-Authorization for a 407).
 * Returns 0, SR_EINVAL (NULL, @p resp not a 401/407, no random source with a qop),
 * SR_ENOTFOUND (no challenge we can answer), SR_ENOMEM, or the random callback's error.
 */
SR_API int sr_auth_client_answer(const sr_msg *resp, const sr_auth_client_opts *o, sr_buf *out,
                                 enum sr_hdr_id *hdr);

/**
 * Answer one parsed challenge @p ch (as sr_auth_client_answer() does for the one it picks).
 * A "-sess" challenge is answered with the session HA1 (RFC 7616 §3.4.2; it needs a qop);
 * with userhash=true the username parameter is H(username ":" realm) and userhash=true is
 * sent (RFC 7616 §3.4.4); the digest itself is computed with the plain user name.
 * Returns 0, SR_EINVAL, SR_EUNSUPPORTED (its algorithm or qop is not acceptable), SR_ENOMEM
 * or the random callback's error.
 */
SR_API int sr_auth_client_answer_challenge(const sr_digest_challenge *ch,
                                           const sr_auth_client_opts *o, sr_buf *out);

#ifdef __cplusplus
}
#endif

#endif /* SIPREPLY_AUTH_H */
