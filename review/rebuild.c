/*
 * srcproof rebuild: unpack a bundle, build it again in a controlled
 * environment, compare every declared output with the shipped binary and
 * produce a verdict Statement (docs/spec/verdict.md).
 */
#define _GNU_SOURCE /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "rebuild_int.h"
#include "srcproof/escrow.h"
#include "srcproof/recipe.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

#include "banned.h"

struct sp_rebuild_result {
	json_t *pred;
	json_t *subjects;
	sp_buf statement;
	sp_verdict verdict;
};

/* Everything one run works with. */
struct run {
	sp_ctx *ctx;
	const sp_rebuild_options *o;
	const char *outdir; /* absolute */
	sp_rebuild_result *res;
	json_t *pred; /* borrowed from res */
	json_t *warnings, *not_checked, *artefacts;
	char *work;     /* outdir/work */
	char *copy;     /* work/bundle: the private copy of the bundle */
	char *unpacked; /* the bundle root, unpacked */
	char *bp_tmp;   /* --at-build-path: second unpack next to it */
	char *srcroot;  /* where the source is during the build */
	sp_recipe *recipe;
	rb_sum *sums;
	size_t nsums;
	bool have_sums;
	rb_build_status build;
	int exit_code;
	bool moved_to_build_path;
};

/* ---- small helpers -------------------------------------------------------
 */

static int
oom(sp_ctx *ctx)
{
	return sp_err_set(ctx, SP_ENOMEM, "out of memory");
}

static int note(struct run *r, json_t *list, const char *fmt, ...)
    SP_PRINTF(3, 4);

/* Append a formatted sentence (escaped where it is not UTF-8) to @p list. */
static int
note(struct run *r, json_t *list, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (json_array_append_new(list, rb_jstr(buf)) < 0)
		return oom(r->ctx);
	return 0;
}

static int
set(struct run *r, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) < 0)
		return oom(r->ctx);
	return 0;
}

/* Create every directory of @p rel's parent below @p base (0755). */
static int
mkdirs_for(sp_ctx *ctx, const char *base, const char *rel)
{
	char *p = sp_path_join(base, rel), *s;
	size_t blen = strlen(base);
	int error = 0;

	if (p == NULL)
		return oom(ctx);
	for (s = p + blen + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			error = sp_err_set(ctx, SP_EIO,
			    "cannot create '%s': %s", p, strerror(errno));
			break;
		}
		*s = '/';
	}
	free(p);
	return error;
}

/*
 * Copy a regular file (not through a symbolic link) to @p dst (created),
 * hashing it on the way.
 */
static int
copy_hash(sp_ctx *ctx, const char *src, const char *dst, mode_t mode,
    uint8_t digest[32], uint64_t *size)
{
	EVP_MD_CTX *md = NULL;
	EVP_MD *sha = NULL;
	sp_atomic *w = NULL;
	char buf[65536];
	uint64_t total = 0;
	int fd = -1, error;
	ssize_t n;

	if ((error = sp_open_read(ctx, &fd, src, SP_OPEN_NOFOLLOW)) < 0)
		return error;
	if ((error = sp_atomic_open(ctx, &w, dst, mode, SP_ATOMIC_EXCL)) < 0)
		goto out;
	if ((sha = EVP_MD_fetch(sp_ctx_libctx(ctx), "SHA256", NULL)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, sha, NULL) != 1) {
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 is not available");
		goto out;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = sp_err_set(ctx, SP_EIO, "cannot read '%s': %s",
			    src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
			goto out;
		}
		if ((error = sp_atomic_write(w, buf, (size_t)n)) < 0)
			goto out;
	}
	if (EVP_DigestFinal_ex(md, digest, NULL) != 1) {
		error = sp_err_set(ctx, SP_ERROR, "SHA-256 failed");
		goto out;
	}
	error = sp_atomic_commit(w);
	w = NULL;
	if (size != NULL)
		*size = total;
out:
	sp_atomic_abort(w);
	EVP_MD_CTX_free(md);
	EVP_MD_free(sha);
	if (fd >= 0)
		close(fd);
	return error;
}

/* "ID VERSION_ID" of /etc/os-release, as the recipe records it. */
static void
local_distro(char *out, size_t outlen)
{
	char id[128] = "", ver[128] = "", line[512];
	FILE *f = fopen("/etc/os-release", "re");

	out[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v, *dst = NULL;
		size_t len;

		if (strncmp(line, "ID=", 3) == 0)
			v = line + 3, dst = id;
		else if (strncmp(line, "VERSION_ID=", 11) == 0)
			v = line + 11, dst = ver;
		else
			continue;
		len = strcspn(v, "\r\n");
		v[len] = '\0';
		if (len >= 2 && (v[0] == '"' || v[0] == '\'') &&
		    v[len - 1] == v[0]) {
			v[len - 1] = '\0';
			v++;
		}
		snprintf(dst, 128, "%.127s", v);
	}
	fclose(f);
	if (id[0] != '\0')
		snprintf(out, outlen, "%s%s%s", id, ver[0] ? " " : "", ver);
}

/* ---- bundle: copy, verify, unpack ----------------------------------------
 */

/* Whether the file starts as a DER SEQUENCE: a CMS-encrypted bundle. */
static bool
starts_as_cms(const char *path)
{
	unsigned char first = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool cms;

	if (fd < 0)
		return false;
	cms = pread(fd, &first, 1, 0) == 1 && first == 0x30;
	close(fd);
	return cms;
}

static int
take_bundle(struct run *r, const char *bundle)
{
	sp_escrow_verify_options vo = SP_ESCROW_VERIFY_OPTIONS_INIT;
	sp_escrow_verify_result vr;
	char *name = NULL;
	const char *copy;
	json_t *checks, *b;
	uint8_t digest[32];
	uint64_t size = 0;
	size_t i;
	int error, verr;

	if ((r->copy = sp_path_join(r->work, "bundle")) == NULL ||
	    (name = strdup(bundle)) == NULL) {
		error = oom(r->ctx);
		goto out;
	}
	copy = r->copy;
	if ((error = copy_hash(r->ctx, bundle, copy, 0600, digest, &size)) < 0)
		goto out;
	b = json_pack("{s:o, s:o, s:I}", "name", rb_jstr(basename(name)),
	    "sha256", rb_jhex(digest), "size", (json_int_t)size);
	if ((error = set(r, r->pred, "bundle", b)) < 0)
		goto out;
	if (json_array_append_new(r->res->subjects,
	        json_pack("{s:O, s:{s:O}}", "name", json_object_get(b, "name"),
	            "digest", "sha256", json_object_get(b, "sha256"))) < 0) {
		error = oom(r->ctx);
		goto out;
	}

	if (r->o->read.key == NULL && starts_as_cms(copy)) {
		error = sp_err_set(r->ctx, SP_EINVALID,
		    "bundle '%s' is encrypted (CMS); a recipient's private key "
		    "is needed",
		    bundle);
		sp_err_hint(r->ctx,
		    "add --recipient-key KEY.pem (and "
		    "--recipient-cert CERT.pem) of a recipient");
		goto out;
	}
	vo.read = r->o->read;
	vo.policy = r->o->policy;
	verr = sp_escrow_verify(r->ctx, copy, &vo, &vr);
	if (verr < 0 && verr != SP_EVERIFY) {
		error = verr;
		goto out;
	}
	sp_err_clear(r->ctx);
	checks = json_array();
	if ((error = set(r, r->pred, "bundle_checks", checks)) < 0)
		goto out;
	for (i = 0; i < vr.ncheck; i++) {
		const sp_escrow_check *c = &vr.checks[i];

		if (json_array_append_new(checks,
		        json_pack("{s:s, s:s, s:b, s:o}", "name", c->name,
		            "status", sp_escrow_status_name(c->status),
		            "required", c->required, "detail",
		            rb_jstr(c->detail))) < 0) {
			error = oom(r->ctx);
			goto out;
		}
		if (c->status == SP_ESCROW_NOT_CHECKED &&
		    !(i == SP_ESCROW_CHECK_DECRYPTION && !vr.encrypted) &&
		    (error = note(r, r->not_checked, "bundle check '%s': %s",
		         c->name, c->detail)) < 0)
			goto out;
	}
	if ((error = set(r, b, "encrypted", json_boolean(vr.encrypted))) < 0)
		goto out;
	if (vr.manifest_sha256[0] != '\0' &&
	    (error = set(r, r->pred, "manifest",
	         json_pack("{s:s, s:o, s:o, s:o}", "sha256", vr.manifest_sha256,
	             "product", rb_jstr(vr.product), "release",
	             rb_jstr(vr.release), "kind", rb_jstr(vr.kind)))) < 0)
		goto out;
	if (!vr.ok) {
		for (i = 0; i < vr.ncheck; i++)
			if (vr.checks[i].status == SP_ESCROW_FAIL ||
			    (vr.checks[i].required &&
			        vr.checks[i].status != SP_ESCROW_PASS))
				break;
		error = sp_err_set(r->ctx, SP_EVERIFY,
		    "the bundle does not verify: check '%s': %s",
		    i < vr.ncheck ? vr.checks[i].name : "?",
		    i < vr.ncheck ? vr.checks[i].detail : "failed");
		goto out;
	}
	if ((error = sp_escrow_unpack_temp(
	         r->ctx, &r->unpacked, copy, r->work, &r->o->read)) < 0)
		goto out;
out:
	free(name);
	return error;
}

