/*
 * C2SP signed notes and checkpoints: parsing, signing, verification of the
 * log signature and of witness cosignatures (tlog-cosignature v1).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/base64.h"
#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

/* U+2014 EM DASH and a space: the start of a signature line. */
#define SIG_PREFIX "\xe2\x80\x94 "
#define SIG_PREFIX_LEN 4

int
tlog_err_wrap(sp_ctx *ctx, int code, const char *fmt, ...)
{
	char prefix[SP_ERRMSG_MAX], msg[SP_ERRMSG_MAX], hint[SP_ERRMSG_MAX];
	va_list ap;

	snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
	snprintf(hint, sizeof(hint), "%s", sp_ctx_errhint(ctx));
	va_start(ap, fmt);
	if (vsnprintf(prefix, sizeof(prefix), fmt, ap) < 0)
		prefix[0] = '\0';
	va_end(ap);
	sp_err_set(ctx, code, "%s: %s", prefix, msg);
	if (hint[0] != '\0')
		sp_err_hint(ctx, "%s", hint);
	return code;
}

int
tlog_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return SP_EPARSE;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SP_EPARSE;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return SP_EPARSE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
tlog_b64_fixed(const char *in, size_t len, uint8_t *out, size_t outlen)
{
	sp_buf b = SP_BUF_INIT;
	int error = 0;

	if (sp_base64_decode(&b, in, len) < 0 || b.size != outlen)
		error = SP_EPARSE;
	else
		memcpy(out, b.ptr, outlen);
	sp_buf_dispose(&b);
	return error;
}

void
tlog_note_dispose(tlog_note *n)
{
	size_t i;

	for (i = 0; i < n->nsigs; i++) {
		free(n->sigs[i].name);
		free(n->sigs[i].raw);
		free(n->sigs[i].line);
	}
	free(n->sigs);
	free(n->text);
	memset(n, 0, sizeof(*n));
}

static int
parse_sig(sp_ctx *ctx, tlog_sig *s, const char *line, size_t len)
{
	const char *name, *sp;
	sp_buf raw = SP_BUF_INIT;
	size_t namelen;
	int error = 0;

	if (len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN))
		return sp_err_set(ctx, SP_EPARSE,
		    "note: a signature line must start with an em dash "
		    "(U+2014) and a space");
	name = line + SIG_PREFIX_LEN;
	sp = memchr(name, ' ', len - SIG_PREFIX_LEN);
	if (sp == NULL)
		return sp_err_set(ctx, SP_EPARSE,
		    "note: a signature line has no signature after its key "
		    "name");
	namelen = (size_t)(sp - name);
	if (!tlog_name_ok(name, namelen))
		return sp_err_set(ctx, SP_EPARSE,
		    "note: a signature line has an invalid key name");
	if (sp_base64_decode(&raw, sp + 1, (size_t)(line + len - sp - 1)) < 0 ||
	    raw.size < 5) {
		sp_buf_dispose(&raw);
		return sp_err_set(ctx, SP_EPARSE,
		    "note: signature of '%.*s' is not canonical base64 of a "
		    "key "
		    "ID and a signature",
		    (int)namelen, name);
	}
	s->name = strndup(name, namelen);
	s->line = malloc(len + 2);
	if (s->name == NULL || s->line == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
	} else {
		memcpy(s->line, line, len);
		s->line[len] = '\n';
		s->line[len + 1] = '\0';
		s->linelen = len + 1;
		s->rawlen = raw.size;
		s->raw = (uint8_t *)sp_buf_detach(&raw);
	}
	sp_buf_dispose(&raw);
	return error;
}

