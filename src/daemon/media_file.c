/* sipreplyd: the WAV files of the media `file` mode, decoded with libsndfile into 8 kHz mono
 * 16-bit samples once, when the configuration is loaded (the loop never reads a file). */
#include "config.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipreply/rtp.h"

/* the longest file kept: 10 minutes at 8 kHz (9.6 MB of samples) */
#define MAX_SAMPLES (8000u * 600u)

static int load_one(sd_media_rule *m, const char *rule, char *err, size_t errlen)
{
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    SNDFILE *f = sf_open(m->file, SFM_READ, &info);
    if (!f) {
        snprintf(err, errlen, "rule %s: media file %s: %s", rule, m->file, sf_strerror(NULL));
        return -1;
    }
    if (info.channels < 1 || info.samplerate < 1 || info.frames < 1) {
        snprintf(err, errlen, "rule %s: media file %s: no samples", rule, m->file);
        sf_close(f);
        return -1;
    }
    /* frames at the file's rate → samples at 8 kHz (nearest sample: telephony files are 8 kHz
     * already, where this is a copy) */
    uint64_t frames = (uint64_t)info.frames;
    uint64_t n = frames * 8000u / (uint64_t)info.samplerate;
    if (n > MAX_SAMPLES)
        n = MAX_SAMPLES;
    if (n == 0)
        n = 1;
    size_t ch = (size_t)info.channels;
    short *buf = malloc(4096 * ch * sizeof(short));
    int16_t *out = malloc((size_t)n * sizeof(int16_t));
    if (!buf || !out) {
        free(buf);
        free(out);
        sf_close(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint64_t frame = 0, k = 0;
    sf_count_t got;
    while (k < n && (got = sf_readf_short(f, buf, 4096)) > 0) {
        for (sf_count_t i = 0; i < got && k < n; i++, frame++) {
            /* the 8 kHz samples whose time falls on this frame (the first channel) */
            while (k < n && k * (uint64_t)info.samplerate / 8000u == frame)
                out[k++] = buf[(size_t)i * ch];
        }
    }
    sf_close(f);
    free(buf);
    free(m->samples);
    m->samples = out;
    m->n_samples = (size_t)k;
    return k ? 0 : -1;
}

static int load_if_file(sd_media_rule *m, const char *rule, char *err, size_t errlen)
{
    if (m->set && m->mode == SR_MEDIA_SAMPLES && m->file)
        return load_one(m, rule, err, errlen);
    return 0;
}

int sd_media_load_files(sd_config *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->n_rules; i++) {
        sd_rule *r = &c->rules[i];
        if (load_if_file(&r->media, r->name, err, errlen) != 0)
            return -1;
        /* the files a DTMF action switches to */
        for (size_t k = 0; k < r->dtmf.n_on; k++)
            if (load_if_file(&r->dtmf.on[k].media, r->name, err, errlen) != 0)
                return -1;
        if (r->dtmf.has_no_match && load_if_file(&r->dtmf.no_match.media, r->name, err, errlen))
            return -1;
    }
    return 0;
}
