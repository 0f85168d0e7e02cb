/*
 * A witness: cosigns a log's checkpoint only when it is consistent with the
 * last checkpoint of that log it cosigned, kept in its own state file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "srcproof/base64.h"
#include "srcproof/util.h"
#include "tlog_int.h"
#include "util_int.h"

#include "banned.h"

#define STATE_FORMAT "srcproof.witness-state/v1"
#define STATE_MAX ((size_t)16 << 20)

struct request {
	bool has_old;
	uint64_t old;
	uint8_t (*proof)[HASH_LEN];
	size_t n;
	sp_tlog_checkpoint *cp;
};

static int
parse_request(sp_ctx *ctx, struct request *rq, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *nl;
	int error;

	memset(rq, 0, sizeof(*rq));
	if ((rq->proof = calloc(TLOG_MAX_PROOF, HASH_LEN)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if (memchr(data, '\0', len) != NULL)
		return sp_err_set(
		    ctx, SP_EPARSE, "request contains a NUL byte");
	if (len >= 4 && memcmp(data, "old ", 4) == 0) {
		nl = memchr(p, '\n', len);
		if (nl == NULL || tlog_parse_u64(p + 4, (size_t)(nl - p - 4),
		                      SP_TLOG_MAX_SIZE, &rq->old) < 0)
			return sp_err_set(ctx, SP_EPARSE,
			    "request: expected 'old N' on the first line");
		rq->has_old = true;
		p = nl + 1;
		for (;;) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				return sp_err_set(ctx, SP_EPARSE,
				    "request: no blank line before the "
				    "checkpoint");
			if (nl == p) {
				p++;
				break;
			}
			if (rq->n >= TLOG_MAX_PROOF)
				return sp_err_set(ctx, SP_ELIMIT,
				    "request: consistency proof too long");
			if (tlog_b64_fixed(p, (size_t)(nl - p),
			        rq->proof[rq->n], HASH_LEN) < 0)
				return sp_err_set(ctx, SP_EPARSE,
				    "request: proof line %zu is not the "
				    "base64 of 32 bytes",
				    rq->n + 1);
			rq->n++;
			p = nl + 1;
		}
	}
	if ((error = sp_tlog_checkpoint_parse(
	         ctx, &rq->cp, p, (size_t)(end - p))) < 0)
		return error;
	return 0;
}

static void
request_dispose(struct request *rq)
{
	free(rq->proof);
	sp_tlog_checkpoint_free(rq->cp);
}

static int
load_state(sp_ctx *ctx, const char *path, json_t **out)
{
	sp_buf data = SP_BUF_INIT;
	json_t *root = NULL;
	json_error_t jerr;
	const char *fmt;
	int error;

	*out = NULL;
	error = sp_read_file(ctx, &data, path, STATE_MAX, SP_OPEN_NOFOLLOW);
	if (error == SP_ENOTFOUND) {
		sp_err_clear(ctx);
		*out = json_pack("{s:s, s:{}}", "format", STATE_FORMAT, "logs");
		error = *out == NULL
		            ? sp_err_set(ctx, SP_ENOMEM, "out of memory")
		            : 0;
		goto out;
	}
	if (error < 0)
		goto out;
	root = json_loadb(data.ptr, data.size, JSON_REJECT_DUPLICATES, &jerr);
	fmt = json_string_value(json_object_get(root, "format"));
	if (fmt == NULL || strcmp(fmt, STATE_FORMAT) != 0 ||
	    !json_is_object(json_object_get(root, "logs"))) {
		error = sp_err_set(
		    ctx, SP_EPARSE, "'%s' is not a witness state file", path);
		goto out;
	}
	*out = root;
	root = NULL;
out:
	json_decref(root);
	sp_buf_dispose(&data);
	return error;
}

static int
lock_state(sp_ctx *ctx, const char *path, int *fd_out)
{
	sp_buf lp = SP_BUF_INIT;
	int fd, error = 0;

	*fd_out = -1;
	if (sp_buf_printf(&lp, "%s.lock", path) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	fd = open(lp.ptr, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		error = sp_err_set(ctx, SP_EIO, "cannot open '%s': %s", lp.ptr,
		    strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error = sp_err_set(ctx, SP_EIO, "cannot lock '%s': %s",
			    lp.ptr, strerror(errno));
			close(fd);
			goto out;
		}
	}
	*fd_out = fd;
out:
	sp_buf_dispose(&lp);
	return error;
}

/* Decide whether the witness may cosign @p rq given its record. */
static int
check_against(sp_ctx *ctx, const struct request *rq, json_t *rec)
{
	const sp_tlog_checkpoint *cp = rq->cp;
	uint8_t root[HASH_LEN];
	json_int_t size = json_integer_value(json_object_get(rec, "size"));
	const char *b64 = json_string_value(json_object_get(rec, "root"));
	int error;

	if (!json_is_integer(json_object_get(rec, "size")) || size < 0 ||
	    b64 == NULL || tlog_b64_fixed(b64, strlen(b64), root, HASH_LEN) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "witness state for '%s' is damaged", cp->origin);
	if (cp->size < (uint64_t)size)
		return sp_err_set(ctx, SP_EVERIFY,
		    "refusing to cosign: rollback; this witness already "
		    "cosigned size %" PRIu64 " of '%s', the checkpoint has "
		    "size %" PRIu64,
		    (uint64_t)size, cp->origin, cp->size);
	if (cp->size == (uint64_t)size) {
		if (!sp_ct_equal(cp->root, root, HASH_LEN))
			return sp_err_set(ctx, SP_EVERIFY,
			    "refusing to cosign: fork; this witness cosigned "
			    "another tree of size %" PRIu64 " for '%s' "
			    "(equivocation by the log)",
			    cp->size, cp->origin);
		return 0;
	}
	if (!rq->has_old)
		return sp_err_set(ctx, SP_EVERIFY,
		    "refusing to cosign: no consistency proof from size "
		    "%" PRIu64 ", the last checkpoint of '%s' this witness "
		    "cosigned",
		    (uint64_t)size, cp->origin);
	if (rq->old != (uint64_t)size)
		return sp_err_set(ctx, SP_EVERIFY,
		    "refusing to cosign: the consistency proof starts at size "
		    "%" PRIu64 " but this witness is at size %" PRIu64,
		    rq->old, (uint64_t)size);
	error = sp_tlog_verify_consistency(ctx, (uint64_t)size, cp->size,
	    (const uint8_t(*)[HASH_LEN])rq->proof, rq->n, root, cp->root);
	if (error == SP_EVERIFY)
		return tlog_err_wrap(ctx, SP_EVERIFY,
		    "refusing to cosign: fork; the checkpoint of size "
		    "%" PRIu64 " is not consistent with the one of size "
		    "%" PRIu64 " this witness cosigned",
		    cp->size, (uint64_t)size);
	return error;
}

