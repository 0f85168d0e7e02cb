/*
 * Unit tests for the CMS code: streaming encryption and decryption round
 * trip, the BER layout walker on every truncation, tag and key failures.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "escrow_int.h"
#include "sp_test.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

static char tmpdir[256];
static EVP_PKEY *key, *other;
static char certpath[300];

static X509 *
self_signed(EVP_PKEY *k)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600 * 24);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"reviewer", -1, -1, 0);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_true(X509_sign(x, k,
	                EVP_PKEY_is_a(k, "ED25519") ? NULL : EVP_sha256()) > 0);
	return x;
}

static int
group_setup(void **state)
{
	X509 *x;
	FILE *f;

	(void)state;
	if (sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "cms") < 0)
		return -1;
	key = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(2048);
	if (key == NULL || other == NULL)
		return -1;
	x = self_signed(key);
	snprintf(certpath, sizeof(certpath), "%s/cert.pem", tmpdir);
	if ((f = fopen(certpath, "w")) == NULL)
		return -1;
	PEM_write_X509(f, x);
	fclose(f);
	X509_free(x);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	return sp_test_rmtree(tmpdir);
}

static int
mem_sink(void *payload, const void *data, size_t len)
{
	return sp_buf_put(payload, data, len) < 0 ? SP_ENOMEM : 0;
}

/* Encrypt @p len bytes of a pattern to the test certificate. */
static void
encrypt(sp_ctx *ctx, sp_buf *out, size_t len)
{
	const char *certs[] = {certpath};
	sp_cms_writer *cw = NULL;
	unsigned char chunk[1000];
	size_t done = 0, i;

	assert_int_equal(
	    sp_cms_writer_new(ctx, &cw, certs, 1, mem_sink, out), 0);
	assert_int_equal(out->size, 0); /* nothing before the first write */
	while (done < len) {
		size_t n =
		    len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		for (i = 0; i < n; i++)
			chunk[i] = (unsigned char)((done + i) * 7 % 251);
		assert_int_equal(sp_cms_writer_write(cw, chunk, n), 0);
		done += n;
	}
	if (sp_cms_writer_finish(cw) != 0)
		fail_msg("finish (%zu bytes): %s", len, sp_ctx_errmsg(ctx));
	sp_cms_writer_free(cw);
}

static int
to_file(const sp_buf *b, const char *name)
{
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->ptr, b->size), (ssize_t)b->size);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Decrypt the whole file: 0 and the plaintext, or the error. */
static int
decrypt(sp_ctx *ctx, int fd, EVP_PKEY *k, sp_buf *plain)
{
	sp_cms_reader *cr = NULL;
	unsigned char buf[4096];
	long n;
	int error;

	if ((error = sp_cms_reader_open(ctx, &cr, fd, "test", k, NULL)) < 0)
		return error;
	assert_true(sp_cms_reader_authenticated(cr));
	assert_string_equal(sp_cms_reader_cipher(cr), "AES-256-GCM");
	while ((n = sp_cms_reader_read(cr, buf, sizeof(buf))) > 0)
		assert_int_equal(sp_buf_put(plain, buf, (size_t)n), 0);
	sp_cms_reader_free(cr);
	return (int)n;
}

static void
test_cms__round_trip(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf enc = SP_BUF_INIT, plain = SP_BUF_INIT;
	size_t sizes[] = {1, 4095, 4096, 300000};
	size_t s, i;
	int fd;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	for (s = 0; s < SP_ARRAY_SIZE(sizes); s++) {
		sp_buf_clear(&enc);
		sp_buf_clear(&plain);
		encrypt(ctx, &enc, sizes[s]);
		assert_int_equal((unsigned char)enc.ptr[0], 0x30);
		fd = to_file(&enc, "rt.cms");
		assert_int_equal(decrypt(ctx, fd, key, &plain), 0);
		close(fd);
		assert_int_equal(plain.size, sizes[s]);
		for (i = 0; i < plain.size; i++) {
			if ((unsigned char)plain.ptr[i] !=
			    (unsigned char)(i * 7 % 251))
				fail_msg("plaintext differs at %zu", i);
		}
	}
	/* An empty content cannot be streamed by OpenSSL: a clear error. */
	{
		const char *certs[] = {certpath};
		sp_cms_writer *cw = NULL;

		sp_buf_clear(&enc);
		assert_int_equal(
		    sp_cms_writer_new(ctx, &cw, certs, 1, mem_sink, &enc), 0);
		assert_int_equal(sp_cms_writer_finish(cw), SP_EINVALID);
		sp_cms_writer_free(cw);
	}
	sp_buf_dispose(&enc);
	sp_buf_dispose(&plain);
	sp_ctx_free(ctx);
}

