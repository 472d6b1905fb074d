/* sipreply CLI: a small streaming JSON writer shared by every --json output.
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 become \u00XX. */
#include "json.h"

#include <string.h>

void jw_init(jw *w, FILE *out, bool pretty)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->pretty = pretty;
}

static void newline(jw *w)
{
    if (!w->pretty)
        return;
    /* the newline and the indentation (two spaces a level, depth < JW_MAX_DEPTH) in one write */
    static const char spaces[] =
        "\n                                                                ";
    _Static_assert(sizeof spaces - 1 >= 1 + 2 * JW_MAX_DEPTH, "indentation buffer");
    fwrite(spaces, 1, 1 + 2 * (size_t)w->depth, w->out);
}

/* Called before every value or key: commas and indentation. */
static void pre_value(jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (w->need_comma[w->depth])
            fputc(',', w->out);
        w->need_comma[w->depth] = true;
        newline(w);
    }
}

static void open(jw *w, char c)
{
    pre_value(w);
    fputc(c, w->out);
    if (w->depth < JW_MAX_DEPTH - 1)
        w->depth++;
    w->need_comma[w->depth] = false;
}

static void close(jw *w, char c)
{
    bool had = w->need_comma[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (had)
        newline(w);
    fputc(c, w->out);
}

void jw_obj_begin(jw *w)
{
    open(w, '{');
}

void jw_obj_end(jw *w)
{
    close(w, '}');
}

void jw_arr_begin(jw *w)
{
    open(w, '[');
}

void jw_arr_end(jw *w)
{
    close(w, ']');
}

/* Length of a valid UTF-8 sequence at p (max n bytes), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, min = 0x80, cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, min = 0x800, cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, min = 0x10000, cp = c & 0x07u;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void write_string(jw *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', w->out);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', w->out);
            fputc(c, w->out);
            i++;
        } else if (c == '\n') {
            fputs("\\n", w->out), i++;
        } else if (c == '\r') {
            fputs("\\r", w->out), i++;
        } else if (c == '\t') {
            fputs("\\t", w->out), i++;
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(w->out, "\\u%04x", c), i++;
        } else if (c < 0x80) {
            /* a run of characters written as they are: one fwrite */
            size_t j = i + 1;
            while (j < n && p[j] >= 0x20 && p[j] < 0x7F && p[j] != '"' && p[j] != '\\')
                j++;
            fwrite(p + i, 1, j - i, w->out);
            i = j;
        } else {
            size_t l = utf8_len(p + i, n - i);
            if (l == 0) {
                fprintf(w->out, "\\u%04x", c); /* not UTF-8: keep the byte's value */
                i++;
            } else {
                fwrite(p + i, 1, l, w->out);
                i += l;
            }
        }
    }
    fputc('"', w->out);
}

void jw_key(jw *w, const char *key)
{
    pre_value(w);
    write_string(w, key, strlen(key));
    fputs(w->pretty ? ": " : ":", w->out);
    w->after_key = true;
}

void jw_str(jw *w, sr_str s)
{
    pre_value(w);
    write_string(w, s.p ? s.p : "", s.len);
}

void jw_cstr(jw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    pre_value(w);
    write_string(w, s, strlen(s));
}

static void write_uint(jw *w, unsigned long long v, bool neg)
{
    char b[24];
    size_t i = sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        b[--i] = '-';
    fwrite(b + i, 1, sizeof b - i, w->out);
}

void jw_int(jw *w, long long v)
{
    pre_value(w);
    write_uint(w, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0);
}

void jw_uint(jw *w, unsigned long long v)
{
    pre_value(w);
    write_uint(w, v, false);
}

void jw_double(jw *w, double v)
{
    pre_value(w);
    if (v != v || v > 1e300 || v < -1e300) /* NaN or infinite: JSON has no such number */
        fputs("null", w->out);
    else
        fprintf(w->out, "%.6g", v);
}

void jw_bool(jw *w, bool v)
{
    pre_value(w);
    fputs(v ? "true" : "false", w->out);
}

void jw_null(jw *w)
{
    pre_value(w);
    fputs("null", w->out);
}

void jw_finish(jw *w)
{
    fputc('\n', w->out);
}

void jw_kv_cstr(jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_cstr(w, s);
}

void jw_kv_str(jw *w, const char *key, sr_str s)
{
    jw_key(w, key);
    jw_str(w, s);
}

void jw_kv_int(jw *w, const char *key, long long v)
{
    jw_key(w, key);
    jw_int(w, v);
}

void jw_kv_bool(jw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_bool(w, v);
}