/* ---- toolchain and host ---------------------------------------------------
 */

struct tool_check {
	struct run *r;
	json_t *tools;
	size_t differ;
	int error;
};

static int
tool_cb(sp_recipe_tool_status st, const sp_recipe_tool *t,
    const char *local_path, const char *local_sha256, void *payload)
{
	static const char *const names[] = {"SAME", "DIFFERENT", "MISSING"};
	struct tool_check *tc = payload;
	char version[1100] = "";
	json_t *o;

	if (st == SP_TOOL_DIFFERENT && local_path != NULL)
		rb_tool_version(local_path, version, sizeof(version));
	o = json_pack("{s:o, s:s, s:{s:o, s:s, s:o}, s:o}", "name",
	    rb_jstr(t->name), "status", names[st], "recorded", "path",
	    rb_jstr(t->path), "sha256", t->sha256, "version",
	    rb_jstr(t->version), "local",
	    local_path == NULL
	        ? json_null()
	        : json_pack("{s:o, s:o, s:o}", "path", rb_jstr(local_path),
	              "sha256", rb_jstr(local_sha256), "version",
	              st == SP_TOOL_DIFFERENT ? rb_jstr(version)
	                                      : json_null()));
	if (o == NULL || json_array_append_new(tc->tools, o) < 0) {
		tc->error = oom(tc->r->ctx);
		return tc->error;
	}
	if (st == SP_TOOL_SAME)
		return 0;
	tc->differ++;
	if (st == SP_TOOL_MISSING)
		tc->error = note(tc->r, tc->r->warnings,
		    "toolchain: '%s' is MISSING (recorded %s, sha256 %s, "
		    "version '%s')",
		    t->name, t->path, t->sha256, t->version);
	else
		tc->error = note(tc->r, tc->r->warnings,
		    "toolchain: '%s' is DIFFERENT: recorded %s sha256 %s "
		    "version '%s'; found %s sha256 %s version '%s'",
		    t->name, t->path, t->sha256, t->version, local_path,
		    local_sha256 ? local_sha256 : "?", version);
	return tc->error;
}

static int
check_toolchain(struct run *r, const char *path_env)
{
	struct tool_check tc = {r, NULL, 0, 0};
	struct utsname u;
	char distro[300];
	size_t ntools;
	int error;

	if ((tc.tools = json_array()) == NULL)
		return oom(r->ctx);
	if ((error = set(r, r->pred, "toolchain",
	         json_pack("{s:o, s:b, s:I}", "tools", tc.tools, "match", 0,
	             "recorded", (json_int_t)0))) < 0)
		return error;
	sp_recipe_toolchain(r->recipe, &ntools);
	error = sp_recipe_check_toolchain(
	    r->ctx, r->recipe, path_env, tool_cb, &tc);
	if (tc.error < 0)
		return tc.error;
	if (error < 0 && error != SP_EVERIFY) {
		if ((error = note(r, r->warnings,
		         "the toolchain could not be checked: %s",
		         sp_ctx_errmsg(r->ctx))) < 0 ||
		    (error = note(r, r->not_checked,
		         "the toolchain identity (it could not be checked)")) <
		        0)
			return error;
	} else if (tc.differ > 0 &&
	           (error = note(r, r->warnings,
	                "toolchain differs from the recipe: %zu of %zu "
	                "tools (the rebuild may still match; a difference "
	                "may come from it)",
	                tc.differ, ntools)) < 0) {
		return error;
	}
	sp_err_clear(r->ctx);
	json_object_set_new(json_object_get(r->pred, "toolchain"), "match",
	    json_boolean(tc.differ == 0 && ntools > 0));
	json_object_set_new(json_object_get(r->pred, "toolchain"), "recorded",
	    json_integer((json_int_t)ntools));
	if (ntools == 0 &&
	    (error = note(r, r->not_checked,
	         "the toolchain identity (the recipe records no tool)")) < 0)
		return error;

	/* Host. */
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	local_distro(distro, sizeof(distro));
	if ((error = set(r, r->pred, "host",
	         json_pack("{s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}, s:b}",
	             "recorded", "arch", rb_jstr(sp_recipe_arch(r->recipe)),
	             "os", rb_jstr(sp_recipe_os(r->recipe)), "distro",
	             rb_jstr(sp_recipe_distro(r->recipe)), "local", "arch",
	             rb_jstr(u.machine), "os", rb_jstr(u.sysname), "distro",
	             rb_jstr(distro), "match",
	             strcmp(u.machine, sp_recipe_arch(r->recipe)) == 0 &&
	                 strcmp(u.sysname, sp_recipe_os(r->recipe)) == 0 &&
	                 strcmp(distro, sp_recipe_distro(r->recipe)) == 0))) <
	    0)
		return error;
	if (strcmp(u.machine, sp_recipe_arch(r->recipe)) != 0 ||
	    strcmp(u.sysname, sp_recipe_os(r->recipe)) != 0 ||
	    strcmp(distro, sp_recipe_distro(r->recipe)) != 0)
		return note(r, r->warnings,
		    "host differs from the recipe: recorded %s %s '%s', "
		    "this machine %s %s '%s'",
		    sp_recipe_arch(r->recipe), sp_recipe_os(r->recipe),
		    sp_recipe_distro(r->recipe), u.machine, u.sysname, distro);
	return 0;
}

/* ---- the build -----------------------------------------------------------
 */

/* Variables the rebuild sets itself; the recipe's value is not used. */
static const char *const own_vars[] = {
    "HOME", "LC_ALL", "PATH", "PWD", "SOURCE_DATE_EPOCH", "TMPDIR", "TZ"};
