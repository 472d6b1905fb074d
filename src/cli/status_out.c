/* sipreply CLI: printing status-code registry entries for `explain`, `codes` and `tour`.
 * One layout for the terminal, one JSON shape per kind of answer (docs/sipreply.1). */
#include <stdio.h>
#include <string.h>

#include "status_out.h"

void so_wrap(FILE *out, const char *text, int indent)
{
    const int avail = SO_WIDTH - indent;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        /* Take as many whole words as fit; a word longer than the line goes alone. */
        int len = 0, cut = 0;
        while (p[len] && len < avail) {
            len++;
            if (p[len] == ' ' || p[len] == '\0')
                cut = len;
        }
        if (!p[len])
            cut = len;
        if (cut == 0) {
            cut = len;
            while (p[cut] && p[cut] != ' ')
                cut++;
        }
        fprintf(out, "%*s%.*s\n", indent, "", cut, p);
        p += cut;
    }
}

static const char *class_words(sr_status_class cls)
{
    switch (cls) {
    case SR_STATUS_PROVISIONAL: return "provisional";
    case SR_STATUS_SUCCESS: return "success, final";
    case SR_STATUS_REDIRECTION: return "redirection, final";
    case SR_STATUS_REQUEST_FAILURE: return "request failure, final";
    case SR_STATUS_SERVER_FAILURE: return "server failure, final";
    case SR_STATUS_GLOBAL_FAILURE: return "global failure, final";
    default: return "invalid";
    }
}

/* "RFC3261" -> "RFC 3261"; other sources as they are. */
static void print_rfc(FILE *out, const char *rfc)
{
    if (strncmp(rfc, "RFC", 3) == 0 && rfc[3] >= '0' && rfc[3] <= '9')
        fprintf(out, "RFC %s", rfc + 3);
    else
        fputs(rfc, out);
}

static void print_list(FILE *out, const char *label, const char *const *list, const char *sep)
{
    fprintf(out, "  %-14s", label);
    if (!list || !*list) {
        fputs("-\n", out);
        return;
    }
    for (size_t i = 0; list[i]; i++)
        fprintf(out, "%s%s", i ? sep : "", list[i]);
    fputc('\n', out);
}

static void print_senders(FILE *out, unsigned senders)
{
    fprintf(out, "  %-14s", "sent by");
    if (senders == SR_STATUS_BY_ANY) {
        fputs("any element\n", out);
        return;
    }
    const char *sep = "";
    for (unsigned bit = 1; bit <= SR_STATUS_BY_REDIRECT; bit <<= 1) {
        if (senders & bit) {
            fprintf(out, "%s%s", sep, sr_status_sender_name(bit));
            sep = ", ";
        }
    }
    fputc('\n', out);
}

static void print_class_line(FILE *out, sr_status_class cls)
{
    const sr_status_class_info *ci = sr_status_class_get(cls);
    fprintf(out, "  %-14s%s %s\n", "class", ci ? ci->range : "?", class_words(cls));
}

void so_print_info(FILE *out, const sr_status_info *info)
{
    bool legacy = (info->flags & SR_STATUS_F_LEGACY) != 0;
    fprintf(out, "%d %s", info->code, info->phrase);
    if (legacy)
        fputs("  (legacy: not a registered code)", out);
    else if (info->flags & SR_STATUS_F_DEPRECATED)
        fputs("  (deprecated)", out);
    fputc('\n', out);
    print_class_line(out, info->cls);
    fprintf(out, "  %-14s", legacy ? "source" : "defined in");
    print_rfc(out, info->rfc);
    fputc('\n', out);
    if (legacy) {
        int eff = sr_status_effective(info->code);
        fprintf(out, "  %-14s%d %s\n", "treated as", eff, sr_status_phrase(eff));
    } else {
        print_senders(out, info->senders);
        print_list(out, "must carry", info->must_carry,
                   (info->flags & SR_STATUS_F_MUST_ONE_OF) ? " or " : ", ");
        print_list(out, "should carry", info->should_carry, ", ");
        print_list(out, "may carry", info->may_carry, ", ");
        if (info->other_phrases && *info->other_phrases)
            print_list(out, "also seen as", info->other_phrases, "; ");
    }
    fputs("\n  Meaning\n", out);
    so_wrap(out, info->meaning, 4);
    fputs("\n  What the client does next\n", out);
    so_wrap(out, info->advice, 4);
}

void so_print_unregistered(FILE *out, int code)
{
    sr_status_class cls = sr_status_class_of(code);
    const sr_status_class_info *ci = sr_status_class_get(cls);
    int eff = sr_status_effective(code);
    fprintf(out, "%d  (not a registered SIP status code)\n", code);
    print_class_line(out, cls);
    fprintf(out, "  %-14s%d %s\n", "treated as", eff, sr_status_phrase(eff));
    fputs("\n  Meaning\n", out);
    char buf[256];
    snprintf(buf, sizeof buf,
             "No RFC defines %d. A receiver that does not recognise it acts as if it were %d "
             "%s (RFC 3261 section 8.1.3.2). Its class says:",
             code, eff, sr_status_phrase(eff));
    so_wrap(out, buf, 4);
    so_wrap(out, ci->meaning, 4);
    fputs("\n  What the client does next\n", out);
    so_wrap(out, ci->advice, 4);
}

