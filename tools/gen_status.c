/* sipreply build tool: generates the status-code tables of libsipreply from the data/ TSV files.
 * Checks every row (columns, codes, classes, RFC names, header lists) and fails the build. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 1000
#define MAX_COLS 16
#define MAX_LINE 8192

/* Columns of data/status-codes.tsv and data/legacy-codes.tsv, in order. */
static const char *const reg_cols[] = {"code",      "phrase",        "class",      "rfc",
                                       "flags",     "sender",        "must_carry", "should_carry",
                                       "may_carry", "other_phrases", "meaning",    "advice"};
static const char *const leg_cols[] = {"code", "phrase", "source", "meaning", "advice"};
#define N_REG_COLS (sizeof reg_cols / sizeof reg_cols[0])
#define N_LEG_COLS (sizeof leg_cols / sizeof leg_cols[0])

static const char *const class_names[] = {"provisional",     "success",        "redirection",
                                          "request-failure", "server-failure", "global-failure"};
static const char *const class_enums[] = {"SR_STATUS_PROVISIONAL",    "SR_STATUS_SUCCESS",
                                          "SR_STATUS_REDIRECTION",    "SR_STATUS_REQUEST_FAILURE",
                                          "SR_STATUS_SERVER_FAILURE", "SR_STATUS_GLOBAL_FAILURE"};

typedef struct row {
    int line;
    int code;
    char *col[MAX_COLS];
} row;

static const char *cur_file;
static int cur_line;
static const char *tmp_path; /* removed on failure: no half-written table is left behind */

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void
fail(const char *fmt, ...);

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: error: ", cur_file, cur_line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (tmp_path)
        remove(tmp_path);
    exit(1);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) {
        fprintf(stderr, "gen_status: out of memory\n");
        exit(1);
    }
    memcpy(p, s, n);
    return p;
}

/* Printable ASCII only: the tables are C string literals and the CLI prints them as is. */
static void check_text(const char *what, const char *s)
{
    if (*s == '\0')
        fail("empty %s", what);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p > 0x7e)
            fail("%s has a byte that is not printable ASCII (0x%02x)", what, *p);
    }
    if (s[0] == ' ' || s[strlen(s) - 1] == ' ')
        fail("%s has leading or trailing blanks", what);
}

/* Letters, digits and lower-cased: the key phrases are compared by (see status.c). */
static void phrase_key(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) {
        if (isalnum((unsigned char)*s))
            out[n++] = (char)tolower((unsigned char)*s);
    }
    out[n] = '\0';
}

static int parse_code(const char *s)
{
    if (strlen(s) != 3 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]))
        fail("code '%s' is not three digits", s);
    int code = atoi(s);
    if (code < 100 || code > 699)
        fail("code %d is outside 100-699", code);
    return code;
}

/* Read a TSV file: a header line naming the columns, then one row per code. */
static size_t read_tsv(const char *path, const char *const *cols, size_t ncols, row *rows)
{
    FILE *f = fopen(path, "rb");
    cur_file = path;
    cur_line = 0;
    if (!f)
        fail("cannot open");
    char buf[MAX_LINE];
    size_t n = 0;
    int prev = 0;
    while (fgets(buf, sizeof buf, f)) {
        cur_line++;
        size_t len = strlen(buf);
        if (len == sizeof buf - 1 && buf[len - 1] != '\n')
            fail("line longer than %d bytes", MAX_LINE - 2);
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        char *field[MAX_COLS + 1];
        size_t nf = 0;
        char *p = buf;
        for (;;) {
            if (nf == MAX_COLS + 1)
                fail("too many columns (expected %zu)", ncols);
            field[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (nf != ncols)
            fail("%zu columns, expected %zu", nf, ncols);
        if (cur_line == 1) {
            for (size_t i = 0; i < ncols; i++) {
                if (strcmp(field[i], cols[i]) != 0)
                    fail("column %zu is '%s', expected '%s'", i + 1, field[i], cols[i]);
            }
            continue;
        }
        if (n == MAX_ROWS)
            fail("more than %d rows", MAX_ROWS);
        row *r = &rows[n];
        r->line = cur_line;
        r->code = parse_code(field[0]);
        if (r->code == prev)
            fail("duplicate code %d", r->code);
        if (r->code < prev)
            fail("code %d after %d: rows must be in ascending code order", r->code, prev);
        prev = r->code;
        for (size_t i = 0; i < ncols; i++) {
            check_text(cols[i], field[i]);
            r->col[i] = xstrdup(field[i]);
        }
        n++;
    }
    if (ferror(f))
        fail("read error");
    fclose(f);
    if (n == 0)
        fail("no rows");
    return n;
}

static void put_cstr(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* A header field name: an RFC 3261 token. */
static void check_token(const char *what, const char *s, size_t len)
{
    if (len == 0)
        fail("empty item in %s", what);
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)s[i]) && !strchr("-.!%*_+`'~", s[i]))
            fail("%s: '%.*s' is not a header field name", what, (int)len, s);
    }
}

