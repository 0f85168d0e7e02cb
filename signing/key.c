/*
 * Keys: generation, PKCS#8 files (scrypt + AES-256), public keys, key ids,
 * raw signing and verification.
 */
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "signing_int.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

/* Largest private or public key file read, in bytes. */
#define KEY_FILE_MAX ((size_t)64 << 10)

/* scrypt parameters of encrypted key files (docs/spec/signature.md). */
#define SCRYPT_N 16384
#define SCRYPT_R 8
#define SCRYPT_P 1

int
sp_sign__ossl_err(sp_ctx *ctx, int code, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		ERR_clear_error();
		return sp_err_set(ctx, code, "%s: %s", what, buf);
	}
	return sp_err_set(ctx, code, "%s", what);
}

const char *
sp_key_alg_name(sp_key_alg alg)
{
	switch (alg) {
	case SP_KEY_ED25519:
		return "ed25519";
	case SP_KEY_ECDSA_P256:
		return "ecdsa-p256";
	case SP_KEY_RSA_3072:
		return "rsa-3072";
	default:
		return "unknown";
	}
}

int
sp_key_alg_parse(sp_ctx *ctx, sp_key_alg *out, const char *name)
{
	if (strcmp(name, "ed25519") == 0)
		*out = SP_KEY_ED25519;
	else if (strcmp(name, "ecdsa-p256") == 0)
		*out = SP_KEY_ECDSA_P256;
	else if (strcmp(name, "rsa-3072") == 0)
		*out = SP_KEY_RSA_3072;
	else {
		sp_err_set(ctx, SP_EINVALID, "unknown algorithm '%s'", name);
		sp_err_hint(ctx, "use ed25519, ecdsa-p256 or rsa-3072");
		return SP_EINVALID;
	}
	return 0;
}

static int
key_id(sp_ctx *ctx, sp_key *key)
{
	unsigned char *der = NULL;
	uint8_t md[SP_SHA256_LEN];
	int len, error;

	len = i2d_PUBKEY(key->pkey, &der);
	if (len <= 0)
		return sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot encode the public key");
	error = sp_sha256(ctx, md, der, (size_t)len);
	OPENSSL_free(der);
	if (error < 0)
		return error;
	sp_hex_encode(key->id, md, sizeof(md));
	return 0;
}

