/* sipreply core: the client's side of digest authentication — answering a 401/407 with
 * credentials for the retried request. RFC 3261 §22.2-§22.3, RFC 7616 §3.4, RFC 8760 §2.4. */
#include <string.h>

#include "core_int.h"
#include "digest_int.h"
#include "sipreply/auth.h"

void sr_auth_client_opts_init(sr_auth_client_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->nc = 1;
    o->algs = SR_DIGEST_ALL;
}

int sr_auth_client_answer_challenge(const sr_digest_challenge *ch, const sr_auth_client_opts *o,
                                    sr_buf *out)
{
    if (!ch || !o || !out)
        return SR_EINVAL;
    if (ch->alg == SR_DIGEST_ALG_NONE || !(o->algs & SR_DIGEST_BIT(ch->alg)))
        return SR_EUNSUPPORTED;
    sr_digest_qop qop = SR_QOP_NONE;
    if (ch->sess && !ch->qops)
        return SR_EUNSUPPORTED; /* RFC 7616 §3.4.2: -sess needs the cnonce a qop brings */
    if (ch->qops) {
        bool a = ch->qops & SR_QOP_BIT(SR_QOP_AUTH), ai = ch->qops & SR_QOP_BIT(SR_QOP_AUTH_INT);
        if (ai && (o->prefer_auth_int || !a))
            qop = SR_QOP_AUTH_INT;
        else if (a)
            qop = SR_QOP_AUTH;
        else
            return SR_EUNSUPPORTED;
    }
    char cnonce[33], nc[9], resp[SR_DIGEST_HEX_MAX];
    if (qop != SR_QOP_NONE) {
        if (!o->random)
            return SR_EINVAL;
        uint8_t rnd[16];
        sr_auth_random_cb rnd_cb = o->random;
        int rc = rnd_cb(rnd, sizeof rnd, o->random_user);
        if (rc)
            return rc < 0 ? rc : SR_EINVAL;
        sr__hex(rnd, sizeof rnd, cnonce);
        cnonce[32] = '\0';
        sr__put_hex_be(o->nc, 8, nc);
        nc[8] = '\0';
    }
    sr_digest_input in = {0};
    in.alg = ch->alg;
    in.username = o->username;
    in.realm = ch->realm;
    in.password = o->password;
    in.method = o->method;
    in.uri = o->uri;
    in.nonce = ch->nonce;
    in.qop = qop;
    if (qop != SR_QOP_NONE) {
        in.nc = (sr_str){nc, 8};
        in.cnonce = (sr_str){cnonce, 32};
    }
    in.body = o->body;
    in.sess = ch->sess;
    /* RFC 7616 §3.4.4: with userhash the username parameter is H(username ":" realm). */
    char uh[SR_DIGEST_HEX_MAX];
    sr_str uname = o->username;
    if (ch->userhash) {
        sr__dh h;
        sr__dh_init(&h, ch->alg);
        sr__dh_str(&h, o->username);
        sr__dh_colon(&h);
        sr__dh_str(&h, ch->realm);
        uname = (sr_str){uh, sr__dh_final_hex(&h, uh)};
    }
    ptrdiff_t hl = sr_digest_response(&in, resp, sizeof resp);
    if (hl < 0)
        return (int)hl;
    size_t mark = out->len;
    int rc = sr_buf_append_cstr(out, "Digest username=");
    if (!rc)
        rc = sr__append_quoted(out, uname);
    if (!rc)
        rc = sr_buf_append_cstr(out, ", realm=");
    if (!rc)
        rc = sr__append_quoted(out, ch->realm);
    if (!rc)
        rc = sr_buf_append_cstr(out, ", nonce=");
    if (!rc)
        rc = sr__append_quoted(out, ch->nonce);
    if (!rc)
        rc = sr_buf_append_cstr(out, ", uri=");
    if (!rc)
        rc = sr__append_quoted(out, o->uri);
    if (!rc)
        rc = sr_buf_append_cstr(out, ", response=\"");
    if (!rc)
        rc = sr_buf_append(out, resp, (size_t)hl);
    if (!rc)
        rc = sr_buf_append_cstr(out, "\", algorithm=");
    if (!rc)
        rc = sr_buf_append_cstr(out, sr_digest_alg_name(ch->alg));
    if (!rc && ch->sess)
        rc = sr_buf_append_cstr(out, "-sess");
    if (!rc && ch->userhash)
        rc = sr_buf_append_cstr(out, ", userhash=true");
    if (!rc && ch->opaque.p) {
        rc = sr_buf_append_cstr(out, ", opaque=");
        if (!rc)
            rc = sr__append_quoted(out, ch->opaque);
    }
    if (!rc && qop != SR_QOP_NONE) {
        rc = sr_buf_append_cstr(out, qop == SR_QOP_AUTH_INT ? ", qop=auth-int" : ", qop=auth");
        if (!rc)
            rc = sr_buf_append_cstr(out, ", nc=");
        if (!rc)
            rc = sr_buf_append(out, nc, 8);
        if (!rc)
            rc = sr_buf_append_cstr(out, ", cnonce=\"");
        if (!rc)
            rc = sr_buf_append(out, cnonce, 32);
        if (!rc)
            rc = sr_buf_append_cstr(out, "\"");
    }
    if (rc) {
        out->len = mark;
        if (out->p)
            out->p[mark] = '\0';
    }
    return rc;
}

int sr_auth_client_answer(const sr_msg *resp, const sr_auth_client_opts *o, sr_buf *out,
                          enum sr_hdr_id *hdr)
{
    if (!resp || !o || !out || sr_msg_is_request(resp))
        return SR_EINVAL;
    unsigned code = sr_msg_status(resp);
    if (code != 401 && code != 407)
        return SR_EINVAL;
    sr_auth_kind kind = code == 407 ? SR_AUTH_PROXY : SR_AUTH_WWW;
    enum sr_hdr_id id = sr_auth_challenge_hdr(kind);
    /* The strongest acceptable algorithm wins, among equals the first; with server_order the
     * topmost acceptable one (RFC 8760 §2.4). */
    static const sr_digest_alg order[] = {SR_DIGEST_SHA256, SR_DIGEST_MD5};
    sr_digest_challenge ch;
    for (size_t k = 0; k < 2; k++) {
        if (!o->server_order && !(o->algs & SR_DIGEST_BIT(order[k])))
            continue;
        for (const sr_header *h = sr_msg_header_find(resp, id, NULL); h;
             h = sr_msg_header_find(resp, id, h)) {
            if (sr_digest_challenge_parse(&ch, h->value) != 0 ||
                (!o->server_order && ch.alg != order[k]))
                continue;
            int rc = sr_auth_client_answer_challenge(&ch, o, out);
            if (rc == SR_EUNSUPPORTED)
                continue;
            if (!rc && hdr)
                *hdr = sr_auth_credentials_hdr(kind);
            return rc;
        }
    }
    return SR_ENOTFOUND;
}