int
tlog_note_parse(
    sp_ctx *ctx, tlog_note *out, const char *data, size_t len, bool need_sig)
{
	const char *sep = NULL, *p, *end = data + len, *line;
	size_t i, nlines = 0;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (len > SP_TLOG_NOTE_MAX_SIZE)
		return sp_err_set(ctx, SP_ELIMIT,
		    "note is larger than %zu bytes", SP_TLOG_NOTE_MAX_SIZE);
	if (len == 0 || data[len - 1] != '\n')
		return sp_err_set(
		    ctx, SP_EPARSE, "note does not end in a newline");
	/* Valid UTF-8 without control characters other than newline. */
	for (line = data; line < end; line = p + 1) {
		p = memchr(line, '\n', (size_t)(end - line));
		if (!sp_is_clean_utf8(line, (size_t)(p - line)))
			return sp_err_set(ctx, SP_EPARSE,
			    "note: line %zu is not clean UTF-8 (control "
			    "characters or invalid bytes)",
			    nlines + 1);
		nlines++;
	}
	/* The text ends at the last blank line. */
	for (i = len - 1; i > 0; i--) {
		if (data[i] == '\n' && data[i - 1] == '\n') {
			sep = data + i - 1;
			break;
		}
	}
	if (sep == NULL) {
		if (need_sig)
			return sp_err_set(ctx, SP_EPARSE,
			    "note has no signature lines (no blank line "
			    "after its text)");
		sep = end - 1;
	}
	out->text_len = (size_t)(sep - data) + 1;
	if ((out->text = strndup(data, out->text_len)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	for (line = sep + 2; line < end; line = p + 1) {
		tlog_sig *ns;

		p = memchr(line, '\n', (size_t)(end - line));
		if (out->nsigs >= SP_TLOG_NOTE_MAX_SIGS) {
			error = sp_err_set(ctx, SP_ELIMIT,
			    "note has more than %d signature lines",
			    SP_TLOG_NOTE_MAX_SIGS);
			goto out;
		}
		ns = realloc(out->sigs, (out->nsigs + 1) * sizeof(*ns));
		if (ns == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		out->sigs = ns;
		memset(&ns[out->nsigs], 0, sizeof(*ns));
		out->nsigs++;
		if ((error = parse_sig(ctx, &ns[out->nsigs - 1], line,
		         (size_t)(p - line))) < 0)
			goto out;
	}
	if (need_sig && out->nsigs == 0)
		error =
		    sp_err_set(ctx, SP_EPARSE, "note has no signature lines");
out:
	if (error < 0)
		tlog_note_dispose(out);
	return error;
}

int
tlog_note_sig_line(sp_buf *out, const char *name, const uint8_t id[4],
    const uint8_t *sig, size_t siglen)
{
	uint8_t raw[4 + 8 + 64];
	int error;

	if (siglen > sizeof(raw) - 4)
		return SP_EINVALID;
	memcpy(raw, id, 4);
	memcpy(raw + 4, sig, siglen);
	if ((error = sp_buf_printf(out, SIG_PREFIX "%s ", name)) < 0 ||
	    (error = sp_base64_encode(out, raw, 4 + siglen)) < 0 ||
	    (error = sp_buf_putc(out, '\n')) < 0)
		return error;
	return 0;
}

/* ---- checkpoints
 * -------------------------------------------------------------
 */

int
tlog_checkpoint_body(sp_ctx *ctx, sp_tlog_checkpoint *cp)
{
	const char *t = cp->note.text, *l2, *l3, *l4;
	size_t i;

	for (i = 0; i + 1 < cp->note.text_len; i++) {
		if (t[i] == '\n' && t[i + 1] == '\n')
			return sp_err_set(ctx, SP_EPARSE,
			    "checkpoint has an empty line in its body");
	}
	if (t[0] == '\n')
		return sp_err_set(
		    ctx, SP_EPARSE, "checkpoint has an empty origin line");
	l2 = strchr(t, '\n') + 1;
	l3 = *l2 ? strchr(l2, '\n') + 1 : NULL;
	l4 = l3 && *l3 ? strchr(l3, '\n') + 1 : NULL;
	if (l4 == NULL)
		return sp_err_set(ctx, SP_EPARSE,
		    "checkpoint body has fewer than three lines (origin, tree "
		    "size, root hash)");
	if ((cp->origin = strndup(t, (size_t)(l2 - t - 1))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if (tlog_parse_u64(
	        l2, (size_t)(l3 - l2 - 1), SP_TLOG_MAX_SIZE, &cp->size) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "checkpoint tree size '%.*s' is not a decimal number "
		    "without leading zeroes",
		    (int)(l3 - l2 - 1 > 40 ? 40 : l3 - l2 - 1), l2);
	if (tlog_b64_fixed(l3, (size_t)(l4 - l3 - 1), cp->root, HASH_LEN) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "checkpoint root hash is not the canonical base64 of 32 "
		    "bytes");
	return 0;
}

int
sp_tlog_checkpoint_parse(
    sp_ctx *ctx, sp_tlog_checkpoint **out, const char *data, size_t len)
{
	sp_tlog_checkpoint *cp;
	int error;

	*out = NULL;
	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = tlog_note_parse(ctx, &cp->note, data, len, true)) < 0 ||
	    (error = tlog_checkpoint_body(ctx, cp)) < 0)
		goto out;
	if ((cp->whole = strndup(data, len)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	cp->whole_len = len;
	*out = cp;
	cp = NULL;
out:
	sp_tlog_checkpoint_free(cp);
	return error;
}

int
sp_tlog_checkpoint_load(sp_ctx *ctx, sp_tlog_checkpoint **out, const char *path)
{
	sp_buf b = SP_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = sp_read_file(
	         ctx, &b, path, SP_TLOG_NOTE_MAX_SIZE, SP_OPEN_NOFOLLOW)) < 0)
		return error;
	if (strlen(b.ptr) != b.size)
		error = sp_err_set(ctx, SP_EPARSE,
		    "checkpoint '%s' contains a NUL byte", path);
	else if ((error = sp_tlog_checkpoint_parse(ctx, out, b.ptr, b.size)) <
	         0)
		error = tlog_err_wrap(ctx, error, "checkpoint '%s'", path);
	sp_buf_dispose(&b);
	return error;
}

const char *
sp_tlog_checkpoint_origin(const sp_tlog_checkpoint *cp)
{
	return cp->origin;
}

uint64_t
sp_tlog_checkpoint_size(const sp_tlog_checkpoint *cp)
{
	return cp->size;
}

const uint8_t *
sp_tlog_checkpoint_root(const sp_tlog_checkpoint *cp)
{
	return cp->root;
}

const char *
sp_tlog_checkpoint_text(const sp_tlog_checkpoint *cp, size_t *len)
{
	if (len != NULL)
		*len = cp->whole_len;
	return cp->whole;
}

void
sp_tlog_checkpoint_free(sp_tlog_checkpoint *cp)
{
	if (cp == NULL)
		return;
	tlog_note_dispose(&cp->note);
	free(cp->origin);
	free(cp->whole);
	free(cp);
}

int
tlog_checkpoint_format(
    sp_buf *out, const char *origin, uint64_t size, const uint8_t root[32])
{
	int error;

	if ((error = sp_buf_printf(out, "%s\n%" PRIu64 "\n", origin, size)) <
	        0 ||
	    (error = sp_base64_encode(out, root, HASH_LEN)) < 0 ||
	    (error = sp_buf_putc(out, '\n')) < 0)
		return error;
	return 0;
}

int
tlog_checkpoint_sign(sp_ctx *ctx, sp_buf *out, const char *body, size_t len,
    const char *name, const tlog_key *key)
{
	uint8_t id[4], sig[64];
	int error;

	if ((error = tlog_key_id(ctx, id, name, SP_TLOG_SIG_ED25519,
	         tlog_key_public(key))) < 0 ||
	    (error = tlog_key_sign(ctx, key, sig, body, len)) < 0)
		return error;
	if ((error = sp_buf_put(out, body, len)) < 0 ||
	    (error = sp_buf_putc(out, '\n')) < 0 ||
	    (error = tlog_note_sig_line(out, name, id, sig, 64)) < 0)
		return sp_err_buf(ctx, error, "checkpoint");
	return 0;
}

static bool
sig_is_from(const tlog_sig *s, const sp_tlog_verifier *v)
{
	return strcmp(s->name, v->name) == 0 && s->rawlen >= 4 &&
	       memcmp(s->raw, v->id, 4) == 0;
}

int
sp_tlog_checkpoint_verify(sp_ctx *ctx, const sp_tlog_checkpoint *cp,
    const sp_tlog_verifier *log_key, const char *origin)
{
	size_t i, good = 0;
	int error;

	if (origin == NULL)
		origin = log_key->name;
	if (strcmp(cp->origin, origin) != 0)
		return sp_err_set(ctx, SP_EVERIFY,
		    "checkpoint origin '%s' is not the expected '%s'",
		    cp->origin, origin);
	if (log_key->type != SP_TLOG_SIG_ED25519)
		return sp_err_set(ctx, SP_EINVALID,
		    "'%s' is not a log key (signature type 0x01)",
		    log_key->name);
	for (i = 0; i < cp->note.nsigs; i++) {
		const tlog_sig *s = &cp->note.sigs[i];

		if (!sig_is_from(s, log_key))
			continue;
		if (s->rawlen != 4 + 64)
			return sp_err_set(ctx, SP_EVERIFY,
			    "checkpoint signature by '%s' has the wrong length",
			    log_key->name);
		error = tlog_ed25519_verify(ctx, log_key->pub, cp->note.text,
		    cp->note.text_len, s->raw + 4);
		if (error == SP_EVERIFY)
			return sp_err_set(ctx, SP_EVERIFY,
			    "checkpoint signature by log key '%s' does not "
			    "verify",
			    log_key->name);
		if (error < 0)
			return error;
		good++;
	}
	if (good == 0) {
		char hex[9];

		sp_hex_encode(hex, log_key->id, 4);
		return sp_err_set(ctx, SP_EVERIFY,
		    "checkpoint is not signed by log key '%s+%s' (only by "
		    "unknown keys)",
		    log_key->name, hex);
	}
	return 0;
}

int
tlog_cosig_check(sp_ctx *ctx, const sp_tlog_checkpoint *cp, const tlog_sig *s,
    const sp_tlog_verifier *w, int64_t *ts)
{
	sp_buf msg = SP_BUF_INIT;
	uint64_t t = 0;
	int i, error;

	if (s->rawlen != 4 + 8 + 64)
		return sp_err_set(ctx, SP_EVERIFY,
		    "cosignature by witness '%s' has the wrong length (%zu "
		    "bytes)",
		    w->name, s->rawlen);
	for (i = 0; i < 8; i++)
		t = t << 8 | s->raw[4 + i];
	if (t > (uint64_t)INT64_MAX)
		return sp_err_set(ctx, SP_EVERIFY,
		    "cosignature by witness '%s' has a timestamp above 2^63-1",
		    w->name);
	if ((error = sp_buf_printf(
	         &msg, "cosignature/v1\ntime %" PRIu64 "\n", t)) < 0 ||
	    (error = sp_buf_put(&msg, cp->note.text, cp->note.text_len)) < 0) {
		error = sp_err_buf(ctx, error, "cosignature");
		goto out;
	}
	error =
	    tlog_ed25519_verify(ctx, w->pub, msg.ptr, msg.size, s->raw + 12);
	if (error == SP_EVERIFY)
		error = sp_err_set(ctx, SP_EVERIFY,
		    "cosignature by witness '%s' does not verify", w->name);
	*ts = (int64_t)t;
out:
	sp_buf_dispose(&msg);
	return error;
}

int
sp_tlog_checkpoint_cosigned(sp_ctx *ctx, const sp_tlog_checkpoint *cp,
    const sp_tlog_trust *trust, sp_tlog_verify_result *result)
{
	sp_tlog_verify_result local;
	size_t i, j, k;
	int error;

	if (result == NULL)
		result = &local;
	result->cosigned = 0;
	result->ignored = 0;
	for (j = 0; j < trust->nwitnesses; j++) {
		const sp_tlog_verifier *w = trust->witnesses[j];
		bool dup = false, ok = false;
		int64_t ts = 0;

		if (w->type != SP_TLOG_SIG_COSIGNATURE)
			return sp_err_set(ctx, SP_EINVALID,
			    "'%s' is not a witness key (signature type 0x04)",
			    w->name);
		/* The same witness given twice counts once. */
		for (k = 0; k < j; k++) {
			const sp_tlog_verifier *o = trust->witnesses[k];

			if (memcmp(o->id, w->id, 4) == 0 &&
			    memcmp(o->pub, w->pub, 32) == 0 &&
			    strcmp(o->name, w->name) == 0)
				dup = true;
		}
		if (dup)
			continue;
		for (i = 0; i < cp->note.nsigs; i++) {
			if (!sig_is_from(&cp->note.sigs[i], w))
				continue;
			if ((error = tlog_cosig_check(
			         ctx, cp, &cp->note.sigs[i], w, &ts)) < 0)
				return error;
			if (trust->now > 0 && ts > trust->now + 300)
				return sp_err_set(ctx, SP_EVERIFY,
				    "cosignature by witness '%s' is dated in "
				    "the future",
				    w->name);
			ok = true;
		}
		if (ok) {
			if (result->cosigned < SP_TLOG_MAX_REPORTED) {
				result->cosigners[result->cosigned] = w;
				result->cosigned_at[result->cosigned] = ts;
			}
			result->cosigned++;
		}
	}
	for (i = 0; i < cp->note.nsigs; i++) {
		bool known = trust->log_key != NULL &&
		             sig_is_from(&cp->note.sigs[i], trust->log_key);

		for (j = 0; j < trust->nwitnesses && !known; j++)
			known =
			    sig_is_from(&cp->note.sigs[i], trust->witnesses[j]);
		if (!known)
			result->ignored++;
	}
	if (result->cosigned < trust->quorum)
		return sp_err_set(ctx, SP_EVERIFY,
		    "witness quorum not met: %zu of the %u required trusted "
		    "witnesses cosigned the checkpoint",
		    result->cosigned, trust->quorum);
	return 0;
}

int
sp_tlog_checkpoints_compare(
    sp_ctx *ctx, const sp_tlog_checkpoint *a, const sp_tlog_checkpoint *b)
{
	sp_buf ra = SP_BUF_INIT, rb = SP_BUF_INIT;
	int error = 0;

	if (strcmp(a->origin, b->origin) != 0 || a->size != b->size ||
	    sp_ct_equal(a->root, b->root, HASH_LEN))
		return 0;
	if (sp_base64_encode(&ra, a->root, HASH_LEN) < 0 ||
	    sp_base64_encode(&rb, b->root, HASH_LEN) < 0)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
	else
		error = sp_err_set(ctx, SP_EVERIFY,
		    "equivocation: log '%s' signed two different trees of size "
		    "%" PRIu64 " (roots %s and %s)",
		    a->origin, a->size, ra.ptr, rb.ptr);
	sp_buf_dispose(&ra);
	sp_buf_dispose(&rb);
	return error;
}
