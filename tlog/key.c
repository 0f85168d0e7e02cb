/*
 * Ed25519 keys for the log and its witnesses: private key loading (behind
 * one function, tlog_key_load), raw signing and verification with OpenSSL
 * EVP, key IDs and C2SP verifier keys ("vkeys").
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srcproof/base64.h"
#include "srcproof/sign.h"
#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

#define KEY_FILE_MAX ((size_t)64 << 10)

struct tlog_key {
	sp_key *key;
	uint8_t pub[32];
};

/*
 * Load an Ed25519 private key through the signing module: a PEM file
 * (passphrase-protected or not) or a PKCS#11 URI.
 */
int
tlog_key_load(sp_ctx *ctx, tlog_key **out, const char *spec,
    sp_passphrase_cb cb, void *payload)
{
	tlog_key *k = NULL;
	int error;

	*out = NULL;
	/* Not the URI in the message: it may hold a pin-value. */
	if (strncmp(spec, "pkcs11:", 7) == 0) {
		sp_err_set(ctx, SP_EUNSUPPORTED,
		    "a PKCS#11 key cannot sign for the log: log and witness "
		    "keys are Ed25519, and libp11 0.4.12 (the OpenSSL pkcs11 "
		    "engine) cannot load Ed25519 keys from a token");
		sp_err_hint(ctx, "use an Ed25519 key file (srcproof key "
		                 "generate -o KEY), protected by a passphrase");
		return SP_EUNSUPPORTED;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = sp_key_load_private(ctx, &k->key, spec, cb, payload)) < 0)
		goto out;
	if (sp_key_algorithm(k->key) != SP_KEY_ED25519) {
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "'%s' is a %s key; the log and witnesses sign with "
		    "Ed25519",
		    spec, sp_key_alg_name(sp_key_algorithm(k->key)));
		sp_err_hint(
		    ctx, "make one with 'srcproof key generate -o KEY'");
		goto out;
	}
	if ((error = sp_key_ed25519_raw(ctx, k->key, k->pub)) < 0)
		goto out;
	*out = k;
	k = NULL;
out:
	tlog_key_free(k);
	return error;
}

void
tlog_key_free(tlog_key *k)
{
	if (k == NULL)
		return;
	sp_key_free(k->key);
	free(k);
}

const uint8_t *
tlog_key_public(const tlog_key *k)
{
	return k->pub;
}

int
tlog_key_sign(sp_ctx *ctx, const tlog_key *k, uint8_t sig[64], const void *msg,
    size_t len)
{
	sp_buf s = SP_BUF_INIT;
	int error;

	if ((error = sp_key_sign(ctx, k->key, &s, msg, len)) == 0) {
		if (s.size != 64)
			error = sp_err_set(
			    ctx, SP_ERROR, "Ed25519 signature of odd length");
		else
			memcpy(sig, s.ptr, 64);
	}
	sp_buf_dispose(&s);
	return error;
}

int
tlog_ed25519_verify(sp_ctx *ctx, const uint8_t pub[32], const void *msg,
    size_t len, const uint8_t sig[64])
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	int error = 0, rc;

	pkey = EVP_PKEY_new_raw_public_key_ex(
	    sp_ctx_libctx(ctx), "ED25519", NULL, pub, 32);
	md = EVP_MD_CTX_new();
	if (pkey == NULL || md == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(
	        md, NULL, NULL, sp_ctx_libctx(ctx), NULL, pkey, NULL) != 1) {
		error = sp_err_set(ctx, SP_ERROR, "Ed25519 is unavailable");
		goto out;
	}
	rc = EVP_DigestVerify(md, sig, 64, msg, len);
	if (rc != 1)
		error = SP_EVERIFY;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return error;
}

int
tlog_key_id(sp_ctx *ctx, uint8_t id[4], const char *name, int type,
    const uint8_t pub[32])
{
	uint8_t tail[34], h[HASH_LEN];
	int error;

	tail[0] = '\n';
	tail[1] = (uint8_t)type;
	memcpy(tail + 2, pub, 32);
	if ((error = tlog_sha256(
	         ctx, h, name, strlen(name), tail, sizeof(tail), NULL, 0)) < 0)
		return error;
	memcpy(id, h, 4);
	return 0;
}

