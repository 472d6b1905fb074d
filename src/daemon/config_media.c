/* sipreplyd: the configuration's media — a rule's `media:` (echo, tone, silence, file, none)
 * and the top-level `media:` section (RTP ports, address, timeout, RTCP interval). */
#include "config_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/rtp.h"

void sd__media_conf_default(sd_media_conf *m)
{
    memset(m, 0, sizeof(*m));
    m->port_min = 16384;
    m->port_max = 32767;
    m->timeout_ms = 30000;
    m->rtcp_ms = 5000;
    m->max_calls = 4096;
}

static int set_mode(sd__yctx *c, yaml_node_t *v, sd_media_rule *m)
{
    const char *s = sd__y_scalar(v);
    int mode = s ? sr_media_mode_parse(s) : -1;
    if (mode < 0)
        return sd__y_fail(c, v, "media mode is one of echo, tone, silence, file, none");
    m->mode = mode;
    return 0;
}

int sd__parse_rule_media(sd__yctx *c, yaml_node_t *n, sd_media_rule *m)
{
    size_t o = sd__y_push_key(c, "media");
    m->set = true;
    m->tone_hz = 1000;
    m->amplitude = 8000;
    int rc = 0;
    if (n->type == YAML_SCALAR_NODE) {
        rc = set_mode(c, n, m);
    } else {
        sd__ykv p[5];
        int np = sd__y_pairs(c, n, p, 5);
        bool have_mode = false;
        if (np < 0)
            rc = -1;
        for (int i = 0; i < np && !rc; i++) {
            const char *k = p[i].key;
            size_t o2 = sd__y_push_key(c, k);
            unsigned long u = 0;
            if (!strcmp(k, "mode")) {
                rc = set_mode(c, p[i].v, m);
                have_mode = true;
            } else if (!strcmp(k, "frequency")) {
                rc = sd__y_get_uint(c, p[i].v, 3999, &u);
                if (!rc && u == 0)
                    rc =
                        sd__y_fail(c, p[i].v, "a tone of 1 to 3999 Hz (below half the 8 kHz rate)");
                m->tone_hz = (unsigned)u;
            } else if (!strcmp(k, "level")) {
                /* the peak as a fraction of full scale, in dBFS: 0 (full) down to -60 */
                const char *s = sd__y_scalar(p[i].v);
                char *end = NULL;
                double d = s ? strtod(s, &end) : 1;
                if (!s || end == s || *end || d > 0 || d < -60)
                    rc = sd__y_fail(c, p[i].v, "level is in dBFS, 0 to -60");
                else
                    m->amplitude = (int16_t)(32767.0 * pow(10.0, d / 20.0) + 0.5);
            } else if (!strcmp(k, "file")) {
                rc = (m->file = sd__y_dup_scalar(c, p[i].v)) ? 0 : -1;
            } else {
                rc = sd__y_unknown(c, &p[i], "mode, frequency, level, file");
            }
            sd__y_pop(c, o2);
        }
        if (!rc && !have_mode)
            rc = sd__y_fail(c, n, "media needs a mode (echo, tone, silence, file, none)");
    }
    if (!rc && m->mode == SR_MEDIA_SAMPLES && !m->file)
        rc = sd__y_fail(c, n, "media mode file needs a file (a WAV file)");
    sd__y_pop(c, o);
    return rc;
}

/* "16384-32767", or "0" (the kernel's ports) */
static int get_ports(sd__yctx *c, yaml_node_t *v, sd_media_conf *m)
{
    const char *s = sd__y_scalar(v);
    char *end = NULL;
    unsigned long a = s ? strtoul(s, &end, 10) : 0, b = a;
    if (s && end != s && *end == '-') {
        const char *t = end + 1;
        b = strtoul(t, &end, 10);
        if (end == t)
            end = NULL;
    }
    if (!s || !end || *end || a > 65535 || b > 65535 || b < a || (a != 0 && b < a + 1))
        return sd__y_fail(c, v, "ports is MIN-MAX (two ports at least, RTP and RTCP) or 0");
    m->port_min = (uint16_t)a;
    m->port_max = (uint16_t)b;
    return 0;
}

int sd__parse_media_conf(sd__yctx *c, yaml_node_t *n, sd_media_conf *m)
{
    sd__ykv p[6];
    int np = sd__y_pairs(c, n, p, 6);
    if (np < 0)
        return -1;
    for (int i = 0; i < np; i++) {
        const char *k = p[i].key;
        size_t o = sd__y_push_key(c, k);
        int rc;
        if (!strcmp(k, "ports"))
            rc = get_ports(c, p[i].v, m);
        else if (!strcmp(k, "address"))
            rc = (free(m->address), m->address = sd__y_dup_scalar(c, p[i].v)) ? 0 : -1;
        else if (!strcmp(k, "timeout"))
            rc = sd__y_get_duration(c, p[i].v, &m->timeout_ms);
        else if (!strcmp(k, "rtcp-interval")) {
            rc = sd__y_get_duration(c, p[i].v, &m->rtcp_ms);
            if (!rc && m->rtcp_ms && m->rtcp_ms < 500)
                rc = sd__y_fail(c, p[i].v, "rtcp-interval is 0 (none) or at least 500 ms");
        } else if (!strcmp(k, "max-calls"))
            rc = sd__y_get_u32(c, p[i].v, &m->max_calls);
        else
            rc = sd__y_unknown(c, &p[i], "ports, address, timeout, rtcp-interval, max-calls");
        sd__y_pop(c, o);
        if (rc)
            return -1;
    }
    return 0;
}
