/*
 * Listing and verification of bundles: every check by name, with an
 * explicit PASS, FAIL or NOT CHECKED.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escrow_int.h"
#include "srcproof/manifest.h"
#include "srcproof/recipe.h"
#include "srcproof/sign.h"
#include "srcproof/tlog.h"
#include "util_int.h"

#include "banned.h"

/* ---- list ---------------------------------------------------------------- */

struct lister {
	sp_escrow_member_cb cb;
	void *payload;
};

static int
list_end(void *payload, const sp_member *m)
{
	struct lister *l = payload;
	sp_escrow_member em;
	char hex[65];

	sp_hex_encode(hex, m->sha256, 32);
	em.name = m->name;
	em.type = m->kind == SP_MEMBER_SYMLINK ? "symlink"
	          : m->kind == SP_MEMBER_EXEC  ? "exec"
	                                       : "file";
	em.size = m->size;
	em.sha256 = hex;
	em.target = m->target;
	return l->cb != NULL ? l->cb(&em, l->payload) : 0;
}

int
sp_escrow_list(sp_ctx *ctx, const char *bundle,
    const sp_escrow_read_options *opts, sp_escrow_member_cb cb, void *payload)
{
	static const sp_reader_ops ops = {NULL, NULL, list_end};
	struct lister l = {cb, payload};
	sp_bundle b;
	int error;

	SP_ASSERT_ARG(ctx, bundle != NULL);
	sp_bundle_init(&b);
	error = sp_bundle_read(ctx, &b, bundle, opts, &ops, &l);
	sp_bundle_dispose(&b);
	return error;
}

/* ---- verify ---------------------------------------------------------------
 */

static const char *const check_names[SP_ESCROW_CHECK_COUNT] = {"decryption",
    "archive", "index", "manifest", "source", "signature", "log-proof",
    "recipe", "binaries"};

const char *
sp_escrow_status_name(sp_escrow_check_status s)
{
	switch (s) {
	case SP_ESCROW_PASS:
		return "PASS";
	case SP_ESCROW_FAIL:
		return "FAIL";
	case SP_ESCROW_NOT_CHECKED:
		return "NOT CHECKED";
	}
	return "?";
}

static void set(sp_escrow_verify_result *res, sp_escrow_check_id id,
    sp_escrow_check_status st, const char *fmt, ...) SP_PRINTF(4, 5);

static void
set(sp_escrow_verify_result *res, sp_escrow_check_id id,
    sp_escrow_check_status st, const char *fmt, ...)
{
	va_list ap;

	res->checks[id].status = st;
	va_start(ap, fmt);
	vsnprintf(
	    res->checks[id].detail, sizeof(res->checks[id].detail), fmt, ap);
	va_end(ap);
}

static const char *
entry_type_name(sp_manifest_entry_type t)
{
	return t == SP_MANIFEST_SYMLINK      ? "symlink"
	       : t == SP_MANIFEST_EXECUTABLE ? "executable"
	                                     : "file";
}

