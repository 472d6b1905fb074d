/* sipreply tests: packets built byte by byte for the capture decoder's tests.
 * Ethernet/VLAN, IPv4 (RFC 791), IPv6 (RFC 8200), UDP (RFC 768), TCP (RFC 9293) headers. */
#ifndef SIPREPLY_CAPTURE_PKT_H
#define SIPREPLY_CAPTURE_PKT_H

#include <stdint.h>
#include <string.h>

#define PK_MAX 70000

typedef struct pk {
    uint8_t b[PK_MAX];
    size_t n;
} pk;

static inline void pk_put(pk *p, const void *d, size_t n)
{
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static inline void pk_u8(pk *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static inline void pk_u16(pk *p, unsigned v)
{
    pk_u8(p, (v >> 8) & 0xff);
    pk_u8(p, v & 0xff);
}

static inline void pk_u32(pk *p, uint32_t v)
{
    pk_u16(p, v >> 16);
    pk_u16(p, v & 0xffff);
}

static const uint8_t PK_A4[4] = {192, 0, 2, 1}, PK_B4[4] = {192, 0, 2, 5};
static const uint8_t PK_A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t PK_B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};

/* A UDP header and data into @p out. */
static inline void pk_udp(pk *out, unsigned sport, unsigned dport, const void *d, size_t n)
{
    pk_u16(out, sport);
    pk_u16(out, dport);
    pk_u16(out, (unsigned)(8 + n));
    pk_u16(out, 0); /* no checksum */
    pk_put(out, d, n);
}

/* A TCP header (20 bytes, ACK set besides @p flags) and data into @p out. */
static inline void pk_tcp(pk *out, unsigned sport, unsigned dport, uint32_t seq, unsigned flags,
                          const void *d, size_t n)
{
    pk_u16(out, sport);
    pk_u16(out, dport);
    pk_u32(out, seq);
    pk_u32(out, 1);
    pk_u8(out, 5 << 4);
    pk_u8(out, flags | 0x10);
    pk_u16(out, 65535);
    pk_u32(out, 0); /* checksum, urgent pointer */
    pk_put(out, d, n);
}

/* An IPv4 header (RFC 791) carrying @p l4 (@p fragfield: flags and offset in 8-byte units). */
static inline void pk_ip4(pk *out, const uint8_t src[4], const uint8_t dst[4], unsigned proto,
                          unsigned id, unsigned fragfield, const pk *l4)
{
    pk_u8(out, 0x45);
    pk_u8(out, 0);
    pk_u16(out, (unsigned)(20 + l4->n));
    pk_u16(out, id);
    pk_u16(out, fragfield);
    pk_u8(out, 64);
    pk_u8(out, proto);
    pk_u16(out, 0);
    pk_put(out, src, 4);
    pk_put(out, dst, 4);
    pk_put(out, l4->b, l4->n);
}

/* An IPv6 header (RFC 8200) with Next Header @p nh carrying @p rest (extension headers and
 * the upper layer, already built). */
static inline void pk_ip6(pk *out, const uint8_t src[16], const uint8_t dst[16], unsigned nh,
                          const pk *rest)
{
    pk_u32(out, 0x60000000u);
    pk_u16(out, (unsigned)rest->n);
    pk_u8(out, nh);
    pk_u8(out, 64);
    pk_put(out, src, 16);
    pk_put(out, dst, 16);
    pk_put(out, rest->b, rest->n);
}

/* An Ethernet II header with EtherType @p type, then @p l3. */
static inline void pk_eth(pk *out, unsigned type, const pk *l3)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    pk_put(out, macs, 12);
    pk_u16(out, type);
    pk_put(out, l3->b, l3->n);
}

#endif /* SIPREPLY_CAPTURE_PKT_H */
