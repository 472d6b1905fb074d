/* sipreply CLI: `sipreply analyze --html FILE`: one self-contained page (inline CSS, SVG
 * drawn by an inline script from the report's JSON; nothing is fetched from the network). */
#define _DEFAULT_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "analyze_report_js.h"

static const char head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
    "<title>sipreply analyze</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}\n"
    "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}\n"
    ".figs{display:flex;gap:18px;flex-wrap:wrap}.figs div{background:#f3f5f8;padding:8px "
    "14px;border-radius:6px}.figs b{display:block;font-size:20px}\n"
    "table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #e3e3e3;"
    "text-align:left;vertical-align:top}td.num{text-align:right}\n"
    "#calls tr[data-index]{cursor:pointer}#calls tr[data-index]:hover{background:#eef4fb}\n"
    "svg text{font:12px sans-serif}svg text.time{fill:#666}pre{white-space:pre-wrap;"
    "font-size:12px}#errors{color:#c0392b}\n</style>\n</head>\n<body>\n"
    "<h1>SIP capture report</h1>\n<pre id=\"errors\" hidden></pre>\n"
    "<div class=\"figs\"><div>packets<b id=\"fig-packets\"></b></div>"
    "<div>SIP messages<b id=\"fig-messages\"></b></div><div>resent<b id=\"fig-resent\"></b>"
    "</div><div>calls<b id=\"fig-calls\"></b></div><div>SER %<b id=\"fig-ser\"></b></div>"
    "<div>ASR %<b id=\"fig-asr\"></b></div><div>NER %<b id=\"fig-ner\"></b></div></div>\n"
    "<h2>Responses by class</h2><div id=\"classes\"></div>\n"
    "<h2>Responses over time</h2><div id=\"timeline\"></div>\n"
    "<h2>Post-dial delay</h2><div id=\"pdd\"></div>\n"
    "<h2>RFC 6076 metrics</h2><table id=\"metrics\"><tr><th>metric</th><th>value</th>"
    "<th>range</th><th>count</th></tr></table>\n"
    "<h2>Calls</h2><p>Click a call for its ladder diagram. <span id=\"calls-note\"></span></p>"
    "<table id=\"calls\"><tr><th>start</th><th>caller</th><th>callee</th><th>code</th>"
    "<th>by</th><th>pdd s</th><th>answer s</th><th>duration s</th><th>hung up</th>"
    "<th>resent</th></tr></table>\n<div id=\"ladder\"></div>\n"
    "<h2>Conformance</h2><table id=\"findings\"><tr><th>element</th><th>level</th>"
    "<th>rule</th><th>section</th><th>count</th><th>what</th><th></th></tr></table>\n"
    "<script type=\"application/json\" id=\"report\">\n";

int az_print_html(const az *a, FILE *out)
{
    char *json = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&json, &n);
    if (!mem)
        return -1;
    az_print_json(a, mem);
    if (fclose(mem) != 0 || !json) {
        free(json);
        return -1;
    }
    fputs(head, out);
    /* '<' only occurs inside JSON strings, where \u003c means the same: no "</script>" or
     * "<!--" in a message example can end the element early */
    for (size_t i = 0; i < n; i++) {
        if (json[i] == '<')
            fputs("\\u003c", out);
        else
            fputc(json[i], out);
    }
    free(json);
    fputs("</script>\n<script>\n", out);
    fwrite(analyze_report_js, 1, sizeof analyze_report_js - 1, out);
    fputs("</script>\n</body>\n</html>\n", out);
    return ferror(out) ? -1 : 0;
}