/* source/ members against the manifest entries, both sorted by path. */
static void
check_source(
    sp_escrow_verify_result *res, const sp_bundle *b, const sp_manifest *m)
{
	size_t n = sp_manifest_entry_count(m), i = 0, j = 0;
	uint64_t matched = 0, changed = 0, missing = 0, added = 0, mode = 0;
	char first[SP_ERRMSG_MAX / 2] = "";

	/* Skip to the source/ members (sorted, so they are contiguous). */
	while (i < b->nmembers && strncmp(b->members[i].name, "source/", 7) < 0)
		i++;
	while (i < b->nmembers || j < n) {
		const sp_member *mem = NULL;
		const sp_manifest_entry *e =
		    j < n ? sp_manifest_entry_at(m, j) : NULL;
		const char *path = NULL;
		int c;

		if (i < b->nmembers &&
		    strncmp(b->members[i].name, "source/", 7) == 0) {
			mem = &b->members[i];
			path = mem->name + 7;
		}
		if (mem == NULL && e == NULL)
			break;
		if (mem == NULL)
			c = 1;
		else if (e == NULL)
			c = -1;
		else
			c = strcmp(path, e->path);
		if (c < 0) {
			added++;
			if (!first[0])
				snprintf(first, sizeof(first),
				    "'%s' is not in the manifest", path);
			i++;
			continue;
		}
		if (c > 0) {
			missing++;
			if (!first[0])
				snprintf(first, sizeof(first),
				    "'%s' is missing from source/", e->path);
			j++;
			continue;
		}
		i++;
		j++;
		if ((mem->kind == SP_MEMBER_SYMLINK) !=
		        (e->type == SP_MANIFEST_SYMLINK) ||
		    (e->size != SP_MANIFEST_SIZE_UNKNOWN &&
		        mem->size != e->size) ||
		    !sp_ct_equal(mem->sha256, e->sha256, 32) ||
		    (e->type == SP_MANIFEST_SYMLINK &&
		        (mem->target == NULL || e->link_target == NULL ||
		            strcmp(mem->target, e->link_target) != 0))) {
			changed++;
			if (!first[0])
				snprintf(first, sizeof(first),
				    "'%s' differs from the manifest (%s)",
				    e->path, entry_type_name(e->type));
			continue;
		}
		if (e->type != SP_MANIFEST_SYMLINK &&
		    (mem->kind == SP_MEMBER_EXEC) !=
		        (e->type == SP_MANIFEST_EXECUTABLE)) {
			mode++;
			if (!first[0])
				snprintf(first, sizeof(first),
				    "'%s' has another executable bit than the "
				    "manifest says",
				    e->path);
			continue;
		}
		matched++;
	}
	if (changed + missing + added + mode == 0)
		set(res, SP_ESCROW_CHECK_SOURCE, SP_ESCROW_PASS,
		    "%llu entries match the manifest",
		    (unsigned long long)matched);
	else
		set(res, SP_ESCROW_CHECK_SOURCE, SP_ESCROW_FAIL,
		    "%llu changed, %llu missing, %llu not in the manifest, "
		    "%llu "
		    "mode; first: %s",
		    (unsigned long long)changed, (unsigned long long)missing,
		    (unsigned long long)added, (unsigned long long)mode, first);
}

static void
ctx_detail(sp_escrow_verify_result *res, sp_escrow_check_id id,
    sp_escrow_check_status st, sp_ctx *ctx, const char *prefix)
{
	set(res, id, st, "%s%s", prefix, sp_ctx_errmsg(ctx));
	sp_err_clear(ctx);
}

static void
check_signature(sp_ctx *ctx, sp_escrow_verify_result *res, const sp_bundle *b,
    const sp_manifest *m, const uint8_t digest[32], const sp_policy *policy,
    const sp_escrow_verify_options *o, sp_dsse **env_out)
{
	sp_dsse *env = NULL;
	sp_statement_info info;
	sp_sign_verify_opts vo = SP_SIGN_VERIFY_OPTS_INIT;
	sp_sign_result sr;
	const char *role;

	memset(&info, 0, sizeof(info));
	*env_out = NULL;
	if (!b->have_sig) {
		set(res, SP_ESCROW_CHECK_SIGNATURE, SP_ESCROW_FAIL,
		    "the bundle has no manifest.sig");
		return;
	}
	if (sp_dsse_parse(
	        ctx, &env, b->manifest_sig.ptr, b->manifest_sig.size) < 0) {
		ctx_detail(res, SP_ESCROW_CHECK_SIGNATURE, SP_ESCROW_FAIL, ctx,
		    "manifest.sig: ");
		return;
	}
	if (m == NULL) {
		set(res, SP_ESCROW_CHECK_SIGNATURE, SP_ESCROW_FAIL,
		    "no manifest to check the signature against");
		goto out;
	}
	if (sp_statement_check(ctx, env, digest, &info) < 0) {
		ctx_detail(res, SP_ESCROW_CHECK_SIGNATURE, SP_ESCROW_FAIL, ctx,
		    "the signed statement is not about this manifest: ");
		goto out;
	}
	if (policy == NULL) {
		set(res, SP_ESCROW_CHECK_SIGNATURE, SP_ESCROW_NOT_CHECKED,
		    "%zu signature(s) over this manifest, not verified: no "
		    "--policy given (the bundle's own policy is informational "
		    "only)",
		    sp_dsse_sig_count(env));
		*env_out = env;
		env = NULL;
		goto out;
	}
	role = o->role;
	if (role == NULL)
		role = sp_manifest_kind_of(m) == SP_MANIFEST_UPDATE ? "update"
		                                                    : "release";
	vo.policy = policy;
	vo.role = role;
	vo.at = o->at != 0 ? o->at : (int64_t)time(NULL);
	memset(&sr, 0, sizeof(sr));
	if (sp_dsse_verify(ctx, env, &vo, &sr) < 0) {
		ctx_detail(
		    res, SP_ESCROW_CHECK_SIGNATURE, SP_ESCROW_FAIL, ctx, "");
		goto out;
	}
	set(res, SP_ESCROW_CHECK_SIGNATURE, SP_ESCROW_PASS,
	    "%zu of %zu required '%s' signatures valid under policy version "
	    "%llu",
	    sr.valid, sr.required, role,
	    (unsigned long long)sp_policy_version(policy));
	*env_out = env;
	env = NULL;
out:
	sp_statement_info_dispose(&info);
	sp_dsse_free(env);
}

