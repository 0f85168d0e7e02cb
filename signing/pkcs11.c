/*
 * PKCS#11 keys through OpenSSL's engine interface and libp11's "pkcs11"
 * engine (Debian: libengine-pkcs11-openssl).
 *
 * The ENGINE API is deprecated in OpenSSL 3 but is still the only way to
 * reach libp11 there; this file is the only user, so the deprecation
 * warnings are silenced here and nowhere else.
 */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signing_int.h"
#include "srcproof/util.h"

#include "banned.h"

/* Longest URI accepted. */
#define URI_MAX 4096

/* Find attribute @p name (path or query part); its value and length. */
static const char *
uri_find(const char *uri, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *p = uri + 7; /* after "pkcs11:" */

	while (*p != '\0') {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			*vlen = strcspn(p, ";?&");
			return p;
		}
		p += strcspn(p, ";?&");
		if (*p != '\0')
			p++;
	}
	return NULL;
}

/* Copy the value of attribute @p name (path or query part) into @p out. */
static bool
uri_attr(const char *uri, const char *name, char *out, size_t outlen)
{
	size_t vlen = 0;
	const char *v = uri_find(uri, name, &vlen);

	if (v == NULL || vlen >= outlen)
		return false;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	return true;
}

/*
 * The URI for libp11: without our module-path query attribute (libp11
 * rejects query attributes it does not know).
 */
