/* sipreply core: what the SDP files share (sdp_parse.c, sdp_print.c, sdp_answer.c). */
#ifndef SIPREPLY_SDP_INT_H
#define SIPREPLY_SDP_INT_H

#include "core_int.h"
#include "sipreply/sdp.h"

/* true when @p s is 1*DIGIT; its value (saturating at UINT64_MAX) in *@p v. */
bool sr__sdp_digits(sr_str s, uint64_t *v);

/* Print @p sd with its origin's sess-id and sess-version taken from @p sess: the version
 * goes up by one when the text (o= line aside) differs from the last one sent (RFC 3264
 * §8). @p sd's origin username, nettype, addrtype and addr are used as they are. */
int sr__sdp_emit(sr_sdp *sd, sr_sdp_session *sess, sr_buf *out);

/* The address type of @p addr: "IP6" when it holds a ':', else "IP4". */
static inline sr_str sr__sdp_addrtype(const char *addr)
{
    return strchr(addr, ':') ? SR_STR("IP6") : SR_STR("IP4");
}

#endif /* SIPREPLY_SDP_INT_H */