int
sp_sign__key_wrap(
    sp_ctx *ctx, sp_key **out, EVP_PKEY *pkey, bool priv, const char *what)
{
	sp_key *key = NULL;
	int error = 0;

	*out = NULL;
	if ((key = sp_calloc(ctx, 1, sizeof(*key))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	key->pkey = pkey;
	pkey = NULL;
	key->priv = priv;
	if (EVP_PKEY_is_a(key->pkey, "ED25519")) {
		key->alg = SP_KEY_ED25519;
		snprintf(key->algname, sizeof(key->algname), "ed25519");
	} else if (EVP_PKEY_is_a(key->pkey, "EC")) {
		char group[64] = "";
		size_t glen = 0;

		if (!EVP_PKEY_get_utf8_string_param(key->pkey,
		        OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		        &glen) ||
		    (strcmp(group, "prime256v1") != 0 &&
		        strcmp(group, "P-256") != 0)) {
			error = sp_err_set(ctx, SP_EUNSUPPORTED,
			    "'%s' is an EC key on curve '%s'; only P-256 is "
			    "supported",
			    what, group[0] ? group : "unknown");
			goto out;
		}
		key->alg = SP_KEY_ECDSA_P256;
		snprintf(key->algname, sizeof(key->algname), "ecdsa-p256");
	} else if (EVP_PKEY_is_a(key->pkey, "RSA")) {
		int bits = EVP_PKEY_get_bits(key->pkey);

		if (bits != 2048 && bits != 3072 && bits != 4096) {
			error = sp_err_set(ctx, SP_EUNSUPPORTED,
			    "'%s' is a %d-bit RSA key; only 2048, 3072 and "
			    "4096 bits are supported",
			    what, bits);
			goto out;
		}
		key->alg = SP_KEY_RSA_3072;
		snprintf(key->algname, sizeof(key->algname), "rsa-%d", bits);
	} else {
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "'%s' is a '%s' key; only ed25519, ecdsa-p256 and rsa "
		    "keys are supported",
		    what, EVP_PKEY_get0_type_name(key->pkey));
		goto out;
	}
	if ((error = key_id(ctx, key)) < 0)
		goto out;
	*out = key;
	key = NULL;
out:
	EVP_PKEY_free(pkey);
	sp_key_free(key);
	return error;
}

int
sp_key_generate(sp_ctx *ctx, sp_key **out, sp_key_alg alg)
{
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	switch (alg) {
	case SP_KEY_ED25519:
		pkey = EVP_PKEY_Q_keygen(sp_ctx_libctx(ctx), NULL, "ED25519");
		break;
	case SP_KEY_ECDSA_P256:
		pkey =
		    EVP_PKEY_Q_keygen(sp_ctx_libctx(ctx), NULL, "EC", "P-256");
		break;
	case SP_KEY_RSA_3072:
		pkey = EVP_PKEY_Q_keygen(
		    sp_ctx_libctx(ctx), NULL, "RSA", (size_t)3072);
		break;
	default:
		return sp_err_set(ctx, SP_EINVALID, "unknown algorithm");
	}
	if (pkey == NULL)
		return sp_sign__ossl_err(
		    ctx, SP_ERROR, "key generation failed");
	return sp_sign__key_wrap(ctx, out, pkey, true, "new key");
}

/* Take the contents of a memory BIO into @p out. */
static int
bio_take(sp_ctx *ctx, BIO *bio, sp_buf *out)
{
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);

	if (n <= 0 || p == NULL)
		return sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot encode the key");
	if (sp_buf_put(out, p, (size_t)n) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

static int
encode_private(sp_ctx *ctx, const sp_key *key, const char *pass, size_t passlen,
    sp_buf *pem)
{
	PKCS8_PRIV_KEY_INFO *p8inf = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *p8 = NULL;
	BIO *bio = NULL;
	unsigned char salt[16];
	int error = 0;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (pass == NULL) {
		if (!PEM_write_bio_PKCS8PrivateKey(
		        bio, key->pkey, NULL, NULL, 0, NULL, NULL)) {
			error = sp_sign__ossl_err(
			    ctx, SP_ERROR, "cannot encode the private key");
			goto out;
		}
	} else {
		if (passlen > INT32_MAX) {
			error =
			    sp_err_set(ctx, SP_EINVALID, "passphrase too long");
			goto out;
		}
		if (RAND_bytes(salt, sizeof(salt)) != 1 ||
		    (p8inf = EVP_PKEY2PKCS8(key->pkey)) == NULL ||
		    (pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), salt,
		         sizeof(salt), NULL, SCRYPT_N, SCRYPT_R, SCRYPT_P)) ==
		        NULL) {
			error = sp_sign__ossl_err(
			    ctx, SP_ERROR, "cannot encrypt the private key");
			goto out;
		}
		if ((p8 = PKCS8_set0_pbe(pass, (int)passlen, p8inf, pbe)) ==
		    NULL) {
			error = sp_sign__ossl_err(
			    ctx, SP_ERROR, "cannot encrypt the private key");
			goto out;
		}
		pbe = NULL; /* owned by p8 */
		if (!PEM_write_bio_PKCS8(bio, p8)) {
			error = sp_sign__ossl_err(
			    ctx, SP_ERROR, "cannot encode the private key");
			goto out;
		}
	}
	error = bio_take(ctx, bio, pem);
out:
	X509_ALGOR_free(pbe);
	X509_SIG_free(p8);
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	BIO_free(bio);
	return error;
}

