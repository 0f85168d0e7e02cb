/*
 * in-toto Statements: signing arbitrary statements, the statement of
 * `srcproof sign`, and reading a statement back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signing_int.h"
#include "srcproof/manifest.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

/* Most subjects read from one statement. */
#define MAX_SUBJECTS 4096

/* Validate the shape of an in-toto Statement v1. */
static int
statement_shape(sp_ctx *ctx, const json_t *st)
{
	const json_t *type, *subject, *ptype;

	if (!json_is_object(st))
		return sp_err_set(
		    ctx, SP_EPARSE, "the statement is not a JSON object");
	type = json_object_get(st, "_type");
	subject = json_object_get(st, "subject");
	ptype = json_object_get(st, "predicateType");
	if (!json_is_string(type) ||
	    strcmp(json_string_value(type), SP_INTOTO_STATEMENT_V1) != 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "the statement's _type is not '%s'",
		    SP_INTOTO_STATEMENT_V1);
	if (!json_is_array(subject) || json_array_size(subject) == 0 ||
	    json_array_size(subject) > MAX_SUBJECTS)
		return sp_err_set(ctx, SP_EPARSE,
		    "the statement needs 1 to %d subjects", MAX_SUBJECTS);
	if (!json_is_string(ptype))
		return sp_err_set(
		    ctx, SP_EPARSE, "the statement has no predicateType");
	return 0;
}

int
sp_sign_statement(sp_ctx *ctx, sp_dsse **env, const char *statement, size_t len,
    const sp_key *key)
{
	sp_dsse *created = NULL;
	json_t *st = NULL;
	int error;

	if ((error = sp_sign__json_parse(
	         ctx, &st, statement, len, "the statement")) < 0 ||
	    (error = statement_shape(ctx, st)) < 0)
		goto out;
	if (*env == NULL) {
		if ((error = sp_dsse_new(ctx, &created, SP_DSSE_TYPE_INTOTO,
		         statement, len)) < 0)
			goto out;
	} else {
		size_t plen;
		const char *p = sp_dsse_payload(*env, &plen);

		if (strcmp(sp_dsse_payload_type(*env), SP_DSSE_TYPE_INTOTO) !=
		        0 ||
		    plen != len || memcmp(p, statement, len) != 0) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "the envelope signs a different statement; "
			    "refusing to append");
			sp_err_hint(ctx, "append only to an envelope over the "
			                 "same file, role and time");
			goto out;
		}
	}
	if ((error = sp_dsse_add_signature(
	         ctx, created ? created : *env, key)) < 0)
		goto out;
	if (created != NULL) {
		*env = created;
		created = NULL;
	}
out:
	sp_dsse_free(created);
	json_decref(st);
	return error;
}

/* Prefix that marks a srcproof manifest (any version). */
#define MANIFEST_PREFIX "# srcproof-manifest"

/*
 * When @p path is a srcproof manifest (its first line starts with
 * "# srcproof-manifest"), add predicate.manifest {product, release, kind,
 * previous} read from it; a file that starts like one but does not parse
 * is refused.
 */
static int
manifest_fields(sp_ctx *ctx, json_t **out, const char *path)
{
	char head[sizeof(MANIFEST_PREFIX) - 1];
	sp_manifest *m = NULL;
	json_t *jm;
	ssize_t n;
	int fd = -1, error;

	*out = NULL;
	if ((error = sp_open_read(ctx, &fd, path, SP_OPEN_NOFOLLOW)) < 0)
		return error;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n != (ssize_t)sizeof(head) ||
	    memcmp(head, MANIFEST_PREFIX, sizeof(head)) != 0)
		return 0;
	if ((error = sp_manifest_load(ctx, &m, path)) < 0) {
		char msg[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
		return sp_err_set(ctx, error,
		    "'%s' starts like a srcproof manifest but does not parse: "
		    "%s",
		    path, msg);
	}
	jm = json_pack("{s:s?, s:s?, s:s, s:s?}", "product",
	    sp_manifest_product(m), "release", sp_manifest_release(m), "kind",
	    sp_manifest_kind_name(sp_manifest_kind_of(m)), "previous",
	    sp_manifest_previous(m));
	if (jm == NULL)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
	*out = jm;
	sp_manifest_free(m);
	return error;
}