/* Whom the log check trusts. */
struct log_trust {
	const sp_escrow_verify_options *o;
	int64_t at;
	sp_tlog_verifier *logkey; /* --log-key, or NULL */
	sp_tlog_verifier **wit;   /* --witness keys */
	const sp_policy *policy;  /* the pinned policy, or NULL */
	bool policy_log;          /* its log keys are the log's */
	bool policy_wit;          /* its witness keys and threshold count */
	char policy_err[SP_ERRMSG_MAX / 2]; /* why it does not verify */
};

/* Verify one proof against the trust; 0 or an error with the reason. */
static int
verify_proof(sp_ctx *ctx, const struct log_trust *lt, const sp_tlog_proof *pr,
    sp_tlog_verify_result *vr, char *logname, size_t logname_size)
{
	sp_tlog_trust trust = SP_TLOG_TRUST_INIT;
	const sp_tlog_checkpoint *cp = sp_tlog_proof_checkpoint(pr);
	const sp_escrow_verify_options *o = lt->o;
	sp_tlog_verifier *plog = NULL, **pwit = NULL;
	size_t npwit = 0;
	int error;

	trust.log_key = lt->logkey;
	trust.origin = o->log_origin;
	trust.now = lt->at;
	if (lt->policy_log) {
		if ((error = sp_tlog_checkpoint_verify_policy(ctx, cp,
		         lt->policy, lt->at, o->log_origin, &plog)) < 0)
			goto out;
		trust.log_key = plog;
	}
	if (lt->policy_wit) {
		if ((error = sp_tlog_policy_verifiers(ctx, &pwit, &npwit, NULL,
		         cp, lt->policy, "witness", SP_TLOG_SIG_COSIGNATURE,
		         lt->at)) < 0)
			goto out;
		trust.witnesses = (const sp_tlog_verifier *const *)pwit;
		trust.nwitnesses = npwit;
		trust.quorum = sp_policy_threshold(lt->policy, "witness");
	} else if (!o->no_witnesses) {
		trust.witnesses = (const sp_tlog_verifier *const *)lt->wit;
		trust.nwitnesses = o->nwitnesses;
		/* 0: all of them, as 'log verify' and 'verify' do. */
		trust.quorum =
		    o->quorum > 0 ? o->quorum : (unsigned)o->nwitnesses;
	}
	error = sp_tlog_proof_verify(ctx, pr, &trust, NULL, 0, vr);
	if (error == 0)
		snprintf(logname, logname_size, "%s",
		    sp_tlog_verifier_name(trust.log_key));
out:
	sp_tlog_verifier_free(plog);
	sp_tlog_verifiers_free(pwit, npwit);
	return error;
}