/*
 * Emit a NULL-terminated array for a list column ("-" = empty). Items are separated by ", "
 * (all required) or, in must_carry only, " | " (one of them required). Header lists hold
 * header field names; other_phrases is separated by "; " and holds free text.
 */
static bool emit_list(FILE *out, const char *name, const char *col, const char *val, char sep,
                      bool headers, bool allow_alt)
{
    bool alt = false;
    fprintf(out, "static const char *const %s[] = {", name);
    if (strcmp(val, "-") != 0) {
        const char *p = val;
        for (;;) {
            const char *end = p;
            char seen = 0;
            while (*end && *end != sep && !(headers && *end == '|'))
                end++;
            if (*end == '|') {
                if (!allow_alt)
                    fail("%s: '|' (one of) is only allowed in must_carry", col);
                alt = true;
            }
            seen = *end;
            size_t len = (size_t)(end - p);
            while (len && p[len - 1] == ' ')
                len--;
            if (headers)
                check_token(col, p, len);
            else if (len == 0)
                fail("empty item in %s", col);
            char *item = malloc(len + 1);
            if (!item)
                fail("out of memory");
            memcpy(item, p, len);
            item[len] = '\0';
            put_cstr(out, item);
            fputs(", ", out);
            free(item);
            if (!seen)
                break;
            p = end + 1;
            while (*p == ' ')
                p++;
        }
        if (alt && strchr(val, ','))
            fail("%s: mixing ',' and '|' is not supported", col);
    }
    fputs("NULL};\n", out);
    return alt;
}

static unsigned parse_senders(const char *val)
{
    static const struct {
        const char *name;
        const char *bits;
    } known[] = {{"UAS", "SR_STATUS_BY_UAS"},
                 {"proxy", "SR_STATUS_BY_PROXY"},
                 {"registrar", "SR_STATUS_BY_REGISTRAR"},
                 {"redirect", "SR_STATUS_BY_REDIRECT"},
                 {"any", "SR_STATUS_BY_ANY"}};
    unsigned mask = 0;
    const char *p = val;
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t i;
        for (i = 0; i < sizeof known / sizeof known[0]; i++) {
            if (strlen(known[i].name) == len && strncmp(p, known[i].name, len) == 0)
                break;
        }
        if (i == sizeof known / sizeof known[0])
            fail("sender '%.*s' is not one of UAS, proxy, registrar, redirect, any", (int)len, p);
        mask |= i == 4 ? 0xfu : 1u << i;
        p += len;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return mask;
}

typedef struct key {
    int code;
    bool canonical;
    char k[256];
} key;

static key keys[MAX_ROWS * 8];
static size_t n_keys;

static void add_key(int code, const char *phrase, bool canonical)
{
    if (n_keys == sizeof keys / sizeof keys[0])
        fail("too many phrases");
    key *k = &keys[n_keys++];
    k->code = code;
    k->canonical = canonical;
    phrase_key(phrase, k->k, sizeof k->k);
    if (k->k[0] == '\0')
        fail("phrase '%s' has no letter or digit", phrase);
}

static void gen_registered(FILE *out, row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        row *r = &rows[i];
        char **c = r->col;
        cur_line = r->line;
        int cls = r->code / 100;
        if (strcmp(c[2], class_names[cls - 1]) != 0)
            fail("class '%s' does not match code %d (expected '%s')", c[2], r->code,
                 class_names[cls - 1]);
        const char *d = c[3];
        if (strncmp(d, "RFC", 3) != 0 || strlen(d) < 4 ||
            strspn(d + 3, "0123456789") != strlen(d + 3))
            fail("rfc '%s' is not of the form RFCnnnn", d);
        unsigned flags = 0;
        if (strcmp(c[4], "deprecated") == 0)
            flags = 1;
        else if (strcmp(c[4], "-") != 0)
            fail("flags '%s' is neither '-' nor 'deprecated'", c[4]);
        unsigned senders = parse_senders(c[5]);
        char name[64];
        snprintf(name, sizeof name, "r%d_must", r->code);
        bool alt = emit_list(out, name, "must_carry", c[6], ',', true, true);
        snprintf(name, sizeof name, "r%d_should", r->code);
        emit_list(out, name, "should_carry", c[7], ',', true, false);
        snprintf(name, sizeof name, "r%d_may", r->code);
        emit_list(out, name, "may_carry", c[8], ',', true, false);
        snprintf(name, sizeof name, "r%d_other", r->code);
        emit_list(out, name, "other_phrases", c[9], ';', false, false);
        /* Remember what goes in the table row; print it after all the arrays. */
        char *meta = malloc(64);
        if (!meta)
            fail("out of memory");
        snprintf(meta, 64, "%u %u %d", flags | (alt ? 2u : 0u), senders, cls);
        r->col[MAX_COLS - 1] = meta;
        add_key(r->code, c[1], true);
        if (strcmp(c[9], "-") != 0) {
            char tmp[MAX_LINE];
            snprintf(tmp, sizeof tmp, "%s", c[9]);
            for (char *s = strtok(tmp, ";"); s; s = strtok(NULL, ";"))
                add_key(r->code, s, false);
        }
    }
    /* A field phrase must not be another code's canonical phrase: lookups would lie. */
    for (size_t i = 0; i < n_keys; i++) {
        for (size_t j = 0; j < n_keys; j++) {
            if (keys[i].code == keys[j].code || strcmp(keys[i].k, keys[j].k) != 0)
                continue;
            if (!keys[i].canonical && keys[j].canonical) {
                for (size_t k = 0; k < n; k++) {
                    if (rows[k].code == keys[i].code)
                        cur_line = rows[k].line;
                }
                fail("other phrase of %d is the canonical phrase of %d", keys[i].code,
                     keys[j].code);
            }
        }
    }
    fputs("\nconst sr_status_info sr__status_table[] = {\n", out);
    for (size_t i = 0; i < n; i++) {
        row *r = &rows[i];
        char **c = r->col;
        unsigned f, s;
        int cls;
        if (sscanf(c[MAX_COLS - 1], "%u %u %d", &f, &s, &cls) != 3)
            fail("internal error");
        fprintf(out, "    {.code = %d,\n     .phrase = ", r->code);
        put_cstr(out, c[1]);
        fprintf(out, ",\n     .cls = %s,\n     .rfc = ", class_enums[cls - 1]);
        put_cstr(out, c[3]);
        fprintf(out, ",\n     .flags = SR_STATUS_F_REGISTERED%s%s,\n",
                (f & 1u) ? " | SR_STATUS_F_DEPRECATED" : "",
                (f & 2u) ? " | SR_STATUS_F_MUST_ONE_OF" : "");
        fprintf(out, "     .senders = 0x%xu,\n", s);
        fprintf(out,
                "     .must_carry = r%d_must,\n     .should_carry = r%d_should,\n"
                "     .may_carry = r%d_may,\n     .other_phrases = r%d_other,\n"
                "     .meaning = ",
                r->code, r->code, r->code, r->code);
        put_cstr(out, c[10]);
        fputs(",\n     .advice = ", out);
        put_cstr(out, c[11]);
        fputs("},\n", out);
    }
    fprintf(out, "};\n\nconst size_t sr__status_table_len = %zu;\n", n);
}

