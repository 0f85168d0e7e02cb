/*
 * Proof files (C2SP tlog-proof): parsing and offline verification.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/base64.h"
#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

struct sp_tlog_proof {
	uint64_t index;
	uint8_t *entry;
	size_t entry_len;
	bool has_entry;
	uint8_t (*hashes)[HASH_LEN];
	size_t nhashes;
	sp_tlog_checkpoint *cp;
};

/* The next line of [*p, end) without its newline; NULL at the end. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *l = *p, *nl;

	if (l >= end)
		return NULL;
	nl = memchr(l, '\n', (size_t)(end - l));
	if (nl == NULL)
		return NULL;
	*len = (size_t)(nl - l);
	*p = nl + 1;
	return l;
}

int
sp_tlog_proof_parse(
    sp_ctx *ctx, sp_tlog_proof **out, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *l;
	sp_tlog_proof *pr = NULL;
	size_t llen;
	int error = 0;

	*out = NULL;
	if (len > SP_TLOG_PROOF_MAX_SIZE)
		return sp_err_set(ctx, SP_ELIMIT,
		    "proof is larger than %zu bytes", SP_TLOG_PROOF_MAX_SIZE);
	if (memchr(data, '\0', len) != NULL)
		return sp_err_set(ctx, SP_EPARSE, "proof contains a NUL byte");
	if ((pr = calloc(1, sizeof(*pr))) == NULL ||
	    (pr->hashes = calloc(TLOG_MAX_PROOF, HASH_LEN)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	l = next_line(&p, end, &llen);
	if (l == NULL || llen != strlen(SP_TLOG_PROOF_HEADER) ||
	    memcmp(l, SP_TLOG_PROOF_HEADER, llen) != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "not a proof: the first line must be '" SP_TLOG_PROOF_HEADER
		    "'");
		goto out;
	}
	l = next_line(&p, end, &llen);
	if (l != NULL && llen >= 6 && memcmp(l, "extra ", 6) == 0) {
		sp_buf e = SP_BUF_INIT;

		if (sp_base64_decode(&e, l + 6, llen - 6) < 0 ||
		    e.size > SP_TLOG_MAX_ENTRY) {
			sp_buf_dispose(&e);
			error = sp_err_set(ctx, SP_EPARSE,
			    "proof: the 'extra' line is not canonical base64 "
			    "of an entry of at most %d bytes",
			    SP_TLOG_MAX_ENTRY);
			goto out;
		}
		pr->entry_len = e.size;
		pr->entry = (uint8_t *)sp_buf_detach(&e);
		pr->has_entry = true;
		l = next_line(&p, end, &llen);
	}
	if (l == NULL || llen < 7 || memcmp(l, "index ", 6) != 0 ||
	    tlog_parse_u64(l + 6, llen - 6, SP_TLOG_MAX_SIZE - 1, &pr->index) <
	        0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "proof: expected 'index N' (decimal, no leading zeroes)");
		goto out;
	}
	for (;;) {
		l = next_line(&p, end, &llen);
		if (l == NULL) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "proof: no blank line before the checkpoint");
			goto out;
		}
		if (llen == 0)
			break;
		if (pr->nhashes >= TLOG_MAX_PROOF) {
			error = sp_err_set(ctx, SP_ELIMIT,
			    "proof has more than %d hashes", TLOG_MAX_PROOF);
			goto out;
		}
		if (tlog_b64_fixed(l, llen, pr->hashes[pr->nhashes], HASH_LEN) <
		    0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "proof: hash line %zu is not the canonical base64 "
			    "of 32 bytes",
			    pr->nhashes + 1);
			goto out;
		}
		pr->nhashes++;
	}
	if ((error = sp_tlog_checkpoint_parse(
	         ctx, &pr->cp, p, (size_t)(end - p))) < 0) {
		error = tlog_err_wrap(ctx, error, "proof");
		goto out;
	}
	*out = pr;
	pr = NULL;
out:
	sp_tlog_proof_free(pr);
	return error;
}

int
sp_tlog_proof_load(sp_ctx *ctx, sp_tlog_proof **out, const char *path)
{
	sp_buf b = SP_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = sp_read_file(
	         ctx, &b, path, SP_TLOG_PROOF_MAX_SIZE, SP_OPEN_NOFOLLOW)) < 0)
		return error;
	if ((error = sp_tlog_proof_parse(ctx, out, b.ptr, b.size)) < 0)
		error = tlog_err_wrap(ctx, error, "'%s'", path);
	sp_buf_dispose(&b);
	return error;
}

uint64_t
sp_tlog_proof_index(const sp_tlog_proof *p)
{
	return p->index;
}

const uint8_t *
sp_tlog_proof_entry(const sp_tlog_proof *p, size_t *len)
{
	*len = p->entry_len;
	return p->has_entry ? p->entry : NULL;
}

const sp_tlog_checkpoint *
sp_tlog_proof_checkpoint(const sp_tlog_proof *p)
{
	return p->cp;
}

void
sp_tlog_proof_free(sp_tlog_proof *p)
{
	if (p == NULL)
		return;
	free(p->entry);
	free(p->hashes);
	sp_tlog_checkpoint_free(p->cp);
	free(p);
}

int
sp_tlog_proof_verify(sp_ctx *ctx, const sp_tlog_proof *p,
    const sp_tlog_trust *trust, const void *entry, size_t entry_len,
    sp_tlog_verify_result *result)
{
	sp_tlog_verify_result local;
	const void *e;
	size_t elen;
	int error;

	if (result == NULL)
		result = &local;
	memset(result, 0, sizeof(*result));
	if (trust == NULL || trust->version != SP_TLOG_TRUST_VERSION ||
	    trust->log_key == NULL)
		return sp_err_set(
		    ctx, SP_EINVALID, "a log key is needed to verify a proof");
	result->index = p->index;
	result->size = p->cp->size;
	result->proof_len = p->nhashes;
	memcpy(result->root, p->cp->root, HASH_LEN);
	if ((error = sp_tlog_checkpoint_verify(
	         ctx, p->cp, trust->log_key, trust->origin)) < 0)
		return error;
	result->log_signature_ok = true;
	if (p->has_entry) {
		e = p->entry;
		elen = p->entry_len;
		if (entry != NULL &&
		    (entry_len != elen || memcmp(entry, e, elen) != 0))
			return sp_err_set(ctx, SP_EVERIFY,
			    "the proof is for another entry than the one "
			    "given");
	} else if (entry != NULL) {
		e = entry;
		elen = entry_len;
	} else {
		return sp_err_set(ctx, SP_EVERIFY,
		    "the proof carries no entry and none was given");
	}
	if ((error = sp_tlog_leaf_hash(ctx, result->leaf, e, elen)) < 0)
		return error;
	if ((error = sp_tlog_verify_inclusion(ctx, p->index, p->cp->size,
	         result->leaf, (const uint8_t(*)[HASH_LEN])p->hashes,
	         p->nhashes, p->cp->root)) < 0)
		return error;
	result->inclusion_ok = true;
	return sp_tlog_checkpoint_cosigned(ctx, p->cp, trust, result);
}

int
sp_tlog_verify_proof_file(sp_ctx *ctx, const char *path,
    const sp_tlog_trust *trust, const void *entry, size_t entry_len,
    sp_tlog_verify_result *result)
{
	sp_tlog_proof *p = NULL;
	int error;

	if (result != NULL)
		memset(result, 0, sizeof(*result));
	if ((error = sp_tlog_proof_load(ctx, &p, path)) < 0)
		return error;
	error = sp_tlog_proof_verify(ctx, p, trust, entry, entry_len, result);
	sp_tlog_proof_free(p);
	return error;
}
