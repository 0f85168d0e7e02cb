/*
 * DSSE envelopes: PAE, strict parsing, serialisation, adding signatures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signing_int.h"
#include "srcproof/base64.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

/* Largest signature accepted, in bytes (RSA-4096 is 512). */
#define SIG_MAX 1024

struct dsse_sig {
	char keyid[SP_KEYID_HEX_LEN + 1];
	sp_buf sig;
};

struct sp_dsse {
	char *type;
	sp_buf payload;
	size_t nsigs;
	struct dsse_sig sigs[SP_DSSE_MAX_SIGS];
};

int
sp_sign__json_parse(
    sp_ctx *ctx, json_t **out, const char *data, size_t len, const char *what)
{
	json_error_t jerr;

	*out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL)
		return sp_err_set(ctx, SP_EPARSE,
		    "%s is not valid JSON: %s (line %d, column %d)", what,
		    jerr.text, jerr.line, jerr.column);
	return 0;
}

int
sp_sign__json_dump(
    sp_ctx *ctx, sp_buf *out, const json_t *j, size_t flags, const char *what)
{
	char *s = json_dumps(j, flags | JSON_COMPACT | JSON_PRESERVE_ORDER);
	int error = 0;

	if (s == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "cannot serialise %s", what);
	if (sp_buf_puts(out, s) < 0)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
	free(s);
	return error;
}

int
sp_dsse_pae(
    sp_ctx *ctx, sp_buf *out, const char *type, const void *payload, size_t len)
{
	if (sp_buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, len) <
	        0 ||
	    sp_buf_put(out, payload, len) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory building PAE");
	return 0;
}

int
sp_dsse_new(sp_ctx *ctx, sp_dsse **out, const char *type, const void *payload,
    size_t len)
{
	sp_dsse *env;

	*out = NULL;
	if (len > SP_DSSE_MAX_PAYLOAD)
		return sp_err_set(ctx, SP_ELIMIT,
		    "payload is larger than the limit of %zu bytes",
		    SP_DSSE_MAX_PAYLOAD);
	if ((env = sp_calloc(ctx, 1, sizeof(*env))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	sp_buf_init(&env->payload, SP_DSSE_MAX_PAYLOAD);
	if ((env->type = strdup(type)) == NULL ||
	    sp_buf_put(&env->payload, payload, len) < 0) {
		sp_dsse_free(env);
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	}
	*out = env;
	return 0;
}

void
sp_dsse_free(sp_dsse *env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nsigs; i++)
		sp_buf_dispose(&env->sigs[i].sig);
	sp_buf_dispose(&env->payload);
	free(env->type);
	free(env);
}

/* Only these members, each at most once (JSON_REJECT_DUPLICATES). */
static int
check_members(sp_ctx *ctx, json_t *obj, const char *const *allowed,
    size_t nallowed, const char *what)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v)
	{
		for (i = 0; i < nallowed; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (i == nallowed)
			return sp_err_set(ctx, SP_EPARSE,
			    "%s has an unknown member '%s'", what, k);
	}
	return 0;
}