static void
check_log(sp_ctx *ctx, sp_escrow_verify_result *res, const sp_bundle *b,
    const sp_dsse *env, const uint8_t digest[32], const struct log_trust *lt)
{
	const sp_escrow_verify_options *o = lt->o;
	uint8_t stmt[32];
	const char *payload;
	size_t plen, i, good = 0;
	char first[SP_ERRMSG_MAX / 2] = "", logname[128] = "", notes[160] = "";
	bool keyed = lt->logkey != NULL || lt->policy_log;

	if (lt->policy_log && o->log_key != NULL)
		snprintf(notes, sizeof(notes),
		    "; --log-key ignored: the policy names the log key");
	if (lt->policy_wit && o->nwitnesses > 0)
		snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
		    "; --witness ignored: the policy names the witnesses");
	if (b->nproofs == 0) {
		set(res, SP_ESCROW_CHECK_LOG,
		    keyed ? SP_ESCROW_FAIL : SP_ESCROW_NOT_CHECKED,
		    "the bundle carries no log proof%s",
		    lt->policy_log ? " (the policy names a log key: a proof "
		                     "is required)"
		                   : "");
		return;
	}
	if (!keyed) {
		set(res, SP_ESCROW_CHECK_LOG, SP_ESCROW_NOT_CHECKED,
		    "%zu proof(s) present, not verified: no --log-key given%s",
		    b->nproofs,
		    lt->policy_wit ? " and the policy names witnesses but no "
		                     "log key"
		                   : "");
		return;
	}
	if ((lt->policy_log || lt->policy_wit) && lt->policy_err[0]) {
		set(res, SP_ESCROW_CHECK_LOG, SP_ESCROW_FAIL,
		    "no trusted policy to take the %s from: %s",
		    lt->policy_log ? "log key" : "witness keys",
		    lt->policy_err);
		return;
	}
	if (env == NULL) {
		set(res, SP_ESCROW_CHECK_LOG, SP_ESCROW_FAIL,
		    "no usable manifest signature to find in the log");
		return;
	}
	payload = sp_dsse_payload(env, &plen);
	if (sp_sha256(ctx, stmt, payload, plen) < 0) {
		ctx_detail(res, SP_ESCROW_CHECK_LOG, SP_ESCROW_FAIL, ctx, "");
		return;
	}
	res->log_key_source = lt->policy_log ? "policy" : "option";
	res->witness_source = lt->policy_wit ? "policy"
	                      : !o->no_witnesses && o->nwitnesses > 0
	                          ? "options"
	                          : NULL;
	for (i = 0; i < b->nproofs; i++) {
		sp_tlog_proof *pr = NULL;
		sp_tlog_verify_result vr;
		sp_tlog_entry ent;
		const uint8_t *ebytes;
		size_t elen;

		memset(&vr, 0, sizeof(vr));
		if (sp_tlog_proof_parse(
		        ctx, &pr, b->proofs[i].ptr, b->proofs[i].size) < 0 ||
		    verify_proof(ctx, lt, pr, &vr, logname, sizeof(logname)) <
		        0) {
			if (!first[0])
				snprintf(first, sizeof(first), "%s: %s",
				    b->proof_names[i], sp_ctx_errmsg(ctx));
			sp_err_clear(ctx);
			sp_tlog_proof_free(pr);
			continue;
		}
		/* The proven entry must be this signed manifest. */
		ebytes = sp_tlog_proof_entry(pr, &elen);
		if (sp_tlog_entry_parse(ctx, &ent, ebytes, elen) < 0 ||
		    !sp_ct_equal(ent.subject, digest, 32) ||
		    !sp_ct_equal(ent.statement, stmt, 32)) {
			if (!first[0])
				snprintf(first, sizeof(first),
				    "%s: the proven entry is not this signed "
				    "manifest",
				    b->proof_names[i]);
			sp_err_clear(ctx);
			sp_tlog_proof_free(pr);
			continue;
		}
		good++;
		if (good == 1) {
			char wits[96] = "";

			if (lt->policy_wit)
				snprintf(wits, sizeof(wits),
				    ", %zu witness cosignature(s) (quorum %u "
				    "of the policy's witnesses)",
				    vr.cosigned,
				    sp_policy_threshold(lt->policy, "witness"));
			else if (!o->no_witnesses)
				snprintf(wits, sizeof(wits),
				    ", %zu witness cosignature(s)",
				    vr.cosigned);
			set(res, SP_ESCROW_CHECK_LOG, SP_ESCROW_PASS,
			    "%s: entry %llu included in a tree of "
			    "%llu%s%s%s%s%s",
			    b->proof_names[i], (unsigned long long)vr.index,
			    (unsigned long long)vr.size,
			    lt->policy_log ? " signed by the policy's log key '"
			                   : "",
			    lt->policy_log ? logname : "",
			    lt->policy_log ? "'" : "", wits, notes);
		}
		sp_tlog_proof_free(pr);
	}
	if (good == 0)
		set(res, SP_ESCROW_CHECK_LOG, SP_ESCROW_FAIL,
		    "no proof verifies; first: %s%s", first, notes);
	else if (first[0])
		set(res, SP_ESCROW_CHECK_LOG, SP_ESCROW_FAIL,
		    "%zu proof(s) verify but another does not: %s", good,
		    first);
}

