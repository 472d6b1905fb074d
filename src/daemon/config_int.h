/* sipreplyd: what the configuration's files share — the YAML reader (config_yaml.c), the
 * schema walk (config.c) and the YAML-free values and checks (config_check.c). */
#ifndef SIPREPLYD_CONFIG_INT_H
#define SIPREPLYD_CONFIG_INT_H

#include <yaml.h>

#include "config.h"

/* ------------------------------------------------------------------ config_yaml.c */

/* One document being read: the path of keys to the node at hand, for error messages. */
typedef struct sd__yctx {
    yaml_document_t *doc;
    sd_config_error *err;
    char path[200];
    int failed;
    unsigned default_code; /* a step without a code gets it (redirect: 302); 0: an error */
} sd__yctx;

/* One key of a mapping. */
typedef struct sd__ykv {
    const char *key;
    yaml_node_t *k;
    yaml_node_t *v;
} sd__ykv;

/* Record the first error (at @p at, after the path); returns -1. */
int sd__y_fail(sd__yctx *c, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Path handling: push appends ".key" or "[i]"; pop restores the saved length. */
size_t sd__y_push_key(sd__yctx *c, const char *key);
size_t sd__y_push_idx(sd__yctx *c, size_t i);
void sd__y_pop(sd__yctx *c, size_t old);
yaml_node_t *sd__y_node(sd__yctx *c, int idx);
const char *sd__y_scalar(const yaml_node_t *n);
bool sd__y_is_null(const yaml_node_t *n);
char *sd__y_dup_scalar(sd__yctx *c, const yaml_node_t *n);
int sd__y_get_uint(sd__yctx *c, const yaml_node_t *n, unsigned long max, unsigned long *out);
int sd__y_get_u32(sd__yctx *c, const yaml_node_t *n, uint32_t *out);
int sd__y_get_bool(sd__yctx *c, const yaml_node_t *n, bool *out);
int sd__y_get_duration(sd__yctx *c, const yaml_node_t *n, uint32_t *out);
/* Walk a mapping: returns the number of pairs, or -1 (not a mapping / duplicate key). */
int sd__y_pairs(sd__yctx *c, yaml_node_t *n, sd__ykv *out, int cap);
int sd__y_unknown(sd__yctx *c, const sd__ykv *p, const char *known);
/* A scalar or a sequence of scalars → NULL-terminated array of copies. */
int sd__y_str_list(sd__yctx *c, yaml_node_t *n, char ***out);
/* `timers: {t1, t2, t4}` into @p cf. 0 or -1. */
int sd__parse_timers(sd__yctx *c, yaml_node_t *v, sd_config *cf);

/* ------------------------------------------------------------------ config.c */

/* The document's root into @p cf (defaults already set). 0 or -1 (the error in @p c). */
int sd__config_from_yaml(sd__yctx *c, yaml_node_t *root, sd_config *cf);

/* ------------------------------------------------------------------ config_forward.c */

/* The `forward` action (config_forward.h). 0 or -1. */
int sd__parse_forward(sd__yctx *c, yaml_node_t *n, sd_action *a);

/* ------------------------------------------------------------------ config_media.c */

/* A rule's `media:` (a mode name, or a mapping with mode, frequency, level, file). 0 or -1. */
int sd__parse_rule_media(sd__yctx *c, yaml_node_t *n, sd_media_rule *m);
/* The top-level `media:` section. 0 or -1. */
int sd__parse_media_conf(sd__yctx *c, yaml_node_t *n, sd_media_conf *m);
void sd__media_conf_default(sd_media_conf *m);

/* ------------------------------------------------------------------ config_dtmf.c */

/* A rule's `dtmf:` (timeout, max-digits, info, on, no-match). 0 or -1. */
int sd__parse_rule_dtmf(sd__yctx *c, yaml_node_t *n, sd_dtmf_rule *d);
void sd__dtmf_rule_free(sd_dtmf_rule *d);

/* ------------------------------------------------------------------ config_register.c */

/* `registrations:` (a list of registrations, or a mapping with `accounts:` and how they run)
 * into @p cf. 0 or -1. */
int sd__parse_registrations(sd__yctx *c, yaml_node_t *n, sd_config *cf);
void sd__free_registrations(sd_config *cf);

/* ------------------------------------------------------------------ config_check.c */

void sd__free_list(char **l);
/* Each check returns 0, or -1 with why in @p why (@p cap bytes). */
int sd__check_registered(const sd_step *s, char *why, size_t cap);
int sd__check_step(const sd_step *s, char *why, size_t cap);
int sd__check_captures(const sd_rule *r, char *why, size_t cap);
int sd__check_actions(const sd_rule *r, char *why, size_t cap);

#endif /* SIPREPLYD_CONFIG_INT_H */