static int
engine_uri(sp_buf *out, const char *uri)
{
	const char *q = strchr(uri, '?'), *p;
	bool first = true;

	if (q == NULL)
		return sp_buf_puts(out, uri);
	if (sp_buf_put(out, uri, (size_t)(q - uri)) < 0)
		return SP_ENOMEM;
	for (p = q + 1; *p != '\0';) {
		size_t len = strcspn(p, "&");

		if (strncmp(p, "module-path=", 12) != 0) {
			if (sp_buf_putc(out, first ? '?' : '&') < 0 ||
			    sp_buf_put(out, p, len) < 0)
				return SP_ENOMEM;
			first = false;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

/*
 * libp11 writes its own diagnostics ("Login failed", "The private key was
 * not found at: ...") to stderr. The library never prints: while the
 * engine starts and loads a key, descriptor 2 points to /dev/null, and the
 * error set in the context says what failed. Returns the saved descriptor
 * for stderr_on, or -1 when nothing was redirected.
 */
static int
stderr_off(void)
{
	int saved, nul;

	(void)fflush(stderr);
	if ((nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (saved >= 0 && dup2(nul, 2) < 0) {
		close(saved);
		saved = -1;
	}
	close(nul);
	return saved;
}

static void
stderr_on(int saved)
{
	if (saved < 0)
		return;
	(void)fflush(stderr);
	(void)dup2(saved, 2);
	close(saved);
}

/* PKCS#11 return values of a refused login (PKCS#11 v2.40, 3.x). */
#define CKR_PIN_INCORRECT 0xA0
#define CKR_PIN_INVALID 0xA1
#define CKR_PIN_LEN_RANGE 0xA2
#define CKR_PIN_EXPIRED 0xA3
#define CKR_PIN_LOCKED 0xA4

/*
 * After ENGINE_load_private_key failed: a refused PIN is a "no" (like a
 * wrong passphrase, SP_EVERIFY); anything else is reported with the first
 * (most precise) error of the queue, which libp11 fills ("PKCS#11 module:
 * PIN incorrect", "pkcs11 engine: object not found").
 */
static int
load_failed(sp_ctx *ctx, const char *token)
{
	unsigned long e, first = 0;
	int pin = 0, error;

	while ((e = ERR_get_error()) != 0) {
		const char *lib = ERR_lib_error_string(e);
		int r = ERR_GET_REASON(e);

		if (first == 0)
			first = e;
		if (lib != NULL && strcmp(lib, "PKCS#11 module") == 0 &&
		    r >= CKR_PIN_INCORRECT && r <= CKR_PIN_LOCKED)
			pin = r;
	}
	if (pin != 0 && pin <= CKR_PIN_LEN_RANGE) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "wrong PIN for PKCS#11 token '%s' (login refused)", token);
		sp_err_hint(ctx, "tokens lock after a few wrong PINs; check "
		                 "it before trying again");
		return error;
	}
	if (pin != 0)
		return sp_err_set(ctx, SP_EVERIFY,
		    "the PIN of PKCS#11 token '%s' is %s (login refused)",
		    token, pin == CKR_PIN_LOCKED ? "locked" : "expired");
	if (first != 0) {
		const char *lib = ERR_lib_error_string(first);
		const char *reason = ERR_reason_error_string(first);

		return sp_err_set(ctx, SP_ENOTFOUND,
		    "cannot load the PKCS#11 key (wrong URI or PIN?): %s: %s",
		    lib ? lib : "OpenSSL", reason ? reason : "unknown error");
	}
	return sp_err_set(ctx, SP_ENOTFOUND,
	    "cannot load the PKCS#11 key (wrong URI or PIN?)");
}

void
sp_sign__pkcs11_release(void *engine)
{
	ENGINE *e = engine;

	ENGINE_finish(e);
	ENGINE_free(e);
}

/*
 * Start the engine and load the key of @p uri: on success *eout holds a
 * functional engine reference (sp_sign__pkcs11_release) that must outlive
 * *pout.
 */
static int
pkcs11_open(sp_ctx *ctx, ENGINE **eout, EVP_PKEY **pout, const char *uri,
    sp_passphrase_cb cb, void *payload)
{
	sp_buf pin = SP_BUF_INIT, euri = SP_BUF_INIT;
	ENGINE *e = NULL;
	EVP_PKEY *pkey = NULL;
	const char *module = getenv("SRCPROOF_PKCS11_MODULE");
	char modbuf[1024], token[256], prompt[512];
	bool inited = false;
	size_t vlen = 0;
	int error = 0, saved;

	*eout = NULL;
	*pout = NULL;
	if (strlen(uri) > URI_MAX)
		return sp_err_set(ctx, SP_EINVALID, "PKCS#11 URI is too long");
	if (uri_attr(uri, "module-path", modbuf, sizeof(modbuf)))
		module = modbuf;
	if (!uri_attr(uri, "token", token, sizeof(token)))
		snprintf(token, sizeof(token), "token");
	if (module != NULL && module[0] != '\0' && access(module, R_OK) != 0) {
		error = sp_err_set(ctx, SP_ENOTFOUND,
		    "PKCS#11 module '%s' cannot be read", module);
		sp_err_hint(ctx, "set SRCPROOF_PKCS11_MODULE to the token's "
		                 "PKCS#11 module (.so)");
		goto out;
	}
	e = ENGINE_by_id("pkcs11");
	if (e == NULL) {
		ERR_clear_error();
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "the OpenSSL 'pkcs11' engine is not available");
		sp_err_hint(ctx,
		    "install libengine-pkcs11-openssl (libp11) to use "
		    "keys in an HSM");
		goto out;
	}
	if (module != NULL && module[0] != '\0' &&
	    !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0)) {
		error = sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot set the PKCS#11 module path");
		goto out;
	}
	saved = stderr_off();
	inited = ENGINE_init(e) == 1;
	stderr_on(saved);
	if (!inited) {
		error = sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot initialise the PKCS#11 engine");
		sp_err_hint(ctx, "set SRCPROOF_PKCS11_MODULE to the token's "
		                 "PKCS#11 module (.so)");
		goto out;
	}
	if (uri_find(uri, "pin-value", &vlen) == NULL &&
	    uri_find(uri, "pin-source", &vlen) == NULL && cb != NULL) {
		snprintf(prompt, sizeof(prompt), "PIN for PKCS#11 token '%s'",
		    token);
		if ((error = cb(ctx, &pin, prompt, false, payload)) < 0)
			goto out;
		if (!ENGINE_ctrl_cmd_string(e, "PIN", pin.ptr, 0)) {
			error = sp_sign__ossl_err(
			    ctx, SP_ERROR, "cannot pass the PIN to the engine");
			goto out;
		}
	}
	if (engine_uri(&euri, uri) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	saved = stderr_off();
	pkey = ENGINE_load_private_key(e, euri.ptr, NULL, NULL);
	stderr_on(saved);
	if (pkey == NULL) {
		error = load_failed(ctx, token);
		goto out;
	}
	*pout = pkey;
	*eout = e;
	e = NULL;
	inited = false;
out:
	sp_buf_dispose_secret(&pin);
	sp_buf_dispose_secret(&euri);
	if (e != NULL) {
		if (inited)
			ENGINE_finish(e);
		ENGINE_free(e);
	}
	return error;
}

int
sp_sign__pkcs11_load(sp_ctx *ctx, sp_key **out, const char *uri,
    sp_passphrase_cb cb, void *payload)
{
	ENGINE *e = NULL;
	EVP_PKEY *pkey = NULL;
	int error;

	*out = NULL;
	if ((error = pkcs11_open(ctx, &e, &pkey, uri, cb, payload)) < 0)
		return error;
	if ((error = sp_sign__key_wrap(ctx, out, pkey, true, "PKCS#11 key")) <
	    0) {
		sp_sign__pkcs11_release(e);
		return error;
	}
	(*out)->engine = e;
	return 0;
}

/* Ex-data index of EVP_PKEYs that hold a functional ENGINE reference. */
static CRYPTO_ONCE engine_once = CRYPTO_ONCE_STATIC_INIT;
static int engine_index = -1;

/* Called by EVP_PKEY_free after the key itself is gone. */
static void
engine_ex_free(
    void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (ptr != NULL)
		sp_sign__pkcs11_release(ptr);
}

static void
engine_index_init(void)
{
	engine_index =
	    EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL, engine_ex_free);
}

int
sp_sign__pkcs11_evp(sp_ctx *ctx, struct evp_pkey_st **out, const char *uri,
    sp_passphrase_cb cb, void *payload)
{
	ENGINE *e = NULL;
	EVP_PKEY *pkey = NULL;
	int error;

	*out = NULL;
	if (!CRYPTO_THREAD_run_once(&engine_once, engine_index_init) ||
	    engine_index < 0)
		return sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot set up PKCS#11 keys");
	if ((error = pkcs11_open(ctx, &e, &pkey, uri, cb, payload)) < 0)
		return error;
	/* No key id here (a decryption key need not have its public half
	 * in the token). The engine, and the token's session, must outlive
	 * the key: its ex-data holds the engine and EVP_PKEY_free releases
	 * it after the key. */
	if (!EVP_PKEY_set_ex_data(pkey, engine_index, e)) {
		EVP_PKEY_free(pkey);
		sp_sign__pkcs11_release(e);
		return sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot keep the PKCS#11 engine");
	}
	*out = pkey;
	return 0;
}
