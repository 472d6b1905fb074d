/* sipreplyd: requests the parser rejects — answered 400 (505, 513) from the raw head when
 * it names what a response copies (RFC 3261 §8.2.6.2, §18.3). */
#include "engine_int.h"

#include <string.h>

/* ------------------------------------------------------------------ unparseable requests */

/*
 * A request the parser rejects never reaches the stack's transactions. Answer it 400 (or
 * 505/513) with the parser's phrase when its head still names the headers a response copies
 * (RFC 3261 §8.2.6.2, §18.3); otherwise it is dropped.
 */
/* A To value with a tag parameter (after the URI). */
static bool has_tag_param(sr_str to)
{
    sr_nameaddr na;
    return sr_nameaddr_parse(&na, to, NULL) == 0 ? na.tag.p != NULL : true;
}

bool sd__reply_raw(sd_engine *e, const char *buf, size_t len, const sr_addr *src)
{
    sr_start_line sl;
    sr_header hdrs[128];
    size_t nh = 128;
    sr_parse_error perr = {0};
    sr_uas_verdict v;
    sr_buf alt;
    sr_buf_init(&alt, e->alloc);
    if (sr_parse_head(buf, len, 0, &sl, hdrs, &nh, &perr) <= 0) {
        /* a request line that does not parse (RFC 4475 ltgtruri, lwsruri: a Request-URI in
         * <> or with spaces): the header fields after it may still say where a 400 goes */
        const char *eol = len ? memchr(buf, '\n', len) : NULL;
        size_t l1 = eol ? (size_t)(eol - buf) : 0;
        if (l1 > 0 && buf[l1 - 1] == '\r')
            l1--;
        if (!eol || l1 < 12 || memcmp(buf + l1 - 8, " SIP/2.0", 8) != 0 ||
            !memchr(buf, ' ', l1 - 8) || (l1 >= 4 && !memcmp(buf, "ACK ", 4)))
            return false;
        nh = 128;
        if (sr_buf_append_cstr(&alt, "OPTIONS sip:invalid SIP/2.0\r\n") != 0 ||
            sr_buf_append(&alt, eol + 1, len - (size_t)(eol + 1 - buf)) != 0 ||
            sr_parse_head(alt.p, alt.len, 0, &sl, hdrs, &nh, NULL) <= 0) {
            sr_buf_cleanup(&alt);
            return false;
        }
        memset(&v, 0, sizeof(v));
        v.code = 400;
        v.reason = perr.phrase ? perr.phrase : "Bad Request-Line";
    } else {
        if (!sl.is_request || sl.method_id == SR_METHOD_ACK)
            return false;
        sr_msg *req = NULL;
        sr_uas_policy pol;
        sd__uas_policy(e, &pol);
        sr_parse_opts po;
        sr_parse_opts_init(&po);
        po.alloc = e->alloc;
        int rc = sr_uas_parse_check(&req, buf, len, &po, &pol, &v);
        /* parsed but refused by the stack (a Via or CSeq that does not parse): the checks'
         * verdict (400 with the header named) is the answer; parsed and passing: not ours */
        sr_msg_free(req);
        if (rc != 0 || v.code == 0)
            return false;
    }
    /* the response: the builder's message, the headers a response copies (RFC 3261 §8.2.6.2)
     * taken from the raw head, every Via in order, a To tag of ours when the To has none */
    sr_msg *resp = NULL;
    sr_buf tov;
    sr_buf_init(&tov, e->alloc);
    int err = sr_msg_new_response(&resp, e->alloc, v.code,
                                  sr_str_from_cstr(v.reason ? v.reason : "Bad Request"));
    bool have[5] = {false};
    static const enum sr_hdr_id need[5] = {SR_HDR_VIA, SR_HDR_FROM, SR_HDR_TO, SR_HDR_CALL_ID,
                                           SR_HDR_CSEQ};
    for (size_t k = 0; k < 5 && !err; k++)
        for (size_t i = 0; i < nh && !err; i++) {
            if (hdrs[i].id != need[k])
                continue;
            if (k > 0 && have[k])
                break;
            have[k] = true;
            sr_str val = hdrs[i].value;
            if (need[k] == SR_HDR_TO && !has_tag_param(val)) {
                tov.len = 0;
                err = sr_buf_append_str(&tov, val);
                err = err ? err : sr_buf_append_cstr(&tov, ";tag=sipreplyd-bad");
                val = (sr_str){tov.p, tov.len};
            }
            err = err ? err : sr_msg_add_header(resp, need[k], SR_STR_NULL, val);
        }
    for (size_t k = 0; k < 5 && !err; k++)
        if (!have[k])
            err = SR_EBADMSG;
    sr_buf *b = &e->scratch;
    b->len = 0;
    err = err ? err : sr_msg_print(resp, b);
    sr_msg_free(resp);
    sr_buf_cleanup(&tov);
    if (err) {
        if (err == SR_ENOMEM)
            e->cnt.failures++; /* then dropped: counted there too */
        goto fail;
    }
    sr_addr to = *src;
    e->cnt.bad_requests++;
    if (v.code < 700)
        e->cnt.responses[v.code]++;
    e->o.send(b->p, b->len, &to, e->o.user);
    if (e->o.log) {
        sd_txlog l = {.src = src,
                      .method = sl.method,
                      .ruri = sl.uri,
                      .code = v.code,
                      .rule = "-",
                      .note = v.reason};
        e->o.log(&l, e->o.log_user);
    }
    sr_buf_cleanup(&alt);
    return true;
fail:
    sr_buf_cleanup(&alt);
    return false;
}
