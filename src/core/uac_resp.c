/* sipreply core: what the UAC context does with a final response (RFC 3261 §8.1.3): 2xx and
 * its ACK, redirects (§8.1.3.4, §21.3), challenges (§22, RFC 8760 §2.4), the 4xx it can fix
 * (§8.1.3.5, RFC 4028 §7.3, §10.2.8), glare (§14.1), the next server (RFC 3263 §4.3). */
#include <string.h>

#include "sipreply/auth.h"
#include "sipreply/error.h"
#include "sipreply/status.h"
#include "sipreply/uri.h"

#include "core_int.h"
#include "uac_int.h"

#define NONE ((sr_str){NULL, 0})

int sr__uac_next_target(sr_uac *u, sr_uac_outcome o, unsigned code, const sr_msg *resp,
                        uint64_t now);

/* Another target of the set (a redirect's Contact not tried yet), else the end. */
static int next_target_or_finish(sr_uac *u, sr_uac_outcome o, unsigned code, const sr_msg *resp,
                                 uint64_t now)
{
    return sr__uac_next_target(u, o, code, resp, now);
}

int sr__uac_next_target(sr_uac *u, sr_uac_outcome o, unsigned code, const sr_msg *resp,
                        uint64_t now)
{
    if ((u->cfg.follow & SR_UAC_FOLLOW_REDIRECT) && u->cur + 1 < u->n_targets) {
        u->cur++;
        sr__uac_action(u, SR_UAC_ACT_REDIRECT, code, sr_str_from_cstr(u->targets[u->cur].uri), 0);
        return sr__uac_attempt(u, now);
    }
    sr__uac_finish(u, o, code, resp, 0);
    return 0;
}

static int reject(sr_uac *u, unsigned code, const sr_msg *resp, uint64_t now)
{
    return next_target_or_finish(u, SR_UAC_REJECTED, code, resp, now);
}

/* ------------------------------------------------------------------ 2xx */

int sr__uac_on_2xx(sr_uac *u, const sr_msg *resp, bool current, uint64_t now)
{
    unsigned code = sr_msg_status(resp);
    const sr_nameaddr *to = sr_msg_to(resp);
    sr_str tag = to != NULL && to->tag.p != NULL ? to->tag : (sr_str){"", 0};
    for (size_t i = 0; i < u->n_dialogs; i++) {
        if (u->dialogs[i].len == tag.len && memcmp(u->dialogs[i].v, tag.p, tag.len) == 0) {
            /* §13.2.2.4: every retransmission of the 2xx gets the ACK again. */
            sr__uac_action(u, SR_UAC_ACT_ACK_AGAIN, code, tag, 0);
            return sr__uac_send_ack(u, resp, now);
        }
    }
    int err = sr__uac_send_ack(u, resp, now);
    if (err != 0)
        return err;
    sr__uac_action(u, SR_UAC_ACT_ACK, code, tag, 0);
    bool first = u->n_dialogs == 0;
    if (u->n_dialogs < SR__UAC_DIALOGS && tag.len < SR__UAC_TAG_MAX) {
        sr__uac_tag *d = &u->dialogs[u->n_dialogs++];
        memset(d, 0, sizeof(*d));
        memcpy(d->v, tag.p, tag.len);
        d->len = tag.len;
        if (sr__msg_dup(&d->ok, resp, u->alloc, true) != 0)
            d->ok = NULL; /* no memory: a later BYE goes without the route set */
    }
    (void)current;
    if (!u->done)
        sr__uac_finish(u, SR_UAC_OK, code, resp, 0);
    /* §13.2.2.4: a further dialog the UAC does not want is ended with a BYE; so is the
     * first when the caller hung up or cancelled meanwhile. */
    if (!first || u->hangup || u->cancelled)
        return sr__uac_send_bye(u, resp, now);
    return 0;
}

/* ------------------------------------------------------------------ redirects */

typedef struct contact {
    sr_str uri;
    int q;
    size_t order;
} contact;

bool sr__uac_uri_same(sr_str a, sr_str b)
{
    sr_uri ua, ub;
    if (sr_uri_parse(&ua, a.p, a.len, NULL) == 0 && sr_uri_parse(&ub, b.p, b.len, NULL) == 0)
        return sr_uri_eq(&ua, &ub);
    return sr_str_caseeq(a, b);
}

