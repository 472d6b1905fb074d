/* sipreplyd: the configuration's values apart from YAML — durations, address prefixes, the
 * checks a rule and a step must pass, the automatic SDP template — and freeing it. */
#include "config_forward.h"
#include "config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sd_parse_duration(const char *s, uint32_t *ms)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s)
        return -1;
    double mul;
    if (!*end || !strcmp(end, "ms"))
        mul = 1;
    else if (!strcmp(end, "s"))
        mul = 1000;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        mul = 60000;
    else
        return -1;
    double r = v * mul;
    if (r < 0 || r > 4294967295.0)
        return -1;
    *ms = (uint32_t)(r + 0.5);
    return 0;
}

int sd_cidr_parse(const char *s, sd_cidr *out)
{
    char buf[80];
    size_t n = strlen(s);
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n + 1);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || slash[1] == '\0' || bits < 0)
            return -1;
    }
    char *h = buf;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        h++;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, h, out->addr) == 1) {
        out->family = 4;
        if (bits > 32)
            return -1;
        out->bits = bits < 0 ? 32 : (unsigned)bits;
    } else if (inet_pton(AF_INET6, h, out->addr) == 1) {
        out->family = 6;
        if (bits > 128)
            return -1;
        out->bits = bits < 0 ? 128 : (unsigned)bits;
    } else {
        return -1;
    }
    return 0;
}

bool sd_cidr_contains(const sd_cidr *c, const char *host)
{
    sd_cidr a;
    if (sd_cidr_parse(host, &a) != 0)
        return false;
    if (a.family != c->family) {
        /* an IPv4-mapped IPv6 source matches an IPv4 prefix */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (c->family == 4 && a.family == 6 && !memcmp(a.addr, mapped, 12))
            memmove(a.addr, a.addr + 12, 4);
        else
            return false;
    }
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(a.addr, c->addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((a.addr[full] & mask) != (c->addr[full] & mask))
            return false;
    }
    return true;
}

void sd__free_list(char **l)
{
    if (!l)
        return;
    for (char **p = l; *p; p++)
        free(*p);
    free(l);
}

static void free_step(sd_step *s)
{
    free(s->reason);
    for (size_t i = 0; i < s->n_headers; i++) {
        free(s->headers[i].name);
        free(s->headers[i].value);
    }
    free(s->headers);
    for (size_t i = 0; i < s->n_contacts; i++)
        free(s->contacts[i].uri);
    free(s->contacts);
    free(s->body);
    free(s->body_type);
}

static void free_rule(sd_rule *r)
{
    free(r->name);
    sd__free_list(r->match.methods);
    free(r->match.user);
    if (r->match.has_user_re)
        regfree(&r->match.user_re);
    free(r->match.host);
    if (r->match.has_host_re)
        regfree(&r->match.host_re);
    for (size_t i = 0; i < r->match.n_headers; i++) {
        free(r->match.headers[i].name);
        regfree(&r->match.headers[i].re);
    }
    free(r->match.headers);
    free(r->match.sources);
    for (size_t i = 0; i < r->n_actions; i++) {
        sd_action *a = &r->actions[i];
        for (size_t j = 0; j < a->n_choices; j++) {
            for (size_t k = 0; k < a->choices[j].n_steps; k++)
                free_step(&a->choices[j].steps[k]);
            free(a->choices[j].steps);
        }
        free(a->choices);
        free(a->realm);
        free(a->any_user_password);
        for (size_t j = 0; j < a->n_users; j++) {
            free(a->users[j].name);
            free(a->users[j].password);
        }
        free(a->users);
        sd__free_list(a->domains);
        sd__forward_free(a->forward);
    }
    free(r->actions);
    free(r->media.file);
    free(r->media.samples);
    sd__dtmf_rule_free(&r->dtmf);
}

