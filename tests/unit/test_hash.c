/* sipreply tests: MD5 (RFC 1321 §A.5), SHA-256 (FIPS 180-4 / NIST examples), HMAC-SHA-256
 * (RFC 4231), and a cross-check against OpenSSL on random inputs when it is available. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sipreply/auth.h"

#ifdef SR_TEST_OPENSSL
#include <openssl/evp.h>
#include <openssl/hmac.h>
#endif

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_md5(const char *in, const char *want)
{
    uint8_t d[SR_MD5_LEN];
    char h[2 * SR_MD5_LEN + 1];
    sr_md5(in, strlen(in), d);
    hex(d, sizeof d, h);
    assert_string_equal(h, want);
}

static void check_sha256(const void *in, size_t len, const char *want)
{
    uint8_t d[SR_SHA256_LEN];
    char h[2 * SR_SHA256_LEN + 1];
    sr_sha256(in, len, d);
    hex(d, sizeof d, h);
    assert_string_equal(h, want);
}

/* RFC 1321 §A.5, the test suite. */
static void test_md5_rfc1321(void **state)
{
    (void)state;
    check_md5("", "d41d8cd98f00b204e9800998ecf8427e");
    check_md5("a", "0cc175b9c0f1b6a831c399e269772661");
    check_md5("abc", "900150983cd24fb0d6963f7d28e17f72");
    check_md5("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
    check_md5("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
    check_md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
              "d174ab98d277d9f5a5611c2c9f419d9f");
    check_md5("1234567890123456789012345678901234567890123456789012345678901234567890123456789"
              "0",
              "57edf4a22be3c955ac49da2e2107b67a");
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf"): one block, two blocks, a million 'a'. */
static void test_sha256_fips(void **state)
{
    (void)state;
    check_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha256(two, strlen(two),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjk"
                       "lmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check_sha256(four, strlen(four),
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    /* A million 'a' fed in uneven pieces through the streaming interface. */
    sr_sha256_ctx c;
    sr_sha256_init(&c);
    char buf[997];
    memset(buf, 'a', sizeof buf);
    size_t left = 1000000;
    for (size_t step = 1; left; step = step % 997 + 13) {
        size_t n = step < left ? step : left;
        if (n > sizeof buf)
            n = sizeof buf;
        sr_sha256_update(&c, buf, n);
        left -= n;
    }
    uint8_t d[SR_SHA256_LEN];
    char h[65];
    sr_sha256_final(&c, d);
    hex(d, sizeof d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void check_hmac(const void *key, size_t kl, const void *data, size_t dl, const char *want)
{
    uint8_t d[SR_SHA256_LEN];
    char h[65];
    sr_hmac_sha256(key, kl, data, dl, d);
    hex(d, sizeof d, h);
    assert_string_equal(h, want);
}

/* RFC 4231 §4.2, §4.3, §4.7 (key longer than a block), §4.8. */
static void test_hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t k1[20];
    memset(k1, 0x0b, sizeof k1);
    check_hmac(k1, sizeof k1, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac("Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    uint8_t k6[131];
    memset(k6, 0xaa, sizeof k6);
    const char *d6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_hmac(k6, sizeof k6, d6, strlen(d6),
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *d7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    check_hmac(k6, sizeof k6, d7, strlen(d7),
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/* Streaming in every split gives the one-shot digest (block boundaries 55/56/63/64). */
static void test_hash_splits(void **state)
{
    (void)state;
    uint8_t data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    for (size_t len = 0; len <= sizeof data; len++) {
        uint8_t a[SR_SHA256_LEN], b[SR_SHA256_LEN], m1[SR_MD5_LEN], m2[SR_MD5_LEN];
        sr_sha256(data, len, a);
        sr_md5(data, len, m1);
        for (size_t cut = 0; cut <= len; cut += 7) {
            sr_sha256_ctx c;
            sr_sha256_init(&c);
            sr_sha256_update(&c, data, cut);
            sr_sha256_update(&c, data + cut, len - cut);
            sr_sha256_final(&c, b);
            assert_memory_equal(a, b, sizeof a);
            sr_md5_ctx m;
            sr_md5_init(&m);
            sr_md5_update(&m, data, cut);
            sr_md5_update(&m, data + cut, len - cut);
            sr_md5_final(&m, m2);
            assert_memory_equal(m1, m2, sizeof m1);
        }
    }
    assert_true(sr_mem_eq_ct("abc", "abc", 3));
    assert_false(sr_mem_eq_ct("abc", "abd", 3));
    assert_true(sr_mem_eq_ct("", "", 0));
}

#ifdef SR_TEST_OPENSSL
/* Random lengths and contents against OpenSSL's EVP and HMAC. */
static void test_hash_vs_openssl(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint8_t *buf = malloc(5000);
    assert_non_null(buf);
    for (int iter = 0; iter < 400; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t len = (size_t)(x % 5000);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (uint8_t)x;
        }
        uint8_t ours[SR_SHA256_LEN], theirs[EVP_MAX_MD_SIZE];
        unsigned tl = 0;
        sr_sha256(buf, len, ours);
        assert_int_equal(EVP_Digest(buf, len, theirs, &tl, EVP_sha256(), NULL), 1);
        assert_int_equal(tl, SR_SHA256_LEN);
        assert_memory_equal(ours, theirs, SR_SHA256_LEN);
        sr_md5(buf, len, ours);
        assert_int_equal(EVP_Digest(buf, len, theirs, &tl, EVP_md5(), NULL), 1);
        assert_memory_equal(ours, theirs, SR_MD5_LEN);
        size_t kl = len % 150;
        sr_hmac_sha256(buf, kl, buf + kl, len - kl, ours);
        assert_non_null(HMAC(EVP_sha256(), buf, (int)kl, buf + kl, len - kl, theirs, &tl));
        assert_memory_equal(ours, theirs, SR_SHA256_LEN);
    }
    free(buf);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_TEST(test_md5_rfc1321),     TU_TEST(test_sha256_fips),
        TU_TEST(test_hmac_rfc4231),    TU_TEST(test_hash_splits),
#ifdef SR_TEST_OPENSSL
        TU_TEST(test_hash_vs_openssl),
#endif
    };
#ifndef SR_TEST_OPENSSL
    puts("test_hash: OpenSSL (libssl-dev) not found: the cross-check against it is skipped");
#endif
    return cmocka_run_group_tests(tests, NULL, NULL);
}