static bool known_target(const sr_uac *u, sr_str uri)
{
    for (size_t i = 0; i < u->n_targets; i++)
        if (sr__uac_uri_same(sr_str_from_cstr(u->targets[i].uri), uri))
            return true;
    return false;
}

/* The servers of @p uri: the embedder's resolver, else the URI's own host and port. */
int sr__uac_resolve(sr_uac *u, sr_str uri, sr_addr *out, size_t cap)
{
    if (u->cfg.resolve != NULL) {
        int n = u->cfg.resolve(uri, out, cap, u->cfg.resolve_user);
        if (n == SR_EAGAIN)
            return n; /* the answer comes through sr_uac_resolved() */
        return n < 0 ? 0 : (size_t)n > cap ? (int)cap : n;
    }
    sr_uri pu;
    if (sr_uri_parse(&pu, uri.p, uri.len, NULL) != 0 ||
        (pu.kind != SR_URI_SIP && pu.kind != SR_URI_SIPS) || pu.host.len == 0 ||
        pu.host.len >= SR_ADDR_HOST_MAX)
        return 0;
    sr_transport tp = pu.kind == SR_URI_SIPS ? SR_TP_TLS : SR_TP_UDP;
    sr_str v;
    if (sr_uri_param_find(&pu, "transport", &v)) {
        if (SR__LC_EQ(v, "tcp"))
            tp = pu.kind == SR_URI_SIPS ? SR_TP_TLS : SR_TP_TCP;
        else if (SR__LC_EQ(v, "tls"))
            tp = SR_TP_TLS;
        else if (SR__LC_EQ(v, "sctp"))
            tp = SR_TP_SCTP;
    }
    char host[SR_ADDR_HOST_MAX];
    memcpy(host, pu.host.p, pu.host.len);
    host[pu.host.len] = '\0';
    uint16_t port = pu.has_port ? pu.port : tp == SR_TP_TLS ? 5061 : 5060;
    return sr_addr_set(&out[0], host, port, tp) == 0 ? 1 : 0;
}

static int add_target(sr_uac *u, size_t at, sr_str uri, sr_str route, sr_str resolve_uri)
{
    sr_addr servers[SR__UAC_SERVERS];
    int n = sr__uac_resolve(u, resolve_uri, servers, SR__UAC_SERVERS);
    if (n <= 0 && n != SR_EAGAIN)
        return SR_ENOTFOUND;
    int err = sr__uac_target_add(u, at, uri, route);
    if (err != 0)
        return err;
    if (n == SR_EAGAIN) {
        u->targets[at].pending = true;
        return 0;
    }
    memcpy(u->targets[at].servers, servers, (size_t)n * sizeof(sr_addr));
    u->targets[at].n_servers = (size_t)n;
    return 0;
}

/* 380: the alternatives are what the caller wants to see (§21.3.5). */
static int alternative(sr_uac *u, const sr_msg *resp)
{
    sr_buf b;
    sr_buf_init(&b, u->alloc);
    int err = 0;
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_CONTACT, NULL); h && !err;
         h = sr_msg_header_find(resp, SR_HDR_CONTACT, h)) {
        if (b.len)
            err = sr_buf_append_cstr(&b, ", ");
        if (!err)
            err = sr_buf_append_str(&b, h->value);
    }
    sr__uac_action(u, SR_UAC_ACT_ALTERNATIVE, 380, err ? NONE : (sr_str){b.p, b.len}, 0);
    sr_buf_cleanup(&b);
    sr__uac_finish(u, SR_UAC_ALTERNATIVE, 380, resp, 0);
    return 0;
}