int
sp_sign_file_statement(sp_ctx *ctx, sp_buf *out, const char *path,
    const char *name, const char *role, int64_t when)
{
	uint8_t md[SP_SHA256_LEN];
	char hex[SP_SHA256_HEX_LEN + 1], ts[SP_TIME_STR_LEN];
	json_t *st = NULL, *pred = NULL, *jm = NULL;
	const char *kind;
	int error;

	if (!sp_is_clean_utf8(name, strlen(name)) || name[0] == '\0')
		return sp_err_set(ctx, SP_EINVALID,
		    "subject name '%s' is not clean UTF-8", name);
	if ((error = manifest_fields(ctx, &jm, path)) < 0)
		goto out;
	if (role == NULL) {
		/* An update manifest is signed for role update by default. */
		kind =
		    jm ? json_string_value(json_object_get(jm, "kind")) : NULL;
		role = kind != NULL && strcmp(kind, "update") == 0 ? "update"
		                                                   : "release";
	}
	if (!sp_sign_role_is_known(role) || strcmp(role, "root") == 0) {
		error = sp_err_set(ctx, SP_EINVALID, "unknown role '%s'", role);
		goto out;
	}
	if ((error = sp_sha256_file(ctx, md, NULL, path)) < 0)
		goto out;
	sp_hex_encode(hex, md, sizeof(md));
	if (sp_time_format(ts, when) < 0) {
		error = sp_err_set(ctx, SP_EINVALID, "time out of range");
		goto out;
	}
	pred = json_pack("{s:s, s:s}", "role", role, "signed_at", ts);
	if (pred == NULL ||
	    (jm != NULL && json_object_set(pred, "manifest", jm) < 0)) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	st = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:O}", "_type",
	    SP_INTOTO_STATEMENT_V1, "subject", "name", name, "digest", "sha256",
	    hex, "predicateType", SP_SIGN_PREDICATE_V1, "predicate", pred);
	if (st == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	error = sp_sign__json_dump(ctx, out, st, 0, "the statement");
out:
	json_decref(st);
	json_decref(pred);
	json_decref(jm);
	return error;
}

static const char *
opt_string(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void
sp_statement_info_dispose(sp_statement_info *info)
{
	if (info == NULL)
		return;
	json_decref(info->priv);
	memset(info, 0, sizeof(*info));
}

int
sp_statement_check(sp_ctx *ctx, const sp_dsse *env, const uint8_t *digest,
    sp_statement_info *info)
{
	char want[SP_SHA256_HEX_LEN + 1] = "";
	json_t *st = NULL, *subject, *s, *pred, *m;
	const json_t *match = NULL;
	const char *payload;
	size_t len, i;
	int error;

	memset(info, 0, sizeof(*info));
	if (strcmp(sp_dsse_payload_type(env), SP_DSSE_TYPE_INTOTO) != 0)
		return sp_err_set(ctx, SP_EVERIFY,
		    "wrong payload type '%s' (expected '%s')",
		    sp_dsse_payload_type(env), SP_DSSE_TYPE_INTOTO);
	payload = sp_dsse_payload(env, &len);
	if ((error = sp_sign__json_parse(
	         ctx, &st, payload, len, "the statement")) < 0 ||
	    (error = statement_shape(ctx, st)) < 0)
		goto out;
	if (digest != NULL)
		sp_hex_encode(want, digest, SP_SHA256_LEN);
	subject = json_object_get(st, "subject");
	json_array_foreach(subject, i, s)
	{
		const char *d =
		    opt_string(json_object_get(s, "digest"), "sha256");

		if (!json_is_object(s) || d == NULL ||
		    !sp_is_lower_hex(d, strlen(d), SP_SHA256_LEN)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "subject %zu has no lower-case hex sha256 digest",
			    i + 1);
			goto out;
		}
		if (match == NULL &&
		    (digest == NULL || sp_ct_equal(d, want, SP_SHA256_HEX_LEN)))
			match = s;
	}
	if (match == NULL) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "digest mismatch: the file's sha256 is %s but the "
		    "signature covers %s",
		    want,
		    opt_string(
		        json_object_get(json_array_get(subject, 0), "digest"),
		        "sha256"));
		goto out;
	}
	info->subject_name = opt_string(match, "name");
	memcpy(info->subject_sha256,
	    opt_string(json_object_get(match, "digest"), "sha256"),
	    SP_SHA256_HEX_LEN + 1);
	info->predicate_type = opt_string(st, "predicateType");
	pred = json_object_get(st, "predicate");
	info->role = opt_string(pred, "role");
	if (opt_string(pred, "signed_at") != NULL &&
	    sp_time_parse(&info->signed_at, opt_string(pred, "signed_at")) <
	        0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "the statement's signed_at is not a UTC time");
		goto out;
	}
	m = json_object_get(pred, "manifest");
	info->product = opt_string(m, "product");
	info->release = opt_string(m, "release");
	info->kind = opt_string(m, "kind");
	info->previous = opt_string(m, "previous");
	info->priv = st;
	st = NULL;
out:
	json_decref(st);
	return error;
}
