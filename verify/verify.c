/*
 * srcproof verify: every check an escrow bundle allows, by name, with an
 * explicit PASS, FAIL or NOT CHECKED, and one overall result.
 *
 * The checks themselves live in the other modules; this file decides which
 * of them run, in which order, against which trust, and which are required.
 */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "srcproof/manifest.h"
#include "srcproof/rebuild.h"
#include "srcproof/sign.h"
#include "srcproof/srcproof.h"
#include "srcproof/tlog.h"
#include "srcproof/util.h"
#include "util_int.h"
#include "verify_int.h"

#include "banned.h"

/** Most policies in a rotation chain. */
#define MAX_CHAIN 64
/** Most proofs read from a bundle for the witness check. */
#define MAX_PROOFS 256

const char *const sp_verify__check_names[SP_VERIFY_CHECK_COUNT] = {"decryption",
    "archive", "index", "manifest", "source", "signature", "update-chain",
    "log-proof", "witnesses", "recipe", "binaries", "rebuild", "coverage"};

/* The passphrase of a recipient key is asked once, then reused. */
struct pass_cache {
	sp_passphrase_cb cb;
	void *payload;
	sp_buf secret;
	bool have;
};

/* Everything one verification works with. */
struct run {
	sp_ctx *ctx;
	const sp_verify_options *o;
	sp_verify_result *res;
	const char *bundle;
	sp_escrow_read_options read;
	struct pass_cache pc;

	sp_policy *chain[MAX_CHAIN];
	size_t nchain;
	const sp_policy *current;
	char chain_err[SP_ERRMSG_MAX];

	sp_tlog_verifier *logkey;
	sp_tlog_verifier **cliwit;
	size_t ncliwit;

	sp_manifest *prev;
	char *prev_path, *prev_sig, *prev_dir;

	char *udir; /* the bundle, unpacked (its root) */
	char udir_err[SP_ERRMSG_MAX];
	sp_manifest *m; /* its manifest */
	char *report_tmp;
	char *rebuild_tmp; /* temporary parent of a rebuild without report */
};

/* ---- small helpers -------------------------------------------------------
 */

static int
oom(sp_ctx *ctx)
{
	return sp_err_set(ctx, SP_ENOMEM, "out of memory");
}

void
sp_verify__set(sp_verify_result *res, sp_verify_check_id id,
    sp_escrow_check_status st, const char *fmt, ...)
{
	va_list ap;

	res->checks[id].status = st;
	va_start(ap, fmt);
	vsnprintf(
	    res->checks[id].detail, sizeof(res->checks[id].detail), fmt, ap);
	va_end(ap);
}

/* Set a check from the context's error message, then clear it. */
static void
set_ctx(struct run *r, sp_verify_check_id id, sp_escrow_check_status st,
    const char *prefix)
{
	sp_verify__set(r->res, id, st, "%s%s", prefix, sp_ctx_errmsg(r->ctx));
	sp_err_clear(r->ctx);
}