void so_print_class(FILE *out, const sr_status_class_info *ci)
{
    fprintf(out, "%s %s (%s)\n\n  Meaning\n", ci->range, ci->title,
            ci->final ? "final" : "provisional");
    so_wrap(out, ci->meaning, 4);
    fputs("\n  What the client does next\n", out);
    so_wrap(out, ci->advice, 4);
    fputs("\n  Registered codes\n", out);
    for (size_t i = 0; i < sr_status_count(); i++) {
        const sr_status_info *s = sr_status_at(i);
        if (s->cls == ci->cls)
            fprintf(out, "    %d %s\n", s->code, s->phrase);
    }
}

static void json_list(jw *w, const char *key, const char *const *list)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (size_t i = 0; list && list[i]; i++)
        jw_cstr(w, list[i]);
    jw_arr_end(w);
}

static void json_class_fields(jw *w, sr_status_class cls)
{
    const sr_status_class_info *ci = sr_status_class_get(cls);
    jw_kv_cstr(w, "class", ci->name);
    jw_kv_cstr(w, "class_range", ci->range);
    jw_kv_bool(w, "final", ci->final);
}

void so_json_info(jw *w, const sr_status_info *info)
{
    bool legacy = (info->flags & SR_STATUS_F_LEGACY) != 0;
    jw_obj_begin(w);
    jw_kv_int(w, "code", info->code);
    jw_kv_cstr(w, "phrase", info->phrase);
    json_class_fields(w, info->cls);
    jw_kv_cstr(w, "rfc", info->rfc);
    jw_kv_bool(w, "registered", (info->flags & SR_STATUS_F_REGISTERED) != 0);
    jw_kv_bool(w, "legacy", legacy);
    jw_kv_bool(w, "deprecated", (info->flags & SR_STATUS_F_DEPRECATED) != 0);
    jw_kv_int(w, "treated_as", sr_status_effective(info->code));
    jw_key(w, "sent_by");
    jw_arr_begin(w);
    for (unsigned bit = 1; bit <= SR_STATUS_BY_REDIRECT; bit <<= 1) {
        if (info->senders & bit)
            jw_cstr(w, sr_status_sender_name(bit));
    }
    jw_arr_end(w);
    json_list(w, "must_carry", info->must_carry);
    jw_kv_bool(w, "must_carry_one_of", (info->flags & SR_STATUS_F_MUST_ONE_OF) != 0);
    json_list(w, "should_carry", info->should_carry);
    json_list(w, "may_carry", info->may_carry);
    json_list(w, "other_phrases", info->other_phrases);
    jw_kv_cstr(w, "meaning", info->meaning);
    jw_kv_cstr(w, "advice", info->advice);
    jw_obj_end(w);
}

void so_json_unregistered(jw *w, int code)
{
    const sr_status_class_info *ci = sr_status_class_get(sr_status_class_of(code));
    int eff = sr_status_effective(code);
    jw_obj_begin(w);
    jw_kv_int(w, "code", code);
    jw_kv_cstr(w, "phrase", NULL);
    json_class_fields(w, ci->cls);
    jw_kv_cstr(w, "rfc", NULL);
    jw_kv_bool(w, "registered", false);
    jw_kv_bool(w, "legacy", false);
    jw_kv_bool(w, "deprecated", false);
    jw_kv_int(w, "treated_as", eff);
    jw_kv_cstr(w, "treated_as_phrase", sr_status_phrase(eff));
    jw_kv_cstr(w, "meaning", ci->meaning);
    jw_kv_cstr(w, "advice", ci->advice);
    jw_obj_end(w);
}

void so_json_class(jw *w, const sr_status_class_info *ci)
{
    jw_obj_begin(w);
    jw_kv_cstr(w, "class", ci->name);
    jw_kv_cstr(w, "range", ci->range);
    jw_kv_cstr(w, "title", ci->title);
    jw_kv_bool(w, "final", ci->final);
    jw_kv_int(w, "fallback", ci->fallback);
    jw_kv_cstr(w, "meaning", ci->meaning);
    jw_kv_cstr(w, "advice", ci->advice);
    jw_key(w, "codes");
    jw_arr_begin(w);
    for (size_t i = 0; i < sr_status_count(); i++) {
        const sr_status_info *s = sr_status_at(i);
        if (s->cls != ci->cls)
            continue;
        jw_obj_begin(w);
        jw_kv_int(w, "code", s->code);
        jw_kv_cstr(w, "phrase", s->phrase);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}