static void gen_legacy(FILE *out, row *rows, size_t n, const row *reg, size_t n_reg)
{
    fputs("\nstatic const char *const none[] = {NULL};\n\n"
          "const sr_status_info sr__status_legacy[] = {\n",
          out);
    for (size_t i = 0; i < n; i++) {
        row *r = &rows[i];
        cur_line = r->line;
        for (size_t j = 0; j < n_reg; j++) {
            if (reg[j].code == r->code)
                fail("code %d is registered: it cannot also be legacy", r->code);
        }
        int cls = r->code / 100;
        fprintf(out, "    {.code = %d,\n     .phrase = ", r->code);
        put_cstr(out, r->col[1]);
        fprintf(out, ",\n     .cls = %s,\n     .rfc = ", class_enums[cls - 1]);
        put_cstr(out, r->col[2]);
        fputs(",\n     .flags = SR_STATUS_F_LEGACY,\n     .senders = 0,\n"
              "     .must_carry = none,\n     .should_carry = none,\n"
              "     .may_carry = none,\n     .other_phrases = none,\n     .meaning = ",
              out);
        put_cstr(out, r->col[3]);
        fputs(",\n     .advice = ", out);
        put_cstr(out, r->col[4]);
        fputs("},\n", out);
    }
    fprintf(out, "};\n\nconst size_t sr__status_legacy_len = %zu;\n", n);
}

static row reg_rows[MAX_ROWS], leg_rows[MAX_ROWS];

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen_status STATUS_TSV LEGACY_TSV OUT_C\n");
        return 2;
    }
    size_t n_reg = read_tsv(argv[1], reg_cols, N_REG_COLS, reg_rows);
    size_t n_leg = read_tsv(argv[2], leg_cols, N_LEG_COLS, leg_rows);

    /* Write to a temporary file and rename, so a failed run leaves no half table behind. */
    size_t olen = strlen(argv[3]);
    char *tmp = malloc(olen + 5);
    if (!tmp)
        return 1;
    memcpy(tmp, argv[3], olen);
    memcpy(tmp + olen, ".tmp", 5);
    FILE *out = fopen(tmp, "w");
    tmp_path = tmp;
    if (!out) {
        fprintf(stderr, "gen_status: cannot write %s\n", tmp);
        return 1;
    }
    fputs("/* sipreply core: the status-code tables, generated by tools/gen_status.c from\n"
          " * data/status-codes.tsv and data/legacy-codes.tsv. Do not edit. */\n"
          "#include <stddef.h>\n\n#include \"status_int.h\"\n\n",
          out);
    cur_file = argv[1];
    gen_registered(out, reg_rows, n_reg);
    cur_file = argv[2];
    gen_legacy(out, leg_rows, n_leg, reg_rows, n_reg);
    if (fclose(out) != 0 || rename(tmp, argv[3]) != 0) {
        fprintf(stderr, "gen_status: cannot write %s\n", argv[3]);
        remove(tmp);
        return 1;
    }
    free(tmp);
    return 0;
}