/* Unicode White_Space code points beyond ASCII, as UTF-8. */
static bool
is_unicode_space(const unsigned char *p, size_t left, size_t *n)
{
	static const char *const spaces[] = {"\xc2\x85", "\xc2\xa0",
	    "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82",
	    "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86",
	    "\xe2\x80\x87", "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a",
	    "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f",
	    "\xe3\x80\x80"};
	size_t i;

	for (i = 0; i < SP_ARRAY_SIZE(spaces); i++) {
		size_t l = strlen(spaces[i]);

		if (left >= l && memcmp(p, spaces[i], l) == 0) {
			*n = l;
			return true;
		}
	}
	return false;
}

bool
tlog_name_ok(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i, n;

	if (len == 0 || len > 1024 || !sp_is_clean_utf8(name, len))
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] == ' ' || p[i] == '+')
			return false;
		if (p[i] >= 0x80 && is_unicode_space(p + i, len - i, &n))
			return false;
	}
	return true;
}

int
tlog_verifier_new(sp_ctx *ctx, sp_tlog_verifier **out, const char *name,
    int type, const uint8_t pub[32])
{
	sp_tlog_verifier *v;
	int error;

	*out = NULL;
	if (!tlog_name_ok(name, strlen(name)))
		return sp_err_set(ctx, SP_EINVALID,
		    "'%s' is not a valid key name (it must be non-empty and "
		    "have no spaces or '+')",
		    name);
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->name = strdup(name)) == NULL) {
		free(v);
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	}
	v->type = type;
	memcpy(v->pub, pub, 32);
	if ((error = tlog_key_id(ctx, v->id, name, type, pub)) < 0) {
		sp_tlog_verifier_free(v);
		return error;
	}
	*out = v;
	return 0;
}

int
sp_tlog_verifier_new(sp_ctx *ctx, sp_tlog_verifier **out, const char *name,
    int type, const uint8_t pub[32])
{
	*out = NULL;
	if (type != SP_TLOG_SIG_ED25519 && type != SP_TLOG_SIG_COSIGNATURE)
		return sp_err_set(ctx, SP_EINVALID,
		    "signature type 0x%02x is not Ed25519 (0x01) or an Ed25519 "
		    "cosignature (0x04)",
		    (unsigned)type & 0xff);
	return tlog_verifier_new(ctx, out, name, type, pub);
}

int
sp_tlog_verifier_parse(sp_ctx *ctx, sp_tlog_verifier **out, const char *vkey)
{
	const char *p1, *p2;
	sp_buf key = SP_BUF_INIT;
	char *name = NULL;
	uint8_t id[4];
	sp_tlog_verifier *v = NULL;
	int error = 0;

	*out = NULL;
	p1 = strchr(vkey, '+');
	p2 = p1 != NULL ? strchr(p1 + 1, '+') : NULL;
	if (p1 == NULL || p2 == NULL || p2 - p1 != 9 ||
	    sp_hex_decode(id, 4, p1 + 1, 8) < 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s' is not a verifier key "
		    "(<name>+<8 hex digits>+<base64 key>)",
		    vkey);
		goto out;
	}
	if ((name = strndup(vkey, (size_t)(p1 - vkey))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (sp_base64_decode(&key, p2 + 1, strlen(p2 + 1)) < 0 ||
	    key.size < 1) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "the key of verifier '%s' is not canonical base64", name);
		goto out;
	}
	if ((key.ptr[0] != SP_TLOG_SIG_ED25519 &&
	        key.ptr[0] != SP_TLOG_SIG_COSIGNATURE) ||
	    key.size != 33) {
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "verifier '%s' has key type 0x%02x and %zu bytes; "
		    "supported: Ed25519 (0x01) and Ed25519 cosignature (0x04)",
		    name, (unsigned)(uint8_t)key.ptr[0], key.size - 1);
		goto out;
	}
	if ((error = tlog_verifier_new(ctx, &v, name, key.ptr[0],
	         (const uint8_t *)key.ptr + 1)) < 0) {
		if (error == SP_EINVALID)
			error = sp_err_set(ctx, SP_EPARSE,
			    "verifier key name '%s' is not valid", name);
		goto out;
	}
	if (memcmp(v->id, id, 4) != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "verifier '%s': key ID %.8s does not match its key", name,
		    p1 + 1);
		goto out;
	}
	*out = v;
	v = NULL;
out:
	sp_tlog_verifier_free(v);
	free(name);
	sp_buf_dispose(&key);
	return error;
}