void sd_config_free(sd_config *cf)
{
    if (!cf)
        return;
    for (size_t i = 0; i < cf->n_rules; i++)
        free_rule(&cf->rules[i]);
    free(cf->rules);
    free_rule(&cf->fallback);
    sd__free_list(cf->listen);
    free(cf->advertise);
    free(cf->server);
    free(cf->media.address);
    sd__free_registrations(cf);
    free(cf);
}

/* ------------------------------------------------------------------ checks */

/* clang-format off */
const char sd_sdp_template[] = "v=0\r\n"
                               "o=sipreplyd {{session}} {{session}} IN {{ipver}} {{ip}}\r\n"
                               "s=sipreplyd\r\n"
                               "c=IN {{ipver}} {{ip}}\r\n"
                               "t=0 0\r\n"
                               "m=audio " SD_SDP_MEDIA_PORT " RTP/AVP 0 8 101\r\n"
                               "a=rtpmap:0 PCMU/8000\r\n"
                               "a=rtpmap:8 PCMA/8000\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n"
                               "a=sendrecv\r\n";
/* clang-format on */

static int why_is(char *why, size_t cap, const char *s)
{
    snprintf(why, cap, "%s", s);
    return -1;
}

/* A literal code outside the IANA registry is built only with `unregistered: true` (the
 * engine then sends it with its legacy or class phrase, build.h SR_BUILD_UNREGISTERED and
 * SR_BUILD_LEGACY); without it the step could never be built: refused here (and by -t)
 * rather than answered 500 at run time. A capture ($1) is only known at run time. */
int sd__check_registered(const sd_step *s, char *why, size_t cap)
{
    if (s->capture || s->wait_cancel || !s->code || s->unregistered ||
        sr_status_is_registered((int)s->code))
        return 0;
    snprintf(why, cap, "%u is not in the IANA registry%s: add 'unregistered: true' to send it",
             s->code, sr_status_legacy_lookup((int)s->code) ? " (a legacy code)" : "");
    return -1;
}

/* A step as a whole, once its keys are read. */
int sd__check_step(const sd_step *s, char *why, size_t cap)
{
    if (s->body && !s->body_type)
        return why_is(why, cap, "a body needs a content-type");
    if (s->body_type && !s->body)
        return why_is(why, cap, "content-type given without a body");
    if (s->repeat > 1 && s->code >= 200)
        return why_is(why, cap, "only a provisional response may repeat");
    if (sd__check_registered(s, why, cap))
        return -1;
    if (s->wait_cancel && s->capture == 0 && s->code)
        return why_is(why, cap, "a wait step sends nothing: no code");
    return 0;
}

/* A capture $N must exist in the rule's user-regex. */
int sd__check_captures(const sd_rule *r, char *why, size_t cap)
{
    size_t groups = r->match.has_user_re ? r->match.user_re.re_nsub : 0;
    for (size_t i = 0; i < r->n_actions; i++)
        for (size_t j = 0; j < r->actions[i].n_choices; j++)
            for (size_t k = 0; k < r->actions[i].choices[j].n_steps; k++) {
                int n = r->actions[i].choices[j].steps[k].capture;
                if (n > 0 && ((size_t)n > groups || n >= SD_MAX_CAPTURES)) {
                    snprintf(why, cap, "rule '%s': code $%d but user-regex has %zu group(s)",
                             r->name, n, groups);
                    return -1;
                }
            }
    return 0;
}

/* The order of a rule's actions: a stateless reply alone, a challenge before another. */
int sd__check_actions(const sd_rule *r, char *why, size_t cap)
{
    for (size_t i = 0; i < r->n_actions; i++) {
        sd_action_kind kd = r->actions[i].kind;
        if (kd == SD_ACT_STATELESS && r->n_actions != 1)
            return why_is(why, cap, "a stateless reply is the rule's only action");
        if (kd == SD_ACT_CHALLENGE && i + 1 == r->n_actions)
            return why_is(why, cap,
                          "a challenge needs an action after it (what to do once "
                          "authenticated)");
        if (kd != SD_ACT_CHALLENGE && i + 1 < r->n_actions)
            return why_is(why, cap, "only a challenge may come before another action");
    }
    return 0;
}