/* 305: the same request through the proxy in Contact (§21.3.4). */
static int use_proxy(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    sr_str proxy = sr__uac_contact_uri(resp);
    const sr__uac_target *t = &u->targets[u->cur];
    if (proxy.p == NULL || t->route != NULL || u->redirects >= u->cfg.max_redirects) {
        if (proxy.p != NULL)
            sr__uac_action(u, SR_UAC_ACT_REDIRECT_SKIP, 305, proxy, 0);
        return next_target_or_finish(u, SR_UAC_REDIRECTED, 305, resp, now);
    }
    int err = add_target(u, u->cur + 1, sr_str_from_cstr(t->uri), proxy, proxy);
    if (err == SR_ENOTFOUND || err == SR_ETOOBIG) {
        sr__uac_action(u, SR_UAC_ACT_REDIRECT_SKIP, 305, proxy, 0);
        return next_target_or_finish(u, SR_UAC_REDIRECTED, 305, resp, now);
    }
    if (err != 0)
        return err;
    u->redirects++;
    u->cur++;
    sr__uac_action(u, SR_UAC_ACT_USE_PROXY, 305, proxy, 0);
    return sr__uac_attempt(u, now);
}

#define MAX_CONTACTS 16

/* 3xx: the Contacts, highest q first, as new targets after the current one (§8.1.3.4). */
static int redirect(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    unsigned code = sr_msg_status(resp);
    if (code == 380)
        return alternative(u, resp);
    if (!(u->cfg.follow & SR_UAC_FOLLOW_REDIRECT)) {
        sr__uac_finish(u, SR_UAC_REDIRECTED, code, resp, 0);
        return 0;
    }
    if (code == 305)
        return use_proxy(u, resp, now);
    contact c[MAX_CONTACTS];
    size_t n = 0;
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_CONTACT, NULL); h;
         h = sr_msg_header_find(resp, SR_HDR_CONTACT, h)) {
        size_t pos = 0;
        sr_str item;
        sr_contact pc;
        while (n < MAX_CONTACTS && sr_value_next(h->value, &pos, &item)) {
            if (sr_contact_parse(&pc, item, NULL) != 0 || pc.star)
                continue;
            contact k = {pc.addr.uri, pc.q < 0 ? 1000 : pc.q, n};
            /* insertion sort: q descending, the order written among equals */
            size_t i = n++;
            while (i > 0 && c[i - 1].q < k.q) {
                c[i] = c[i - 1];
                i--;
            }
            c[i] = k;
        }
    }
    bool over = u->redirects >= u->cfg.max_redirects;
    size_t at = u->cur + 1, added = 0;
    for (size_t i = 0; i < n; i++) {
        if (over || known_target(u, c[i].uri)) {
            sr__uac_action(u, SR_UAC_ACT_REDIRECT_SKIP, code, c[i].uri, 0);
            continue;
        }
        int err = add_target(u, at, c[i].uri, NONE, c[i].uri);
        if (err == SR_ENOTFOUND || err == SR_ETOOBIG) {
            sr__uac_action(u, SR_UAC_ACT_REDIRECT_SKIP, code, c[i].uri, 0);
            continue;
        }
        if (err != 0)
            return err;
        at++;
        added++;
    }
    if (added == 0)
        return next_target_or_finish(u, SR_UAC_REDIRECTED, code, resp, now);
    u->redirects++;
    u->cur++;
    sr__uac_action(u, SR_UAC_ACT_REDIRECT, code, sr_str_from_cstr(u->targets[u->cur].uri), 0);
    return sr__uac_attempt(u, now);
}

/* ------------------------------------------------------------------ 401 / 407 */

typedef struct best {
    sr_str value; /* the challenge header value */
    char realm[128];
    size_t realm_len;
    int rank;
    bool stale;
} best;

static int alg_rank(const sr_uac *u, const sr_digest_challenge *ch)
{
    if (ch->alg == SR_DIGEST_ALG_NONE || !(u->cfg.digest_algs & SR_DIGEST_BIT(ch->alg)))
        return 0;
    if (ch->sess && ch->qops == 0)
        return 0;
    if (ch->qops && !(ch->qops & (SR_QOP_BIT(SR_QOP_AUTH) | SR_QOP_BIT(SR_QOP_AUTH_INT))))
        return 0;
    return ch->alg == SR_DIGEST_SHA256 ? 2 : 1;
}

static const sr_uac_credential *find_cred(const sr_uac *u, sr_str realm)
{
    const sr_uac_credential *any = NULL;
    for (size_t i = 0; i < u->cfg.n_creds; i++) {
        const sr_uac_credential *c = &u->cfg.creds[i];
        if (c->username == NULL)
            continue;
        if (c->realm == NULL) {
            if (any == NULL)
                any = c;
        } else if (sr_str_eq(sr_str_from_cstr(c->realm), realm)) {
            return c;
        }
    }
    return any;
}