int
sp_key_public_pem(sp_ctx *ctx, const sp_key *key, sp_buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int error;

	if (bio == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if (!PEM_write_bio_PUBKEY(bio, key->pkey))
		error = sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot encode the public key");
	else
		error = bio_take(ctx, bio, out);
	BIO_free(bio);
	return error;
}

/*
 * The key id is recorded in both key files as RFC 7468 explanatory text, a
 * line before "-----BEGIN" that PEM readers (OpenSSL's too) skip.
 */
#define KEYID_LABEL "srcproof-key-id:"

static int
put_keyid_line(sp_buf *b, const sp_key *key)
{
	return sp_buf_printf(b, "%s %s\n", KEYID_LABEL, key->id) < 0 ? SP_ENOMEM
	                                                             : 0;
}

/*
 * Refuse a key file whose recorded key id (any "srcproof-key-id:" line
 * before the first "-----BEGIN") is not the id of the key it holds: a
 * file edited or swapped by mistake or on purpose. @p text is
 * NUL-terminated.
 */
static int
check_recorded_id(sp_ctx *ctx, const sp_key *key, const char *text, size_t len,
    const char *path)
{
	const char *begin = strstr(text, "-----BEGIN");
	const char *p = text;
	const char *end =
	    begin != NULL && begin < text + len ? begin : text + len;
	size_t llen = strlen(KEYID_LABEL);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end, *v;
		size_t vlen;

		if ((size_t)(eol - p) >= llen &&
		    memcmp(p, KEYID_LABEL, llen) == 0) {
			for (v = p + llen; v < eol && (*v == ' ' || *v == '\t');
			     v++)
				;
			vlen = (size_t)(eol - v);
			while (vlen > 0 &&
			       (v[vlen - 1] == '\r' || v[vlen - 1] == ' ' ||
			           v[vlen - 1] == '\t'))
				vlen--;
			if (vlen != SP_KEYID_HEX_LEN ||
			    memcmp(v, key->id, SP_KEYID_HEX_LEN) != 0) {
				/* Quoted only when it is plain hex: the
				 * file is not trusted text. */
				if (vlen == SP_KEYID_HEX_LEN &&
				    strspn(v, "0123456789abcdef") >= vlen)
					sp_err_set(ctx, SP_EVERIFY,
					    "'%s' records key id '%.*s', but "
					    "the key it holds has id '%s'",
					    path, (int)vlen, v, key->id);
				else
					sp_err_set(ctx, SP_EVERIFY,
					    "'%s' records a malformed key id; "
					    "the key it holds has id '%s'",
					    path, key->id);
				sp_err_hint(ctx,
				    "the file was edited or mixed up with "
				    "another key's; get the key again from "
				    "its owner");
				return SP_EVERIFY;
			}
		}
		p = eol + 1;
	}
	return 0;
}

int
sp_key_save(sp_ctx *ctx, const sp_key *key, const char *path,
    const char *passphrase, size_t passphrase_len, unsigned flags)
{
	sp_buf pem = SP_BUF_INIT, pub = SP_BUF_INIT, pubpath = SP_BUF_INIT;
	unsigned aflags = (flags & SP_KEY_SAVE_FORCE) ? 0 : SP_ATOMIC_EXCL;
	struct stat st;
	int error = 0;

	if (!key->priv || key->engine != NULL)
		return sp_err_set(ctx, SP_EINVALID,
		    "only a private key held in memory can be saved");
	if (sp_buf_printf(&pubpath, "%s.pub", path) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (!(flags & SP_KEY_SAVE_FORCE)) {
		const char *p = lstat(path, &st) == 0          ? path
		                : lstat(pubpath.ptr, &st) == 0 ? pubpath.ptr
		                                               : NULL;

		if (p != NULL) {
			error = sp_err_set(
			    ctx, SP_EEXISTS, "'%s' already exists", p);
			sp_err_hint(ctx, "add --force to replace it");
			goto out;
		}
	}
	if ((error = put_keyid_line(&pem, key)) < 0 ||
	    (error = put_keyid_line(&pub, key)) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = encode_private(
	         ctx, key, passphrase, passphrase_len, &pem)) < 0 ||
	    (error = sp_key_public_pem(ctx, key, &pub)) < 0)
		goto out;
	if ((error = sp_write_file_atomic(
	         ctx, path, pem.ptr, pem.size, 0600, aflags)) < 0)
		goto out;
	error = sp_write_file_atomic(
	    ctx, pubpath.ptr, pub.ptr, pub.size, 0644, aflags);
out:
	sp_buf_dispose_secret(&pem);
	sp_buf_dispose(&pub);
	sp_buf_dispose(&pubpath);
	return error;
}

struct pem_cb_data {
	sp_ctx *ctx;
	sp_passphrase_cb cb;
	void *payload;
	const char *path;
	int error;
	bool called;
};