/* The policy's log and witness keys count only if it verifies at @p at
 * (as a pinned policy: its own root threshold, not expired). */
static int
load_log_trust(sp_ctx *ctx, struct log_trust *lt, sp_policy *policy)
{
	const sp_escrow_verify_options *o = lt->o;
	size_t i;
	int error;

	lt->at = o->at != 0 ? o->at : (int64_t)time(NULL);
	if (o->log_key != NULL &&
	    (error = sp_tlog_verifier_load(
	         ctx, &lt->logkey, o->log_key, SP_TLOG_SIG_ED25519, "log")) < 0)
		return error;
	if (o->nwitnesses > 0) {
		if ((lt->wit = sp_calloc(
		         ctx, o->nwitnesses, sizeof(*lt->wit))) == NULL)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		for (i = 0; i < o->nwitnesses; i++) {
			if ((error = sp_tlog_verifier_load(ctx, &lt->wit[i],
			         o->witnesses[i], SP_TLOG_SIG_COSIGNATURE,
			         "witness")) < 0)
				return error;
		}
	}
	if (policy == NULL)
		return 0;
	lt->policy = policy;
	lt->policy_log = sp_policy_threshold(policy, "log") > 0;
	lt->policy_wit =
	    !o->no_witnesses && sp_policy_threshold(policy, "witness") > 0;
	if ((lt->policy_log || lt->policy_wit) &&
	    sp_policy_verify_chain(ctx, &policy, 1, lt->at, NULL) < 0) {
		if (sp_ctx_errcode(ctx) == SP_ENOMEM)
			return SP_ENOMEM;
		snprintf(lt->policy_err, sizeof(lt->policy_err), "%s",
		    sp_ctx_errmsg(ctx));
		sp_err_clear(ctx);
	}
	return 0;
}

static void
log_trust_dispose(struct log_trust *lt)
{
	sp_tlog_verifier_free(lt->logkey);
	sp_tlog_verifiers_free(lt->wit, lt->o->nwitnesses);
}

static void
init_result(sp_escrow_verify_result *res)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	res->ncheck = SP_ESCROW_CHECK_COUNT;
	res->compression = "none";
	for (i = 0; i < SP_ESCROW_CHECK_COUNT; i++) {
		res->checks[i].name = check_names[i];
		res->checks[i].status = SP_ESCROW_NOT_CHECKED;
		res->checks[i].required = true;
		snprintf(res->checks[i].detail, sizeof(res->checks[i].detail),
		    "not reached");
	}
}

static bool
read_failed_hard(int error)
{
	return error == SP_EIO || error == SP_ENOTFOUND ||
	       error == SP_EINVALID || error == SP_ENOMEM ||
	       error == SP_EUNSUPPORTED;
}

