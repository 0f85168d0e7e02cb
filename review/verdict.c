/*
 * Verdict attestations: the artefact records, the in-toto Statement
 * (docs/spec/verdict.md) and its DSSE signature, for `srcproof rebuild`
 * and `srcproof compare --attest`.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "rebuild_int.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

#include "banned.h"

/* Most ranges, findings and signatures copied into an artefact record. */
#define MAX_LISTED 16

json_t *
rb_jstrn(const char *s, size_t len)
{
	sp_buf b = SP_BUF_INIT;
	json_t *j;

	if (s == NULL)
		return json_null();
	if ((j = json_stringn(s, len)) != NULL)
		return j;
	if (sp_escape_terminal(&b, s, len) < 0)
		return NULL;
	j = json_stringn(b.ptr, b.size);
	sp_buf_dispose(&b);
	return j;
}

json_t *
rb_jstr(const char *s)
{
	return s == NULL ? json_null() : rb_jstrn(s, strlen(s));
}

json_t *
rb_jhex(const uint8_t digest[32])
{
	char hex[SP_SHA256_HEX_LEN + 1];

	sp_hex_encode(hex, digest, 32);
	return json_string(hex);
}

int
rb_verdict_parse(const char *s)
{
	int v;

	for (v = SP_VERDICT_IDENTICAL; v <= SP_VERDICT_ERROR; v++)
		if (s != NULL && strcmp(s, sp_verdict_name((sp_verdict)v)) == 0)
			return v;
	return -1;
}

const char *
sp_verdict_method(const sp_compare_summary *sum)
{
	const char *m = sum->method;

	if (sum->verdict == SP_VERDICT_IDENTICAL)
		return "bit-identical";
	if (sum->verdict == SP_VERDICT_ERROR || m == NULL)
		return "none";
	if (strcmp(m, "pe-authenticode") == 0)
		return "normalized-authenticode";
	if (strcmp(m, "pe-detached-signature") == 0)
		return "detached-authenticode";
	if (strcmp(m, "elf-module-signature") == 0)
		return "module-signature";
	/* Compressed modules equal once decompressed, and unsigned. */
	if ((sum->shipped_compression != NULL ||
	        sum->rebuilt_compression != NULL) &&
	    sum->verdict == SP_VERDICT_EXPLAINED_DIFFERENCE &&
	    sum->ranges_total == 0)
		return "decompressed-identical";
	if (strcmp(m, "elf") == 0)
		return sum->verdict == SP_VERDICT_EXPLAINED_DIFFERENCE
		           ? "elf-explained"
		           : "elf-sections";
	if (strcmp(m, "bytes") == 0)
		return "bytes";
	return "none";
}

