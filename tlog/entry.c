/*
 * srcproof log entries: canonical encoding, parsing, and the entry of a
 * signed manifest statement (a DSSE envelope).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/sign.h"
#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

static bool
value_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	return len > 0 && len <= max && sp_is_clean_utf8(s, len);
}

static bool
kind_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 32)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '-'))
			return false;
	}
	return true;
}

int
sp_tlog_entry_encode(sp_ctx *ctx, sp_buf *out, const sp_tlog_entry *e)
{
	char st[SP_SHA256_HEX_LEN + 1], su[SP_SHA256_HEX_LEN + 1];
	int error;

	if (!value_ok(e->product, 256) || !value_ok(e->release, 256))
		return sp_err_set(ctx, SP_EINVALID,
		    "log entry: product and release must be 1 to 256 bytes of "
		    "UTF-8 without control characters");
	if (!kind_ok(e->kind))
		return sp_err_set(ctx, SP_EINVALID,
		    "log entry: kind '%s' must be 1 to 32 characters a-z, 0-9, "
		    "'-'",
		    e->kind);
	sp_hex_encode(st, e->statement, HASH_LEN);
	sp_hex_encode(su, e->subject, HASH_LEN);
	if ((error = sp_buf_printf(out,
	         SP_TLOG_ENTRY_HEADER "\n"
	                              "statement sha256:%s\n"
	                              "subject sha256:%s\n"
	                              "product %s\n"
	                              "release %s\n"
	                              "kind %s\n",
	         st, su, e->product, e->release, e->kind)) < 0)
		return sp_err_buf(ctx, error, "log entry");
	return 0;
}

/* Take the next line of [*p, end) that starts with @p key; NULL if not. */
static const char *
take_line(const char **p, const char *end, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *nl, *v;

	if ((size_t)(end - *p) < klen || memcmp(*p, key, klen) != 0)
		return NULL;
	v = *p + klen;
	nl = memchr(v, '\n', (size_t)(end - v));
	if (nl == NULL)
		return NULL;
	*vlen = (size_t)(nl - v);
	*p = nl + 1;
	return v;
}

static int
copy_value(char *dst, size_t dstsize, const char *v, size_t len)
{
	if (len == 0 || len >= dstsize || memchr(v, '\0', len) != NULL ||
	    !sp_is_clean_utf8(v, len))
		return SP_EPARSE;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

int
sp_tlog_entry_parse(
    sp_ctx *ctx, sp_tlog_entry *out, const void *data, size_t len)
{
	const char *p = data, *end = p + len, *v;
	size_t vlen;

	memset(out, 0, sizeof(*out));
	if (len <= strlen(SP_TLOG_ENTRY_HEADER) ||
	    memcmp(data, SP_TLOG_ENTRY_HEADER "\n",
	        strlen(SP_TLOG_ENTRY_HEADER) + 1) != 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "log entry does not start with '" SP_TLOG_ENTRY_HEADER "'");
	p += strlen(SP_TLOG_ENTRY_HEADER) + 1;
	if ((v = take_line(&p, end, "statement sha256:", &vlen)) == NULL ||
	    !sp_is_lower_hex(v, vlen, HASH_LEN) ||
	    sp_hex_decode(out->statement, HASH_LEN, v, vlen) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "log entry: bad or missing 'statement sha256:' line");
	if ((v = take_line(&p, end, "subject sha256:", &vlen)) == NULL ||
	    !sp_is_lower_hex(v, vlen, HASH_LEN) ||
	    sp_hex_decode(out->subject, HASH_LEN, v, vlen) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "log entry: bad or missing 'subject sha256:' line");
	if ((v = take_line(&p, end, "product ", &vlen)) == NULL ||
	    copy_value(out->product, sizeof(out->product), v, vlen) < 0)
		return sp_err_set(
		    ctx, SP_EPARSE, "log entry: bad or missing 'product' line");
	if ((v = take_line(&p, end, "release ", &vlen)) == NULL ||
	    copy_value(out->release, sizeof(out->release), v, vlen) < 0)
		return sp_err_set(
		    ctx, SP_EPARSE, "log entry: bad or missing 'release' line");
	if ((v = take_line(&p, end, "kind ", &vlen)) == NULL ||
	    copy_value(out->kind, sizeof(out->kind), v, vlen) < 0 ||
	    !kind_ok(out->kind))
		return sp_err_set(
		    ctx, SP_EPARSE, "log entry: bad or missing 'kind' line");
	if (p != end)
		return sp_err_set(
		    ctx, SP_EPARSE, "log entry has data after its 'kind' line");
	return 0;
}

int
sp_tlog_entry_from_envelope(sp_ctx *ctx, sp_buf *out, const char *path)
{
	sp_dsse *env = NULL;
	sp_statement_info info;
	const char *payload;
	size_t len;
	sp_tlog_entry e;
	int error;

	memset(&e, 0, sizeof(e));
	memset(&info, 0, sizeof(info));
	if ((error = sp_dsse_load(ctx, &env, path)) < 0)
		goto out;
	if (sp_dsse_sig_count(env) == 0) {
		error = sp_err_set(
		    ctx, SP_EPARSE, "'%s' is not signed (no signatures)", path);
		goto out;
	}
	if ((error = sp_statement_check(ctx, env, NULL, &info)) < 0) {
		error = tlog_err_wrap(ctx, SP_EPARSE, "'%s'", path);
		goto out;
	}
	payload = sp_dsse_payload(env, &len);
	if ((error = sp_sha256(ctx, e.statement, payload, len)) < 0)
		goto out;
	if (sp_hex_decode(e.subject, HASH_LEN, info.subject_sha256,
	        SP_SHA256_HEX_LEN) < 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': the statement's subject digest is not hex", path);
		goto out;
	}
	if (info.product == NULL || info.release == NULL || info.kind == NULL) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s' does not sign a manifest: its predicate has no "
		    "manifest product, release and kind",
		    path);
		sp_err_hint(ctx, "log the signature of a manifest made by "
		                 "'srcproof manifest create'");
		goto out;
	}
	if (strlen(info.product) >= sizeof(e.product) ||
	    strlen(info.release) >= sizeof(e.release) ||
	    strlen(info.kind) >= sizeof(e.kind)) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': the manifest's product, release or kind is too "
		    "long for a log entry",
		    path);
		goto out;
	}
	memcpy(e.product, info.product, strlen(info.product) + 1);
	memcpy(e.release, info.release, strlen(info.release) + 1);
	memcpy(e.kind, info.kind, strlen(info.kind) + 1);
	if ((error = sp_tlog_entry_encode(ctx, out, &e)) < 0)
		error = tlog_err_wrap(ctx, SP_EPARSE, "'%s'", path);
out:
	sp_statement_info_dispose(&info);
	sp_dsse_free(env);
	return error;
}
