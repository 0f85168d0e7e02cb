/*
 * srcproof release: manifest, signatures, recipe, log, bundle in one step,
 * into an output directory that appears whole or not at all.
 *
 * Everything is built in a temporary directory next to the output. The log
 * append is the one effect outside it, so it comes after every step that
 * can refuse the release: the bundle is packed once without the proof (the
 * source is checked against the manifest, the recipients, binaries and
 * policy are read), then the signed manifest is appended, the proof taken
 * and the bundle packed again with it.
 */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "release_int.h"
#include "srcproof/escrow.h"
#include "srcproof/recipe.h"
#include "srcproof/sign.h"
#include "srcproof/srcproof.h"
#include "srcproof/tlog.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

/* Everything one release works with. */
struct run {
	sp_ctx *ctx;
	const sp_release_config *cfg;
	const sp_release_options *o;
	sp_release_result *res;
	const char *output;
	char *tmp;
	sp_key **keys;
	size_t nkeys;
	sp_policy *policy;
	sp_tlog_verifier **witnesses; /**< log.witnesses, loaded up front */
	char *manifest, *sig, *recipe, *proof, *bundle;
};

/* The secret callback for one key, as an sp_passphrase_cb. */
struct secret_tramp {
	const sp_release_options *o;
	const struct sp_release_key *key;
};

static int
oom(sp_ctx *ctx)
{
	return sp_err_set(ctx, SP_ENOMEM, "out of memory");
}

static int
tramp(sp_ctx *ctx, sp_buf *out, const char *prompt, bool confirm, void *payload)
{
	const struct secret_tramp *t = payload;

	(void)prompt;
	(void)confirm;
	if (t->o->secret == NULL)
		return sp_err_set(ctx, SP_EINVALID,
		    "key '%s' needs a passphrase or PIN and none can be given",
		    t->key->spec != NULL ? t->key->spec : "(the log's key)");
	return t->o->secret(ctx, out,
	    t->key->spec != NULL ? t->key->spec : "(the log's key)",
	    t->key->env_name, t->o->secret_payload);
}