static void
test_cms__tampering_and_wrong_key(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf enc = SP_BUF_INIT, plain = SP_BUF_INIT;
	int fd;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	encrypt(ctx, &enc, 20000);
	/* A byte of ciphertext changed: the tag check fails at the end. */
	enc.ptr[enc.size / 2] ^= 0x01;
	fd = to_file(&enc, "t.cms");
	assert_int_equal(decrypt(ctx, fd, key, &plain), SP_EVERIFY);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "authentication tag"));
	close(fd);
	enc.ptr[enc.size / 2] ^= 0x01;
	/* The tag itself changed (it sits before the final 6 EOC bytes). */
	enc.ptr[enc.size - 8] ^= 0x80;
	fd = to_file(&enc, "t2.cms");
	sp_buf_clear(&plain);
	assert_int_equal(decrypt(ctx, fd, key, &plain), SP_EVERIFY);
	close(fd);
	enc.ptr[enc.size - 8] ^= 0x80;
	/* Another RSA key: OpenSSL's countermeasure makes up a random key,
	 * so the tag check is what fails. */
	fd = to_file(&enc, "t3.cms");
	sp_buf_clear(&plain);
	assert_int_equal(decrypt(ctx, fd, other, &plain), SP_EVERIFY);
	close(fd);
	sp_buf_dispose(&enc);
	sp_buf_dispose(&plain);
	sp_ctx_free(ctx);
}

static void
test_cms__layout_truncations_and_garbage(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf enc = SP_BUF_INIT, der = SP_BUF_INIT;
	uint64_t off = 0;
	size_t n;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	encrypt(ctx, &enc, 9000);
	assert_int_equal(sp_cms__parse_layout(ctx, (const uint8_t *)enc.ptr,
	                     enc.size, &der, &off),
	    0);
	assert_true(der.size > 0 && der.size < 2000);
	assert_true(off > 0 && off < enc.size);
	/* Every strict prefix is refused; so is anything appended. */
	for (n = 0; n < enc.size; n++) {
		sp_buf_clear(&der);
		if (sp_cms__parse_layout(
		        ctx, (const uint8_t *)enc.ptr, n, &der, NULL) == 0)
			fail_msg("truncation to %zu bytes accepted", n);
	}
	assert_int_equal(sp_buf_put(&enc, "\0", 1), 0);
	sp_buf_clear(&der);
	assert_int_equal(sp_cms__parse_layout(ctx, (const uint8_t *)enc.ptr,
	                     enc.size, &der, NULL),
	    SP_EPARSE);
	/* Not CMS enveloped data at all. */
	sp_buf_clear(&der);
	assert_true(
	    sp_cms__parse_layout(ctx, (const uint8_t *)"\x30\x03\x02\x01\x00",
	        5, &der, NULL) < 0);
	sp_buf_dispose(&enc);
	sp_buf_dispose(&der);
	sp_ctx_free(ctx);
}

static void
test_cms__unusable_recipients(void **state)
{
	sp_ctx *ctx = NULL;
	sp_buf out = SP_BUF_INIT;
	sp_cms_writer *cw = NULL;
	char edpath[400];
	const char *certs[2];
	EVP_PKEY *ed;
	X509 *x;
	FILE *f;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(ed);
	x = self_signed(ed);
	snprintf(edpath, sizeof(edpath), "%s/ed.pem", tmpdir);
	assert_non_null(f = fopen(edpath, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	certs[0] = certpath;
	certs[1] = edpath;
	assert_int_equal(sp_cms_writer_new(ctx, &cw, certs, 2, mem_sink, &out),
	    SP_EUNSUPPORTED);
	assert_null(cw);
	assert_int_equal(out.size, 0);
	certs[1] = "/nonexistent/cert.pem";
	assert_int_equal(sp_cms_writer_new(ctx, &cw, certs, 2, mem_sink, &out),
	    SP_ENOTFOUND);
	certs[1] = SP_SOURCE_DIR "/docs/spec/bundle.md";
	assert_int_equal(
	    sp_cms_writer_new(ctx, &cw, certs, 2, mem_sink, &out), SP_EPARSE);
	assert_int_equal(out.size, 0);
	X509_free(x);
	EVP_PKEY_free(ed);
	sp_buf_dispose(&out);
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cms__round_trip),
	    cmocka_unit_test(test_cms__tampering_and_wrong_key),
	    cmocka_unit_test(test_cms__layout_truncations_and_garbage),
	    cmocka_unit_test(test_cms__unusable_recipients),
	};

	return cmocka_run_group_tests_name(
	    "cms", tests, group_setup, group_teardown);
}
