/* sipreply CLI: `sipreply analyze` input: capture files read in turn and their packets
 * decoded into SIP messages (the core's capture decoder). libpcap opens every file and says
 * what it is; a classic pcap file in this machine's byte order on a regular file is then
 * read here, 512 KiB per read() instead of libpcap's 4 KiB at a time through stdio, and its
 * records taken in place. pcapng, other byte orders, standard input, and from any record
 * that is not plainly valid on, libpcap reads (so its errors are reported as before). */
#define _DEFAULT_SOURCE /* libpcap's u_char/u_int, pread, fileno */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "cli.h"

#define READ_BUF     (512u << 10)
#define MAX_SNAPLEN  262144u /* libpcap's largest record for the link types read here */
#define MAGIC_USEC   0xa1b2c3d4u
#define MAGIC_NSEC   0xa1b23c4du
#define PCAP_HDR     24u
#define PCAP_REC_HDR 16u

int az_link_of(int dlt)
{
    switch (dlt) {
    case DLT_NULL: return SR_CAP_LINK_NULL;
    case DLT_EN10MB: return SR_CAP_LINK_ETHERNET;
    case DLT_RAW: return SR_CAP_LINK_RAW;
#ifdef DLT_LOOP
    case DLT_LOOP: return SR_CAP_LINK_LOOP;
#endif
    case DLT_LINUX_SLL: return SR_CAP_LINK_LINUX_SLL;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2: return SR_CAP_LINK_LINUX_SLL2;
#endif
#ifdef DLT_IPV4
    case DLT_IPV4: return SR_CAP_LINK_IPV4;
#endif
#ifdef DLT_IPV6
    case DLT_IPV6: return SR_CAP_LINK_IPV6;
#endif
    default: return -1;
    }
}

struct az_input {
    az *a;
    const char **files;
    size_t nfiles, next;
    bool progress;
    int rc;
    az_counts c;
    bool pending; /* a packet went to the decoder: poll it */
    /* the open file */
    pcap_t *pc;
    const char *path;
    int link;
    bool nano;
    /* the progress bar */
    bool bar;
    off_t size;
    int last_pct;
    /* direct reading of a classic pcap file: buf[boff, blen) are the file's bytes from
     * offset foff + boff on */
    bool direct, nsec;
    int fd;
    uint32_t snaplen;
    unsigned char *buf;
    size_t boff, blen;
    uint64_t foff;
    bool at_eof;
};

az_input *az_input_new(az *a, const char **files, size_t nfiles, bool progress)
{
    az_input *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->a = a;
    in->files = files;
    in->nfiles = nfiles;
    in->progress = progress;
    in->rc = CLI_OK;
    return in;
}

static void progress_show(az_input *in)
{
    long pos = in->direct ? (long)(in->foff + in->boff) : ftell(pcap_file(in->pc));
    if (pos < 0)
        return;
    int pct = (int)((double)pos * 100.0 / (double)in->size);
    if (pct == in->last_pct)
        return;
    in->last_pct = pct;
    int bars = pct / 4;
    fprintf(stderr, "\r%s [%.*s%*s] %3d%%", in->path, bars, "=========================", 25 - bars,
            "", pct);
    fflush(stderr);
}

