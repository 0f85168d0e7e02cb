/*
 * Internals of the signing module.
 */
#ifndef SP_SIGNING_INT_H
#define SP_SIGNING_INT_H

#include <jansson.h>
#include <openssl/evp.h>

#include "srcproof/sign.h"

struct sp_key {
	EVP_PKEY *pkey;
	sp_key_alg alg;
	bool priv;
	void *engine; /**< ENGINE * holding a PKCS#11 key, or NULL */
	char id[SP_KEYID_HEX_LEN + 1];
	char algname[16];
};

/**
 * Wrap @p pkey (stolen, also on failure) into a key: checks the algorithm,
 * computes the id.
 */
int sp_sign__key_wrap(
    sp_ctx *ctx, sp_key **out, EVP_PKEY *pkey, bool priv, const char *what);

/** Load a private key from a PKCS#11 URI through the libp11 engine. */
int sp_sign__pkcs11_load(sp_ctx *ctx, sp_key **out, const char *uri,
    sp_passphrase_cb cb, void *payload);

/** Release the engine reference of a PKCS#11 key. */
void sp_sign__pkcs11_release(void *engine);

/** Record the first OpenSSL error after @p what in @p ctx. */
int sp_sign__ossl_err(sp_ctx *ctx, int code, const char *what);

/** Parse JSON with duplicate keys rejected; names @p what in errors. */
int sp_sign__json_parse(
    sp_ctx *ctx, json_t **out, const char *data, size_t len, const char *what);

/** Serialise @p j compactly with keys in insertion order into @p out. */
int sp_sign__json_dump(
    sp_ctx *ctx, sp_buf *out, const json_t *j, size_t flags, const char *what);

/** Same counting as sp_dsse_verify, with the key set given directly. */
struct sp_sign__trusted {
	const sp_key *key;
	bool allowed; /**< may sign for the role */
	bool in_time; /**< valid at the verification time */
	bool not_yet; /**< when !in_time: its validity has not begun */
};

int sp_sign__count(sp_ctx *ctx, const sp_dsse *env,
    const struct sp_sign__trusted *keys, size_t nkeys, size_t threshold,
    const char *what, sp_sign_result *res);

#endif