static int
verifier_from_pem(sp_ctx *ctx, sp_tlog_verifier **out, const char *path,
    const sp_buf *pem, const char *name, int type)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t pub[32];
	size_t publen = sizeof(pub);
	int error;

	if ((bio = BIO_new_mem_buf(pem->ptr, (int)pem->size)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	pkey = PEM_read_bio_PUBKEY_ex(
	    bio, NULL, NULL, NULL, sp_ctx_libctx(ctx), NULL);
	if (pkey == NULL) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s' is neither a verifier key nor a PEM public key",
		    path);
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "ED25519") ||
	    EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
	    publen != 32) {
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "'%s' is not an Ed25519 public key", path);
		goto out;
	}
	error = tlog_verifier_new(ctx, out, name, type, pub);
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return error;
}

int
sp_tlog_verifier_load(sp_ctx *ctx, sp_tlog_verifier **out, const char *spec,
    int type, const char *default_name)
{
	sp_buf file = SP_BUF_INIT;
	char *name = NULL;
	const char *path = spec, *eq;
	int error;

	*out = NULL;
	/* A vkey itself: name+hex+base64, no file of that name. */
	if (strchr(spec, '+') != NULL && access(spec, F_OK) != 0) {
		error = sp_tlog_verifier_parse(ctx, out, spec);
		goto check;
	}
	eq = strchr(spec, '=');
	if (eq != NULL && access(spec, F_OK) != 0) {
		if ((name = strndup(spec, (size_t)(eq - spec))) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		path = eq + 1;
	}
	if ((error = sp_read_file(
	         ctx, &file, path, KEY_FILE_MAX, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if (strstr(file.ptr, "-----BEGIN") != NULL) {
		const char *n = name != NULL ? name : default_name;

		if (n == NULL) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "'%s' is a PEM key without a key name", path);
			sp_err_hint(ctx,
			    "give it as NAME=%s, or give the "
			    "vkey instead",
			    path);
			goto out;
		}
		error = verifier_from_pem(ctx, out, path, &file, n, type);
		goto out;
	}
	/* A file holding a vkey on its first line. */
	while (file.size > 0 && (file.ptr[file.size - 1] == '\n' ||
	                            file.ptr[file.size - 1] == '\r'))
		file.ptr[--file.size] = '\0';
	if (strchr(file.ptr, '\n') != NULL || strlen(file.ptr) != file.size) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s' must hold one verifier key line", path);
		goto out;
	}
	error = sp_tlog_verifier_parse(ctx, out, file.ptr);
check:
	if (error == 0 && (*out)->type != type) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "verifier '%s' has signature type 0x%02x, expected 0x%02x "
		    "(%s)",
		    (*out)->name, (unsigned)(*out)->type, (unsigned)type,
		    type == SP_TLOG_SIG_ED25519 ? "a log key"
		                                : "a witness key");
		sp_tlog_verifier_free(*out);
		*out = NULL;
	}
out:
	free(name);
	sp_buf_dispose(&file);
	return error;
}

const char *
sp_tlog_verifier_name(const sp_tlog_verifier *v)
{
	return v->name;
}

int
sp_tlog_verifier_type(const sp_tlog_verifier *v)
{
	return v->type;
}

int
sp_tlog_verifier_vkey(sp_ctx *ctx, const sp_tlog_verifier *v, sp_buf *out)
{
	uint8_t raw[33];
	char hex[9];
	int error;

	raw[0] = (uint8_t)v->type;
	memcpy(raw + 1, v->pub, 32);
	sp_hex_encode(hex, v->id, 4);
	if ((error = sp_buf_printf(out, "%s+%s+", v->name, hex)) < 0 ||
	    (error = sp_base64_encode(out, raw, sizeof(raw))) < 0)
		return sp_err_buf(ctx, error, "verifier key");
	return 0;
}

void
sp_tlog_verifier_free(sp_tlog_verifier *v)
{
	if (v == NULL)
		return;
	free(v->name);
	free(v);
}

int
sp_tlog_vkey_from_key(sp_ctx *ctx, sp_buf *out, const char *keyspec,
    const char *name, int type, sp_passphrase_cb cb, void *payload)
{
	tlog_key *k = NULL;
	sp_tlog_verifier *v = NULL;
	int error;

	if (type != SP_TLOG_SIG_ED25519 && type != SP_TLOG_SIG_COSIGNATURE)
		return sp_err_set(ctx, SP_EINVALID, "unknown signature type");
	if ((error = tlog_key_load(ctx, &k, keyspec, cb, payload)) < 0 ||
	    (error = tlog_verifier_new(
	         ctx, &v, name, type, tlog_key_public(k))) < 0 ||
	    (error = sp_tlog_verifier_vkey(ctx, v, out)) < 0)
		goto out;
out:
	sp_tlog_verifier_free(v);
	tlog_key_free(k);
	return error;
}