/* Copy the first MAX_LISTED elements of @p src, keeping only @p keys. */
static json_t *
pick_list(const json_t *src, const char *const *keys, size_t nkeys)
{
	json_t *out = json_array(), *o, *e;
	size_t i, k;

	if (out == NULL)
		return NULL;
	json_array_foreach(src, i, e)
	{
		if (i >= MAX_LISTED)
			break;
		if ((o = json_object()) == NULL ||
		    json_array_append_new(out, o) < 0)
			goto fail;
		for (k = 0; k < nkeys; k++) {
			json_t *v = json_object_get(e, keys[k]);

			if (v != NULL && json_object_set(o, keys[k], v) < 0)
				goto fail;
		}
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

int
rb_artefact_set(sp_ctx *ctx, json_t *art, sp_verdict v, const char *method,
    const char *reason)
{
	if (json_object_set_new(
	        art, "verdict", json_string(sp_verdict_name(v))) < 0 ||
	    json_object_set_new(art, "method", rb_jstr(method)) < 0 ||
	    json_object_set_new(art, "reason", rb_jstr(reason)) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

int
rb_artefact_from_compare(sp_ctx *ctx, json_t **out, const char *name,
    const char *output, const sp_compare_result *cres)
{
	static const char *const sig_keys[] = {"where", "origin",
	    "digest_algorithm", "digest_match", "signature_valid", "signer",
	    "timestamp"};
	static const char *const range_keys[] = {
	    "offset", "length", "region", "explained"};
	static const char *const finding_keys[] = {
	    "severity", "code", "message"};
	const sp_compare_summary *sum;
	json_t *art = NULL, *cj = NULL;
	int error = 0;

	*out = NULL;
	art = json_pack("{s:o, s:o, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, "
	                "s:n, s:n, s:n, s:n, s:[], s:I, s:I, s:[], s:[]}",
	    "name", rb_jstr(name), "output", rb_jstr(output), "verdict",
	    "method", "compare_method", "reason", "shipped_sha256",
	    "declared_sha256", "rebuilt_sha256", "normalized_sha256",
	    "shipped_size", "rebuilt_size", "detached_signature", "report",
	    "signatures", "ranges_total", (json_int_t)0, "bytes_differing",
	    (json_int_t)0, "ranges", "findings");
	if (art == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (cres != NULL) {
		sum = sp_compare_result_summary(cres);
		if ((error = sp_compare_result_json(ctx, &cj, cres)) < 0)
			goto out;
		if ((error = rb_artefact_set(ctx, art, sum->verdict,
		         sp_verdict_method(sum),
		         sum->verdict == SP_VERDICT_ERROR && sum->error
		             ? sum->error
		             : sum->reason)) < 0)
			goto out;
		if (json_object_set_new(
		        art, "compare_method", rb_jstr(sum->method)) < 0 ||
		    json_object_set_new(art, "ranges_total",
		        json_integer((json_int_t)sum->ranges_total)) < 0 ||
		    json_object_set_new(art, "bytes_differing",
		        json_integer((json_int_t)sum->bytes_differing)) < 0 ||
		    json_object_set_new(art, "signatures",
		        pick_list(json_object_get(cj, "signatures"), sig_keys,
		            SP_ARRAY_SIZE(sig_keys))) < 0 ||
		    json_object_set_new(art, "ranges",
		        pick_list(json_object_get(cj, "ranges"), range_keys,
		            SP_ARRAY_SIZE(range_keys))) < 0 ||
		    json_object_set_new(art, "findings",
		        pick_list(json_object_get(cj, "findings"), finding_keys,
		            SP_ARRAY_SIZE(finding_keys))) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if (sum->have_digests &&
		    (json_object_set_new(art, "shipped_sha256",
		         rb_jhex(sum->shipped_sha256)) < 0 ||
		        json_object_set_new(art, "rebuilt_sha256",
		            rb_jhex(sum->rebuilt_sha256)) < 0 ||
		        json_object_set_new(art, "shipped_size",
		            json_integer((json_int_t)sum->shipped_size)) < 0 ||
		        json_object_set_new(art, "rebuilt_size",
		            json_integer((json_int_t)sum->rebuilt_size)) < 0)) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if (sum->have_normalized &&
		    json_object_set_new(art, "normalized_sha256",
		        rb_jhex(sum->normalized_sha256)) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = art;
	art = NULL;
out:
	json_decref(art);
	json_decref(cj);
	return error;
}

int
rb_statement(
    sp_ctx *ctx, sp_buf *out, json_t *subjects, const json_t *predicate)
{
	json_t *st;
	char *s = NULL;
	int error = 0;

	if (json_array_size(subjects) == 0)
		return sp_err_set(ctx, SP_EINVALID,
		    "a verdict needs at least one subject with a digest");
	st = json_pack("{s:s, s:O, s:s, s:O}", "_type", SP_INTOTO_STATEMENT_V1,
	    "subject", subjects, "predicateType", SP_VERDICT_PREDICATE_V1,
	    "predicate", predicate);
	if (st == NULL || (s = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS |
	                                          JSON_ENSURE_ASCII)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = sp_buf_puts(out, s)) < 0)
		error = sp_err_buf(ctx, error, "the verdict statement");
out:
	free(s);
	json_decref(st);
	return error;
}

int
sp_verdict_compare_statement(sp_ctx *ctx, sp_buf *out,
    const sp_compare_result *res, const char *shipped_name, int64_t when,
    const char *tool_version)
{
	const sp_compare_summary *sum = sp_compare_result_summary(res);
	json_t *art = NULL, *pred = NULL, *subjects = NULL, *nc = NULL;
	char t[SP_TIME_STR_LEN];
	int error;

	/* ERROR is attested like any verdict; only a file that could not be
	 * read leaves no digest to attest. */
	if (!sum->have_digests)
		return sp_err_set(ctx, SP_EINVALID,
		    "cannot attest a comparison whose files could not be "
		    "read (no digests)");
	if (shipped_name == NULL || shipped_name[0] == '\0')
		return sp_err_set(ctx, SP_EINVALID, "the verdict needs a name");
	if ((error = sp_time_format(t, when)) < 0)
		return sp_err_set(ctx, SP_EINVALID, "time out of range");
	if ((error = rb_artefact_from_compare(
	         ctx, &art, shipped_name, NULL, res)) < 0)
		goto out;
	nc = json_pack("[s, s]",
	    "how the rebuilt file was built: this verdict compares two given "
	    "files",
	    "certificate chains and trust of embedded signatures (digests and "
	    "signature values only)");
	subjects =
	    json_pack("[{s:O, s:{s:O}}]", "name", json_object_get(art, "name"),
	        "digest", "sha256", json_object_get(art, "shipped_sha256"));
	pred = json_pack("{s:s, s:s, s:s, s:s, s:O, s:n, s:n, s:n, s:n, s:n, "
	                 "s:n, s:[O], s:[], s:o, s:{s:s, s:s}}",
	    "role", SP_VERDICT_ROLE, "kind", "compare", "signed_at", t,
	    "verdict", sp_verdict_name(sum->verdict), "reason",
	    json_object_get(art, "reason"), "bundle", "manifest",
	    "bundle_checks", "build", "toolchain", "host", "artefacts", art,
	    "warnings", "not_checked", nc, "tool", "name", "srcproof",
	    "version", tool_version ? tool_version : SRCPROOF_VERSION_STRING);
	nc = NULL;
	if (pred == NULL || subjects == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	error = rb_statement(ctx, out, subjects, pred);
out:
	json_decref(art);
	json_decref(pred);
	json_decref(subjects);
	json_decref(nc);
	return error;
}

int
sp_verdict_sign(sp_ctx *ctx, sp_buf *out, const char *statement, size_t len,
    const sp_key *key)
{
	sp_dsse *env = NULL;
	int error;

	if ((error = sp_sign_statement(ctx, &env, statement, len, key)) < 0)
		goto out;
	error = sp_dsse_serialize(ctx, env, out);
out:
	sp_dsse_free(env);
	return error;
}
