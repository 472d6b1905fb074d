/* sipreplyd: reading the configuration's YAML (libyaml document API): typed scalars,
 * mappings and lists, and errors that name the place (line:column) and the path of keys. */
#include "config_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sd__y_fail(sd__yctx *c, const yaml_node_t *at, const char *fmt, ...)
{
    if (c->failed)
        return -1;
    c->failed = 1;
    if (c->err) {
        c->err->line = at ? (unsigned)at->start_mark.line + 1 : 0;
        c->err->column = at ? (unsigned)at->start_mark.column + 1 : 0;
        char what[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        size_t pl = strlen(c->path), wl = strlen(what), cap = sizeof(c->err->msg);
        size_t n = 0;
        if (pl) {
            if (pl > cap / 2)
                pl = cap / 2;
            memcpy(c->err->msg, c->path, pl);
            memcpy(c->err->msg + pl, ": ", 2);
            n = pl + 2;
        }
        if (wl > cap - 1 - n)
            wl = cap - 1 - n;
        memcpy(c->err->msg + n, what, wl);
        c->err->msg[n + wl] = '\0';
    }
    return -1;
}

/* Path handling: push appends ".key" or "[i]"; pop restores the saved length. */
size_t sd__y_push_key(sd__yctx *c, const char *key)
{
    size_t old = strlen(c->path);
    snprintf(c->path + old, sizeof(c->path) - old, "%s%s", old ? "." : "", key);
    return old;
}

size_t sd__y_push_idx(sd__yctx *c, size_t i)
{
    size_t old = strlen(c->path);
    snprintf(c->path + old, sizeof(c->path) - old, "[%zu]", i);
    return old;
}

void sd__y_pop(sd__yctx *c, size_t old)
{
    c->path[old] = '\0';
}

yaml_node_t *sd__y_node(sd__yctx *c, int idx)
{
    return yaml_document_get_node(c->doc, idx);
}

const char *sd__y_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool sd__y_is_null(const yaml_node_t *n)
{
    if (!n)
        return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = sd__y_scalar(n);
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0;
}

char *sd__y_dup_scalar(sd__yctx *c, const yaml_node_t *n)
{
    const char *s = sd__y_scalar(n);
    if (!s) {
        sd__y_fail(c, n, "expected a string");
        return NULL;
    }
    char *d = strdup(s);
    if (!d)
        sd__y_fail(c, n, "out of memory");
    return d;
}

int sd__y_get_uint(sd__yctx *c, const yaml_node_t *n, unsigned long max, unsigned long *out)
{
    /* every failure returns -1 itself, not sd__y_fail()'s value: the caller reads *out after a 0,
     * and gcc -O3 cannot see that sd__y_fail() never returns 0 (-Wmaybe-uninitialized) */
    const char *s = sd__y_scalar(n);
    if (!s || !*s) {
        sd__y_fail(c, n, "expected a number");
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || s[0] == '-' || v > max) {
        sd__y_fail(c, n, "expected a number from 0 to %lu, got '%s'", max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int sd__y_get_u32(sd__yctx *c, const yaml_node_t *n, uint32_t *out)
{
    unsigned long v;
    if (sd__y_get_uint(c, n, 0xffffffffUL, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int sd__y_get_bool(sd__yctx *c, const yaml_node_t *n, bool *out)
{
    const char *s = sd__y_scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))) {
        *out = true;
        return 0;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))) {
        *out = false;
        return 0;
    }
    return sd__y_fail(c, n, "expected true or false");
}

int sd__y_get_duration(sd__yctx *c, const yaml_node_t *n, uint32_t *out)
{
    const char *s = sd__y_scalar(n);
    if (!s || sd_parse_duration(s, out) != 0)
        return sd__y_fail(c, n,
                          "expected a duration (milliseconds, or '250ms', '2s', '1m'), got '%s'",
                          s ? s : "(not a scalar)");
    return 0;
}

/* ------------------------------------------------------------------ mappings */

/* Walk a mapping: returns the number of pairs, or -1 (not a mapping / duplicate key). */
int sd__y_pairs(sd__yctx *c, yaml_node_t *n, sd__ykv *out, int cap)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return sd__y_fail(c, n, "expected a mapping (key: value)");
    int cnt = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = sd__y_node(c, p->key), *v = sd__y_node(c, p->value);
        const char *ks = sd__y_scalar(k);
        if (!ks)
            return sd__y_fail(c, k, "keys must be strings");
        for (int i = 0; i < cnt; i++)
            if (!strcmp(out[i].key, ks))
                return sd__y_fail(c, k, "duplicate key '%s'", ks);
        if (cnt == cap)
            return sd__y_fail(c, k, "too many keys");
        out[cnt].key = ks;
        out[cnt].k = k;
        out[cnt].v = v;
        cnt++;
    }
    return cnt;
}

