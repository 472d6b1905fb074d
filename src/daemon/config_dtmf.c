/* sipreplyd: the configuration's DTMF menu — a rule's `dtmf:` (the inter-digit timeout, the
 * longest sequence, whether SIP INFO keys count, `on:` patterns with their actions: switch the
 * media, hang up; `no-match:`). */
#include "config_int.h"

#include <stdlib.h>
#include <string.h>

#include "sipreply/dtmf.h"

/* hangup: true/false, or a duration (the BYE that long after the match) */
static int get_hangup(sd__yctx *c, yaml_node_t *v, sd_dtmf_action *a)
{
    const char *s = sd__y_scalar(v);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "false") || !strcmp(s, "no")))
        return sd__y_get_bool(c, v, &a->hangup);
    a->hangup = true;
    if (!s || sd_parse_duration(s, &a->hangup_ms) != 0)
        return sd__y_fail(c, v, "hangup is true, false or a duration (the BYE after it)");
    return 0;
}

/* one action: {digits, media, hangup}; @p with_keys: `digits` is required (an `on` entry) */
static int parse_action(sd__yctx *c, yaml_node_t *n, sd_dtmf_action *a, bool with_keys)
{
    sd__ykv p[3];
    int np = sd__y_pairs(c, n, p, 3);
    if (np < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < np && !rc; i++) {
        const char *k = p[i].key;
        if (!strcmp(k, "media")) {
            rc = sd__parse_rule_media(c, p[i].v, &a->media);
            continue;
        }
        size_t o = sd__y_push_key(c, k);
        if (with_keys && !strcmp(k, "digits")) {
            rc = (a->keys = sd__y_dup_scalar(c, p[i].v)) ? 0 : -1;
            if (!rc && !sr_dtmf_pattern_valid(a->keys))
                rc = sd__y_fail(c, p[i].v,
                                "digits is 1 to 32 of 0-9 * # A-D, or x for any of 0-9 (quote "
                                "it: \"1#\")");
        } else if (!strcmp(k, "hangup")) {
            rc = get_hangup(c, p[i].v, a);
        } else {
            rc = sd__y_unknown(c, &p[i], with_keys ? "digits, media, hangup" : "media, hangup");
        }
        sd__y_pop(c, o);
    }
    if (!rc && with_keys && !a->keys)
        rc = sd__y_fail(c, n, "an entry of on needs digits (the keys that select it)");
    if (!rc && !a->media.set && !a->hangup)
        rc = sd__y_fail(c, n, "a DTMF action needs media (switch to it) or hangup");
    return rc;
}

static int parse_on(sd__yctx *c, yaml_node_t *l, sd_dtmf_rule *d)
{
    if (l->type != YAML_SEQUENCE_NODE)
        return sd__y_fail(c, l, "on is a list of {digits, media, hangup}");
    size_t n = (size_t)(l->data.sequence.items.top - l->data.sequence.items.start);
    if (n == 0 || n > 64)
        return sd__y_fail(c, l, "on lists 1 to 64 entries");
    d->on = calloc(n, sizeof(*d->on));
    d->patterns = calloc(n, sizeof(*d->patterns));
    if (!d->on || !d->patterns)
        return sd__y_fail(c, l, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t o = sd__y_push_idx(c, i);
        rc = parse_action(c, sd__y_node(c, l->data.sequence.items.start[i]), &d->on[i], true);
        d->n_on = i + 1;
        d->patterns[i] = d->on[i].keys;
        sd__y_pop(c, o);
    }
    return rc;
}

int sd__parse_rule_dtmf(sd__yctx *c, yaml_node_t *n, sd_dtmf_rule *d)
{
    size_t o = sd__y_push_key(c, "dtmf");
    d->set = true;
    d->timeout_ms = 3000;
    d->max_keys = 16;
    d->info = true;
    sd__ykv p[5];
    int np = sd__y_pairs(c, n, p, 5);
    int rc = np < 0 ? -1 : 0;
    for (int i = 0; i < np && !rc; i++) {
        const char *k = p[i].key;
        size_t o2 = sd__y_push_key(c, k);
        if (!strcmp(k, "timeout")) {
            rc = sd__y_get_duration(c, p[i].v, &d->timeout_ms);
            if (!rc && (d->timeout_ms < 100 || d->timeout_ms > 60000))
                rc = sd__y_fail(c, p[i].v, "timeout is 100ms to 60s");
        } else if (!strcmp(k, "max-digits")) {
            rc = sd__y_get_u32(c, p[i].v, &d->max_keys);
            if (!rc && (d->max_keys < 1 || d->max_keys > SR_DTMF_MAX_KEYS))
                rc = sd__y_fail(c, p[i].v, "max-digits is 1 to 32");
        } else if (!strcmp(k, "info")) {
            rc = sd__y_get_bool(c, p[i].v, &d->info);
        } else if (!strcmp(k, "on")) {
            rc = parse_on(c, p[i].v, d);
        } else if (!strcmp(k, "no-match")) {
            d->has_no_match = true;
            rc = parse_action(c, p[i].v, &d->no_match, false);
        } else {
            rc = sd__y_unknown(c, &p[i], "timeout, max-digits, info, on, no-match");
        }
        sd__y_pop(c, o2);
    }
    if (!rc && !d->n_on)
        rc = sd__y_fail(c, n, "dtmf needs on: a list of {digits, media, hangup}");
    for (size_t i = 0; !rc && i < d->n_on; i++)
        if (strlen(d->on[i].keys) > d->max_keys)
            rc = sd__y_fail(c, n, "on[%zu].digits is longer than max-digits (%u)", i,
                            (unsigned)d->max_keys);
    sd__y_pop(c, o);
    return rc;
}

static void free_action(sd_dtmf_action *a)
{
    free(a->keys);
    free(a->media.file);
    free(a->media.samples);
}

void sd__dtmf_rule_free(sd_dtmf_rule *d)
{
    for (size_t i = 0; i < d->n_on; i++)
        free_action(&d->on[i]);
    free(d->on);
    free(d->patterns);
    free_action(&d->no_match);
    memset(d, 0, sizeof(*d));
}