static int
step(struct run *r, const char *name)
{
	if (r->o->step != NULL && r->o->step(name, r->o->step_payload) != 0)
		return sp_err_set(r->ctx, SP_EIO,
		    "release step '%s' failed (test hook)", name);
	return 0;
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

/* ---- checks before anything is written ----------------------------------
 */

/*
 * The witnesses' vkeys, loaded before anything is written and kept for the
 * cosign step. Files only (docs/spec/release-config.md): the log loader
 * would take a missing file whose name looks like a vkey for the vkey
 * itself, here with the configuration's directory in its name.
 */
static int
load_witnesses(struct run *r)
{
	const sp_release_config *c = r->cfg;
	size_t i;
	int error;

	if (c->witnesses.n == 0)
		return 0;
	if ((r->witnesses = sp_calloc(
	         r->ctx, c->witnesses.n, sizeof(*r->witnesses))) == NULL)
		return oom(r->ctx);
	for (i = 0; i < c->witnesses.n; i++) {
		if (!exists(c->witnesses.v[i])) {
			error = sp_err_set(r->ctx, SP_ENOTFOUND,
			    "witness file '%s' (log.witnesses) does not exist",
			    c->witnesses.v[i]);
			sp_err_hint(r->ctx,
			    "'witnesses' lists files, each holding one "
			    "witness's vkey (srcproof log vkey --cosignature), "
			    "relative to the configuration's directory");
			return error;
		}
		if ((error = sp_tlog_verifier_load(r->ctx, &r->witnesses[i],
		         c->witnesses.v[i], SP_TLOG_SIG_COSIGNATURE,
		         "witness")) < 0)
			return error;
	}
	return 0;
}

static int
check_inputs(struct run *r)
{
	const sp_release_config *c = r->cfg;
	sp_tlog *log = NULL;
	struct stat st;
	char *parent = NULL, *slash;
	int error = 0;

	if (exists(r->output)) {
		error = sp_err_set(r->ctx, SP_EEXISTS,
		    "output directory '%s' exists", r->output);
		sp_err_hint(r->ctx, "every release goes to a new directory");
		return error;
	}
	if ((parent = strdup(r->output)) == NULL)
		return oom(r->ctx);
	slash = strrchr(parent, '/');
	if (slash == NULL) {
		parent[0] = '.';
		parent[1] = '\0';
	} else if (slash == parent) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error = sp_err_set(r->ctx, SP_ENOTFOUND,
		    "the parent of output directory '%s' is not a directory",
		    r->output);
		goto out;
	}
	if (stat(c->source_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error = sp_err_set(r->ctx, SP_ENOTFOUND,
		    "source directory '%s' does not exist", c->source_dir);
		goto out;
	}
	if (c->have_log) {
		if (stat(c->log_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			error = sp_err_set(r->ctx, SP_ENOTFOUND,
			    "log directory '%s' does not exist", c->log_dir);
			sp_err_hint(r->ctx, "create the log once with "
			                    "'srcproof log init'");
			goto out;
		}
		/* Opening checks the log's checkpoint signature. */
		if ((error = sp_tlog_open(r->ctx, &log, c->log_dir)) < 0)
			goto out;
	}
	if (c->policy != NULL &&
	    (error = sp_policy_load(r->ctx, &r->policy, c->policy)) < 0)
		goto out;
	/* Mix-and-match (docs/spec/policy.md): a policy for one product
	 * accepts no other's manifest; verify would refuse the bundle. */
	if (r->policy != NULL && sp_policy_product(r->policy) != NULL &&
	    strcmp(sp_policy_product(r->policy), c->product) != 0) {
		error = sp_err_set(r->ctx, SP_EVERIFY,
		    "mix-and-match: the release is for product '%s' but the "
		    "policy '%s' is for product '%s'",
		    c->product, c->policy, sp_policy_product(r->policy));
		sp_err_hint(r->ctx,
		    "\"product\" in the config must be the "
		    "policy's; nothing was logged or published");
		goto out;
	}
	if (c->previous != NULL && !exists(c->previous)) {
		error = sp_err_set(r->ctx, SP_ENOTFOUND,
		    "previous manifest '%s' does not exist", c->previous);
		goto out;
	}
	if ((error = load_witnesses(r)) < 0)
		goto out;
out:
	sp_tlog_close(log);
	free(parent);
	return error;
}

static int
load_keys(struct run *r)
{
	const sp_release_config *c = r->cfg;
	size_t i, j;
	int error;

	if ((r->keys = sp_calloc(r->ctx, c->nkeys, sizeof(*r->keys))) == NULL)
		return oom(r->ctx);
	for (i = 0; i < c->nkeys; i++) {
		struct secret_tramp t = {r->o, &c->keys[i]};

		if ((error = sp_key_load_private(
		         r->ctx, &r->keys[i], c->keys[i].spec, tramp, &t)) < 0)
			return error;
		r->nkeys++;
		if (!sp_key_is_private(r->keys[i]))
			return sp_err_set(r->ctx, SP_EINVALID,
			    "key '%s' is not a private key", c->keys[i].spec);
		for (j = 0; j < i; j++)
			if (strcmp(sp_key_id(r->keys[j]),
			        sp_key_id(r->keys[i])) == 0)
				return sp_err_set(r->ctx, SP_EINVALID,
				    "keys '%s' and '%s' are the same key",
				    c->keys[j].spec, c->keys[i].spec);
	}
	return 0;
}

/* ---- the steps ------------------------------------------------------------
 */

static int
make_manifest(struct run *r)
{
	const sp_release_config *c = r->cfg;
	sp_manifest_source_options so = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	sp_manifest *m = NULL;
	uint8_t d[SP_SHA256_LEN];
	int error;

	so.type = c->source_type;
	so.path = c->source_path;
	so.ref = c->source_ref;
	so.strip_components = c->strip_components;
	so.product = c->product;
	so.release = c->release;
	so.kind = c->kind;
	so.previous_path = c->previous;
	if ((error = sp_manifest_create(r->ctx, &m, &so)) < 0 ||
	    (error = sp_manifest_write(
	         r->ctx, m, r->manifest, SP_ATOMIC_EXCL, d)) < 0)
		goto out;
	sp_hex_encode(r->res->manifest_sha256, d, sizeof(d));
	r->res->files = sp_manifest_entry_count(m);
	if (sp_manifest_previous(m) != NULL)
		snprintf(r->res->previous_sha256,
		    sizeof(r->res->previous_sha256), "%s",
		    sp_manifest_previous(m));
out:
	sp_manifest_free(m);
	return error;
}

static int
sign_manifest(struct run *r)
{
	const char *role =
	    r->cfg->kind == SP_MANIFEST_UPDATE ? "update" : "release";
	sp_buf stmt = SP_BUF_INIT, out = SP_BUF_INIT;
	sp_dsse *env = NULL;
	size_t i;
	int64_t when = r->o->now != 0 ? r->o->now : (int64_t)time(NULL);
	int error;

	snprintf(r->res->role, sizeof(r->res->role), "%s", role);
	r->res->signed_at = when;
	if ((error = sp_sign_file_statement(r->ctx, &stmt, r->manifest,
	         SP_RELEASE_MANIFEST, role, when)) < 0)
		goto out;
	for (i = 0; i < r->nkeys; i++) {
		/* Each new signature is verified before it is added. */
		if ((error = sp_sign_statement(
		         r->ctx, &env, stmt.ptr, stmt.size, r->keys[i])) < 0)
			goto out;
		if (r->res->nkeyids < SP_ARRAY_SIZE(r->res->keyids))
			snprintf(r->res->keyids[r->res->nkeyids++],
			    sizeof(r->res->keyids[0]), "%s",
			    sp_key_id(r->keys[i]));
	}
	r->res->signatures = sp_dsse_sig_count(env);
	if (r->policy != NULL) {
		sp_sign_verify_opts vo = SP_SIGN_VERIFY_OPTS_INIT;
		sp_sign_result sr;

		vo.policy = r->policy;
		vo.role = role;
		vo.at = when;
		memset(&sr, 0, sizeof(sr));
		r->res->policy_version = sp_policy_version(r->policy);
		if ((error = sp_dsse_verify(r->ctx, env, &vo, &sr)) < 0) {
			sp_err_hint(r->ctx,
			    "the configured keys do not meet the policy for "
			    "role '%s'; nothing was logged or published",
			    role);
			goto out;
		}
		r->res->required = sr.required;
	}
	if ((error = sp_dsse_serialize(r->ctx, env, &out)) < 0 ||
	    (error = sp_write_file_atomic(
	         r->ctx, r->sig, out.ptr, out.size, 0644, SP_ATOMIC_EXCL)) < 0)
		goto out;
out:
	sp_dsse_free(env);
	sp_buf_dispose(&stmt);
	sp_buf_dispose(&out);
	return error;
}

static int
make_recipe(struct run *r)
{
	const sp_release_config *c = r->cfg;
	sp_recipe_record_options ro = SP_RECIPE_RECORD_OPTIONS_INIT;
	sp_recipe *rec = NULL;
	sp_buf data = SP_BUF_INIT;
	int error;

	if (!c->have_recipe)
		return 0;
	if (!c->recipe_record) {
		/* Used as it is, once it parses. */
		if ((error = sp_read_file(r->ctx, &data, c->recipe_file,
		         SP_RECIPE_MAX_SIZE, SP_OPEN_NOFOLLOW)) < 0 ||
		    (error = sp_recipe_parse(r->ctx, &rec,
		         data.ptr != NULL ? data.ptr : "", data.size)) < 0 ||
		    (error = sp_write_file_atomic(r->ctx, r->recipe, data.ptr,
		         data.size, 0644, SP_ATOMIC_EXCL)) < 0)
			goto out;
	} else {
		ro.argv = (const char *const *)c->command.v;
		ro.argc = c->command.n;
		ro.source_dir = c->source_dir;
		ro.workdir = c->workdir;
		ro.outputs = (const char *const *)c->outputs.v;
		ro.noutputs = c->outputs.n;
		ro.tools = (const char *const *)c->tools.v;
		ro.ntools = c->tools.n;
		ro.env_names = (const char *const *)c->env_names.v;
		ro.nenv_names = c->env_names.n;
		ro.source_date_epoch = c->recipe_sde;
		ro.have_source_date_epoch = c->recipe_have_sde;
		ro.no_versions = c->no_versions;
		if ((error = sp_recipe_record(r->ctx, &rec, &ro)) < 0 ||
		    (error = sp_recipe_write(
		         r->ctx, rec, r->recipe, SP_ATOMIC_EXCL)) < 0)
			goto out;
	}
	r->res->have_recipe = true;
	r->res->recipe_recorded = c->recipe_record;
out:
	sp_recipe_free(rec);
	sp_buf_dispose(&data);
	return error;
}

static int
pack(struct run *r, bool with_proof)
{
	const sp_release_config *c = r->cfg;
	sp_escrow_pack_options po = SP_ESCROW_PACK_OPTIONS_INIT;
	sp_escrow_pack_result pr;
	const char *proofs[1];
	int error;

	po.manifest = r->manifest;
	po.manifest_sig = r->sig;
	po.source = c->source_dir;
	po.recipe = r->res->have_recipe ? r->recipe : NULL;
	po.binaries = c->binaries;
	po.binary_sigs = c->binary_sigs;
	po.policy = c->policy;
	if (with_proof) {
		proofs[0] = r->proof;
		po.proofs = proofs;
		po.nproofs = 1;
	}
	po.source_date_epoch = c->sde;
	po.have_source_date_epoch = c->have_sde;
	po.compression = c->compression;
	po.recipients = (const char *const *)c->recipients.v;
	po.nrecipients = c->recipients.n;
	memset(&pr, 0, sizeof(pr));
	if ((error = sp_escrow_pack(r->ctx, r->bundle, &po, &pr)) < 0)
		return error;
	snprintf(r->res->bundle_sha256, sizeof(r->res->bundle_sha256), "%s",
	    pr.sha256);
	r->res->bundle_bytes = pr.output_bytes;
	r->res->encrypted = pr.encrypted;
	r->res->recipients = c->recipients.n;
	return 0;
}

static int
log_append_prove(struct run *r)
{
	const sp_release_config *c = r->cfg;
	sp_tlog_append_opts ao = SP_TLOG_APPEND_OPTS_INIT;
	sp_tlog_duplicate dup = {SIZE_MAX, false, 0};
	struct secret_tramp t = {r->o, &c->log_key};
	sp_buf entry = SP_BUF_INIT, proof = SP_BUF_INIT;
	sp_tlog_data d;
	sp_tlog_proof *p = NULL;
	uint64_t index = 0;
	int error;

	ao.keyspec = c->log_key.spec;
	ao.passphrase = tramp;
	ao.passphrase_payload = &t;
	ao.duplicate = &dup;
	sp_buf_init(&entry, SP_TLOG_MAX_ENTRY);
	if ((error = sp_tlog_entry_from_envelope(r->ctx, &entry, r->sig)) < 0 ||
	    (error = step(r, "log-append")) < 0)
		goto out;
	d.data = entry.ptr;
	d.len = entry.size;
	error = sp_tlog_append(r->ctx, c->log_dir, &ao, &d, 1, &index);
	if (error == SP_EEXISTS && dup.entry == 0 && !dup.in_batch) {
		/* The same statement is already logged (a run that failed
		 * after its append, re-run within the same second or with
		 * the same --time): prove that entry, do not log it twice. */
		sp_err_clear(r->ctx);
		index = dup.index;
		error = 0;
	}
	if (error < 0)
		goto out;
	r->res->logged = true;
	r->res->log_index = index;
	if (c->witness_command.n > 0) {
		r->res->quorum = c->quorum;
		if ((error = step(r, "witness")) < 0 ||
		    (error = sp_release__cosign(r->ctx, c,
		         (sp_tlog_verifier *const *)r->witnesses, r->tmp,
		         &r->res->cosignatures)) < 0)
			goto out;
	}
	if ((error = step(r, "log-prove")) < 0 ||
	    (error = sp_tlog_prove_file(r->ctx, c->log_dir, index, &proof)) <
	        0 ||
	    (error = sp_tlog_proof_parse(r->ctx, &p, proof.ptr, proof.size)) <
	        0 ||
	    (error = sp_write_file_atomic(r->ctx, r->proof, proof.ptr,
	         proof.size, 0644, SP_ATOMIC_EXCL)) < 0)
		goto out;
	r->res->log_size = sp_tlog_checkpoint_size(sp_tlog_proof_checkpoint(p));
	snprintf(r->res->log_origin, sizeof(r->res->log_origin), "%s",
	    sp_tlog_checkpoint_origin(sp_tlog_proof_checkpoint(p)));
out:
	sp_tlog_proof_free(p);
	sp_buf_dispose(&entry);
	sp_buf_dispose(&proof);
	return error;
}

/* ---- summary ---------------------------------------------------------------
 */

int
sp_release_json(sp_ctx *ctx, const sp_release_result *res, json_t **out)
{
	char t[SP_TIME_STR_LEN];
	json_t *doc, *keyids = json_array();
	size_t i;

	*out = NULL;
	for (i = 0; keyids != NULL && i < res->nkeyids; i++)
		if (json_array_append_new(keyids, json_string(res->keyids[i])) <
		    0) {
			json_decref(keyids);
			keyids = NULL;
		}
	if (sp_time_format(t, res->signed_at) < 0)
		snprintf(t, sizeof(t), "@%lld", (long long)res->signed_at);
	doc = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:I, s:s, s:s, s:s, "
	    "s:I, s:o, s:o, s:s?, s:b, s:o, s:s, s:s, s:I, s:b, s:I}",
	    "schema", SP_RELEASE_SCHEMA, "product", res->product, "release",
	    res->release, "kind", res->kind, "previous_sha256",
	    res->previous_sha256[0] ? res->previous_sha256 : NULL, "manifest",
	    SP_RELEASE_MANIFEST, "manifest_sha256", res->manifest_sha256,
	    "files", (json_int_t)res->files, "signature", SP_RELEASE_SIGNATURE,
	    "role", res->role, "signed_at", t, "signatures",
	    (json_int_t)res->signatures, "keyids",
	    keyids != NULL ? keyids : json_null(), "policy",
	    res->policy_version != 0
	        ? json_pack("{s:I, s:I}", "version",
	              (json_int_t)res->policy_version, "threshold",
	              (json_int_t)res->required)
	        : json_null(),
	    "recipe", res->have_recipe ? SP_RELEASE_RECIPE : NULL,
	    "recipe_recorded", res->recipe_recorded, "log",
	    res->logged
	        ? json_pack("{s:s, s:I, s:I, s:s, s:o}", "origin",
	              res->log_origin, "index", (json_int_t)res->log_index,
	              "tree_size", (json_int_t)res->log_size, "proof",
	              SP_RELEASE_PROOF, "witnesses",
	              res->quorum > 0 ? json_pack("{s:I, s:I}", "cosigned",
	                                    (json_int_t)res->cosignatures,
	                                    "quorum", (json_int_t)res->quorum)
	                              : json_null())
	        : json_null(),
	    "bundle", res->bundle_name, "bundle_sha256", res->bundle_sha256,
	    "bundle_bytes", (json_int_t)res->bundle_bytes, "encrypted",
	    res->encrypted, "recipients", (json_int_t)res->recipients);
	if (doc == NULL)
		return oom(ctx);
	*out = doc;
	return 0;
}

static int
write_summary(struct run *r)
{
	json_t *doc = NULL;
	char *text = NULL, *path = NULL;
	sp_buf b = SP_BUF_INIT;
	int error;

	if ((error = sp_release_json(r->ctx, r->res, &doc)) < 0)
		goto out;
	if ((text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS |
	                                JSON_ENSURE_ASCII)) == NULL ||
	    sp_buf_printf(&b, "%s\n", text) < 0 ||
	    (path = join(r->ctx, r->tmp, SP_RELEASE_SUMMARY)) == NULL) {
		error = oom(r->ctx);
		goto out;
	}
	error = sp_write_file_atomic(
	    r->ctx, path, b.ptr, b.size, 0644, SP_ATOMIC_EXCL);
out:
	free(path);
	free(text);
	sp_buf_dispose(&b);
	json_decref(doc);
	return error;
}