/* Variables never passed to a build. */
static const char *const refused_vars[] = {"BASH_ENV", "ENV", "IFS", "LD_AUDIT",
    "LD_PRELOAD", "SHELLOPTS", "BASHOPTS", "PS4"};

static bool
in_list(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

struct envv {
	char **v;
	size_t n, cap;
};

static int
env_add(sp_ctx *ctx, struct envv *e, json_t *obj, const char *name,
    const char *value)
{
	size_t ln = strlen(name), lv = strlen(value);
	char *s;

	if (e->n + 2 > e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 32;
		char **nv = realloc(e->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return oom(ctx);
		e->v = nv;
		e->cap = ncap;
	}
	if ((s = malloc(ln + lv + 2)) == NULL)
		return oom(ctx);
	memcpy(s, name, ln);
	s[ln] = '=';
	memcpy(s + ln + 1, value, lv + 1);
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
	if (json_object_set_new(obj, name, rb_jstr(value)) < 0)
		return oom(ctx);
	return 0;
}

static void
env_free(struct envv *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
}

/*
 * Can the recorded build path @p bp be used fresh? It must be absolute,
 * must not exist, and its parent must be a writable directory (the bundle
 * is unpacked again there, on the same file system, and its source moved
 * to @p bp). Fails with SP_EINVALID or SP_EEXISTS, a message saying why.
 */
static int
build_path_usable(struct run *r, const char *bp)
{
	char *parent;
	const char *dir;
	struct stat st;
	int error = 0;

	if (bp[0] != '/')
		return sp_err_set(r->ctx, SP_EINVALID,
		    "the recorded build path '%s' is not absolute", bp);
	if (lstat(bp, &st) == 0)
		return sp_err_set(r->ctx, SP_EEXISTS,
		    "the recorded build path '%s' exists", bp);
	if (errno != ENOENT)
		return sp_err_set(r->ctx, SP_EINVALID,
		    "the recorded build path '%s' cannot be used: %s", bp,
		    strerror(errno));
	if ((parent = strdup(bp)) == NULL)
		return oom(r->ctx);
	dir = dirname(parent);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		error = sp_err_set(r->ctx, SP_EINVALID,
		    "the parent of the recorded build path '%s' is not a "
		    "directory",
		    bp);
	else if (access(dir, W_OK | X_OK) < 0)
		error = sp_err_set(r->ctx, SP_EINVALID,
		    "the parent of the recorded build path '%s' is not "
		    "writable",
		    bp);
	free(parent);
	return error;
}

/*
 * Put a fresh copy of the source at the recorded build path: unpack the
 * bundle again next to it (same file system) and move its source/ there.
 * On failure nothing is left behind (r->bp_tmp removed).
 */
static int
to_build_path(struct run *r, const char *bp)
{
	char *parent = NULL, *src = NULL;
	int error;

	if ((error = build_path_usable(r, bp)) < 0)
		return error;
	if ((parent = strdup(bp)) == NULL)
		return oom(r->ctx);
	if ((error = sp_escrow_unpack_temp(r->ctx, &r->bp_tmp, r->copy,
	         dirname(parent), &r->o->read)) < 0)
		goto out;
	if ((src = sp_path_join(r->bp_tmp, "source")) == NULL) {
		error = oom(r->ctx);
		goto out;
	}
	/* Never replace what appeared there meanwhile (an empty directory
	 * would be). */
	if (renameat2(AT_FDCWD, src, AT_FDCWD, bp, RENAME_NOREPLACE) < 0) {
		error = errno == EEXIST
		            ? sp_err_set(r->ctx, SP_EEXISTS,
		                  "the recorded build path '%s' exists", bp)
		            : sp_err_set(r->ctx, SP_EIO,
		                  "cannot move the source to the recorded "
		                  "build path '%s': %s",
		                  bp, strerror(errno));
		goto out;
	}
	r->moved_to_build_path = true;
out:
	if (error < 0 && r->bp_tmp != NULL) {
		char msg[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(r->ctx));
		(void)sp_escrow_remove_tree(r->ctx, r->bp_tmp);
		free(r->bp_tmp);
		r->bp_tmp = NULL;
		sp_err_set(r->ctx, error, "%s", msg);
	}
	free(parent);
	free(src);
	return error;
}

/*
 * Where the build runs: at the recorded build path when it can be used
 * (required with --at-build-path: an error otherwise), else, or with
 * --no-build-path, in the unpacked tree @p src below the output
 * directory, with a warning naming both paths and why.
 */
static int
choose_srcroot(struct run *r, const char *bp, const char *src)
{
	char why[SP_ERRMSG_MAX];
	int error;

	if (r->o->no_build_path) {
		snprintf(why, sizeof(why), "--no-build-path");
	} else {
		if ((error = to_build_path(r, bp)) == 0) {
			if ((r->srcroot = strdup(bp)) == NULL)
				return oom(r->ctx);
			return 0;
		}
		if (error == SP_ENOMEM || r->o->at_build_path) {
			if (error != SP_ENOMEM)
				sp_err_hint(r->ctx,
				    "free the recorded build path, or "
				    "rebuild without --at-build-path");
			return error;
		}
		snprintf(why, sizeof(why), "%s", sp_ctx_errmsg(r->ctx));
		sp_err_clear(r->ctx);
	}
	if ((r->srcroot = realpath(src, NULL)) == NULL)
		return oom(r->ctx);
	return note(r, r->warnings,
	    "build path: recorded '%s', used '%s' (%s); the build must not "
	    "depend on it (e.g. -ffile-prefix-map), or free the recorded "
	    "path",
	    bp, r->srcroot, why);
}

static int
run_build(struct run *r)
{
	const rb_exec_result *res;
	rb_exec_result er;
	rb_exec ex;
	struct envv env = {NULL, 0, 0};
	const char *path_env =
	    r->o->path_env ? r->o->path_env : SP_REBUILD_DEFAULT_PATH;
	const char *const *argv;
	const char *workdir = sp_recipe_workdir(r->recipe);
	const char *bp = sp_recipe_build_path(r->recipe);
	const sp_recipe_env *renv;
	char *home = NULL, *tmp = NULL, *cwd = NULL, *logp = NULL, *src = NULL,
	     **argvc = NULL;
	char sde[32] = "";
	uint8_t logd[32];
	json_t *build, *envj, *cmd;
	size_t argc, nenv, i;
	int64_t epoch;
	int error;

	argv = sp_recipe_command(r->recipe, &argc);
	if ((cmd = json_array()) == NULL || (envj = json_object()) == NULL) {
		json_decref(cmd);
		return oom(r->ctx);
	}
	build = json_pack("{s:s, s:o, s:o, s:o, s:{s:o, s:n, s:b}, s:n, "
	                  "s:o, s:n, s:n, s:n, s:{s:s, s:n, s:I, s:I, s:b}, "
	                  "s:n, s:I}",
	    "status", "not-run", "command", cmd, "workdir", rb_jstr(workdir),
	    "path", rb_jstr(path_env), "build_path", "recorded", rb_jstr(bp),
	    "used", "same", 0, "source_date_epoch", "environment", envj,
	    "exit_code", "signal", "duration_ms", "log", "file", "build.log",
	    "sha256", "bytes", (json_int_t)0, "output_bytes", (json_int_t)0,
	    "truncated", 0, "error", "timeout",
	    (json_int_t)(r->o->timeout ? r->o->timeout
	                               : SP_REBUILD_DEFAULT_TIMEOUT));
	if ((error = set(r, r->pred, "build", build)) < 0)
		return error;
	for (i = 0; i < argc; i++)
		if (json_array_append_new(cmd, rb_jstr(argv[i])) < 0)
			return oom(r->ctx);

	if ((src = sp_path_join(r->unpacked, "source")) == NULL ||
	    (home = sp_path_join(r->work, "home")) == NULL ||
	    (tmp = sp_path_join(r->work, "tmp")) == NULL ||
	    (logp = sp_path_join(r->outdir, "build.log")) == NULL) {
		error = oom(r->ctx);
		goto out;
	}
	if (mkdir(home, 0700) < 0 || mkdir(tmp, 0700) < 0) {
		error = sp_err_set(r->ctx, SP_EIO, "cannot create '%s': %s",
		    home, strerror(errno));
		goto out;
	}
	if ((error = choose_srcroot(r, bp, src)) < 0)
		goto out;
	json_object_set_new(
	    json_object_get(build, "build_path"), "used", rb_jstr(r->srcroot));
	json_object_set_new(json_object_get(build, "build_path"), "same",
	    json_boolean(strcmp(r->srcroot, bp) == 0));
	if (strcmp(workdir, ".") == 0) {
		cwd = strdup(r->srcroot);
	} else {
		if (!sp_path_is_safe_relative(workdir, strlen(workdir))) {
			error = sp_err_set(r->ctx, SP_EUNSAFE,
			    "the recipe's workdir '%s' is not a safe relative "
			    "path",
			    workdir);
			goto out;
		}
		if ((error = mkdirs_for(r->ctx, r->srcroot, workdir)) < 0)
			goto out;
		cwd = sp_path_join(r->srcroot, workdir);
		if (cwd != NULL && mkdir(cwd, 0755) < 0 && errno != EEXIST) {
			error = sp_err_set(r->ctx, SP_EIO,
			    "cannot create '%s': %s", cwd, strerror(errno));
			goto out;
		}
	}
	if (cwd == NULL) {
		error = oom(r->ctx);
		goto out;
	}

	/* The environment: the recipe's, then what the rebuild sets. */
	renv = sp_recipe_environment(r->recipe, &nenv);
	for (i = 0; i < nenv; i++) {
		if (in_list(renv[i].name, own_vars, SP_ARRAY_SIZE(own_vars))) {
			const char *mine =
			    strcmp(renv[i].name, "TZ") == 0       ? "UTC"
			    : strcmp(renv[i].name, "LC_ALL") == 0 ? "C"
			                                          : NULL;

			if (mine != NULL && strcmp(mine, renv[i].value) != 0 &&
			    (error = note(r, r->warnings,
			         "environment: the recipe has %s=%s; the "
			         "rebuild uses %s=%s",
			         renv[i].name, renv[i].value, renv[i].name,
			         mine)) < 0)
				goto out;
			continue;
		}
		if (in_list(renv[i].name, refused_vars,
		        SP_ARRAY_SIZE(refused_vars))) {
			if ((error = note(r, r->warnings,
			         "environment: %s from the recipe is not "
			         "passed to the build",
			         renv[i].name)) < 0)
				goto out;
			continue;
		}
		if ((error = env_add(
		         r->ctx, &env, envj, renv[i].name, renv[i].value)) < 0)
			goto out;
	}
	if (sp_recipe_source_date_epoch(r->recipe, &epoch)) {
		const char *rv =
		    sp_recipe_getenv(r->recipe, "SOURCE_DATE_EPOCH");

		snprintf(sde, sizeof(sde), "%lld", (long long)epoch);
		if (rv != NULL && strcmp(rv, sde) != 0 &&
		    (error = note(r, r->warnings,
		         "environment: the recipe's SOURCE_DATE_EPOCH=%s "
		         "differs from its source_date_epoch %s; %s is used",
		         rv, sde, sde)) < 0)
			goto out;
	} else if (sp_recipe_getenv(r->recipe, "SOURCE_DATE_EPOCH") != NULL) {
		snprintf(sde, sizeof(sde), "%s",
		    sp_recipe_getenv(r->recipe, "SOURCE_DATE_EPOCH"));
	} else if ((error = note(r, r->not_checked,
	                "SOURCE_DATE_EPOCH: the recipe records none; the "
	                "build ran without it")) < 0) {
		goto out;
	}
	if (sde[0] != '\0') {
		if ((error = env_add(
		         r->ctx, &env, envj, "SOURCE_DATE_EPOCH", sde)) < 0)
			goto out;
		json_object_set_new(build, "source_date_epoch",
		    json_integer((json_int_t)strtoll(sde, NULL, 10)));
	}
	if ((error = env_add(r->ctx, &env, envj, "TZ", "UTC")) < 0 ||
	    (error = env_add(r->ctx, &env, envj, "LC_ALL", "C")) < 0 ||
	    (error = env_add(r->ctx, &env, envj, "PATH", path_env)) < 0 ||
	    (error = env_add(r->ctx, &env, envj, "HOME", home)) < 0 ||
	    (error = env_add(r->ctx, &env, envj, "TMPDIR", tmp)) < 0 ||
	    (error = env_add(r->ctx, &env, envj, "PWD", cwd)) < 0)
		goto out;

	if ((argvc = calloc(argc + 1, sizeof(*argvc))) == NULL) {
		error = oom(r->ctx);
		goto out;
	}
	for (i = 0; i < argc; i++)
		argvc[i] = (char *)argv[i];
	ex.argv = (const char *const *)argvc;
	ex.envp = env.v;
	ex.cwd = cwd;
	ex.path_env = path_env;
	ex.log_path = logp;
	ex.max_log = r->o->max_log ? r->o->max_log : SP_REBUILD_DEFAULT_MAX_LOG;
	ex.timeout = r->o->timeout ? r->o->timeout : SP_REBUILD_DEFAULT_TIMEOUT;
	if ((error = rb_exec_run(r->ctx, &ex, &er)) < 0)
		goto out;
	res = &er;
	r->build = res->status;
	r->exit_code = res->exit_code;
	if ((error = sp_sha256_file(r->ctx, logd, NULL, logp)) < 0)
		goto out;
	{
		json_t *log = json_object_get(build, "log");

		json_object_set_new(log, "sha256", rb_jhex(logd));
		json_object_set_new(
		    log, "bytes", json_integer((json_int_t)res->log_bytes));
		json_object_set_new(log, "output_bytes",
		    json_integer((json_int_t)res->output_total));
		json_object_set_new(
		    log, "truncated", json_boolean(res->log_truncated));
	}
	json_object_set_new(
	    build, "status", json_string(rb_build_status_name(res->status)));
	json_object_set_new(build, "exit_code",
	    res->exit_code >= 0 ? json_integer(res->exit_code) : json_null());
	json_object_set_new(build, "signal",
	    res->signal > 0 ? json_integer(res->signal) : json_null());
	json_object_set_new(
	    build, "duration_ms", json_integer((json_int_t)res->duration_ms));
	if (res->error[0] != '\0')
		json_object_set_new(build, "error", rb_jstr(res->error));
	if (res->log_truncated &&
	    (error = note(r, r->warnings,
	         "build.log was cut at %llu bytes (the build wrote %llu)",
	         (unsigned long long)ex.max_log,
	         (unsigned long long)res->output_total)) < 0)
		goto out;
out:
	if (r->moved_to_build_path) {
		free(src);
		src = sp_path_join(r->bp_tmp, "source");
		if (src != NULL && rename(r->srcroot, src) == 0) {
			r->moved_to_build_path = false;
			free(r->srcroot);
			r->srcroot = src;
			src = NULL;
		} else if (error == 0) {
			error = note(r, r->warnings,
			    "the source tree could not be moved back from "
			    "'%s': "
			    "%s",
			    r->srcroot, strerror(errno));
		}
	}
	env_free(&env);
	free(argvc);
	free(home);
	free(tmp);
	free(cwd);
	free(logp);
	free(src);
	return error;
}

/* ---- artefacts -----------------------------------------------------------
 */

static const char *const sig_exts[] = {".p7s", ".pkcs7", ".p7"};

/* binary-sigs/NAME.p7s (.pkcs7, .p7) when the bundle has one. */
static char *
find_signature(struct run *r, const char *name, char *rel, size_t rellen)
{
	struct stat st;
	size_t i;

	for (i = 0; i < SP_ARRAY_SIZE(sig_exts); i++) {
		char *p;

		snprintf(rel, rellen, "binary-sigs/%s%s", name, sig_exts[i]);
		if ((p = sp_path_join(r->unpacked, rel)) == NULL)
			return NULL;
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			return p;
		free(p);
	}
	rel[0] = '\0';
	return NULL;
}

static int
add_subject(struct run *r, json_t *art)
{
	json_t *d = json_object_get(art, "shipped_sha256");

	if (!json_is_string(d))
		return 0;
	if (json_array_size(r->res->subjects) >= 4000)
		return 0;
	if (json_array_append_new(r->res->subjects,
	        json_pack("{s:O, s:{s:O}}", "name",
	            json_object_get(art, "name"), "digest", "sha256", d)) < 0)
		return oom(r->ctx);
	return 0;
}

/*
 * Judge one declared output @p output against the shipped binary @p name
 * (declared digest @p declared, or NULL).
 */
static int
judge(struct run *r, size_t idx, const char *output, const char *name,
    const char *declared)
{
	sp_compare_options co = SP_COMPARE_OPTIONS_INIT;
	sp_compare_result *cres = NULL;
	char sigrel[4200], *sig = NULL, *shipped = NULL, *rebuilt = NULL,
	                   *repdir = NULL, *attached = NULL, idxs[32];
	char shex[65] = "", rhex[65] = "";
	uint8_t d[32];
	uint64_t ssize = 0, rsize = 0;
	struct stat st;
	json_t *art = NULL;
	const char *setup;
	int error = 0;
	char why[1400];

	if ((error = rb_artefact_from_compare(
	         r->ctx, &art, name, output, NULL)) < 0)
		return error;
	if (json_array_append_new(r->artefacts, art) < 0) {
		return oom(r->ctx);
	}
	if (declared != NULL)
		json_object_set_new(
		    art, "declared_sha256", json_string(declared));
	snprintf(idxs, sizeof(idxs), "compare/%zu", idx + 1);
	if (r->unpacked != NULL)
		sig = find_signature(r, name, sigrel, sizeof(sigrel));
	if (sig != NULL)
		json_object_set_new(art, "detached_signature", rb_jstr(sigrel));

	/* The shipped file at hand, if any. */
	if (r->o->shipped_dir != NULL) {
		if ((shipped = sp_path_join(r->o->shipped_dir, name)) == NULL) {
			error = oom(r->ctx);
			goto out;
		}
		if (sp_sha256_file(r->ctx, d, &ssize, shipped) < 0) {
			snprintf(why, sizeof(why), "the shipped file: %s",
			    sp_ctx_errmsg(r->ctx));
			sp_err_clear(r->ctx);
			free(shipped);
			shipped = NULL;
			if (declared != NULL)
				json_object_set_new(art, "shipped_sha256",
				    json_string(declared));
			error = rb_artefact_set(
			    r->ctx, art, SP_VERDICT_ERROR, "none", why);
			goto out;
		}
		sp_hex_encode(shex, d, 32);
		json_object_set_new(art, "shipped_sha256", json_string(shex));
		json_object_set_new(
		    art, "shipped_size", json_integer((json_int_t)ssize));
	} else if (declared != NULL) {
		snprintf(shex, sizeof(shex), "%s", declared);
		json_object_set_new(
		    art, "shipped_sha256", json_string(declared));
	}

	if (r->build != RB_BUILD_OK) {
		/* A build that was not set up (e.g. --at-build-path and the
		 * recorded path exists) says why, not "see build.log". */
		setup = json_string_value(json_object_get(
		    json_object_get(r->pred, "build"), "error"));
		if (r->build == RB_BUILD_NO_START && setup != NULL)
			snprintf(why, sizeof(why), "not rebuilt: %s", setup);
		else
			snprintf(why, sizeof(why),
			    "not rebuilt: the build %s; see build.log",
			    r->build == RB_BUILD_TIMEOUT ? "timed out"
			    : r->build == RB_BUILD_NO_START
			        ? "could not be started"
			    : r->build == RB_BUILD_FAILED ? "failed"
			                                  : "was not run");
		error =
		    rb_artefact_set(r->ctx, art, SP_VERDICT_ERROR, "none", why);
		goto out;
	}
	if ((rebuilt = malloc(strlen(r->outdir) + strlen(output) + 16)) ==
	    NULL) {
		error = oom(r->ctx);
		goto out;
	}
	snprintf(rebuilt, strlen(r->outdir) + strlen(output) + 16,
	    "%s/rebuilt/%s", r->outdir, output);
	if (lstat(rebuilt, &st) < 0) {
		snprintf(why, sizeof(why),
		    "the rebuild did not produce '%s' (or it is not a regular "
		    "file)",
		    output);
		error = rb_artefact_set(
		    r->ctx, art, SP_VERDICT_DIFFERENT, "none", why);
		goto out;
	}
	if ((error = sp_sha256_file(r->ctx, d, &rsize, rebuilt)) < 0)
		goto out;
	sp_hex_encode(rhex, d, 32);
	json_object_set_new(art, "rebuilt_sha256", json_string(rhex));
	json_object_set_new(
	    art, "rebuilt_size", json_integer((json_int_t)rsize));

	if (shipped != NULL) {
		json_t *full = NULL;

		co.signature_path = sig;
		co.max_ranges = r->o->max_ranges;
		co.diffoscope = r->o->diffoscope;
		co.diffoscope_timeout = r->o->diffoscope_timeout;
		if ((repdir = sp_path_join(r->outdir, idxs)) == NULL) {
			error = oom(r->ctx);
			goto out;
		}
		if ((error = mkdirs_for(r->ctx, r->outdir, idxs)) < 0)
			goto out;
		co.report_dir = repdir;
		if ((error = sp_compare_files(
		         r->ctx, &cres, shipped, rebuilt, &co)) < 0)
			goto out;
		sp_err_clear(r->ctx);
		if ((error = sp_compare_write_report(r->ctx, cres, repdir)) < 0)
			goto out;
		if ((error = rb_artefact_from_compare(
		         r->ctx, &full, name, output, cres)) < 0)
			goto out;
		json_object_set_new(full, "declared_sha256",
		    declared ? json_string(declared) : json_null());
		json_object_set(full, "detached_signature",
		    json_object_get(art, "detached_signature"));
		json_object_set_new(
		    full, "report", json_pack("s++", idxs, "/", "report.html"));
		json_array_set_new(
		    r->artefacts, json_array_size(r->artefacts) - 1, full);
		art = full;
		if (declared != NULL && strcmp(declared, shex) != 0) {
			snprintf(why, sizeof(why),
			    "the shipped file does not match the bundle's "
			    "binaries/SHA256SUMS (declared %.64s, found "
			    "%.64s)%s",
			    declared, shex,
			    strcmp(declared, rhex) == 0
			        ? "; the rebuild has the declared digest: the "
			          "shipped file was altered after the release"
			        : "");
			error = rb_artefact_set(r->ctx, art,
			    SP_VERDICT_DIFFERENT, "sha256sums", why);
		}
		goto out;
	}

	/* No shipped file: the declared digest is all there is. */
	if (strcmp(rhex, shex) == 0) {
		error = rb_artefact_set(r->ctx, art, SP_VERDICT_IDENTICAL,
		    "bit-identical",
		    "the rebuilt file has the SHA-256 declared in "
		    "binaries/SHA256SUMS");
		goto out;
	}
	if (sig != NULL) {
		size_t len = strlen(r->outdir) + strlen(output) + 16;
		int aerr;

		if ((attached = malloc(len)) == NULL) {
			error = oom(r->ctx);
			goto out;
		}
		snprintf(attached, len, "%s/attached/%s", r->outdir, output);
		if ((error = mkdirs_for(r->ctx, r->outdir,
		         attached + strlen(r->outdir) + 1)) < 0)
			goto out;
		aerr =
		    sp_attach_signature(r->ctx, rebuilt, sig, attached, false);
		if (aerr == SP_EVERIFY) {
			snprintf(why, sizeof(why),
			    "the detached signature %.400s does not cover the "
			    "rebuilt file (%s)",
			    sigrel, sp_ctx_errmsg(r->ctx));
			sp_err_clear(r->ctx);
			error = rb_artefact_set(r->ctx, art,
			    SP_VERDICT_DIFFERENT, "detached-authenticode", why);
			goto out;
		} else if (aerr < 0) {
			snprintf(why, sizeof(why),
			    "cannot attach the detached signature %.400s: %s",
			    sigrel, sp_ctx_errmsg(r->ctx));
			sp_err_clear(r->ctx);
			error = rb_artefact_set(
			    r->ctx, art, SP_VERDICT_ERROR, "none", why);
			goto out;
		}
		if ((error = sp_sha256_file(r->ctx, d, NULL, attached)) < 0)
			goto out;
		sp_hex_encode(rhex, d, 32);
		if (strcmp(rhex, shex) == 0)
			error = rb_artefact_set(r->ctx, art,
			    SP_VERDICT_IDENTICAL_MODULO_SIGNATURE,
			    "detached-authenticode",
			    "the rebuilt file with the detached signature "
			    "attached has the SHA-256 declared in "
			    "binaries/SHA256SUMS");
		else
			error = rb_artefact_set(r->ctx, art,
			    SP_VERDICT_DIFFERENT, "detached-authenticode",
			    "the rebuilt file with the detached signature "
			    "attached does not have the declared SHA-256");
		goto out;
	}
	error = rb_artefact_set(r->ctx, art, SP_VERDICT_DIFFERENT, "sha256",
	    "the rebuilt file's SHA-256 is not the one declared in "
	    "binaries/SHA256SUMS (give --shipped DIR for a signature-aware "
	    "comparison with byte ranges)");
out:
	if (error == 0)
		error = add_subject(r, art);
	sp_compare_result_free(cres);
	free(sig);
	free(shipped);
	free(rebuilt);
	free(repdir);
	free(attached);
	return error;
}

/* Copy the declared outputs into outdir/rebuilt/ (build succeeded). */
static int
collect_outputs(struct run *r)
{
	const char *const *outs;
	size_t n, i;
	int error;

	outs = sp_recipe_outputs(r->recipe, &n);
	for (i = 0; i < n; i++) {
		char *src = NULL, *dst = NULL, *rel = NULL;
		uint8_t d[32];

		if (!sp_path_is_safe_relative(outs[i], strlen(outs[i])))
			continue; /* judged as not produced */
		if ((rel = sp_path_join("rebuilt", outs[i])) == NULL ||
		    (src = sp_path_join(r->srcroot, outs[i])) == NULL ||
		    (dst = sp_path_join(r->outdir, rel)) == NULL) {
			error = oom(r->ctx);
		} else if ((error = mkdirs_for(r->ctx, r->outdir, rel)) == 0) {
			error = copy_hash(r->ctx, src, dst, 0644, d, NULL);
			if (error == SP_ENOTFOUND || error == SP_EUNSAFE ||
			    error == SP_EIO) {
				sp_err_clear(r->ctx);
				error = 0; /* judged as not produced */
			}
		}
		free(src);
		free(dst);
		free(rel);
		if (error < 0)
			return error;
	}
	return 0;
}

/* Match declared outputs with shipped binaries and judge each. */
static int
judge_all(struct run *r)
{
	const char *const *outs;
	const char **match;
	size_t n, i, k, idx = 0;
	int error = 0;

	outs = sp_recipe_outputs(r->recipe, &n);
	if ((match = calloc(n + 1, sizeof(*match))) == NULL)
		return oom(r->ctx);
	/* Exact names first, then base names. */
	for (i = 0; i < n && r->have_sums; i++)
		for (k = 0; k < r->nsums; k++)
			if (!r->sums[k].used &&
			    strcmp(r->sums[k].name, outs[i]) == 0) {
				r->sums[k].used = true;
				match[i] = r->sums[k].name;
				break;
			}
	for (i = 0; i < n && r->have_sums; i++) {
		const char *base = strrchr(outs[i], '/');

		base = base ? base + 1 : outs[i];
		for (k = 0; match[i] == NULL && k < r->nsums; k++)
			if (!r->sums[k].used &&
			    strcmp(r->sums[k].name, base) == 0) {
				r->sums[k].used = true;
				match[i] = r->sums[k].name;
			}
	}
	for (i = 0; i < n; i++) {
		const char *declared = NULL, *name = match[i];

		if (!r->have_sums && r->o->shipped_dir != NULL) {
			char *p = sp_path_join(r->o->shipped_dir, outs[i]);
			const char *base = strrchr(outs[i], '/');
			struct stat st;

			if (p == NULL) {
				error = oom(r->ctx);
				goto out;
			}
			name = lstat(p, &st) == 0 ? outs[i]
			                          : (base ? base + 1 : outs[i]);
			free(p);
		}
		if (name == NULL && !r->have_sums) {
			json_t *art = NULL;

			if ((error = rb_artefact_from_compare(
			         r->ctx, &art, outs[i], outs[i], NULL)) < 0)
				goto out;
			if (json_array_append_new(r->artefacts, art) < 0) {
				error = oom(r->ctx);
				goto out;
			}
			if ((error = rb_artefact_set(r->ctx, art,
			         SP_VERDICT_ERROR, "none",
			         "no shipped binary to compare with: the "
			         "bundle has no binaries/SHA256SUMS and no "
			         "shipped directory was given")) < 0)
				goto out;
			idx++;
			continue;
		}
		if (name == NULL) {
			if ((error = note(r, r->not_checked,
			         "output '%s': rebuilt, but the bundle's "
			         "SHA256SUMS names no shipped binary '%s'",
			         outs[i], outs[i])) < 0)
				goto out;
			continue;
		}
		for (k = 0; k < r->nsums; k++)
			if (r->sums[k].name == name)
				declared = r->sums[k].hex;
		if ((error = judge(r, idx++, outs[i], name, declared)) < 0)
			goto out;
	}
	for (k = 0; k < r->nsums; k++)
		if (!r->sums[k].used &&
		    (error = note(r, r->not_checked,
		         "shipped binary '%s': no declared build output names "
		         "it; it was not rebuilt",
		         r->sums[k].name)) < 0)
			goto out;
	if (!r->have_sums && r->o->shipped_dir != NULL &&
	    (error = note(r, r->not_checked,
	         "the bundle has no binaries/SHA256SUMS: the shipped files "
	         "are taken as given")) < 0)
		goto out;
	if (n == 0 && (error = note(r, r->not_checked,
	                   "the recipe declares no output: nothing was "
	                   "compared")) < 0)
		goto out;
out:
	free(match);
	return error;
}

/* ---- the whole run ---------------------------------------------------------
 */

static int
load_inputs(struct run *r)
{
	sp_buf raw = SP_BUF_INIT;
	char *p = NULL;
	struct stat st;
	int error = 0;

	if ((p = sp_path_join(r->unpacked, "recipe")) == NULL)
		return oom(r->ctx);
	if (lstat(p, &st) < 0) {
		error = sp_err_set(r->ctx, SP_ENOTFOUND,
		    "the bundle has no recipe: nothing to rebuild");
		goto out;
	}
	if ((error = sp_recipe_load(r->ctx, &r->recipe, p)) < 0)
		goto out;
	free(p);
	if ((p = sp_path_join(r->unpacked, "binaries/SHA256SUMS")) == NULL) {
		error = oom(r->ctx);
		goto out;
	}
	if (lstat(p, &st) == 0) {
		if ((error = sp_read_file(r->ctx, &raw, p, RB_SUMS_MAX_SIZE,
		         SP_OPEN_NOFOLLOW)) < 0 ||
		    (error = rb_sums_parse(r->ctx, &r->sums, &r->nsums,
		         raw.ptr ? raw.ptr : "", raw.size)) < 0)
			goto out;
		r->have_sums = true;
	}
out:
	sp_buf_dispose(&raw);
	free(p);
	return error;
}

/* The overall verdict and its reason. */
static int
conclude(struct run *r, const char *fatal)
{
	size_t i, n = json_array_size(r->artefacts), count[5] = {0};
	sp_verdict worst = SP_VERDICT_IDENTICAL;
	char reason[1400];
	const char *first_bad = NULL;

	for (i = 0; i < n; i++) {
		json_t *a = json_array_get(r->artefacts, i);
		int v = rb_verdict_parse(
		    json_string_value(json_object_get(a, "verdict")));

		if (v < 0)
			v = SP_VERDICT_ERROR;
		count[v]++;
		if ((sp_verdict)v > worst)
			worst = (sp_verdict)v;
		if (!sp_verdict_is_match((sp_verdict)v) && first_bad == NULL)
			first_bad =
			    json_string_value(json_object_get(a, "name"));
	}
	if (fatal != NULL) {
		worst = SP_VERDICT_ERROR;
		snprintf(reason, sizeof(reason), "%s", fatal);
	} else if (r->build != RB_BUILD_OK) {
		worst = SP_VERDICT_ERROR;
		snprintf(reason, sizeof(reason),
		    "the build %s%s; see build.log",
		    r->build == RB_BUILD_TIMEOUT    ? "timed out"
		    : r->build == RB_BUILD_NO_START ? "could not be started"
		                                    : "failed",
		    r->exit_code > 0 ? " (non-zero exit status)" : "");
		if (r->build == RB_BUILD_FAILED && r->exit_code > 0)
			snprintf(reason, sizeof(reason),
			    "the build failed with exit status %d; see "
			    "build.log",
			    r->exit_code);
	} else if (n == 0) {
		worst = SP_VERDICT_ERROR;
		snprintf(reason, sizeof(reason),
		    "no declared output could be compared with a shipped "
		    "binary");
	} else if (sp_verdict_is_match(worst)) {
		snprintf(reason, sizeof(reason),
		    "every artefact matches: %zu of %zu IDENTICAL, %zu "
		    "IDENTICAL_MODULO_SIGNATURE",
		    count[0], n, count[1]);
	} else {
		snprintf(reason, sizeof(reason),
		    "%zu of %zu artefacts do not match (%zu "
		    "EXPLAINED_DIFFERENCE, %zu DIFFERENT, %zu ERROR), first "
		    "'%.300s'",
		    n - count[0] - count[1], n, count[2], count[3], count[4],
		    first_bad ? first_bad : "?");
	}
	r->res->verdict = worst;
	if (json_object_set_new(
	        r->pred, "verdict", json_string(sp_verdict_name(worst))) < 0 ||
	    json_object_set_new(r->pred, "reason", rb_jstr(reason)) < 0)
		return oom(r->ctx);
	return 0;
}

int
sp_rebuild_run(sp_ctx *ctx, sp_rebuild_result **out, const char *bundle,
    const char *outdir, const sp_rebuild_options *opts)
{
	sp_rebuild_options defaults = SP_REBUILD_OPTIONS_INIT;
	struct run run;
	struct run *r = &run;
	struct stat st;
	char t[SP_TIME_STR_LEN];
	char *fatal = NULL, *outdir_abs = NULL;
	int64_t now;
	int error = 0;
	bool made_outdir = false;

	*out = NULL;
	memset(r, 0, sizeof(*r));
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != SP_REBUILD_OPTIONS_VERSION)
		return sp_err_set(ctx, SP_EINVALID,
		    "unsupported rebuild options version %u", opts->version);
	now = opts->now ? opts->now : (int64_t)time(NULL);
	if (sp_time_format(t, now) < 0)
		return sp_err_set(ctx, SP_EINVALID, "time out of range");
	r->ctx = ctx;
	r->o = opts;
	r->build = RB_BUILD_NOT_RUN;
	r->exit_code = -1;
	if (stat(bundle, &st) < 0) {
		error = sp_err_set(ctx, errno == ENOENT ? SP_ENOTFOUND : SP_EIO,
		    "cannot read the bundle '%s': %s", bundle, strerror(errno));
		return error;
	}
	if (mkdir(outdir, 0755) < 0) {
		if (errno == EEXIST) {
			error = sp_err_set(ctx, SP_EEXISTS,
			    "the output directory '%s' exists", outdir);
			sp_err_hint(ctx, "give a new directory to -o; a "
			                 "rebuild never reuses one");
			return error;
		}
		return sp_err_set(ctx, SP_EIO, "cannot create '%s': %s", outdir,
		    strerror(errno));
	}
	made_outdir = true;
	if ((outdir_abs = realpath(outdir, NULL)) == NULL) {
		error = sp_err_set(ctx, SP_EIO, "cannot resolve '%s': %s",
		    outdir, strerror(errno));
		goto out;
	}
	r->outdir = outdir_abs;
	if ((r->res = calloc(1, sizeof(*r->res))) == NULL) {
		error = oom(ctx);
		goto out;
	}
	sp_buf_init(&r->res->statement, SP_DSSE_MAX_PAYLOAD);
	r->res->subjects = json_array();
	r->warnings = json_array();
	r->not_checked = json_array();
	r->artefacts = json_array();
	r->pred = r->res->pred = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:[], s:n, s:n, s:n, s:O, "
	    "s:O, s:O, s:{s:s, s:s}}",
	    "role", SP_VERDICT_ROLE, "kind", "rebuild", "signed_at", t,
	    "verdict", "ERROR", "reason", "", "bundle", "manifest",
	    "bundle_checks", "build", "toolchain", "host", "artefacts",
	    r->artefacts, "warnings", r->warnings, "not_checked",
	    r->not_checked, "tool", "name", "srcproof", "version",
	    opts->tool_version ? opts->tool_version : SRCPROOF_VERSION_STRING);
	if (r->res->subjects == NULL || r->pred == NULL ||
	    r->warnings == NULL || r->not_checked == NULL ||
	    r->artefacts == NULL ||
	    (r->work = sp_path_join(r->outdir, "work")) == NULL) {
		error = oom(ctx);
		goto out;
	}
	if (mkdir(r->work, 0700) < 0) {
		error = sp_err_set(ctx, SP_EIO, "cannot create '%s': %s",
		    r->work, strerror(errno));
		goto out;
	}

	/* 1. The bundle. */
	error = take_bundle(r, bundle);
	if (error == SP_EVERIFY || error == SP_EPARSE || error == SP_EUNSAFE ||
	    error == SP_ELIMIT) {
		if ((fatal = strdup(sp_ctx_errmsg(ctx))) == NULL) {
			error = oom(ctx);
			goto out;
		}
		sp_err_clear(ctx);
		error = note(r, r->not_checked,
		    "the build and every comparison: the bundle could not "
		    "be used");
		goto conclude;
	}
	if (error < 0)
		goto out;
	if ((error = load_inputs(r)) < 0) {
		if (error == SP_ENOMEM || error == SP_EIO)
			goto out;
		if ((fatal = strdup(sp_ctx_errmsg(ctx))) == NULL) {
			error = oom(ctx);
			goto out;
		}
		sp_err_clear(ctx);
		error = note(r, r->not_checked,
		    "the build and every comparison: the bundle's recipe or "
		    "SHA256SUMS could not be used");
		goto conclude;
	}

	/* 2. Toolchain and host. */
	if ((error = check_toolchain(r,
	         opts->path_env ? opts->path_env : SP_REBUILD_DEFAULT_PATH)) <
	    0)
		goto out;

	/* 3. The build. */
	error = run_build(r);
	if (error == SP_EEXISTS || error == SP_EINVALID ||
	    error == SP_EUNSAFE) {
		/* The build could not be set up: a result, not a failure. */
		json_object_set_new(json_object_get(r->pred, "build"), "error",
		    rb_jstr(sp_ctx_errmsg(ctx)));
		if ((fatal = strdup(sp_ctx_errmsg(ctx))) == NULL) {
			error = oom(ctx);
			goto out;
		}
		sp_err_clear(ctx);
		r->build = RB_BUILD_NO_START;
		error = 0;
	}
	if (error < 0)
		goto out;
	if (r->build == RB_BUILD_OK && (error = collect_outputs(r)) < 0)
		goto out;

	/* 4. Compare. */
	if ((error = judge_all(r)) < 0)
		goto out;
	if ((error = note(r, r->not_checked,
	         "isolation: the build ran as this user without a sandbox "
	         "(network and files outside the tree were reachable)")) < 0 ||
	    (error = note(r, r->not_checked,
	         "certificate chains and trust of Authenticode and module "
	         "signatures (their digests and signature values are "
	         "checked)")) < 0)
		goto out;
conclude:
	if (error < 0)
		goto out;
	if ((error = conclude(r, fatal)) < 0)
		goto out;
	if ((error = rb_statement(
	         ctx, &r->res->statement, r->res->subjects, r->pred)) < 0)
		goto out;
	*out = r->res;
	r->res = NULL;
out:
	if (r->moved_to_build_path && r->srcroot != NULL && !opts->keep)
		(void)sp_escrow_remove_tree(ctx, r->srcroot);
	if (r->bp_tmp != NULL && (!opts->keep || error < 0))
		(void)sp_escrow_remove_tree(ctx, r->bp_tmp);
	if (r->unpacked != NULL && (!opts->keep || error < 0)) {
		int e2 = sp_escrow_remove_tree(ctx, r->unpacked);

		(void)e2;
	}
	if (r->work != NULL && (!opts->keep || error < 0)) {
		int e2 = sp_escrow_remove_tree(ctx, r->work);

		(void)e2;
	}
	if (error < 0 && made_outdir) {
		char msg[SP_ERRMSG_MAX], hint[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
		snprintf(hint, sizeof(hint), "%s", sp_ctx_errhint(ctx));
		(void)sp_escrow_remove_tree(ctx, outdir);
		sp_err_set(ctx, error, "%s", msg);
		if (hint[0] != '\0')
			sp_err_hint(ctx, "%s", hint);
	}
	/* Our references; the predicate holds its own. */
	json_decref(r->warnings);
	json_decref(r->not_checked);
	json_decref(r->artefacts);
	free(fatal);
	free(outdir_abs);
	free(r->work);
	free(r->copy);
	free(r->bp_tmp);
	free(r->unpacked);
	free(r->srcroot);
	sp_recipe_free(r->recipe);
	rb_sums_free(r->sums, r->nsums);
	sp_rebuild_result_free(r->res);
	return error;
}

/* ---- result accessors ----------------------------------------------------
 */

void
sp_rebuild_result_free(sp_rebuild_result *res)
{
	if (res == NULL)
		return;
	json_decref(res->pred);
	json_decref(res->subjects);
	sp_buf_dispose(&res->statement);
	free(res);
}

sp_verdict
sp_rebuild_verdict(const sp_rebuild_result *res)
{
	return res->verdict;
}

size_t
sp_rebuild_artefact_count(const sp_rebuild_result *res)
{
	return json_array_size(json_object_get(res->pred, "artefacts"));
}

void
sp_rebuild_artefact_get(
    const sp_rebuild_result *res, size_t i, sp_rebuild_artefact *out)
{
	json_t *a = json_array_get(json_object_get(res->pred, "artefacts"), i);
	int v =
	    rb_verdict_parse(json_string_value(json_object_get(a, "verdict")));

	out->name = json_string_value(json_object_get(a, "name"));
	if (out->name == NULL)
		out->name = "";
	out->output = json_string_value(json_object_get(a, "output"));
	out->verdict = v < 0 ? SP_VERDICT_ERROR : (sp_verdict)v;
	out->method = json_string_value(json_object_get(a, "method"));
	out->reason = json_string_value(json_object_get(a, "reason"));
}

const char *
sp_rebuild_statement(const sp_rebuild_result *res, size_t *len)
{
	if (len != NULL)
		*len = res->statement.size;
	return res->statement.ptr;
}

const json_t *
sp_rebuild_predicate(const sp_rebuild_result *res)
{
	return res->pred;
}

int
sp_rebuild_write_report(
    sp_ctx *ctx, const sp_rebuild_result *res, const char *dir)
{
	sp_buf text = SP_BUF_INIT, html = SP_BUF_INIT;
	char *p = NULL;
	int error;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return sp_err_set(ctx, SP_EIO, "cannot create '%s': %s", dir,
		    strerror(errno));
	if ((error = sp_verdict_text(ctx, &text, res->pred)) < 0 ||
	    (error = sp_verdict_html(ctx, &html, res->pred)) < 0)
		goto out;
	if ((p = sp_path_join(dir, "report.txt")) == NULL ||
	    (error = sp_write_file_atomic(
	         ctx, p, text.ptr, text.size, 0644, 0)) < 0)
		goto out;
	free(p);
	if ((p = sp_path_join(dir, "report.html")) == NULL ||
	    (error = sp_write_file_atomic(
	         ctx, p, html.ptr, html.size, 0644, 0)) < 0)
		goto out;
	free(p);
	if ((p = sp_path_join(dir, "verdict.json")) == NULL ||
	    (error = sp_write_file_atomic(
	         ctx, p, res->statement.ptr, res->statement.size, 0644, 0)) < 0)
		goto out;
out:
	if (p == NULL && error == 0)
		error = oom(ctx);
	free(p);
	sp_buf_dispose(&text);
	sp_buf_dispose(&html);
	return error;
}
