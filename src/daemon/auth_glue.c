/* sipreplyd: challenge and register actions. Until the core's digest and registrar modules
 * land, the challenge answers a 401/407 with the builder's challenge and never accepts, and
 * REGISTER gets 501. */
#include "auth_glue.h"

#include <stdlib.h>

struct sd_auth_glue {
    uint64_t seed;
};

int sd_auth_glue_new(sd_auth_glue **out, uint64_t seed)
{
    sd_auth_glue *g = calloc(1, sizeof(*g));
    if (!g)
        return -1;
    g->seed = seed;
    *out = g;
    return 0;
}

void sd_auth_glue_free(sd_auth_glue *g)
{
    free(g);
}

static sr_msg *simple(const sr_msg *req, unsigned code, const uint8_t *key, const char *realm)
{
    sr_build_policy pol;
    sr_build_policy_init(&pol);
    if (realm)
        pol.realm = realm;
    sr_build_opts o;
    sr_build_opts_init(&o);
    o.flags = SR_BUILD_DEFAULTS;
    o.tag_key = key;
    o.policy = &pol;
    sr_msg *resp = NULL;
    if (sr_build_response(&resp, req, code, &o, NULL) != 0)
        return NULL;
    return resp;
}

int sd_auth_glue_challenge(sd_auth_glue *g, const sd_action *a, const sr_msg *req, sr_transport tp,
                           unsigned *code, sr_msg **resp, const uint8_t *tag_key, uint64_t now_ms)
{
    (void)g;
    (void)tp;
    (void)now_ms;
    *code = a->proxy ? 407 : 401;
    *resp = simple(req, *code, tag_key, a->realm);
    return *resp ? 0 : -1;
}

void sd_auth_glue_register(sd_auth_glue *g, const sd_action *a, const sr_msg *req, unsigned *code,
                           sr_msg **resp, const uint8_t *tag_key, uint64_t now_ms)
{
    (void)g;
    (void)a;
    (void)now_ms;
    *code = 501;
    *resp = simple(req, *code, tag_key, NULL);
}