int
sp_escrow_verify(sp_ctx *ctx, const char *bundle,
    const sp_escrow_verify_options *opts, sp_escrow_verify_result *res)
{
	sp_escrow_verify_options dflt = SP_ESCROW_VERIFY_OPTIONS_INIT;
	const sp_escrow_verify_options *o = opts != NULL ? opts : &dflt;
	sp_policy *policy = NULL;
	struct log_trust lt;
	sp_manifest *m = NULL;
	sp_dsse *env = NULL;
	sp_bundle b;
	uint8_t digest[32];
	size_t i;
	int error = 0, rerr;

	SP_ASSERT_ARG(ctx, bundle != NULL && res != NULL);
	init_result(res);
	sp_bundle_init(&b);
	memset(&lt, 0, sizeof(lt));
	lt.o = o;

	/* What we trust, loaded first: failures here are usage errors. */
	if (o->policy != NULL &&
	    (error = sp_policy_load(ctx, &policy, o->policy)) < 0)
		goto out;
	if ((error = load_log_trust(ctx, &lt, policy)) < 0)
		goto out;
	res->checks[SP_ESCROW_CHECK_SIGNATURE].required =
	    policy != NULL || o->strict;
	res->checks[SP_ESCROW_CHECK_LOG].required =
	    lt.logkey != NULL || lt.policy_log || o->strict;

	rerr = sp_bundle_read(ctx, &b, bundle, &o->read, NULL, NULL);
	res->encrypted = b.encrypted;
	snprintf(res->cipher, sizeof(res->cipher), "%s", b.cipher);
	res->compression = sp_escrow_compression_name(b.compression);
	res->checks[SP_ESCROW_CHECK_DECRYPTION].required = b.encrypted;
	if (!b.encrypted)
		set(res, SP_ESCROW_CHECK_DECRYPTION, SP_ESCROW_NOT_CHECKED,
		    "the bundle is not encrypted");
	if (rerr < 0 && !b.opened && !b.decrypt_failed) {
		error = rerr; /* file or key unusable: could not run */
		goto out;
	}
	if (rerr < 0 && b.decrypt_failed) {
		ctx_detail(
		    res, SP_ESCROW_CHECK_DECRYPTION, SP_ESCROW_FAIL, ctx, "");
		goto checks_done;
	}
	if (rerr < 0 && !b.index_error[0]) {
		if (read_failed_hard(rerr)) {
			error = rerr; /* could not run: message in ctx */
			goto out;
		}
		/* Structure refused before the end. */
		if (b.encrypted)
			set(res, SP_ESCROW_CHECK_DECRYPTION,
			    b.tag_ok ? SP_ESCROW_PASS : SP_ESCROW_NOT_CHECKED,
			    "%s",
			    b.tag_ok
			        ? "authenticated (tag verified), but the "
			          "archive inside is refused"
			        : "the archive failed before the end of the "
			          "encrypted content");
		ctx_detail(
		    res, SP_ESCROW_CHECK_ARCHIVE, SP_ESCROW_FAIL, ctx, "");
		goto checks_done;
	}
	if (b.encrypted)
		set(res, SP_ESCROW_CHECK_DECRYPTION, SP_ESCROW_PASS,
		    "CMS %s, %s", b.cipher,
		    b.authenticated ? "authenticated (tag verified)"
		                    : "EnvelopedData, NOT authenticated");
	set(res, SP_ESCROW_CHECK_ARCHIVE, SP_ESCROW_PASS,
	    "%zu members, %llu bytes, %s", b.nmembers + 1,
	    (unsigned long long)b.total_bytes,
	    sp_escrow_compression_name(b.compression));
	res->members = b.nmembers + 1;
	res->bytes = b.total_bytes;
	for (i = 0; i < b.nmembers; i++) {
		if (strncmp(b.members[i].name, "source/", 7) == 0)
			res->source_files++;
	}
	if (b.index_ok) {
		set(res, SP_ESCROW_CHECK_INDEX, SP_ESCROW_PASS,
		    "%zu members match INDEX", b.nmembers);
	} else {
		set(res, SP_ESCROW_CHECK_INDEX, SP_ESCROW_FAIL, "%s",
		    b.index_error);
	}
	sp_err_clear(ctx);

	/* Manifest. */
	if (!b.have_manifest) {
		set(res, SP_ESCROW_CHECK_MANIFEST, SP_ESCROW_FAIL,
		    "the bundle has no manifest");
	} else if (sp_manifest_parse(ctx, &m, b.manifest.ptr, b.manifest.size) <
	           0) {
		ctx_detail(
		    res, SP_ESCROW_CHECK_MANIFEST, SP_ESCROW_FAIL, ctx, "");
	} else {
		const char *prod = sp_manifest_product(m);
		const char *rel = sp_manifest_release(m);

		if (sp_sha256(ctx, digest, b.manifest.ptr, b.manifest.size) <
		    0) {
			error = SP_ERROR;
			goto out;
		}
		sp_hex_encode(res->manifest_sha256, digest, 32);
		snprintf(res->product, sizeof(res->product), "%s",
		    prod != NULL ? prod : "");
		snprintf(res->release, sizeof(res->release), "%s",
		    rel != NULL ? rel : "");
		snprintf(res->kind, sizeof(res->kind), "%s",
		    sp_manifest_kind_name(sp_manifest_kind_of(m)));
		set(res, SP_ESCROW_CHECK_MANIFEST, SP_ESCROW_PASS,
		    "%zu entries, sha256 %.16s...", sp_manifest_entry_count(m),
		    res->manifest_sha256);
		check_source(res, &b, m);
	}
	if (m == NULL)
		set(res, SP_ESCROW_CHECK_SOURCE, SP_ESCROW_FAIL,
		    "no manifest to check the source against");

	check_signature(ctx, res, &b, m, digest, policy, o, &env);
	check_log(ctx, res, &b, env, digest, &lt);

	/* Recipe and binaries: optional; when present they must parse. */
	res->checks[SP_ESCROW_CHECK_RECIPE].required = b.have_recipe;
	if (!b.have_recipe) {
		set(res, SP_ESCROW_CHECK_RECIPE, SP_ESCROW_NOT_CHECKED,
		    "the bundle has no recipe");
	} else {
		sp_recipe *r = NULL;

		if (sp_recipe_parse(ctx, &r, b.recipe.ptr, b.recipe.size) < 0) {
			ctx_detail(res, SP_ESCROW_CHECK_RECIPE, SP_ESCROW_FAIL,
			    ctx, "");
		} else {
			size_t argc, nt;

			(void)sp_recipe_command(r, &argc);
			(void)sp_recipe_toolchain(r, &nt);
			set(res, SP_ESCROW_CHECK_RECIPE, SP_ESCROW_PASS,
			    "%zu-word command, %zu tools, %s %s", argc, nt,
			    sp_recipe_os(r), sp_recipe_arch(r));
		}
		sp_recipe_free(r);
	}
	res->checks[SP_ESCROW_CHECK_BINARIES].required = b.have_sums;
	if (!b.have_sums) {
		set(res, SP_ESCROW_CHECK_BINARIES, SP_ESCROW_NOT_CHECKED,
		    "the bundle lists no shipped binaries");
	} else {
		sp_buf canon = SP_BUF_INIT;

		if (sp_escrow__sums_canonical(ctx, &canon, b.sums.ptr,
		        b.sums.size, "binaries/SHA256SUMS") < 0) {
			ctx_detail(res, SP_ESCROW_CHECK_BINARIES,
			    SP_ESCROW_FAIL, ctx, "");
		} else {
			size_t lines = 0, k;

			for (k = 0; k < canon.size; k++)
				lines += canon.ptr[k] == '\n';
			set(res, SP_ESCROW_CHECK_BINARIES, SP_ESCROW_PASS,
			    "%zu shipped binaries listed", lines);
		}
		sp_buf_dispose(&canon);
	}

checks_done:
	/* A FAIL always fails the bundle; a required check must PASS. */
	res->ok = true;
	for (i = 0; i < SP_ESCROW_CHECK_COUNT; i++) {
		const sp_escrow_check *c = &res->checks[i];

		if (c->status == SP_ESCROW_PASS ||
		    (c->status == SP_ESCROW_NOT_CHECKED && !c->required))
			continue;
		if (res->ok)
			error = sp_err_set(ctx, SP_EVERIFY,
			    "bundle '%s' failed verification: %s: %s", bundle,
			    c->name, c->detail);
		res->ok = false;
	}
	if (res->ok)
		sp_err_clear(ctx);
out:
	sp_dsse_free(env);
	sp_manifest_free(m);
	log_trust_dispose(&lt);
	sp_policy_free(policy);
	sp_bundle_dispose(&b);
	return error;
}