int
sp_dsse_parse(sp_ctx *ctx, sp_dsse **out, const char *data, size_t len)
{
	static const char *const top[] = {
	    "payloadType", "payload", "signatures"};
	static const char *const sigm[] = {"keyid", "sig"};
	json_t *root = NULL, *type, *payload, *sigs, *s;
	sp_dsse *env = NULL;
	sp_buf pl = SP_BUF_INIT;
	size_t i;
	int error = 0;

	*out = NULL;
	if (len > SP_DSSE_MAX_SIZE) {
		error = sp_err_set(ctx, SP_ELIMIT,
		    "envelope is larger than the limit of %zu bytes",
		    SP_DSSE_MAX_SIZE);
		goto out;
	}
	if ((error = sp_sign__json_parse(
	         ctx, &root, data, len, "the envelope")) < 0)
		goto out;
	if (!json_is_object(root)) {
		error = sp_err_set(
		    ctx, SP_EPARSE, "the envelope is not a JSON object");
		goto out;
	}
	if ((error = check_members(
	         ctx, root, top, SP_ARRAY_SIZE(top), "the envelope")) < 0)
		goto out;
	type = json_object_get(root, "payloadType");
	payload = json_object_get(root, "payload");
	sigs = json_object_get(root, "signatures");
	if (!json_is_string(type) || !json_is_string(payload) ||
	    !json_is_array(sigs)) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "the envelope needs string 'payloadType' and 'payload' "
		    "and array 'signatures'");
		goto out;
	}
	if (json_array_size(sigs) > SP_DSSE_MAX_SIGS) {
		error = sp_err_set(ctx, SP_ELIMIT,
		    "the envelope has %zu signatures; the limit is %d",
		    json_array_size(sigs), SP_DSSE_MAX_SIGS);
		goto out;
	}
	sp_buf_init(&pl, SP_DSSE_MAX_PAYLOAD);
	if ((error = sp_base64_decode(&pl, json_string_value(payload),
	         json_string_length(payload))) < 0) {
		error =
		    error == SP_EPARSE
		        ? sp_err_set(ctx, SP_EPARSE,
		              "the envelope payload is not canonical base64")
		        : sp_err_buf(ctx, error, "the envelope payload");
		goto out;
	}
	if ((error = sp_dsse_new(
	         ctx, &env, json_string_value(type), pl.ptr, pl.size)) < 0)
		goto out;
	json_array_foreach(sigs, i, s)
	{
		struct dsse_sig *ds = &env->sigs[i];
		json_t *kid, *sig;

		if (!json_is_object(s)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "signature %zu is not a JSON object", i + 1);
			goto out;
		}
		if ((error = check_members(
		         ctx, s, sigm, SP_ARRAY_SIZE(sigm), "a signature")) < 0)
			goto out;
		kid = json_object_get(s, "keyid");
		sig = json_object_get(s, "sig");
		if (!json_is_string(sig) ||
		    (kid != NULL && !json_is_string(kid))) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "signature %zu needs a string 'sig' (and an "
			    "optional string 'keyid')",
			    i + 1);
			goto out;
		}
		if (kid != NULL && json_string_length(kid) > 0) {
			if (!sp_is_lower_hex(json_string_value(kid),
			        json_string_length(kid), 32)) {
				error = sp_err_set(ctx, SP_EPARSE,
				    "signature %zu has a keyid that is not 64 "
				    "lower-case hex characters",
				    i + 1);
				goto out;
			}
			memcpy(ds->keyid, json_string_value(kid),
			    SP_KEYID_HEX_LEN + 1);
		}
		sp_buf_init(&ds->sig, SIG_MAX);
		env->nsigs = i + 1;
		if ((error = sp_base64_decode(&ds->sig, json_string_value(sig),
		         json_string_length(sig))) < 0) {
			error =
			    error == SP_EPARSE
			        ? sp_err_set(ctx, SP_EPARSE,
			              "signature %zu is not canonical base64",
			              i + 1)
			        : sp_err_set(ctx, SP_ELIMIT,
			              "signature %zu is larger than %d bytes",
			              i + 1, SIG_MAX);
			goto out;
		}
		if (ds->sig.size == 0) {
			error = sp_err_set(
			    ctx, SP_EPARSE, "signature %zu is empty", i + 1);
			goto out;
		}
	}
	*out = env;
	env = NULL;
out:
	sp_dsse_free(env);
	sp_buf_dispose(&pl);
	json_decref(root);
	return error;
}