static int auth_fail(sr_uac *u, unsigned code, const sr_msg *resp, sr_str realm)
{
    sr__uac_action(u, SR_UAC_ACT_AUTH_FAILED, code, realm, 0);
    sr__uac_finish(u, SR_UAC_AUTH_FAILED, code, resp, 0);
    return 0;
}

/* §22.2-§22.3: answer each realm once, with its strongest challenge (RFC 8760 §2.4); a realm
 * challenged again is a failure unless the nonce was only stale (RFC 7616 §3.3). */
static int authenticate(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    unsigned code = sr_msg_status(resp);
    bool proxy = code == 407;
    if (!(u->cfg.follow & SR_UAC_FOLLOW_AUTH))
        return reject(u, code, resp, now);
    enum sr_hdr_id id = proxy ? SR_HDR_PROXY_AUTHENTICATE : SR_HDR_WWW_AUTHENTICATE;
    best b[SR__UAC_REALMS];
    size_t nb = 0;
    sr_digest_challenge ch;
    for (const sr_header *h = sr_msg_header_find(resp, id, NULL); h;
         h = sr_msg_header_find(resp, id, h)) {
        if (sr_digest_challenge_parse(&ch, h->value) != 0 || ch.realm.len >= sizeof(b[0].realm))
            continue;
        int rank = alg_rank(u, &ch);
        if (rank == 0)
            continue;
        size_t i = 0;
        while (i < nb && !sr_str_eq((sr_str){b[i].realm, b[i].realm_len}, ch.realm))
            i++;
        if (i == nb) {
            if (nb == SR__UAC_REALMS)
                continue;
            nb++;
            b[i].rank = 0;
            memcpy(b[i].realm, ch.realm.p, ch.realm.len);
            b[i].realm_len = ch.realm.len;
        }
        if (rank > b[i].rank) {
            b[i].rank = rank;
            b[i].value = h->value;
            b[i].stale = ch.stale;
        }
    }
    if (nb == 0)
        return auth_fail(u, code, resp, NONE);
    for (size_t i = 0; i < nb; i++) {
        sr_str realm = {b[i].realm, b[i].realm_len};
        sr__uac_realm *r = NULL;
        for (size_t k = 0; k < u->n_realms; k++)
            if (u->realms[k].proxy == proxy &&
                sr_str_eq(sr_str_from_cstr(u->realms[k].realm), realm))
                r = &u->realms[k];
        char *chal = sr__uac_strdup(u, b[i].value);
        if (chal == NULL)
            return SR_ENOMEM;
        if (r != NULL) {
            /* The credentials were refused: again only for a stale nonce. */
            if (!b[i].stale || r->stale >= SR__UAC_STALE_MAX) {
                sr__free(u->alloc, chal);
                return auth_fail(u, code, resp, realm);
            }
            r->stale++;
        } else {
            const sr_uac_credential *cred = find_cred(u, realm);
            if (cred == NULL || u->n_realms == SR__UAC_REALMS) {
                sr__free(u->alloc, chal);
                return auth_fail(u, code, resp, realm);
            }
            char *rc = sr__uac_strdup(u, realm);
            if (rc == NULL) {
                sr__free(u->alloc, chal);
                return SR_ENOMEM;
            }
            r = &u->realms[u->n_realms++];
            memset(r, 0, sizeof(*r));
            r->proxy = proxy;
            r->realm = rc;
            r->cred = cred;
        }
        sr__free(u->alloc, r->chal);
        r->chal = chal;
        r->nc = 0;
        sr__uac_action(u, SR_UAC_ACT_AUTH, code, realm, 0);
    }
    return sr__uac_attempt(u, now);
}

/* ------------------------------------------------------------------ 4xx fixed */

static bool same_token(sr_str a, sr_str b)
{
    /* the token before any ';' parameters, compared without case */
    for (size_t i = 0; i < a.len; i++)
        if (a.p[i] == ';' || a.p[i] == ' ' || a.p[i] == '\t') {
            a.len = i;
            break;
        }
    return sr_str_caseeq(a, b);
}