static int
pem_cb(char *buf, int size, int rwflag, void *u)
{
	struct pem_cb_data *d = u;
	sp_buf secret = SP_BUF_INIT;
	char prompt[512];
	int n = -1;

	(void)rwflag;
	d->called = true;
	if (d->cb == NULL) {
		d->error = sp_err_set(d->ctx, SP_EINVALID,
		    "'%s' is encrypted and no passphrase was given", d->path);
		return -1;
	}
	snprintf(prompt, sizeof(prompt), "passphrase for '%s'", d->path);
	if ((d->error = d->cb(d->ctx, &secret, prompt, false, d->payload)) < 0)
		goto out;
	if (secret.size > (size_t)size) {
		d->error = sp_err_set(d->ctx, SP_EINVALID,
		    "passphrase for '%s' is too long", d->path);
		goto out;
	}
	if (secret.size > 0)
		memcpy(buf, secret.ptr, secret.size);
	n = (int)secret.size;
out:
	sp_buf_dispose_secret(&secret);
	return n;
}

int
sp_key_load_private(sp_ctx *ctx, sp_key **out, const char *spec,
    sp_passphrase_cb cb, void *payload)
{
	struct pem_cb_data d = {ctx, cb, payload, spec, 0, false};
	sp_buf pem = SP_BUF_INIT;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int error;

	*out = NULL;
	if (strncmp(spec, "pkcs11:", 7) == 0)
		return sp_sign__pkcs11_load(ctx, out, spec, cb, payload);
	if ((error = sp_read_file(
	         ctx, &pem, spec, KEY_FILE_MAX, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((bio = BIO_new_mem_buf(pem.ptr, (int)pem.size)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey_ex(
	    bio, NULL, pem_cb, &d, sp_ctx_libctx(ctx), NULL);
	if (pkey == NULL) {
		if (d.error < 0) {
			error = d.error;
		} else if (d.called) {
			ERR_clear_error();
			error = sp_err_set(ctx, SP_EVERIFY,
			    "cannot decrypt '%s': wrong passphrase", spec);
		} else if (strstr(pem.ptr, "PUBLIC KEY-----") != NULL) {
			ERR_clear_error();
			error = sp_err_set(ctx, SP_EINVALID,
			    "'%s' holds a public key, not a private key", spec);
			sp_err_hint(ctx, "sign with the private key (the file "
			                 "without .pub)");
		} else {
			ERR_clear_error();
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s' is not a PEM private key", spec);
		}
		goto out;
	}
	if ((error = sp_sign__key_wrap(ctx, out, pkey, true, spec)) == 0 &&
	    (error = check_recorded_id(ctx, *out, pem.ptr, pem.size, spec)) <
	        0) {
		sp_key_free(*out);
		*out = NULL;
	}
out:
	BIO_free(bio);
	sp_buf_dispose_secret(&pem);
	return error;
}

int
sp_key_from_public_pem(sp_ctx *ctx, sp_key **out, const char *pem, size_t len)
{
	EVP_PKEY *pkey;
	BIO *bio;

	*out = NULL;
	if (len > KEY_FILE_MAX)
		return sp_err_set(ctx, SP_ELIMIT, "public key is too large");
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	pkey = PEM_read_bio_PUBKEY_ex(
	    bio, NULL, NULL, NULL, sp_ctx_libctx(ctx), NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		ERR_clear_error();
		return sp_err_set(
		    ctx, SP_EPARSE, "not a PEM public key (SPKI)");
	}
	return sp_sign__key_wrap(ctx, out, pkey, false, "public key");
}

int
sp_key_load_public(sp_ctx *ctx, sp_key **out, const char *path)
{
	sp_buf pem = SP_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = sp_read_file(
	         ctx, &pem, path, KEY_FILE_MAX, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((error = sp_key_from_public_pem(ctx, out, pem.ptr, pem.size)) < 0) {
		if (strstr(pem.ptr, "PRIVATE KEY-----") != NULL) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "'%s' holds a private key, not a public key", path);
			sp_err_hint(ctx, "use the .pub file next to it");
		} else {
			error = sp_err_set(ctx, error,
			    "'%s' is not a PEM public key (SPKI)", path);
		}
	} else if ((error = check_recorded_id(
	                ctx, *out, pem.ptr, pem.size, path)) < 0) {
		sp_key_free(*out);
		*out = NULL;
	}
out:
	sp_buf_dispose(&pem);
	return error;
}

int
sp_key_from_ed25519_raw(sp_ctx *ctx, sp_key **out, const uint8_t pub[32])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key_ex(
	    sp_ctx_libctx(ctx), "ED25519", NULL, pub, 32);

	*out = NULL;
	if (pkey == NULL)
		return sp_sign__ossl_err(
		    ctx, SP_EPARSE, "not an Ed25519 public key");
	return sp_sign__key_wrap(ctx, out, pkey, false, "ed25519 key");
}

int
sp_key_ed25519_raw(sp_ctx *ctx, const sp_key *key, uint8_t pub[32])
{
	size_t len = 32;

	if (key->alg != SP_KEY_ED25519)
		return sp_err_set(
		    ctx, SP_EINVALID, "key '%s' is not Ed25519", key->id);
	if (!EVP_PKEY_get_raw_public_key(key->pkey, pub, &len) || len != 32)
		return sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot export the Ed25519 public key");
	return 0;
}

int
sp_key_public_copy(sp_ctx *ctx, sp_key **out, const sp_key *key)
{
	sp_buf pem = SP_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = sp_key_public_pem(ctx, key, &pem)) == 0)
		error = sp_key_from_public_pem(ctx, out, pem.ptr, pem.size);
	sp_buf_dispose(&pem);
	return error;
}

const char *
sp_key_id(const sp_key *key)
{
	return key->id;
}

sp_key_alg
sp_key_algorithm(const sp_key *key)
{
	return key->alg;
}

const char *
sp_key_algorithm_name(const sp_key *key)
{
	return key->algname;
}

bool
sp_key_is_private(const sp_key *key)
{
	return key->priv;
}

bool
sp_key_is_pkcs11(const sp_key *key)
{
	return key->engine != NULL;
}

static const EVP_MD *
key_md(const sp_key *key)
{
	return key->alg == SP_KEY_ED25519 ? NULL : EVP_sha256();
}

int
sp_key_sign(
    sp_ctx *ctx, const sp_key *key, sp_buf *sig, const void *msg, size_t len)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	size_t siglen = 0;
	int error = 0;

	if (!key->priv)
		return sp_err_set(ctx, SP_EINVALID,
		    "key '%s' is a public key and cannot sign", key->id);
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	/* The non-_ex init keeps engine (PKCS#11) keys working. */
	if (EVP_DigestSignInit(mctx, &pctx, key_md(key), NULL, key->pkey) !=
	        1 ||
	    (key->alg == SP_KEY_RSA_3072 &&
	        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) ||
	    EVP_DigestSign(mctx, NULL, &siglen, msg, len) != 1) {
		error = sp_sign__ossl_err(ctx, SP_ERROR, "cannot sign");
		goto out;
	}
	if ((error = sp_buf_reserve(sig, siglen)) < 0) {
		error = sp_err_buf(ctx, error, "signature");
		goto out;
	}
	if (EVP_DigestSign(mctx, (unsigned char *)sig->ptr + sig->size, &siglen,
	        msg, len) != 1) {
		error = sp_sign__ossl_err(ctx, SP_ERROR, "cannot sign");
		goto out;
	}
	sig->size += siglen;
	sig->ptr[sig->size] = '\0';
out:
	EVP_MD_CTX_free(mctx);
	return error;
}

int
sp_key_verify(sp_ctx *ctx, const sp_key *key, const void *msg, size_t len,
    const void *sig, size_t siglen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int error = 0, r;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if (EVP_DigestVerifyInit(mctx, &pctx, key_md(key), NULL, key->pkey) !=
	        1 ||
	    (key->alg == SP_KEY_RSA_3072 &&
	        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)) {
		error = sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot set up verification");
		goto out;
	}
	r = EVP_DigestVerify(mctx, sig, siglen, msg, len);
	ERR_clear_error();
	if (r != 1)
		error = sp_err_set(
		    ctx, SP_EVERIFY, "bad signature by key '%s'", key->id);
out:
	EVP_MD_CTX_free(mctx);
	return error;
}

void
sp_key_free(sp_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	if (key->engine != NULL)
		sp_sign__pkcs11_release(key->engine);
	free(key);
}