/* Read the file directly when it is a classic pcap file in this machine's byte order. */
static void direct_start(az_input *in)
{
    in->direct = false;
    FILE *f = pcap_file(in->pc);
    struct stat st;
    if (!f || pcap_is_swapped(in->pc) || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        return;
    unsigned char h[PCAP_HDR];
    if (pread(fileno(f), h, sizeof h, 0) != (ssize_t)sizeof h)
        return;
    uint32_t magic, snaplen;
    uint16_t major;
    memcpy(&magic, h, 4);
    memcpy(&major, h + 4, 2);
    memcpy(&snaplen, h + 16, 4);
    if ((magic != MAGIC_USEC && magic != MAGIC_NSEC) || major != 2 || snaplen == 0 ||
        snaplen > MAX_SNAPLEN)
        return; /* pcapng, a modified format, an odd snap length: libpcap's */
    if (!in->buf && !(in->buf = malloc(READ_BUF)))
        return;
    in->direct = true;
    in->nsec = magic == MAGIC_NSEC;
    in->fd = fileno(f);
    in->snaplen = snaplen;
    in->foff = PCAP_HDR;
    in->boff = in->blen = 0;
    in->at_eof = false;
}

/* At least @p need bytes at buf[boff]; false when the file ends before. */
static bool direct_fill(az_input *in, size_t need)
{
    if (in->blen - in->boff >= need)
        return true;
    if (in->at_eof)
        return false;
    size_t keep = in->blen - in->boff;
    memmove(in->buf, in->buf + in->boff, keep);
    in->foff += in->boff;
    in->boff = 0;
    in->blen = keep;
    while (in->blen < READ_BUF) {
        ssize_t r =
            pread(in->fd, in->buf + in->blen, READ_BUF - in->blen, (off_t)(in->foff + in->blen));
        if (r <= 0) {
            in->at_eof = true; /* an error too: libpcap reads from here and says what */
            break;
        }
        in->blen += (size_t)r;
    }
    return in->blen >= need;
}

/* The next packet of the open file: 1, or 0 at its end (an error is printed). */
static int next_packet(az_input *in, uint64_t *ts, const u_char **data, uint32_t *caplen)
{
    if (in->direct) {
        if (direct_fill(in, PCAP_REC_HDR)) {
            uint32_t r[4]; /* seconds, fraction, captured length, length on the wire */
            memcpy(r, in->buf + in->boff, sizeof r);
            if (r[2] <= in->snaplen && direct_fill(in, PCAP_REC_HDR + r[2])) {
                *ts = (uint64_t)r[0] * 1000000000ull + (uint64_t)r[1] * (in->nsec ? 1u : 1000u);
                *data = in->buf + in->boff + PCAP_REC_HDR;
                *caplen = r[2];
                in->boff += PCAP_REC_HDR + r[2];
                return 1;
            }
        }
        /* the end, or a record to be judged by libpcap: it reads on from this record */
        in->direct = false;
        if (!in->at_eof || in->blen > in->boff) {
            if (fseeko(pcap_file(in->pc), (off_t)(in->foff + in->boff), SEEK_SET) != 0) {
                fprintf(stderr, "%s analyze: %s: cannot seek\n", cli_prog, in->path);
                return 0;
            }
        } else {
            return 0; /* the file ends after a whole record */
        }
    }
    struct pcap_pkthdr *h;
    int r = pcap_next_ex(in->pc, &h, data);
    if (r == PCAP_ERROR) { /* e.g. a file cut short: report, keep what was read */
        fprintf(stderr, "%s analyze: %s: %s (the report covers the packets before)\n", cli_prog,
                in->path, pcap_geterr(in->pc));
        return 0;
    }
    if (r != 1)
        return 0;
    *ts =
        (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec * (in->nano ? 1u : 1000u);
    *caplen = h->caplen;
    return 1;
}

/* Open the next file; false when it cannot be read (said why). */
static bool open_next(az_input *in)
{
    const char *path = in->files[in->next++];
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pc) {
        fprintf(stderr, "%s analyze: %s: %s\n", cli_prog, path, err);
        return false;
    }
    int link = az_link_of(pcap_datalink(pc));
    if (link < 0) {
        fprintf(stderr, "%s analyze: %s: link type %s is not supported\n", cli_prog, path,
                pcap_datalink_val_to_name(pcap_datalink(pc)));
        pcap_close(pc);
        return false;
    }
    in->pc = pc;
    in->path = path;
    in->link = link;
    in->nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
    in->bar = false;
    in->last_pct = -1;
    struct stat st;
    /* a bar on a terminal for files over a few MB */
    if (in->progress && strcmp(path, "-") != 0 && isatty(2) && stat(path, &st) == 0 &&
        st.st_size > (off_t)8 << 20) {
        in->bar = true;
        in->size = st.st_size;
    }
    direct_start(in);
    return true;
}

static void close_file(az_input *in)
{
    if (in->bar)
        fprintf(stderr, "\r%*s\r", (int)strlen(in->path) + 34, "");
    pcap_close(in->pc);
    in->pc = NULL;
    in->direct = false;
}

int az_input_next(az_input *in, sr_cap_msg *cm, az_counts *c)
{
    sr_capture *cap = in->a->cap;
    for (;;) {
        if (in->pending) {
            if (sr_capture_poll(cap, cm) == 1) {
                *c = in->c;
                return 1;
            }
            in->pending = false;
        }
        if (!in->pc) {
            if (in->next == in->nfiles || in->rc != CLI_OK) {
                *c = in->c;
                return 0;
            }
            if (!open_next(in))
                in->rc = CLI_USAGE;
            continue;
        }
        uint64_t ts;
        const u_char *data;
        uint32_t caplen;
        if (next_packet(in, &ts, &data, &caplen) != 1) {
            close_file(in);
            continue;
        }
        az_counts *k = &in->c;
        k->packets++;
        k->bytes += caplen;
        if (!k->first_ns || ts < k->first_ns)
            k->first_ns = ts;
        if (ts > k->last_ns)
            k->last_ns = ts;
        /* SR_ENOMEM: the packet is dropped, the decoder stays usable */
        in->pending = sr_capture_packet(cap, in->link, ts, data, caplen) == 0;
        if (in->bar && (k->packets & 1023) == 0)
            progress_show(in);
    }
}

int az_input_free(az_input *in)
{
    if (in->pc)
        close_file(in);
    int rc = in->rc;
    free(in->buf);
    free(in);
    return rc;
}