int
sp_tlog_witness_cosign(sp_ctx *ctx, const sp_tlog_witness_opts *opts,
    const char *request, size_t len, sp_buf *out)
{
	struct request rq;
	tlog_key *key = NULL;
	sp_tlog_verifier *self = NULL;
	json_t *state = NULL, *logs, *rec = NULL;
	sp_buf rootb64 = SP_BUF_INIT, msg = SP_BUF_INIT;
	char *text = NULL;
	uint8_t sig[64], raw[8 + 64];
	int64_t ts;
	size_t i;
	int lockfd = -1, error;

	memset(&rq, 0, sizeof(rq));
	if (opts == NULL || opts->version != SP_TLOG_WITNESS_OPTS_VERSION ||
	    opts->keyspec == NULL || opts->name == NULL ||
	    opts->state_path == NULL || opts->log_key == NULL)
		return sp_err_set(ctx, SP_EINVALID,
		    "a witness needs a key, a name, a state file and the log's "
		    "key");
	if ((error = parse_request(ctx, &rq, request, len)) < 0)
		goto out;
	if ((error = sp_tlog_checkpoint_verify(
	         ctx, rq.cp, opts->log_key, NULL)) < 0)
		goto out;
	if ((error = tlog_key_load(ctx, &key, opts->keyspec, opts->passphrase,
	         opts->passphrase_payload)) < 0 ||
	    (error = tlog_verifier_new(ctx, &self, opts->name,
	         SP_TLOG_SIG_COSIGNATURE, tlog_key_public(key))) < 0)
		goto out;
	if ((error = lock_state(ctx, opts->state_path, &lockfd)) < 0 ||
	    (error = load_state(ctx, opts->state_path, &state)) < 0)
		goto out;
	logs = json_object_get(state, "logs");
	rec = json_object_get(logs, rq.cp->origin);
	if (rec != NULL && (error = check_against(ctx, &rq, rec)) < 0)
		goto out;
	/* Record first: a crash after this must not let a fork through. */
	if (sp_base64_encode(&rootb64, rq.cp->root, HASH_LEN) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (json_object_set_new(logs, rq.cp->origin,
	        json_pack("{s:I, s:s}", "size", (json_int_t)rq.cp->size, "root",
	            rootb64.ptr)) < 0 ||
	    (text = json_dumps(state, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
	        NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = sp_write_file_atomic(
	         ctx, opts->state_path, text, strlen(text), 0600, 0)) < 0)
		goto out;
	ts = opts->timestamp > 0 ? opts->timestamp : (int64_t)time(NULL);
	if (sp_buf_printf(&msg, "cosignature/v1\ntime %" PRId64 "\n", ts) < 0 ||
	    sp_buf_put(&msg, rq.cp->note.text, rq.cp->note.text_len) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = tlog_key_sign(ctx, key, sig, msg.ptr, msg.size)) < 0)
		goto out;
	for (i = 0; i < 8; i++)
		raw[i] = (uint8_t)((uint64_t)ts >> (56 - 8 * i));
	memcpy(raw + 8, sig, 64);
	/* The checkpoint as given, without an older line of ours. */
	if (sp_buf_put(out, rq.cp->note.text, rq.cp->note.text_len) < 0 ||
	    sp_buf_putc(out, '\n') < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < rq.cp->note.nsigs; i++) {
		const tlog_sig *s = &rq.cp->note.sigs[i];

		if (strcmp(s->name, self->name) == 0 && s->rawlen >= 4 &&
		    memcmp(s->raw, self->id, 4) == 0)
			continue;
		if (sp_buf_put(out, s->line, s->linelen) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (tlog_note_sig_line(out, self->name, self->id, raw, sizeof(raw)) < 0)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
out:
	if (lockfd >= 0)
		close(lockfd);
	free(text);
	json_decref(state);
	sp_buf_dispose(&rootb64);
	sp_buf_dispose(&msg);
	sp_tlog_verifier_free(self);
	tlog_key_free(key);
	request_dispose(&rq);
	return error;
}