static bool list_has(const sr_msg *m, enum sr_hdr_id id, sr_str tok, bool media)
{
    for (const sr_header *h = sr_msg_header_find(m, id, NULL); h;
         h = sr_msg_header_find(m, id, h)) {
        size_t pos = 0;
        sr_str it;
        while (sr_value_next(h->value, &pos, &it)) {
            if (same_token(it, tok) || (media && (same_token(it, sr_str_from_cstr("*/*")))))
                return true;
            if (media) {
                /* a "type/ *" range (no space) covers every subtype of type */
                const char *sl = memchr(tok.p, '/', tok.len);
                size_t tl = sl ? (size_t)(sl - tok.p) + 1 : 0;
                if (tl && it.len >= tl + 1 && it.p[tl] == '*' &&
                    sr_str_caseeq((sr_str){it.p, tl}, (sr_str){tok.p, tl}))
                    return true;
            }
        }
    }
    return false;
}

static int add_tag(char **list, size_t *n, sr_uac *u, sr_str tag)
{
    if (*n == SR__UAC_TAGS)
        return SR_ETOOBIG;
    if ((list[*n] = sr__uac_strdup(u, tag)) == NULL)
        return SR_ENOMEM;
    (*n)++;
    return 0;
}

/* 420: leave out the option tags the server named (§8.1.3.5). */
static int retry_420(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    sr_buf b;
    sr_buf_init(&b, u->alloc);
    int err = 0;
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_UNSUPPORTED, NULL); h && !err;
         h = sr_msg_header_find(resp, SR_HDR_UNSUPPORTED, h)) {
        size_t pos = 0;
        sr_str it;
        while (!err && sr_value_next(h->value, &pos, &it)) {
            char tag[64];
            if (it.len == 0 || it.len >= sizeof(tag))
                continue;
            memcpy(tag, it.p, it.len);
            tag[it.len] = '\0';
            if (!sr_msg_has_option(u->req, SR_HDR_REQUIRE, tag) &&
                !sr_msg_has_option(u->req, SR_HDR_PROXY_REQUIRE, tag))
                continue;
            err = add_tag(u->drop, &u->n_drop, u, it);
            if (!err && b.len)
                err = sr_buf_append_cstr(&b, ", ");
            if (!err)
                err = sr_buf_append_str(&b, it);
        }
    }
    if (err == SR_ETOOBIG)
        err = 0;
    if (!err && b.len == 0) {
        sr_buf_cleanup(&b);
        return reject(u, 420, resp, now);
    }
    if (!err)
        sr__uac_action(u, SR_UAC_ACT_DROP_OPTION, 420, (sr_str){b.p, b.len}, 0);
    sr_buf_cleanup(&b);
    return err ? err : sr__uac_attempt(u, now);
}

/* 421: use the extension the server requires when we support it (§21.4.16). */
static int retry_421(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    size_t before = u->n_add;
    bool ok = sr_msg_header_find(resp, SR_HDR_REQUIRE, NULL) != NULL;
    for (const sr_header *h = sr_msg_header_find(resp, SR_HDR_REQUIRE, NULL); h && ok;
         h = sr_msg_header_find(resp, SR_HDR_REQUIRE, h)) {
        size_t pos = 0;
        sr_str it;
        while (ok && sr_value_next(h->value, &pos, &it)) {
            bool ours = false;
            for (const char *const *s = u->cfg.supported; s && *s && !ours; s++)
                ours = sr_str_caseeq_cstr(it, *s);
            bool have = false;
            for (size_t i = 0; i < u->n_add && !have; i++)
                have = sr_str_caseeq_cstr(it, u->add[i]);
            if (!ours)
                ok = false;
            else if (!have && add_tag(u->add, &u->n_add, u, it) != 0)
                ok = false;
        }
    }
    if (!ok || u->n_add == before)
        return reject(u, 421, resp, now);
    sr_buf b;
    sr_buf_init(&b, u->alloc);
    int err = 0;
    for (size_t i = before; i < u->n_add && !err; i++) {
        if (b.len)
            err = sr_buf_append_cstr(&b, ", ");
        if (!err)
            err = sr_buf_append_cstr(&b, u->add[i]);
    }
    sr__uac_action(u, SR_UAC_ACT_ADD_OPTION, 421, err ? NONE : (sr_str){b.p, b.len}, 0);
    sr_buf_cleanup(&b);
    return sr__uac_attempt(u, now);
}