static char *
join(sp_ctx *ctx, const char *a, const char *b)
{
	char *s = sp_path_join(a, b);

	if (s == NULL)
		oom(ctx);
	return s;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
fmt_time(char out[SP_TIME_STR_LEN], int64_t t)
{
	char tmp[32];
	int n;

	if (sp_time_format(out, t) == 0)
		return;
	/* Not a calendar time: the number, when it fits. */
	n = snprintf(tmp, sizeof(tmp), "@%lld", (long long)t);
	if (n > 0 && n < SP_TIME_STR_LEN)
		memcpy(out, tmp, (size_t)n + 1);
	else
		memcpy(out, "(out of range)", sizeof("(out of range)"));
}

static int
cached_pass(
    sp_ctx *ctx, sp_buf *out, const char *prompt, bool confirm, void *payload)
{
	struct pass_cache *pc = payload;
	int error;

	if (!pc->have) {
		if (pc->cb == NULL)
			return sp_err_set(ctx, SP_EINVALID,
			    "%s: a passphrase is needed and none was given",
			    prompt);
		if ((error = pc->cb(
		         ctx, &pc->secret, prompt, confirm, pc->payload)) < 0)
			return error;
		pc->have = true;
	}
	if (sp_buf_put(out, pc->secret.ptr != NULL ? pc->secret.ptr : "",
	        pc->secret.size) < 0 ||
	    (out->ptr == NULL && sp_buf_puts(out, "") < 0))
		return oom(ctx);
	return 0;
}

/* Remove a directory made here, whatever is in it. */
static void
remove_dir(sp_ctx *ctx, char **dir)
{
	if (*dir == NULL)
		return;
	(void)sp_escrow_remove_tree(ctx, *dir);
	sp_err_clear(ctx);
	free(*dir);
	*dir = NULL;
}

static int
make_temp_dir(sp_ctx *ctx, char **out, const char *parent, const char *what)
{
	sp_buf p = SP_BUF_INIT;

	if (parent == NULL)
		parent = getenv("TMPDIR");
	if (parent == NULL || parent[0] == '\0')
		parent = "/tmp";
	if (sp_buf_printf(&p, "%s/srcproof-%s-XXXXXX", parent, what) < 0) {
		sp_buf_dispose(&p);
		return oom(ctx);
	}
	if (mkdtemp(p.ptr) == NULL) {
		int e = errno;

		sp_buf_dispose(&p);
		return sp_err_set(ctx, SP_EIO,
		    "cannot create a directory in '%s': %s", parent,
		    strerror(e));
	}
	*out = sp_buf_detach(&p);
	return 0;
}

/* ---- trust: policies, log key, witnesses ---------------------------------
 */

static int
load_trust(struct run *r)
{
	const sp_verify_options *o = r->o;
	sp_verify_result *res = r->res;
	const sp_policy *last;
	const char *prod;
	size_t i;
	int error;

	if (o->npolicies > MAX_CHAIN)
		return sp_err_set(r->ctx, SP_EINVALID,
		    "at most %d policies in a chain", MAX_CHAIN);
	for (i = 0; i < o->npolicies; i++) {
		if ((error = sp_policy_load(
		         r->ctx, &r->chain[i], o->policies[i])) < 0)
			return error;
		r->nchain++;
	}
	last = r->chain[r->nchain - 1];
	res->policy_loaded = true;
	res->policy_chain = r->nchain;
	res->policy_version = sp_policy_version(last);
	res->policy_expires = sp_policy_expires(last);
	prod = sp_policy_product(last);
	snprintf(res->policy_product, sizeof(res->policy_product), "%s",
	    prod != NULL ? prod : "");
	res->witness_threshold = sp_policy_threshold(last, "witness");
	res->log_threshold = sp_policy_threshold(last, "log");
	for (i = 0; i < sp_policy_key_count(last); i++) {
		if (sp_policy_key_has_role(last, i, "witness"))
			res->policy_witnesses++;
		if (sp_policy_key_has_role(last, i, "log"))
			res->policy_log_keys++;
	}
	if (sp_policy_verify_chain(
	        r->ctx, r->chain, r->nchain, res->at, &r->current) < 0) {
		snprintf(r->chain_err, sizeof(r->chain_err), "%s",
		    sp_ctx_errmsg(r->ctx));
		sp_err_clear(r->ctx);
		r->current = NULL;
	} else {
		res->policy_ok = true;
	}

	if (o->log_key != NULL &&
	    (error = sp_tlog_verifier_load(r->ctx, &r->logkey, o->log_key,
	         SP_TLOG_SIG_ED25519, "log")) < 0)
		return error;
	if (o->nwitnesses > 0) {
		r->cliwit =
		    sp_calloc(r->ctx, o->nwitnesses, sizeof(*r->cliwit));
		if (r->cliwit == NULL)
			return oom(r->ctx);
		for (i = 0; i < o->nwitnesses; i++) {
			if ((error = sp_tlog_verifier_load(r->ctx,
			         &r->cliwit[i], o->witnesses[i],
			         SP_TLOG_SIG_COSIGNATURE, "witness")) < 0)
				return error;
			r->ncliwit++;
		}
	}
	return 0;
}

/* ---- the previous manifest ------------------------------------------------
 */

static int
load_previous(struct run *r)
{
	const char *path = r->o->previous;
	sp_buf head = SP_BUF_INIT;
	char *sig = NULL;
	int fd = -1, error;
	ssize_t n;

	if ((error = sp_open_read(r->ctx, &fd, path, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((error = sp_buf_reserve(&head, 64)) < 0) {
		error = oom(r->ctx);
		goto out;
	}
	n = read(fd, head.ptr, strlen(SP_MANIFEST_MAGIC) + 1);
	if (n < 0) {
		error = sp_err_set(r->ctx, SP_EIO, "cannot read '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	head.ptr[n] = '\0';
	if (strncmp(head.ptr, SP_MANIFEST_MAGIC "\n",
	        strlen(SP_MANIFEST_MAGIC) + 1) == 0) {
		/* A manifest, with its envelope beside it when there is one. */
		if ((r->prev_path = strdup(path)) == NULL ||
		    (sig = malloc(strlen(path) + 5)) == NULL) {
			error = oom(r->ctx);
			goto out;
		}
		snprintf(sig, strlen(path) + 5, "%s.sig", path);
	} else {
		/* A bundle: its manifest and envelope. */
		if ((error = sp_escrow_unpack_temp(r->ctx, &r->prev_dir, path,
		         r->o->tmpdir, &r->read)) < 0) {
			sp_err_hint(r->ctx,
			    "--previous takes the previous manifest or the "
			    "previous bundle");
			goto out;
		}
		if ((r->prev_path = join(r->ctx, r->prev_dir, "manifest")) ==
		        NULL ||
		    (sig = join(r->ctx, r->prev_dir, "manifest.sig")) == NULL) {
			error = SP_ENOMEM;
			goto out;
		}
	}
	if ((error = sp_manifest_load(r->ctx, &r->prev, r->prev_path)) < 0)
		goto out;
	if (exists(sig)) {
		r->prev_sig = sig;
		sig = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	free(sig);
	sp_buf_dispose(&head);
	return error;
}

/* ---- the bundle's own checks ----------------------------------------------
 */

static const sp_verify_check_id from_escrow[SP_ESCROW_CHECK_COUNT] = {
    SP_VERIFY_DECRYPTION, SP_VERIFY_ARCHIVE, SP_VERIFY_INDEX,
    SP_VERIFY_MANIFEST, SP_VERIFY_SOURCE, SP_VERIFY_SIGNATURE,
    SP_VERIFY_LOG_PROOF, SP_VERIFY_RECIPE, SP_VERIFY_BINARIES};

static int
escrow_checks(struct run *r)
{
	sp_escrow_verify_options eo = SP_ESCROW_VERIFY_OPTIONS_INIT;
	sp_escrow_verify_result er;
	sp_verify_result *res = r->res;
	size_t i;
	int error;

	eo.read = r->read;
	/* The last policy of the chain: sp_escrow_verify checks it as a
	 * pinned policy (its own root threshold); the chain from the
	 * really pinned first one was checked in load_trust. */
	eo.policy = r->o->policies[r->nchain - 1];
	eo.at = res->at;
	eo.log_key = r->o->log_key;
	eo.log_origin = r->o->log_origin;
	/* Witness cosignatures are the witnesses check's business. */
	eo.no_witnesses = true;
	memset(&er, 0, sizeof(er));
	error = sp_escrow_verify(r->ctx, r->bundle, &eo, &er);
	if (error < 0 && error != SP_EVERIFY)
		return error;
	if (error == SP_EVERIFY &&
	    er.checks[SP_ESCROW_CHECK_ARCHIVE].status ==
	        SP_ESCROW_NOT_CHECKED &&
	    er.checks[SP_ESCROW_CHECK_DECRYPTION].status ==
	        SP_ESCROW_NOT_CHECKED) {
		/* Refused before any check ran: the recipient key (wrong
		 * passphrase). The bundle could not be opened. */
		er.checks[SP_ESCROW_CHECK_DECRYPTION].status = SP_ESCROW_FAIL;
		er.checks[SP_ESCROW_CHECK_DECRYPTION].required = true;
		snprintf(er.checks[SP_ESCROW_CHECK_DECRYPTION].detail,
		    sizeof(er.checks[SP_ESCROW_CHECK_DECRYPTION].detail), "%s",
		    sp_ctx_errmsg(r->ctx));
		er.encrypted = true;
	}
	sp_err_clear(r->ctx);
	for (i = 0; i < SP_ESCROW_CHECK_COUNT && i < er.ncheck; i++) {
		struct sp_verify_check_slot *c = &res->checks[from_escrow[i]];

		c->status = er.checks[i].status;
		c->required = er.checks[i].required;
		snprintf(
		    c->detail, sizeof(c->detail), "%s", er.checks[i].detail);
	}
	res->encrypted = er.encrypted;
	snprintf(res->cipher, sizeof(res->cipher), "%s", er.cipher);
	res->compression = er.compression;
	res->members = er.members;
	res->source_files = er.source_files;
	snprintf(res->product, sizeof(res->product), "%s", er.product);
	snprintf(res->release, sizeof(res->release), "%s", er.release);
	snprintf(res->kind, sizeof(res->kind), "%s", er.kind);
	snprintf(res->manifest_sha256, sizeof(res->manifest_sha256), "%s",
	    er.manifest_sha256);
	res->log_key_source = er.log_key_source;

	/* Always required here: the signatures, whatever escrow says. */
	res->checks[SP_VERIFY_SIGNATURE].required = true;
	if (!res->policy_ok) {
		char when[SP_TIME_STR_LEN];

		fmt_time(when, res->at);
		sp_verify__set(res, SP_VERIFY_SIGNATURE, SP_ESCROW_FAIL,
		    "the trust policy does not verify at %s: %s", when,
		    r->chain_err);
	} else if (r->nchain > 1 &&
	           res->checks[SP_VERIFY_SIGNATURE].status == SP_ESCROW_PASS) {
		size_t len = strlen(res->checks[SP_VERIFY_SIGNATURE].detail);

		snprintf(res->checks[SP_VERIFY_SIGNATURE].detail + len,
		    sizeof(res->checks[SP_VERIFY_SIGNATURE].detail) - len,
		    " (rotation chain of %zu policies from pinned version "
		    "%llu)",
		    r->nchain,
		    (unsigned long long)sp_policy_version(r->chain[0]));
	}

	/* Mix-and-match: a policy for one product accepts no other's
	 * manifests (docs/spec/policy.md, section 2). */
	if (res->policy_ok && res->policy_product[0] != '\0' &&
	    res->checks[SP_VERIFY_SIGNATURE].status == SP_ESCROW_PASS &&
	    strcmp(res->product, res->policy_product) != 0)
		sp_verify__set(res, SP_VERIFY_SIGNATURE, SP_ESCROW_FAIL,
		    "mix-and-match: the manifest is for product '%s' but the "
		    "policy is for '%s'",
		    res->product[0] != '\0' ? res->product : "(none)",
		    res->policy_product);

	/* The log: required when the policy names a log key or witnesses
	 * (their cosignatures only exist on log checkpoints) or a key was
	 * given. The policy's log key counts only under a trusted policy:
	 * escrow checked the last one alone, not the chain. */
	res->checks[SP_VERIFY_LOG_PROOF].required =
	    res->log_threshold > 0 || res->witness_threshold > 0 ||
	    r->logkey != NULL;
	if (res->log_threshold > 0 && !res->policy_ok)
		sp_verify__set(res, SP_VERIFY_LOG_PROOF, SP_ESCROW_FAIL,
		    "no trusted policy to take the log key from: %s",
		    r->chain_err);
	else if (res->checks[SP_VERIFY_LOG_PROOF].status ==
	             SP_ESCROW_NOT_CHECKED &&
	         res->witness_threshold > 0)
		sp_verify__set(res, SP_VERIFY_LOG_PROOF, SP_ESCROW_NOT_CHECKED,
		    "the policy requires a log (it names %zu witness key(s), "
		    "threshold %u) but no --log-key was given and it names no "
		    "log key",
		    res->policy_witnesses, res->witness_threshold);

	/* A rebuild needs the recipe and the shipped binaries' list. */
	if (r->o->rebuild) {
		res->checks[SP_VERIFY_RECIPE].required = true;
		res->checks[SP_VERIFY_BINARIES].required = true;
	}
	return 0;
}

static bool
passed(const sp_verify_result *res, sp_verify_check_id id)
{
	return res->checks[id].status == SP_ESCROW_PASS;
}

/* The bundle is whole and its source is the manifest's. */
static bool
integrity_ok(const sp_verify_result *res)
{
	return (!res->encrypted || passed(res, SP_VERIFY_DECRYPTION)) &&
	       passed(res, SP_VERIFY_ARCHIVE) && passed(res, SP_VERIFY_INDEX) &&
	       passed(res, SP_VERIFY_MANIFEST) && passed(res, SP_VERIFY_SOURCE);
}

static int
unpack(struct run *r)
{
	char *mpath = NULL;
	int error;

	if (!integrity_ok(r->res)) {
		snprintf(r->udir_err, sizeof(r->udir_err),
		    "the bundle failed its integrity checks");
		return 0;
	}
	error = sp_escrow_unpack_temp(
	    r->ctx, &r->udir, r->bundle, r->o->tmpdir, &r->read);
	if (error == SP_ENOMEM)
		return error;
	if (error < 0) {
		snprintf(r->udir_err, sizeof(r->udir_err),
		    "cannot unpack the bundle: %s", sp_ctx_errmsg(r->ctx));
		sp_err_clear(r->ctx);
		return 0;
	}
	if ((mpath = join(r->ctx, r->udir, "manifest")) == NULL)
		return SP_ENOMEM;
	error = sp_manifest_load(r->ctx, &r->m, mpath);
	free(mpath);
	if (error == SP_ENOMEM)
		return error;
	if (error < 0) {
		snprintf(r->udir_err, sizeof(r->udir_err),
		    "cannot read the unpacked manifest: %s",
		    sp_ctx_errmsg(r->ctx));
		sp_err_clear(r->ctx);
		return 0;
	}
	if (sp_manifest_previous(r->m) != NULL)
		snprintf(r->res->previous_sha256,
		    sizeof(r->res->previous_sha256), "%s",
		    sp_manifest_previous(r->m));
	return 0;
}

/* ---- update chain ----------------------------------------------------------
 */

static int
check_chain(struct run *r)
{
	sp_verify_result *res = r->res;
	const sp_manifest *ms[2];
	sp_sign_chain_result cr;
	char *paths[2] = {NULL, NULL};
	const char *cpaths[2], *csigs[2];
	size_t broken = 0;
	int error = 0;

	res->checks[SP_VERIFY_UPDATE_CHAIN].required = r->prev != NULL;
	if (r->prev == NULL) {
		if (strcmp(res->kind, "update") == 0)
			sp_verify__set(res, SP_VERIFY_UPDATE_CHAIN,
			    SP_ESCROW_NOT_CHECKED,
			    "an update of the manifest with sha256 %s, "
			    "which is not available: give --previous to "
			    "check the link",
			    res->previous_sha256[0] != '\0'
			        ? res->previous_sha256
			        : "(unknown)");
		else
			sp_verify__set(res, SP_VERIFY_UPDATE_CHAIN,
			    SP_ESCROW_NOT_CHECKED, "%s",
			    res->kind[0] != '\0'
			        ? "a release: it starts an update chain, there "
			          "is no previous manifest to link to"
			        : "no manifest");
		return 0;
	}
	if (r->m == NULL) {
		sp_verify__set(res, SP_VERIFY_UPDATE_CHAIN,
		    SP_ESCROW_NOT_CHECKED, "%s", r->udir_err);
		return 0;
	}
	if (sp_manifest_kind_of(r->m) != SP_MANIFEST_UPDATE) {
		sp_verify__set(res, SP_VERIFY_UPDATE_CHAIN, SP_ESCROW_FAIL,
		    "the manifest is a release: it does not continue the "
		    "chain of the --previous manifest");
		return 0;
	}
	ms[0] = r->prev;
	ms[1] = r->m;
	if (sp_manifest_chain_check(r->ctx, ms, 2, &broken) < 0) {
		if (sp_ctx_errcode(r->ctx) != SP_EVERIFY)
			return sp_ctx_errcode(r->ctx);
		set_ctx(r, SP_VERIFY_UPDATE_CHAIN, SP_ESCROW_FAIL,
		    "manifest 1 is --previous, manifest 2 the bundle's: ");
		return 0;
	}
	if (r->prev_sig == NULL) {
		sp_verify__set(res, SP_VERIFY_UPDATE_CHAIN, SP_ESCROW_PASS,
		    "links to the previous manifest (sha256 %s); its "
		    "signatures were NOT CHECKED (no '%s.sig' beside it; give "
		    "the previous bundle to check them)",
		    res->previous_sha256, r->prev_path);
		return 0;
	}
	if (r->current == NULL) {
		sp_verify__set(res, SP_VERIFY_UPDATE_CHAIN, SP_ESCROW_FAIL,
		    "links to the previous manifest (sha256 %s), but no "
		    "trusted policy to check the chain's signatures: %s",
		    res->previous_sha256, r->chain_err);
		return 0;
	}
	if ((paths[0] = join(r->ctx, r->udir, "manifest")) == NULL ||
	    (paths[1] = join(r->ctx, r->udir, "manifest.sig")) == NULL) {
		error = SP_ENOMEM;
		goto out;
	}
	cpaths[0] = r->prev_path;
	cpaths[1] = paths[0];
	csigs[0] = r->prev_sig;
	csigs[1] = paths[1];
	memset(&cr, 0, sizeof(cr));
	if (sp_sign_verify_manifest_chain(r->ctx, cpaths, csigs, 2, r->chain,
	        r->nchain, res->at, &cr) < 0) {
		if (sp_ctx_errcode(r->ctx) == SP_ENOMEM) {
			error = SP_ENOMEM;
			goto out;
		}
		set_ctx(r, SP_VERIFY_UPDATE_CHAIN, SP_ESCROW_FAIL,
		    cr.failed_at == 0 ? "the previous manifest: " : "");
		goto out;
	}
	sp_verify__set(res, SP_VERIFY_UPDATE_CHAIN, SP_ESCROW_PASS,
	    "links to the previous manifest (sha256 %s), both signed under "
	    "policy version %llu, signing times in order",
	    res->previous_sha256, (unsigned long long)cr.policy_version);
out:
	free(paths[0]);
	free(paths[1]);
	return error;
}

/* ---- log details and witnesses ---------------------------------------------
 */

/* Proof files of the unpacked bundle, sorted. */
static int
list_proofs(struct run *r, char ***out, size_t *n)
{
	char *dir = NULL, **v = NULL;
	size_t count = 0;
	DIR *d = NULL;
	struct dirent *de;
	int error = 0;

	*out = NULL;
	*n = 0;
	if ((dir = join(r->ctx, r->udir, "proofs")) == NULL)
		return SP_ENOMEM;
	if ((d = opendir(dir)) == NULL)
		goto out; /* no proofs */
	if ((v = calloc(MAX_PROOFS + 1, sizeof(*v))) == NULL) {
		error = oom(r->ctx);
		goto out;
	}
	while ((de = readdir(d)) != NULL && count < MAX_PROOFS) {
		if (de->d_name[0] == '.')
			continue;
		if ((v[count] = join(r->ctx, dir, de->d_name)) == NULL) {
			error = SP_ENOMEM;
			goto out;
		}
		count++;
	}
	*out = v;
	*n = count;
	v = NULL;
out:
	if (d != NULL)
		closedir(d);
	if (v != NULL) {
		size_t i;

		for (i = 0; i < count; i++)
			free(v[i]);
		free(v);
	}
	free(dir);
	return error;
}

static int
check_log_and_witnesses(struct run *r)
{
	sp_verify_result *res = r->res;
	bool from_policy = res->witness_threshold > 0;
	char **proofs = NULL, first[SP_VERIFY_DETAIL_MAX / 2] = "";
	size_t nproofs = 0, i, j;
	unsigned quorum;
	int error = 0;

	res->checks[SP_VERIFY_WITNESSES].required =
	    from_policy || r->ncliwit > 0;
	res->witness_source = from_policy      ? "policy"
	                      : r->ncliwit > 0 ? "options"
	                                       : NULL;
	quorum = from_policy        ? res->witness_threshold
	         : r->o->quorum > 0 ? r->o->quorum
	                            : (unsigned)r->ncliwit;
	res->quorum = res->witness_source != NULL ? quorum : 0;

	if (r->udir != NULL && passed(res, SP_VERIFY_LOG_PROOF)) {
		if ((error = list_proofs(r, &proofs, &nproofs)) < 0)
			goto out;
	}
	/* What the log says: from the first proof, already verified. */
	for (i = 0; i < nproofs && !res->have_log; i++) {
		sp_tlog_proof *pr = NULL;

		if (sp_tlog_proof_load(r->ctx, &pr, proofs[i]) == 0) {
			const sp_tlog_checkpoint *cp =
			    sp_tlog_proof_checkpoint(pr);

			res->have_log = true;
			res->log_index = sp_tlog_proof_index(pr);
			res->log_size = sp_tlog_checkpoint_size(cp);
			snprintf(res->log_origin, sizeof(res->log_origin), "%s",
			    sp_tlog_checkpoint_origin(cp));
		}
		sp_err_clear(r->ctx);
		sp_tlog_proof_free(pr);
	}

	if (res->witness_source == NULL) {
		sp_verify__set(res, SP_VERIFY_WITNESSES, SP_ESCROW_NOT_CHECKED,
		    "no witness keys: the policy names none and no --witness "
		    "was given");
		goto out;
	}
	if (!passed(res, SP_VERIFY_LOG_PROOF)) {
		sp_verify__set(res, SP_VERIFY_WITNESSES, SP_ESCROW_NOT_CHECKED,
		    "needs a verified log proof (log-proof is %s)",
		    sp_escrow_status_name(
		        res->checks[SP_VERIFY_LOG_PROOF].status));
		goto out;
	}
	if (from_policy && r->current == NULL) {
		sp_verify__set(res, SP_VERIFY_WITNESSES, SP_ESCROW_NOT_CHECKED,
		    "no trusted policy to take the witness keys from: %s",
		    r->chain_err);
		goto out;
	}
	if (r->udir == NULL) {
		sp_verify__set(res, SP_VERIFY_WITNESSES, SP_ESCROW_NOT_CHECKED,
		    "%s", r->udir_err);
		goto out;
	}
	for (i = 0; i < nproofs; i++) {
		sp_tlog_trust trust = SP_TLOG_TRUST_INIT;
		sp_tlog_verify_result vr;
		sp_tlog_proof *pr = NULL;
		sp_tlog_verifier **w = NULL;
		size_t nw = 0;
		const char *base = strrchr(proofs[i], '/') + 1;
		int e;

		if (sp_tlog_proof_load(r->ctx, &pr, proofs[i]) < 0) {
			if (!first[0])
				snprintf(first, sizeof(first), "%s: %s", base,
				    sp_ctx_errmsg(r->ctx));
			sp_err_clear(r->ctx);
			continue;
		}
		if (from_policy) {
			if ((error = sp_tlog_policy_verifiers(r->ctx, &w, &nw,
			         NULL, sp_tlog_proof_checkpoint(pr), r->current,
			         "witness", SP_TLOG_SIG_COSIGNATURE, res->at)) <
			    0) {
				sp_tlog_proof_free(pr);
				goto out;
			}
			trust.witnesses = (const sp_tlog_verifier *const *)w;
			trust.nwitnesses = nw;
		} else {
			trust.witnesses =
			    (const sp_tlog_verifier *const *)r->cliwit;
			trust.nwitnesses = r->ncliwit;
		}
		trust.log_key = r->logkey;
		trust.quorum = quorum;
		trust.now = res->at;
		memset(&vr, 0, sizeof(vr));
		e = sp_tlog_checkpoint_cosigned(
		    r->ctx, sp_tlog_proof_checkpoint(pr), &trust, &vr);
		if (e == 0) {
			char when[SP_TIME_STR_LEN] = "";
			int64_t earliest = INT64_MAX;

			res->ncosigners = 0;
			for (j = 0; j < vr.cosigned && j < SP_TLOG_MAX_REPORTED;
			     j++) {
				struct sp_verify_cosigner *c =
				    &res->cosigners[res->ncosigners];

				c->name = strdup(
				    sp_tlog_verifier_name(vr.cosigners[j]));
				c->time = vr.cosigned_at[j];
				if (c->name == NULL) {
					sp_tlog_verifiers_free(w, nw);
					sp_tlog_proof_free(pr);
					error = oom(r->ctx);
					goto out;
				}
				res->ncosigners++;
				if (c->time < earliest)
					earliest = c->time;
			}
			if (earliest != INT64_MAX)
				fmt_time(when, earliest);
			sp_verify__set(res, SP_VERIFY_WITNESSES, SP_ESCROW_PASS,
			    "%s: %zu of the %u required witnesses (keys from "
			    "the %s) cosigned a checkpoint holding the "
			    "entry%s%s%s",
			    base, vr.cosigned, quorum,
			    from_policy ? "policy" : "--witness options",
			    when[0] ? ", first at " : "", when,
			    from_policy && r->ncliwit > 0
			        ? " (--witness keys ignored: the policy names "
			          "the witnesses)"
			        : "");
			sp_tlog_verifiers_free(w, nw);
			sp_tlog_proof_free(pr);
			goto out;
		}
		if (e == SP_ENOMEM) {
			sp_tlog_verifiers_free(w, nw);
			sp_tlog_proof_free(pr);
			error = e;
			goto out;
		}
		if (!first[0])
			snprintf(first, sizeof(first), "%s: %s", base,
			    sp_ctx_errmsg(r->ctx));
		sp_err_clear(r->ctx);
		sp_tlog_verifiers_free(w, nw);
		sp_tlog_proof_free(pr);
	}
	if (nproofs == 0)
		sp_verify__set(res, SP_VERIFY_WITNESSES, SP_ESCROW_FAIL,
		    "the bundle carries no log proof to find cosignatures on");
	else
		sp_verify__set(res, SP_VERIFY_WITNESSES, SP_ESCROW_FAIL,
		    "no proof's checkpoint has the quorum of %u as of %s; "
		    "first: %s",
		    quorum, res->at_given ? "--at" : "now", first);
out:
	for (i = 0; i < nproofs; i++)
		free(proofs[i]);
	free(proofs);
	return error;
}

/* ---- rebuild ---------------------------------------------------------------
 */

static int
check_rebuild(struct run *r)
{
	const sp_verify_options *o = r->o;
	sp_verify_result *res = r->res;
	sp_rebuild_options ro = SP_REBUILD_OPTIONS_INIT;
	sp_rebuild_result *rb = NULL;
	char *outdir = NULL;
	const char *firstbad = NULL, *firstwhy = NULL;
	size_t i, n, match = 0;
	sp_verdict v;
	int error = 0;

	res->checks[SP_VERIFY_REBUILD].required = o->rebuild;
	if (!o->rebuild) {
		sp_verify__set(res, SP_VERIFY_REBUILD, SP_ESCROW_NOT_CHECKED,
		    "not asked for (--rebuild)");
		return 0;
	}
	if (!integrity_ok(res)) {
		sp_verify__set(res, SP_VERIFY_REBUILD, SP_ESCROW_NOT_CHECKED,
		    "not rebuilt: the bundle failed its integrity checks");
		return 0;
	}
	if (!passed(res, SP_VERIFY_SIGNATURE)) {
		sp_verify__set(res, SP_VERIFY_REBUILD, SP_ESCROW_NOT_CHECKED,
		    "not rebuilt: the manifest signature did not verify (a "
		    "rebuild runs the bundle's build command)");
		return 0;
	}
	if (!passed(res, SP_VERIFY_RECIPE) ||
	    !passed(res, SP_VERIFY_BINARIES)) {
		sp_verify__set(res, SP_VERIFY_REBUILD, SP_ESCROW_NOT_CHECKED,
		    "not rebuilt: the bundle needs a recipe and a list of "
		    "shipped binaries (recipe %s, binaries %s)",
		    sp_escrow_status_name(res->checks[SP_VERIFY_RECIPE].status),
		    sp_escrow_status_name(
		        res->checks[SP_VERIFY_BINARIES].status));
		return 0;
	}
	if (r->report_tmp != NULL) {
		if ((outdir = join(r->ctx, r->report_tmp, "rebuild")) == NULL)
			return SP_ENOMEM;
	} else {
		if ((error = make_temp_dir(r->ctx, &r->rebuild_tmp, o->tmpdir,
		         "verify-rebuild")) < 0)
			return error;
		if ((outdir = join(r->ctx, r->rebuild_tmp, "rebuild")) == NULL)
			return SP_ENOMEM;
	}
	ro.read = r->read;
	/* The signature was checked above at the verification time; the
	 * rebuild's own check would use the wall clock. */
	ro.policy = NULL;
	ro.shipped_dir = o->shipped_dir;
	ro.path_env = o->rebuild_path;
	ro.timeout = o->rebuild_timeout;
	ro.at_build_path = o->at_build_path;
	ro.no_build_path = o->no_build_path;
	ro.now = res->now;
	ro.tool_version = o->tool_version;
	error = sp_rebuild_run(r->ctx, &rb, r->bundle, outdir, &ro);
	if (error == SP_ENOMEM)
		goto out;
	if (error < 0) {
		set_ctx(r, SP_VERIFY_REBUILD, SP_ESCROW_NOT_CHECKED,
		    "the rebuild could not run: ");
		error = 0;
		goto out;
	}
	if (r->report_tmp != NULL &&
	    (error = sp_rebuild_write_report(r->ctx, rb, outdir)) < 0)
		goto out;
	v = sp_rebuild_verdict(rb);
	res->rebuilt = true;
	res->verdict = v;
	n = sp_rebuild_artefact_count(rb);
	res->artefacts_total = n;
	for (i = 0; i < n; i++) {
		sp_rebuild_artefact a;

		sp_rebuild_artefact_get(rb, i, &a);
		if (sp_verdict_is_match(a.verdict))
			match++;
		else if (firstbad == NULL) {
			firstbad = a.name;
			firstwhy = a.reason;
		}
		if (res->nartefacts < SP_VERIFY_MAX_LISTED) {
			struct sp_verify_artefact *d =
			    &res->artefacts[res->nartefacts];

			d->verdict = a.verdict;
			d->name = strdup(a.name != NULL ? a.name : "");
			d->method = strdup(a.method != NULL ? a.method : "");
			d->reason = strdup(a.reason != NULL ? a.reason : "");
			res->nartefacts++;
			if (d->name == NULL || d->method == NULL ||
			    d->reason == NULL) {
				error = oom(r->ctx);
				goto out;
			}
		}
	}
	if (sp_verdict_is_match(v) && n > 0)
		sp_verify__set(res, SP_VERIFY_REBUILD, SP_ESCROW_PASS,
		    "%s: %zu of %zu artefacts rebuilt to match the shipped "
		    "binaries",
		    sp_verdict_name(v), match, n);
	else
		sp_verify__set(res, SP_VERIFY_REBUILD, SP_ESCROW_FAIL,
		    "%s: %zu of %zu artefacts match%s%s%s%s",
		    sp_verdict_name(v), match, n,
		    firstbad != NULL ? "; first not reproduced: '" : "",
		    firstbad != NULL ? firstbad : "",
		    firstbad != NULL ? "': " : "",
		    firstwhy != NULL ? firstwhy : "");
out:
	sp_rebuild_result_free(rb);
	free(outdir);
	return error;
}

/* ---- coverage --------------------------------------------------------------
 */

static int
check_coverage(struct run *r)
{
	const sp_verify_options *o = r->o;
	sp_verify_result *res = r->res;
	sp_review_trust t = SP_REVIEW_TRUST_INIT;
	sp_review_coverage_opts co = SP_REVIEW_COVERAGE_OPTS_INIT;
	sp_review_ledger *l = NULL;
	sp_review_coverage *cov = NULL;
	const sp_review_summary *s;
	char *src = NULL, pct[16], req[32];
	uint64_t need;
	size_t i;
	int error = 0;

	res->checks[SP_VERIFY_COVERAGE].required = o->nattestations > 0;
	res->min_depth = o->min_depth != SP_REVIEW_DEPTH_NONE
	                     ? o->min_depth
	                     : SP_REVIEW_DEPTH_READ;
	res->require_milli = o->require_milli != 0 ? o->require_milli : 100000;
	if (o->nattestations == 0) {
		sp_verify__set(res, SP_VERIFY_COVERAGE, SP_ESCROW_NOT_CHECKED,
		    "no review attestations given (--attestations)");
		return 0;
	}
	if (r->current == NULL) {
		sp_verify__set(res, SP_VERIFY_COVERAGE, SP_ESCROW_NOT_CHECKED,
		    "no trusted policy to judge the attestations: %s",
		    r->chain_err);
		return 0;
	}
	if (r->m == NULL) {
		sp_verify__set(res, SP_VERIFY_COVERAGE, SP_ESCROW_NOT_CHECKED,
		    "%s", r->udir_err);
		return 0;
	}
	t.policy = r->current;
	t.at = res->at;
	if ((error = sp_review_ledger_new(r->ctx, &l, r->m, &t)) < 0)
		goto out;
	if (r->prev != NULL &&
	    (error = sp_review_ledger_know(r->ctx, l, r->prev)) < 0)
		goto out;
	for (i = 0; i < o->nattestations; i++) {
		if ((error = sp_review_ledger_add_file(
		         r->ctx, l, o->attestations[i])) < 0)
			goto out;
	}
	if ((src = join(r->ctx, r->udir, "source")) == NULL) {
		error = SP_ENOMEM;
		goto out;
	}
	co.min_depth = res->min_depth;
	co.source = src;
	if ((error = sp_review_coverage_compute(r->ctx, &cov, l, &co)) < 0)
		goto out;
	s = sp_review_coverage_summary(cov);
	res->have_coverage = true;
	res->coverage = *s;
	res->atts_total = sp_review_ledger_count(l);
	for (i = 0; i < res->atts_total && i < SP_VERIFY_MAX_LISTED; i++) {
		const sp_review_att_info *ai = sp_review_ledger_info(l, i);
		struct sp_verify_att *d = &res->atts[res->natts];

		d->label = strdup(ai->label != NULL ? ai->label : "");
		d->reason = strdup(ai->reason != NULL ? ai->reason : "");
		d->status = sp_review_att_status_name(ai->status);
		res->natts++;
		if (d->label == NULL || d->reason == NULL) {
			error = oom(r->ctx);
			goto out;
		}
	}
	need = res->require_milli;
	sp_review_percent(pct, s->files_covered, s->files);
	snprintf(req, sizeof(req), "%llu.%03llu%%",
	    (unsigned long long)(need / 1000),
	    (unsigned long long)(need % 1000));
	if (sp_review_coverage_meets(cov, need) && s->concerns == 0)
		sp_verify__set(res, SP_VERIFY_COVERAGE, SP_ESCROW_PASS,
		    "%llu of %llu files covered at depth %s or deeper (%s, "
		    "%llu carried from earlier releases); %zu of %zu "
		    "attestations counted; no open concern",
		    (unsigned long long)s->files_covered,
		    (unsigned long long)s->files,
		    sp_review_depth_name(res->min_depth), pct,
		    (unsigned long long)s->files_carried, s->counted,
		    s->attestations);
	else
		sp_verify__set(res, SP_VERIFY_COVERAGE, SP_ESCROW_FAIL,
		    "%llu of %llu files covered at depth %s or deeper (%s, "
		    "%s required); %llu open concern(s); %zu of %zu "
		    "attestations counted",
		    (unsigned long long)s->files_covered,
		    (unsigned long long)s->files,
		    sp_review_depth_name(res->min_depth), pct, req,
		    (unsigned long long)s->concerns, s->counted,
		    s->attestations);
out:
	if (error < 0 && error != SP_ENOMEM) {
		set_ctx(r, SP_VERIFY_COVERAGE, SP_ESCROW_NOT_CHECKED,
		    "coverage could not be computed: ");
		error = 0;
	}
	free(src);
	sp_review_coverage_free(cov);
	sp_review_ledger_free(l);
	return error;
}

/* ---- result ----------------------------------------------------------------
 */

static int
conclude(struct run *r)
{
	sp_verify_result *res = r->res;
	int error = 0;
	size_t i;

	res->ok = true;
	for (i = 0; i < SP_VERIFY_CHECK_COUNT; i++) {
		const struct sp_verify_check_slot *c = &res->checks[i];

		res->view[i].name = sp_verify__check_names[i];
		res->view[i].status = c->status;
		res->view[i].required = c->required;
		res->view[i].detail = c->detail;

		if (c->status == SP_ESCROW_PASS ||
		    (c->status == SP_ESCROW_NOT_CHECKED && !c->required))
			continue;
		if (res->ok)
			error = sp_err_set(r->ctx, SP_EVERIFY,
			    "bundle '%s' failed verification: %s %s: %s",
			    r->bundle, sp_verify__check_names[i],
			    sp_escrow_status_name(c->status), c->detail);
		res->ok = false;
	}
	return error;
}

static int
commit_report(struct run *r)
{
	const char *dir = r->o->report_dir;
	int error;

	if ((error = sp_verify__write_reports(r->ctx, r->res, r->report_tmp)) <
	    0)
		return error;
	if (chmod(r->report_tmp, 0755) < 0)
		return sp_err_set(r->ctx, SP_EIO, "cannot chmod '%s': %s",
		    r->report_tmp, strerror(errno));
	if (renameat2(
	        AT_FDCWD, r->report_tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0) {
		int e = errno;

		if (e == EINVAL || e == ENOSYS) {
			if (exists(dir))
				e = EEXIST;
			else if (rename(r->report_tmp, dir) == 0)
				goto done;
			else
				e = errno;
		}
		return sp_err_set(r->ctx, e == EEXIST ? SP_EEXISTS : SP_EIO,
		    "cannot rename '%s' to '%s': %s", r->report_tmp, dir,
		    strerror(e));
	}
done:
	free(r->report_tmp);
	r->report_tmp = NULL;
	return 0;
}

static int
begin_report(struct run *r)
{
	const char *dir = r->o->report_dir;
	sp_buf tmp = SP_BUF_INIT;
	size_t len = strlen(dir);
	int error;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len == 0)
		return sp_err_set(
		    r->ctx, SP_EINVALID, "empty report directory");
	if (exists(dir)) {
		error = sp_err_set(
		    r->ctx, SP_EEXISTS, "report directory '%s' exists", dir);
		sp_err_hint(r->ctx, "give a new directory to --report");
		return error;
	}
	if (sp_buf_printf(&tmp, "%.*s.verify-XXXXXX", (int)len, dir) < 0)
		return oom(r->ctx);
	if (mkdtemp(tmp.ptr) == NULL) {
		error = sp_err_set(r->ctx, SP_EIO,
		    "cannot create a directory next to '%s': %s", dir,
		    strerror(errno));
		sp_buf_dispose(&tmp);
		return error;
	}
	r->report_tmp = sp_buf_detach(&tmp);
	if ((r->res->report_dir = strdup(dir)) == NULL)
		return oom(r->ctx);
	return 0;
}

void
sp_verify_result_free(sp_verify_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nartefacts; i++) {
		free(res->artefacts[i].name);
		free(res->artefacts[i].method);
		free(res->artefacts[i].reason);
	}
	for (i = 0; i < res->natts; i++) {
		free(res->atts[i].label);
		free(res->atts[i].reason);
	}
	for (i = 0; i < res->ncosigners; i++)
		free(res->cosigners[i].name);
	free(res->bundle);
	free(res->report_dir);
	free(res);
}

bool
sp_verify_ok(const sp_verify_result *res)
{
	return res != NULL && res->ok;
}

const sp_verify_check *
sp_verify_check_at(const sp_verify_result *res, sp_verify_check_id id)
{
	if (res == NULL || (unsigned)id >= SP_VERIFY_CHECK_COUNT)
		return NULL;
	return &res->view[id];
}

const char *
sp_verify_report_dir(const sp_verify_result *res)
{
	return res != NULL ? res->report_dir : NULL;
}

static void
run_dispose(struct run *r, int error)
{
	char msg[SP_ERRMSG_MAX], hint[SP_ERRMSG_MAX];
	size_t i;

	/* Cleaning up must not lose the error being returned. */
	snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(r->ctx));
	snprintf(hint, sizeof(hint), "%s", sp_ctx_errhint(r->ctx));
	remove_dir(r->ctx, &r->udir);
	remove_dir(r->ctx, &r->prev_dir);
	remove_dir(r->ctx, &r->report_tmp);
	remove_dir(r->ctx, &r->rebuild_tmp);
	for (i = 0; i < r->nchain; i++)
		sp_policy_free(r->chain[i]);
	sp_tlog_verifier_free(r->logkey);
	sp_tlog_verifiers_free(r->cliwit, r->ncliwit);
	sp_manifest_free(r->prev);
	sp_manifest_free(r->m);
	free(r->prev_path);
	free(r->prev_sig);
	sp_buf_dispose_secret(&r->pc.secret);
	if (error < 0) {
		sp_err_set(r->ctx, error, "%s", msg);
		if (hint[0] != '\0')
			sp_err_hint(r->ctx, "%s", hint);
	}
}

int
sp_verify_run(sp_ctx *ctx, sp_verify_result **out, const char *bundle,
    const sp_verify_options *opts)
{
	struct run r;
	sp_verify_result *res = NULL;
	uint8_t digest[SP_SHA256_LEN];
	size_t i;
	int error = 0, verdict = 0;

	SP_ASSERT_ARG(ctx, out != NULL && bundle != NULL && opts != NULL);
	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.o = opts;
	r.bundle = bundle;
	sp_buf_init(&r.pc.secret, 4096);
	if (opts->npolicies == 0 || opts->policies == NULL) {
		error = sp_err_set(
		    ctx, SP_EINVALID, "a pinned trust policy is required");
		sp_err_hint(ctx, "give the policy you pinned with --policy");
		goto out;
	}
	if (opts->nwitnesses > 0 && opts->quorum > opts->nwitnesses) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "a quorum of %u needs at least that many witness keys",
		    opts->quorum);
		goto out;
	}
	for (i = 0; i < opts->nattestations; i++) {
		int fd = -1;

		if ((error = sp_open_read(ctx, &fd, opts->attestations[i],
		         SP_OPEN_NOFOLLOW)) < 0)
			goto out;
		close(fd);
	}
	if ((res = sp_calloc(ctx, 1, sizeof(*res))) == NULL) {
		error = oom(ctx);
		goto out;
	}
	r.res = res;
	for (i = 0; i < SP_VERIFY_CHECK_COUNT; i++) {
		res->checks[i].status = SP_ESCROW_NOT_CHECKED;
		res->checks[i].required = false;
		snprintf(res->checks[i].detail, sizeof(res->checks[i].detail),
		    "not reached");
	}
	res->compression = "none";
	res->now = opts->now != 0 ? opts->now : (int64_t)time(NULL);
	res->at = opts->at != 0 ? opts->at : res->now;
	res->at_given = opts->at != 0;
	snprintf(res->tool_version, sizeof(res->tool_version), "%s",
	    opts->tool_version != NULL ? opts->tool_version
	                               : SRCPROOF_VERSION_STRING);
	if ((res->bundle = strdup(bundle)) == NULL) {
		error = oom(ctx);
		goto out;
	}

	/* The recipient key's passphrase is asked once for every read. */
	r.read = opts->read;
	r.pc.cb = opts->read.passphrase_cb;
	r.pc.payload = opts->read.passphrase_payload;
	r.read.passphrase_cb = cached_pass;
	r.read.passphrase_payload = &r.pc;

	/* What we trust, and what the user gave: failures here mean the
	 * verification could not run. */
	if ((error = load_trust(&r)) < 0)
		goto out;
	if (opts->previous != NULL && (error = load_previous(&r)) < 0)
		goto out;
	if (opts->report_dir != NULL && (error = begin_report(&r)) < 0)
		goto out;
	if ((error = sp_sha256_file(ctx, digest, &res->bundle_bytes, bundle)) <
	    0)
		goto out;
	sp_hex_encode(res->bundle_sha256, digest, sizeof(digest));

	/* The checks. */
	if ((error = escrow_checks(&r)) < 0 || (error = unpack(&r)) < 0 ||
	    (error = check_chain(&r)) < 0 ||
	    (error = check_log_and_witnesses(&r)) < 0 ||
	    (error = check_rebuild(&r)) < 0 || (error = check_coverage(&r)) < 0)
		goto out;
	verdict = conclude(&r);
	if (r.report_tmp != NULL) {
		char msg[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
		if ((error = commit_report(&r)) < 0)
			goto out;
		if (verdict < 0)
			sp_err_set(ctx, verdict, "%s", msg);
	}
	error = verdict;
	*out = res;
	res = NULL;
out:
	run_dispose(&r, error);
	sp_verify_result_free(res);
	return error;
}
