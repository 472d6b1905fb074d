/* sipreply tests: SipHash-2-4 (sr_siphash24, the To tags, nonces and proxy branches) and
 * SipHash-1-3 (sr__siphash13, the transaction index's bucket hashes) against the reference
 * implementation's vectors (github.com/veorq/SipHash: key 00..0f, message 00..len-1 for
 * every len from 0 to 63; vectors.h holds the 2-4 table, and its makefile's cROUNDS=1
 * dROUNDS=3 with GETVECTORS prints the 1-3 one), read as little-endian 64-bit words. */
#include <string.h>

#include "testutil.h"

#include "sipreply/build.h"

#include "core_int.h"
#include "siphash_int.h"

static const uint64_t vec24[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
    0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

static const uint64_t vec13[64] = {
    0xabac0158050fc4dcULL, 0xc9f49bf37d57ca93ULL, 0x82cb9b024dc7d44dULL, 0x8bf80ab8e7ddf7fbULL,
    0xcf75576088d38328ULL, 0xdef9d52f49533b67ULL, 0xc50d2b50c59f22a7ULL, 0xd3927d989bb11140ULL,
    0x369095118d299a8eULL, 0x25a48eb36c063de4ULL, 0x79de85ee92ff097fULL, 0x70c118c1f94dc352ULL,
    0x78a384b157b4d9a2ULL, 0x306f760c1229ffa7ULL, 0x605aa111c0f95d34ULL, 0xd320d86d2a519956ULL,
    0xcc4fdd1a7d908b66ULL, 0x9cf2689063dbd80cULL, 0x8ffc389cb473e63eULL, 0xf21f9de58d297d1cULL,
    0xc0dc2f46a6cce040ULL, 0xb992abfe2b45f844ULL, 0x7ffe7b9ba320872eULL, 0x525a0e7fdae6c123ULL,
    0xf464aeb267349c8cULL, 0x45cd5928705b0979ULL, 0x3a3e35e3ca9913a5ULL, 0xa91dc74e4ade3b35ULL,
    0xfb0bed02ef6cd00dULL, 0x88d93cb44ab1e1f4ULL, 0x540f11d643c5e663ULL, 0x2370dd1f8c21d1bcULL,
    0x81157b6c16a7b60dULL, 0x4d54b9e57a8ff9bfULL, 0x759f12781f2a753eULL, 0xcea1a3bebf186b91ULL,
    0x2cf508d3ada26206ULL, 0xb6101c2da3c33057ULL, 0xb3f47496ae3a36a1ULL, 0x626b57547b108392ULL,
    0xc1d2363299e41531ULL, 0x667cc1923f1ad944ULL, 0x65704ffec8138825ULL, 0x24f280d1c28949a6ULL,
    0xc2ca1cedfaf8876bULL, 0xc2164bfc9f042196ULL, 0xa16e9c9368b1d623ULL, 0x49fb169c8b5114fdULL,
    0x9f3143f8df074c46ULL, 0xc6fdaf2412cc86b3ULL, 0x7eaf49d10a52098fULL, 0x1cf313559d292f9aULL,
    0xc44a30dda2f41f12ULL, 0x36fae98943a71ed0ULL, 0x318fb34c73f0bce6ULL, 0xa27abf3670a7e980ULL,
    0xb4bcc0db243c6d75ULL, 0x23f8d852fdb71513ULL, 0x8f035f4da67d8a08ULL, 0xd89cd0e5b7e8f148ULL,
    0xf6f4e6bcf7a644eeULL, 0xaec59ad80f1837f2ULL, 0xc3b2f6154b6694e0ULL, 0x9d199062b7bbb3a8ULL,
};

static void ref_input(uint8_t key[16], uint8_t msg[64])
{
    for (unsigned i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (unsigned i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
}

static void test_siphash24_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    ref_input(key, msg);
    for (size_t len = 0; len < 64; len++)
        assert_true(sr_siphash24(key, msg, len) == vec24[len]);
}

static void test_siphash13_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    ref_input(key, msg);
    for (size_t len = 0; len < 64; len++)
        assert_true(sr__siphash13(key, msg, len) == vec13[len]);
    /* the two variants differ (the rounds are really fewer, not the same function) */
    assert_true(sr__siphash13(key, msg, 15) != sr_siphash24(key, msg, 15));
    /* NULL is the all-zero key: the reference gives 0xd1fba762150c532c for the empty input */
    uint8_t zero[16] = {0};
    assert_true(sr__siphash13(NULL, "", 0) == 0xd1fba762150c532cULL);
    assert_true(sr__siphash13(zero, "", 0) == 0xd1fba762150c532cULL);
}

/* A byte-at-a-time SipHash-c-d written from the paper, to check the word loads of both
 * variants at every length up to 80 and every alignment (the partial last word included). */
static uint64_t ref_rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64u - b));
}