int
sp_dsse_load(sp_ctx *ctx, sp_dsse **out, const char *path)
{
	sp_buf data = SP_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = sp_read_file(
	         ctx, &data, path, SP_DSSE_MAX_SIZE, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((error = sp_dsse_parse(ctx, out, data.ptr, data.size)) < 0) {
		char msg[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
		error = sp_err_set(ctx, error, "'%s': %s", path, msg);
	}
out:
	sp_buf_dispose(&data);
	return error;
}

int
sp_dsse_serialize(sp_ctx *ctx, const sp_dsse *env, sp_buf *out)
{
	json_t *root = NULL, *sigs;
	sp_buf b64 = SP_BUF_INIT;
	size_t i;
	int error = 0;

	if ((error = sp_base64_encode(
	         &b64, env->payload.ptr, env->payload.size)) < 0) {
		error = sp_err_buf(ctx, error, "the envelope");
		goto out;
	}
	root = json_object();
	sigs = json_array();
	if (root == NULL || sigs == NULL ||
	    json_object_set_new(root, "payloadType", json_string(env->type)) <
	        0 ||
	    json_object_set_new(root, "payload", json_string(b64.ptr)) < 0 ||
	    json_object_set_new(root, "signatures", sigs) < 0) {
		json_decref(sigs);
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < env->nsigs; i++) {
		sp_buf_clear(&b64);
		if (sp_base64_encode(&b64, env->sigs[i].sig.ptr,
		        env->sigs[i].sig.size) < 0 ||
		    json_array_append_new(
		        sigs, json_pack("{s:s, s:s}", "keyid",
		                  env->sigs[i].keyid, "sig", b64.ptr)) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((error = sp_sign__json_dump(ctx, out, root, 0, "the envelope")) <
	        0 ||
	    sp_buf_putc(out, '\n') < 0) {
		error = error < 0 ? error
		                  : sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
out:
	sp_buf_dispose(&b64);
	json_decref(root);
	return error;
}

const char *
sp_dsse_payload_type(const sp_dsse *env)
{
	return env->type;
}

const char *
sp_dsse_payload(const sp_dsse *env, size_t *len)
{
	if (len != NULL)
		*len = env->payload.size;
	return env->payload.ptr;
}

size_t
sp_dsse_sig_count(const sp_dsse *env)
{
	return env->nsigs;
}

const char *
sp_dsse_sig_keyid(const sp_dsse *env, size_t i)
{
	return i < env->nsigs ? env->sigs[i].keyid : "";
}

/* Signature bytes of signature @p i, for sp_sign__count. */
static const sp_buf *
sig_bytes(const sp_dsse *env, size_t i)
{
	return &env->sigs[i].sig;
}

int
sp_dsse_add_signature(sp_ctx *ctx, sp_dsse *env, const sp_key *key)
{
	sp_buf pae = SP_BUF_INIT, sig = SP_BUF_INIT;
	struct dsse_sig *ds;
	size_t i;
	int error = 0;

	for (i = 0; i < env->nsigs; i++) {
		if (strcmp(env->sigs[i].keyid, sp_key_id(key)) == 0)
			return sp_err_set(ctx, SP_EEXISTS,
			    "the envelope is already signed by key '%s'",
			    sp_key_id(key));
	}
	if (env->nsigs == SP_DSSE_MAX_SIGS)
		return sp_err_set(ctx, SP_ELIMIT,
		    "the envelope already has %d signatures", SP_DSSE_MAX_SIGS);
	sp_buf_init(&sig, SIG_MAX);
	if ((error = sp_dsse_pae(ctx, &pae, env->type, env->payload.ptr,
	         env->payload.size)) < 0 ||
	    (error = sp_key_sign(ctx, key, &sig, pae.ptr, pae.size)) < 0)
		goto out;
	/* Self-check: never write a signature that does not verify. */
	if ((error = sp_key_verify(
	         ctx, key, pae.ptr, pae.size, sig.ptr, sig.size)) < 0) {
		error = sp_err_set(ctx, SP_ERROR,
		    "the new signature by key '%s' does not verify; nothing "
		    "written",
		    sp_key_id(key));
		goto out;
	}
	ds = &env->sigs[env->nsigs++];
	memcpy(ds->keyid, sp_key_id(key), SP_KEYID_HEX_LEN + 1);
	ds->sig = sig;
	sig.ptr = NULL;
	sig.size = sig.asize = 0;
out:
	sp_buf_dispose(&pae);
	sp_buf_dispose(&sig);
	return error;
}

static const char *
plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Append ", N what" to @p b when n > 0. */
static void
count_part(sp_buf *b, size_t n, const char *one, const char *many)
{
	if (n == 0)
		return;
	if (sp_buf_printf(b, "%s%zu %s", b->size ? ", " : "", n,
	        plural(n, one, many)) < 0)
		sp_buf_clear(b);
}

int
sp_sign__count(sp_ctx *ctx, const sp_dsse *env,
    const struct sp_sign__trusted *keys, size_t nkeys, size_t threshold,
    const char *what, sp_sign_result *res)
{
	sp_buf pae = SP_BUF_INIT, why = SP_BUF_INIT;
	bool counted[SP_POLICY_MAX_KEYS] = {false};
	size_t i, k, not_yet = 0;
	int error = 0;

	memset(res, 0, sizeof(*res));
	res->total = env->nsigs;
	res->required = threshold;
	if (nkeys > SP_POLICY_MAX_KEYS)
		return sp_err_set(ctx, SP_ELIMIT, "too many keys");
	if ((error = sp_dsse_pae(ctx, &pae, env->type, env->payload.ptr,
	         env->payload.size)) < 0)
		goto out;
	for (i = 0; i < env->nsigs; i++) {
		const sp_buf *sig = sig_bytes(env, i);
		bool known = false, good = false;

		for (k = 0; k < nkeys && !good; k++) {
			const sp_key *key = keys[k].key;

			/* An empty keyid means: try every key. */
			if (env->sigs[i].keyid[0] != '\0' &&
			    strcmp(env->sigs[i].keyid, sp_key_id(key)) != 0)
				continue;
			known = true;
			if (sp_key_verify(ctx, key, pae.ptr, pae.size, sig->ptr,
			        sig->size) < 0)
				continue;
			good = true;
			if (!keys[k].allowed)
				res->not_allowed++;
			else if (!keys[k].in_time) {
				res->expired++;
				if (keys[k].not_yet)
					not_yet++;
			} else if (counted[k])
				res->duplicate++;
			else {
				counted[k] = true;
				if (res->valid < SP_ARRAY_SIZE(res->keyids))
					memcpy(res->keyids[res->valid],
					    sp_key_id(key),
					    SP_KEYID_HEX_LEN + 1);
				res->valid++;
			}
		}
		if (!known)
			res->unknown++;
		else if (!good)
			res->bad++;
	}
	sp_err_clear(ctx);
	if (threshold > 0 && res->valid >= threshold)
		goto out;
	count_part(&why, res->bad, "bad signature", "bad signatures");
	/* The words of the reasons ("wrong key", "key expired", "key not
	 * yet valid") are part of the interface: docs/spec/signature.md. */
	count_part(&why, res->unknown, "signature by a wrong key (not trusted)",
	    "signatures by wrong keys (not trusted)");
	count_part(&why, res->expired - not_yet, "signature (key expired)",
	    "signatures (key expired)");
	count_part(&why, not_yet, "signature (key not yet valid)",
	    "signatures (key not yet valid)");
	count_part(&why, res->not_allowed,
	    "signature by a key whose role is not allowed",
	    "signatures by keys whose role is not allowed");
	count_part(&why, res->duplicate, "duplicate signature (counted once)",
	    "duplicate signatures (counted once)");
	if (env->nsigs == 0)
		error = sp_err_set(ctx, SP_EVERIFY, "%s: no signatures", what);
	else
		error = sp_err_set(ctx, SP_EVERIFY,
		    "%s: threshold not met: %zu of %zu required valid "
		    "signatures (%s)",
		    what, res->valid, threshold,
		    why.size ? why.ptr : "no other signatures");
	if (res->unknown == env->nsigs && env->nsigs > 0)
		sp_err_hint(ctx,
		    "no signature is by a trusted key; the first is by key "
		    "'%s'",
		    env->sigs[0].keyid[0] ? env->sigs[0].keyid : "(no keyid)");
out:
	sp_buf_dispose(&pae);
	sp_buf_dispose(&why);
	return error;
}