int sd__y_unknown(sd__yctx *c, const sd__ykv *p, const char *known)
{
    /* the path names the mapping, not the unknown key */
    size_t pl = strlen(c->path), kl = strlen(p->key);
    if (pl > kl && c->path[pl - kl - 1] == '.' && !strcmp(c->path + pl - kl, p->key))
        c->path[pl - kl - 1] = '\0';
    return sd__y_fail(c, p->k, "unknown key '%s' (known: %s)", p->key, known);
}

/* A scalar or a sequence of scalars → NULL-terminated array of copies. */
int sd__y_str_list(sd__yctx *c, yaml_node_t *n, char ***out)
{
    size_t cnt = 1;
    if (n->type == YAML_SEQUENCE_NODE)
        cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    else if (n->type != YAML_SCALAR_NODE)
        return sd__y_fail(c, n, "expected a string or a list of strings");
    char **arr = calloc(cnt + 1, sizeof(*arr));
    if (!arr)
        return sd__y_fail(c, n, "out of memory");
    *out = arr;
    if (n->type == YAML_SCALAR_NODE) {
        arr[0] = sd__y_dup_scalar(c, n);
        return arr[0] ? 0 : -1;
    }
    size_t i = 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++, i++) {
        size_t o = sd__y_push_idx(c, i);
        arr[i] = sd__y_dup_scalar(c, sd__y_node(c, *it));
        sd__y_pop(c, o);
        if (!arr[i])
            return -1;
    }
    return 0;
}

int sd__parse_timers(sd__yctx *c, yaml_node_t *v, sd_config *cf)
{
    sd__ykv t[3];
    int nt = sd__y_pairs(c, v, t, 3);
    int rc = nt < 0 ? -1 : 0;
    for (int j = 0; j < nt && !rc; j++) {
        size_t o2 = sd__y_push_key(c, t[j].key);
        if (!strcmp(t[j].key, "t1"))
            rc = sd__y_get_duration(c, t[j].v, &cf->t1);
        else if (!strcmp(t[j].key, "t2"))
            rc = sd__y_get_duration(c, t[j].v, &cf->t2);
        else if (!strcmp(t[j].key, "t4"))
            rc = sd__y_get_duration(c, t[j].v, &cf->t4);
        else
            rc = sd__y_unknown(c, &t[j], "t1, t2, t4");
        sd__y_pop(c, o2);
    }
    if (!rc && (cf->t1 == 0 || cf->t2 < cf->t1 || cf->t4 == 0))
        rc = sd__y_fail(c, v, "timers: T1 > 0, T2 >= T1, T4 > 0");
    return rc;
}

int sd_config_parse(sd_config **out, const char *text, size_t len, sd_config_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
    sd_config *cf = calloc(1, sizeof(*cf));
    if (!cf) {
        if (err)
            snprintf(err->msg, sizeof(err->msg), "out of memory");
        return -1;
    }
    cf->t1 = 500;
    cf->t2 = 4000;
    cf->t4 = 5000;
    cf->retry_after = 0;
    cf->min_expires = 60;
    cf->min_se = 90;
    sd__media_conf_default(&cf->media);
    cf->reg = (sd_reg_opts){.rate = 20, .in_flight = 64, .retry_min_s = 30, .retry_max_s = 1800};
    yaml_parser_t parser;
    yaml_document_t doc;
    sd__yctx c = {.doc = &doc, .err = err};
    if (!yaml_parser_initialize(&parser)) {
        free(cf);
        if (err)
            snprintf(err->msg, sizeof(err->msg), "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (err) {
            err->line = (unsigned)parser.problem_mark.line + 1;
            err->column = (unsigned)parser.problem_mark.column + 1;
            snprintf(err->msg, sizeof(err->msg), "YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
                     parser.context ? parser.context : "");
        }
        yaml_parser_delete(&parser);
        free(cf);
        return -1;
    }
    int rc = sd__config_from_yaml(&c, yaml_document_get_root_node(&doc), cf);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc != 0) {
        sd_config_free(cf);
        return -1;
    }
    *out = cf;
    return 0;
}

int sd_config_load(sd_config **out, const char *path, sd_config_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err) {
            memset(err, 0, sizeof(*err));
            snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
        }
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        if (cap > (16u << 20)) {
            free(buf);
            buf = NULL;
            break;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (!buf || ioerr) {
        free(buf);
        if (err) {
            memset(err, 0, sizeof(*err));
            snprintf(err->msg, sizeof(err->msg), "%s", buf ? "read error" : "file too large");
        }
        return -1;
    }
    int rc = sd_config_parse(out, buf, len, err);
    free(buf);
    return rc;
}
