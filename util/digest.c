/*
 * SHA-256 helpers (OpenSSL EVP), streaming for files.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "srcproof/util.h"

#include "banned.h"

#define READ_CHUNK (256 * 1024)

int
sp_sha256(sp_ctx *ctx, uint8_t out[SP_SHA256_LEN], const void *data, size_t len)
{
	unsigned int olen = 0;

	if (EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL) != 1 ||
	    olen != SP_SHA256_LEN)
		return sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
	return 0;
}

int
sp_sha256_fd(sp_ctx *ctx, uint8_t out[SP_SHA256_LEN], uint64_t *size_out,
    int fd, const char *name)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *chunk = NULL;
	uint64_t total = 0;
	unsigned int olen = 0;
	int error = 0;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    (chunk = OPENSSL_malloc(READ_CHUNK)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 unavailable");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, READ_CHUNK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			error = sp_err_set(ctx, SP_EIO, "cannot read '%s': %s",
			    name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, chunk, (size_t)n) != 1) {
			error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
			goto out;
		}
		total += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(md, out, &olen) != 1 || olen != SP_SHA256_LEN) {
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
		goto out;
	}
	if (size_out != NULL)
		*size_out = total;
out:
	OPENSSL_free(chunk);
	EVP_MD_CTX_free(md);
	return error;
}

int
sp_sha256_file(sp_ctx *ctx, uint8_t out[SP_SHA256_LEN], uint64_t *size_out,
    const char *path)
{
	int fd, error;

	if ((error = sp_open_read(ctx, &fd, path, SP_OPEN_NOFOLLOW)) < 0)
		return error;
	error = sp_sha256_fd(ctx, out, size_out, fd, path);
	close(fd);
	return error;
}