static int
publish(struct run *r)
{
	int e;

	if (chmod(r->tmp, 0755) < 0)
		return sp_err_set(r->ctx, SP_EIO, "cannot chmod '%s': %s",
		    r->tmp, strerror(errno));
	if (renameat2(
	        AT_FDCWD, r->tmp, AT_FDCWD, r->output, RENAME_NOREPLACE) == 0)
		return 0;
	e = errno;
	if (e == EINVAL || e == ENOSYS) {
		/* A file system without RENAME_NOREPLACE. */
		if (exists(r->output))
			e = EEXIST;
		else if (rename(r->tmp, r->output) == 0)
			return 0;
		else
			e = errno;
	}
	return sp_err_set(r->ctx, e == EEXIST ? SP_EEXISTS : SP_EIO,
	    "cannot rename '%s' to '%s': %s", r->tmp, r->output, strerror(e));
}

static const char *
bundle_name(const sp_release_config *c)
{
	if (c->recipients.n > 0)
		return "bundle.cms";
	switch (c->compression) {
	case SP_ESCROW_GZIP:
		return "bundle.tar.gz";
	case SP_ESCROW_NONE:
		return "bundle.tar";
	default:
		return "bundle.tar.zst";
	}
}

int
sp_release_run(sp_ctx *ctx, const sp_release_config *cfg,
    const sp_release_options *opts, sp_release_result *res)
{
	sp_release_options dflt = SP_RELEASE_OPTIONS_INIT;
	sp_release_result local;
	struct run r;
	sp_buf tmp = SP_BUF_INIT;
	size_t i, len;
	int error = 0;

	SP_ASSERT_ARG(ctx, cfg != NULL);
	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.cfg = cfg;
	r.o = opts != NULL ? opts : &dflt;
	r.res = res != NULL ? res : &local;
	memset(r.res, 0, sizeof(*r.res));
	r.output = r.o->output != NULL ? r.o->output : cfg->output;
	if (r.output == NULL || r.output[0] == '\0')
		return sp_err_set(ctx, SP_EINVALID,
		    "no output directory: give -o DIR or \"output\" in the "
		    "config");
	len = strlen(r.output);
	while (len > 1 && r.output[len - 1] == '/')
		len--;
	snprintf(
	    r.res->output, sizeof(r.res->output), "%.*s", (int)len, r.output);
	r.output = r.res->output;
	snprintf(r.res->product, sizeof(r.res->product), "%s", cfg->product);
	snprintf(r.res->release, sizeof(r.res->release), "%s", cfg->release);
	snprintf(r.res->kind, sizeof(r.res->kind), "%s",
	    sp_manifest_kind_name(cfg->kind));
	snprintf(r.res->bundle_name, sizeof(r.res->bundle_name), "%s",
	    bundle_name(cfg));

	/* Refuse early: nothing is written before these pass. */
	if ((error = step(&r, "check")) < 0 || (error = check_inputs(&r)) < 0 ||
	    (error = step(&r, "keys")) < 0 || (error = load_keys(&r)) < 0)
		goto out;

	if (sp_buf_printf(&tmp, "%s.release-XXXXXX", r.output) < 0) {
		error = oom(ctx);
		goto out;
	}
	if (mkdtemp(tmp.ptr) == NULL) {
		error = sp_err_set(ctx, SP_EIO,
		    "cannot create a directory next to '%s': %s", r.output,
		    strerror(errno));
		goto out;
	}
	r.tmp = sp_buf_detach(&tmp);
	if ((r.manifest = join(ctx, r.tmp, SP_RELEASE_MANIFEST)) == NULL ||
	    (r.sig = join(ctx, r.tmp, SP_RELEASE_SIGNATURE)) == NULL ||
	    (r.recipe = join(ctx, r.tmp, SP_RELEASE_RECIPE)) == NULL ||
	    (r.proof = join(ctx, r.tmp, SP_RELEASE_PROOF)) == NULL ||
	    (r.bundle = join(ctx, r.tmp, r.res->bundle_name)) == NULL) {
		error = SP_ENOMEM;
		goto out;
	}
	if ((error = step(&r, "manifest")) < 0 ||
	    (error = make_manifest(&r)) < 0 || (error = step(&r, "sign")) < 0 ||
	    (error = sign_manifest(&r)) < 0 ||
	    (error = step(&r, "recipe")) < 0 || (error = make_recipe(&r)) < 0 ||
	    (error = step(&r, "pack")) < 0 || (error = pack(&r, false)) < 0)
		goto out;
	if (cfg->have_log) {
		/* The one external effect, once everything else passed. */
		if ((error = log_append_prove(&r)) < 0)
			goto out;
		if (unlink(r.bundle) < 0) {
			error =
			    sp_err_set(ctx, SP_EIO, "cannot remove '%s': %s",
			        r.bundle, strerror(errno));
			goto out;
		}
		if ((error = step(&r, "repack")) < 0 ||
		    (error = pack(&r, true)) < 0)
			goto out;
	}
	if ((error = write_summary(&r)) < 0 ||
	    (error = step(&r, "publish")) < 0 || (error = publish(&r)) < 0)
		goto out;
	free(r.tmp);
	r.tmp = NULL;
out:
	if (error < 0 && r.res->logged) {
		char when[SP_TIME_STR_LEN];

		if (sp_time_format(when, r.res->signed_at) < 0)
			when[0] = '\0';
		sp_err_hint(ctx,
		    "the signed manifest (sha256 %s, signed %s) is already "
		    "entry %llu of the log in '%s'; nothing was published. "
		    "Run the release again: it signs and logs the same "
		    "manifest anew (a statement already in the log, signed "
		    "at the same time, is proven instead of logged twice)",
		    r.res->manifest_sha256, when,
		    (unsigned long long)r.res->log_index, cfg->log_dir);
	}
	if (r.tmp != NULL) {
		char msg[SP_ERRMSG_MAX], hint[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
		snprintf(hint, sizeof(hint), "%s", sp_ctx_errhint(ctx));
		(void)sp_escrow_remove_tree(ctx, r.tmp);
		if (error < 0) {
			sp_err_set(ctx, error, "%s", msg);
			if (hint[0] != '\0')
				sp_err_hint(ctx, "%s", hint);
		}
		free(r.tmp);
	}
	for (i = 0; i < r.nkeys; i++)
		sp_key_free(r.keys[i]);
	free(r.keys);
	sp_policy_free(r.policy);
	sp_tlog_verifiers_free(r.witnesses, r.cfg->witnesses.n);
	free(r.manifest);
	free(r.sig);
	free(r.recipe);
	free(r.proof);
	free(r.bundle);
	sp_buf_dispose(&tmp);
	return error;
}