static void ref_round(uint64_t v[4])
{
    v[0] += v[1], v[1] = ref_rotl(v[1], 13), v[1] ^= v[0], v[0] = ref_rotl(v[0], 32);
    v[2] += v[3], v[3] = ref_rotl(v[3], 16), v[3] ^= v[2];
    v[0] += v[3], v[3] = ref_rotl(v[3], 21), v[3] ^= v[0];
    v[2] += v[1], v[1] = ref_rotl(v[1], 17), v[1] ^= v[2], v[2] = ref_rotl(v[2], 32);
}

static uint64_t ref_siphash(const uint8_t k[16], const uint8_t *in, size_t len, int c, int d)
{
    uint64_t k0 = 0, k1 = 0;
    for (unsigned i = 0; i < 8; i++) {
        k0 |= (uint64_t)k[i] << (8u * i);
        k1 |= (uint64_t)k[8 + i] << (8u * i);
    }
    uint64_t v[4] = {0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
                     0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1};
    for (size_t blk = 0; blk <= len / 8; blk++) {
        uint64_t m = 0;
        size_t n = blk < len / 8 ? 8 : len % 8;
        for (size_t i = 0; i < n; i++)
            m |= (uint64_t)in[8 * blk + i] << (8u * i);
        if (blk == len / 8)
            m |= (uint64_t)len << 56;
        v[3] ^= m;
        for (int r = 0; r < c; r++)
            ref_round(v);
        v[0] ^= m;
    }
    v[2] ^= 0xff;
    for (int r = 0; r < d; r++)
        ref_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void test_siphash_any_alignment(void **state)
{
    (void)state;
    uint8_t key[16], buf[96];
    for (unsigned i = 0; i < 16; i++)
        key[i] = (uint8_t)(0xa5 ^ (i * 37));
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 101 + 7);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= 80; len++) {
            assert_true(sr__siphash13(key, buf + off, len) ==
                        ref_siphash(key, buf + off, len, 1, 3));
            assert_true(sr_siphash24(key, buf + off, len) ==
                        ref_siphash(key, buf + off, len, 2, 4));
        }
}

/* The word-fed SipHash-1-3 of the transaction index (siphash_int.h): a field read where it
 * lies, at any length and alignment, is the same hash as sr__siphash13 of the field's bytes
 * zero-padded to whole words; sr__lower8 lowers ASCII capitals only. */
static void test_sip13_fields(void **state)
{
    (void)state;
    uint8_t key[16];
    char buf[96], pad[104];
    for (unsigned i = 0; i < 16; i++)
        key[i] = (uint8_t)(0x3c ^ (i * 29));
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i * 77 + 13);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= 80; len++) {
            sr__sip13 h;
            sr__sip13_init(&h, key);
            sr__sip13_word(&h, len);
            sr__sip13_field(&h, buf + off, len, false);
            size_t words = (len + 7) / 8;
            memset(pad, 0, sizeof pad);
            for (unsigned i = 0; i < 8; i++)
                pad[i] = (char)(uint8_t)(len >> (8u * i));
            memcpy(pad + 8, buf + off, len);
            assert_true(sr__sip13_end(&h) == sr__siphash13(key, pad, 8 + 8 * words));
        }
    for (unsigned c = 0; c < 256; c++) {
        uint64_t w = 0x0101010101010101ULL * c;
        unsigned want = c >= 'A' && c <= 'Z' ? c + 32 : c;
        assert_true(sr__lower8(w) == 0x0101010101010101ULL * want);
    }
    const char *mixed = "Example.COM-Host_9";
    char low[32] = {0};
    for (size_t i = 0; mixed[i]; i++)
        low[i] = (char)(mixed[i] >= 'A' && mixed[i] <= 'Z' ? mixed[i] + 32 : mixed[i]);
    for (size_t len = 0; len <= strlen(mixed); len++) {
        sr__sip13 a, b;
        sr__sip13_init(&a, key);
        sr__sip13_init(&b, key);
        sr__sip13_field(&a, mixed, len, true);
        sr__sip13_field(&b, low, len, false);
        assert_true(sr__sip13_end(&a) == sr__sip13_end(&b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_siphash24_vectors),
        TU_TEST(test_siphash13_vectors),
        TU_TEST(test_siphash_any_alignment),
        TU_TEST(test_sip13_fields),
    };
    return cmocka_run_group_tests_name("siphash", tests, NULL, NULL);
}
