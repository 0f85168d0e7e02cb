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

/* Copy the value of attribute @p name (path or query part) into @p out. */
static bool
uri_attr(const char *uri, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = uri + 7; /* after "pkcs11:" */

	while (*p != '\0') {
		size_t vlen;

		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			vlen = strcspn(p, ";?&");
			if (vlen >= outlen)
				return false;
			memcpy(out, p, vlen);
			out[vlen] = '\0';
			return true;
		}
		p += strcspn(p, ";?&");
		if (*p != '\0')
			p++;
	}
	return false;
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

void
sp_sign__pkcs11_release(void *engine)
{
	ENGINE *e = engine;

	ENGINE_finish(e);
	ENGINE_free(e);
}

int
sp_sign__pkcs11_load(sp_ctx *ctx, sp_key **out, const char *uri,
    sp_passphrase_cb cb, void *payload)
{
	sp_buf pin = SP_BUF_INIT, euri = SP_BUF_INIT;
	ENGINE *e = NULL;
	EVP_PKEY *pkey = NULL;
	const char *module = getenv("SRCPROOF_PKCS11_MODULE");
	char modbuf[1024], token[256], prompt[512];
	bool inited = false;
	int error = 0;

	*out = NULL;
	if (strlen(uri) > URI_MAX)
		return sp_err_set(ctx, SP_EINVALID, "PKCS#11 URI is too long");
	if (uri_attr(uri, "module-path", modbuf, sizeof(modbuf)))
		module = modbuf;
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
	if (!ENGINE_init(e)) {
		error = sp_sign__ossl_err(
		    ctx, SP_ERROR, "cannot initialise the PKCS#11 engine");
		sp_err_hint(ctx, "set SRCPROOF_PKCS11_MODULE to the token's "
		                 "PKCS#11 module (.so)");
		goto out;
	}
	inited = true;
	if (!uri_attr(uri, "pin-value", token, sizeof(token)) &&
	    !uri_attr(uri, "pin-source", token, sizeof(token)) && cb != NULL) {
		if (!uri_attr(uri, "token", token, sizeof(token)))
			snprintf(token, sizeof(token), "token");
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
	pkey = ENGINE_load_private_key(e, euri.ptr, NULL, NULL);
	if (pkey == NULL) {
		error = sp_sign__ossl_err(ctx, SP_ENOTFOUND,
		    "cannot load the PKCS#11 key (wrong URI or PIN?)");
		goto out;
	}
	if ((error = sp_sign__key_wrap(ctx, out, pkey, true, "PKCS#11 key")) <
	    0)
		goto out;
	(*out)->engine = e;
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