/* The leading delta-seconds of header @p id ("90;x=y" gives 90); -1 when absent or bad. */
static int64_t leading_number(const sr_msg *m, enum sr_hdr_id id)
{
    const sr_header *h = sr_msg_header_find(m, id, NULL);
    if (h == NULL)
        return -1;
    size_t i = 0;
    while (i < h->value.len && h->value.p[i] >= '0' && h->value.p[i] <= '9')
        i++;
    uint32_t v;
    if (i == 0 || sr_uint32_parse((sr_str){h->value.p, i}, &v) != 0)
        return -1;
    return v;
}

/* 422 (RFC 4028 §7.3) and 423 (RFC 3261 §10.2.8): the interval raised to the minimum. */
static int retry_min(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    unsigned code = sr_msg_status(resp);
    bool se = code == 422;
    int64_t min = leading_number(resp, se ? SR_HDR_MIN_SE : SR_HDR_MIN_EXPIRES);
    int64_t *cur = se ? &u->session_expires : &u->expires;
    int64_t was =
        *cur >= 0 ? *cur : leading_number(u->tmpl, se ? SR_HDR_SESSION_EXPIRES : SR_HDR_EXPIRES);
    if (min <= 0 || min <= was)
        return reject(u, code, resp, now);
    *cur = min;
    char txt[32];
    size_t n = 0;
    char digits[12];
    size_t nd = 0;
    uint64_t v = (uint64_t)min;
    do
        digits[nd++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (nd > 0)
        txt[n++] = digits[--nd];
    sr__uac_action(u, se ? SR_UAC_ACT_SESSION_EXPIRES : SR_UAC_ACT_EXPIRES, code, (sr_str){txt, n},
                   0);
    return sr__uac_attempt(u, now);
}

/* 415: the next alternative body whose type (and coding) the server accepts (§21.4.13). */
static int retry_415(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    bool has_accept = sr_msg_header_find(resp, SR_HDR_ACCEPT, NULL) != NULL;
    bool has_enc = sr_msg_header_find(resp, SR_HDR_ACCEPT_ENCODING, NULL) != NULL;
    for (size_t i = (size_t)(u->body + 1); i < u->cfg.n_bodies; i++) {
        const sr_uac_body *alt = &u->cfg.bodies[i];
        if (alt->type == NULL)
            continue;
        bool type_ok =
            has_accept ? list_has(resp, SR_HDR_ACCEPT, sr_str_from_cstr(alt->type), true) : has_enc;
        bool enc_ok = alt->encoding == NULL || list_has(resp, SR_HDR_ACCEPT_ENCODING,
                                                        sr_str_from_cstr(alt->encoding), false);
        if (!type_ok || !enc_ok)
            continue;
        u->body = (int)i;
        sr__uac_action(u, SR_UAC_ACT_BODY, 415, sr_str_from_cstr(alt->type), 0);
        return sr__uac_attempt(u, now);
    }
    return reject(u, 415, resp, now);
}

/* 491: wait T of §14.1 — 2.1 to 4 s when we own the Call-ID, else 0 to 2 s, in 10 ms
 * steps — then send the request again. */
static int glare(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    if (!(u->cfg.follow & SR_UAC_FOLLOW_GLARE) || u->cfg.random == NULL)
        return reject(u, 491, resp, now);
    uint8_t r[2];
    sr_uac_random_cb draw = u->cfg.random;
    int err = draw(r, sizeof(r), u->cfg.random_user);
    if (err != 0)
        return err < 0 ? err : SR_EINVAL;
    unsigned v = (unsigned)r[0] << 8 | r[1];
    uint64_t delay =
        u->cfg.call_id_owner ? 2100 + 10 * (uint64_t)(v % 191) : 10 * (uint64_t)(v % 201);
    u->wait_until = now + delay;
    sr__uac_action(u, SR_UAC_ACT_GLARE_WAIT, 491, NONE, delay);
    return 0;
}

/* ------------------------------------------------------------------ next server */

static uint32_t retry_after(const sr_msg *resp)
{
    const sr_header *h = resp ? sr_msg_header_find(resp, SR_HDR_RETRY_AFTER, NULL) : NULL;
    sr_retry_after ra;
    if (h == NULL || sr_retry_after_parse(&ra, h->value, NULL) != 0)
        return 0;
    return ra.seconds;
}

int sr__uac_failover(sr_uac *u, sr_uac_outcome why, unsigned code, const sr_msg *resp, uint64_t now)
{
    if (u->cancelled) {
        sr__uac_finish(u, SR_UAC_CANCELLED, code, resp, 0);
        return 0;
    }
    if (!(u->cfg.follow & SR_UAC_FOLLOW_FAILOVER)) {
        sr__uac_finish(u, why, code, resp, 0);
        return 0;
    }
    sr__uac_target *t = &u->targets[u->cur];
    uint32_t ra = retry_after(resp);
    if (t->next + 1 < t->n_servers) {
        /* RFC 3263 §4.3: the next server of the list; the one that failed (or asked for a
         * Retry-After) is not used again for this request. */
        t->next++;
        sr__uac_action(u, SR_UAC_ACT_NEXT_SERVER, code, sr_str_from_cstr(t->servers[t->next].host),
                       0);
        return sr__uac_attempt(u, now);
    }
    if (u->cur + 1 < u->n_targets) {
        u->cur++;
        sr__uac_action(u, SR_UAC_ACT_NEXT_SERVER, code, sr_str_from_cstr(u->targets[u->cur].uri),
                       0);
        return sr__uac_attempt(u, now);
    }
    if (ra > 0 && ra <= u->cfg.max_retry_after && !t->retried_after) {
        /* §21.5.4, §20.33: no other server; try this one again once it said it would do. */
        t->retried_after = true;
        u->wait_until = now + (uint64_t)ra * 1000;
        sr__uac_action(u, SR_UAC_ACT_RETRY_AFTER, code, NONE, (uint64_t)ra * 1000);
        return 0;
    }
    sr__uac_finish(u, why, code, resp, 0);
    return 0;
}

/* ------------------------------------------------------------------ the dispatch */

int sr__uac_on_final(sr_uac *u, const sr_msg *resp, uint64_t now)
{
    unsigned code = sr_msg_status(resp);
    int eff = sr_status_effective((int)code);
    if (eff < 0)
        eff = 500; /* cannot happen: the parser keeps codes in 100-699 */
    if (!sr_status_is_registered((int)code)) {
        char txt[8] = {'a', 's', ' ', (char)('0' + eff / 100), '0', '0', '\0'};
        sr__uac_action(u, SR_UAC_ACT_UNKNOWN_CODE, code, sr_str_from_cstr(txt), 0);
    }
    if (eff / 100 == 2) {
        sr__uac_finish(u, SR_UAC_OK, code, resp, 0);
        return 0;
    }
    if (u->cancelled || u->timer_c) {
        sr__uac_finish(u, u->cancelled ? SR_UAC_CANCELLED : SR_UAC_TIMEOUT, code, resp, 0);
        return 0;
    }
    switch (eff / 100) {
    case 3: return redirect(u, resp, now);
    case 6:
        sr__uac_action(u, SR_UAC_ACT_STOP_6XX, code, NONE, 0);
        sr__uac_finish(u, SR_UAC_REJECTED, code, resp, 0);
        return 0;
    default: break;
    }
    bool fix = (u->cfg.follow & SR_UAC_FOLLOW_RETRY) != 0;
    switch (eff) {
    case 401:
    case 407: return authenticate(u, resp, now);
    case 415: return fix ? retry_415(u, resp, now) : reject(u, code, resp, now);
    case 420: return fix ? retry_420(u, resp, now) : reject(u, code, resp, now);
    case 421: return fix ? retry_421(u, resp, now) : reject(u, code, resp, now);
    case 422:
    case 423: return fix ? retry_min(u, resp, now) : reject(u, code, resp, now);
    case 491: return glare(u, resp, now);
    case 408: return sr__uac_failover(u, SR_UAC_TIMEOUT, code, resp, now);
    case 500:
    case 503: return sr__uac_failover(u, SR_UAC_REJECTED, code, resp, now);
    case 482:
    case 483:
        sr__uac_action(u, SR_UAC_ACT_LOOP, code, NONE, 0);
        sr__uac_finish(u, SR_UAC_LOOP, code, resp, 0);
        return 0;
    default: return reject(u, code, resp, now);
    }
}
