/*
 * srcproof release: have the log's witnesses cosign the checkpoint that
 * holds the new entry, before the proof is taken, so that the bundle
 * carries a proof an offline reviewer can check against the witness
 * quorum.
 *
 * The configured command does the talking to the witnesses (a script, an
 * HTTP client, `srcproof log cosign` for a local witness): it runs without
 * a shell, in the configuration's directory, standard input /dev/null,
 * its output on our standard error, in its own process group, within a
 * time limit, with our environment less the passphrase variables
 * (SRCPROOF_PASSPHRASE and every passphrase_env of the configuration). It finds
 * the new checkpoint in $SRCPROOF_CHECKPOINT and the log in $SRCPROOF_LOG_DIR,
 * and writes the checkpoint with the witnesses' cosignature lines to
 * $SRCPROOF_COSIGNED. Every cosignature must verify against a configured
 * witness key before it is added to the log's checkpoint; then the quorum is
 * counted. The command runs through the process runner of util/proc.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "release_int.h"
#include "srcproof/srcproof.h"
#include "srcproof/tlog.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

extern char **environ;

/* Largest cosigned checkpoint read back from the command. */
#define COSIGNED_MAX (64 * 1024)

static int
oom(sp_ctx *ctx)
{
	return sp_err_set(ctx, SP_ENOMEM, "out of memory");
}

static bool
var_is(const char *entry, const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;

	return len > 0 && strncmp(entry, name, len) == 0 && entry[len] == '=';
}

/* SRCPROOF_PASSPHRASE and every variable the config names for a secret. */
static bool
is_secret_var(const sp_release_config *c, const char *entry)
{
	size_t i;

	if (var_is(entry, "SRCPROOF_PASSPHRASE") ||
	    var_is(entry, c->log_key.env_name))
		return true;
	for (i = 0; i < c->nkeys; i++)
		if (var_is(entry, c->keys[i].env_name))
			return true;
	return false;
}

static bool
drop_secret(const char *entry, void *arg)
{
	/* Secrets stay with srcproof. */
	return is_secret_var(arg, entry);
}

/*
 * environ without our three names and the secrets, then NAME=VALUE for
 * each of the three; those strings are also in @p own (the caller frees
 * them and the array).
 */
static char **
make_env(sp_ctx *ctx, const sp_release_config *c, const char *const names[3],
    const char *const vals[3], char *own[3])
{
	char *set[4];
	size_t k;

	for (k = 0; k < 3; k++) {
		sp_buf b = SP_BUF_INIT;

		if (sp_buf_printf(&b, "%s=%s", names[k], vals[k]) < 0) {
			sp_buf_dispose(&b);
			oom(ctx);
			return NULL;
		}
		own[k] = set[k] = sp_buf_detach(&b);
	}
	set[3] = NULL;
	return sp_proc_env(ctx, environ, set, drop_secret, (void *)c);
}

/*
 * PATH as posix_spawnp would read it once in @p base: relative entries
 * (and empty ones, the directory itself) are taken from there. (A ':' in
 * @p base would split it: only relative and empty entries are affected.)
 */
static int
path_in(sp_ctx *ctx, sp_buf *out, const char *path, const char *base)
{
	const char *p, *e;
	int error = 0;

	for (p = path; error == 0; p = e + 1) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (p != path)
			error = sp_buf_putc(out, ':');
		if (error == 0 && e == p)
			error = sp_buf_puts(out, base);
		else if (error == 0 && *p == '/')
			error = sp_buf_put(out, p, (size_t)(e - p));
		else if (error == 0)
			error = sp_buf_printf(
			    out, "%s/%.*s", base, (int)(e - p), p);
		if (*e == '\0')
			break;
	}
	return error < 0 ? oom(ctx) : 0;
}

/* Run the witness command; 0 when it exited with status 0. */
static int
run_command(sp_ctx *ctx, const sp_release_config *c, char **envp)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	const char *prog = c->witness_command.v[0];
	const char *path = getenv("PATH");
	sp_buf search = SP_BUF_INIT;
	char exe[PATH_MAX], *base = NULL;
	int error = 0;

	o.argv = c->witness_command.v;
	/* A name without '/' is looked up on our PATH (posix_spawnp's
	 * default when unset), as seen from the configuration's directory;
	 * a path is run from there as it is. */
	if (strchr(prog, '/') == NULL) {
		/* Absolute: the command is found from here, run from there. */
		if ((base = realpath(c->base, NULL)) == NULL) {
			error = sp_err_set(ctx, SP_ENOTFOUND,
			    "cannot run the witness command '%s': %s", prog,
			    strerror(errno));
			goto out;
		}
		if ((error = path_in(ctx, &search,
		         path != NULL ? path : "/bin:/usr/bin", base)) < 0)
			goto out;
		if (!sp_proc_which(exe, sizeof(exe), prog, search.ptr, false)) {
			error = sp_err_set(ctx, SP_ENOTFOUND,
			    "cannot run the witness command '%s': %s", prog,
			    strerror(ENOENT));
			goto out;
		}
		o.path = exe;
	}
	o.envp = envp;
	o.cwd = c->base;
	o.timeout_ms = (uint64_t)c->witness_timeout * 1000;
	/* Its output on our standard error. */
	o.stdout_mode = SP_PROC_FD;
	o.stdout_fd = STDERR_FILENO;
	o.stderr_mode = SP_PROC_INHERIT;
	if ((error = sp_proc_run(ctx, &o, &r)) < 0)
		goto out;
	if (!r.started)
		error = sp_err_set(ctx, SP_ENOTFOUND,
		    "cannot run the witness command '%s': %s", prog,
		    strerror(r.start_errno));
	else if (r.timed_out)
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the witness command '%s' did not finish within "
		    "%u s (killed)",
		    prog, c->witness_timeout);
	else if (r.signal != 0)
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the witness command '%s' was killed by signal %d", prog,
		    r.signal);
	else if (r.exit_code != 0)
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the witness command '%s' failed (exit status %d)", prog,
		    r.exit_code);
out:
	sp_buf_dispose(&search);
	free(base);
	return error;
}

/* Count the configured witnesses' cosignatures on the log's checkpoint. */
static int
count_cosigned(sp_ctx *ctx, const sp_release_config *c,
    sp_tlog_verifier *const *wit, size_t *cosigned)
{
	sp_tlog_trust trust = SP_TLOG_TRUST_INIT;
	sp_tlog_verify_result vr;
	sp_tlog *log = NULL;
	int error;

	memset(&vr, 0, sizeof(vr));
	trust.witnesses = (const sp_tlog_verifier *const *)wit;
	trust.nwitnesses = c->witnesses.n;
	trust.quorum = c->quorum;
	if ((error = sp_tlog_open(ctx, &log, c->log_dir)) < 0)
		return error;
	error = sp_tlog_checkpoint_cosigned(
	    ctx, sp_tlog_checkpoint_of(log), &trust, &vr);
	*cosigned = vr.cosigned;
	if (error == SP_EVERIFY) {
		char why[SP_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", sp_ctx_errmsg(ctx));
		error = sp_err_set(ctx, SP_EVERIFY,
		    "witness quorum not met: %zu of the %zu configured "
		    "witnesses cosigned the checkpoint, 'quorum' is %u (%s)",
		    vr.cosigned, c->witnesses.n, c->quorum, why);
	}
	sp_tlog_close(log);
	return error;
}

int
sp_release__cosign(sp_ctx *ctx, const sp_release_config *c,
    sp_tlog_verifier *const *wit, const char *tmp, size_t *cosigned)
{
	static const char *const names[3] = {
	    "SRCPROOF_LOG_DIR", "SRCPROOF_CHECKPOINT", "SRCPROOF_COSIGNED"};
	sp_tlog *log = NULL;
	sp_buf req = SP_BUF_INIT, got = SP_BUF_INIT, p = SP_BUF_INIT;
	char *logdir = NULL, *abstmp = NULL, **envp = NULL;
	char *own[3] = {NULL, NULL, NULL};
	const char *text, *vals[3];
	size_t i, len, added = 0;
	int error;

	*cosigned = 0;
	/* The request: the checkpoint that holds the new entry. */
	if ((error = sp_tlog_open(ctx, &log, c->log_dir)) < 0)
		goto out;
	text = sp_tlog_checkpoint_text(sp_tlog_checkpoint_of(log), &len);
	if ((logdir = realpath(c->log_dir, NULL)) == NULL) {
		error = sp_err_set(ctx, SP_EIO, "cannot resolve '%s': %s",
		    c->log_dir, strerror(errno));
		goto out;
	}
	/* Absolute: the command runs in the configuration's directory. */
	if ((abstmp = realpath(tmp, NULL)) == NULL) {
		error = sp_err_set(ctx, SP_EIO, "cannot resolve '%s': %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (sp_buf_printf(&req, "%s/witness-request", abstmp) < 0 ||
	    sp_buf_printf(&p, "%s/witness-cosigned", abstmp) < 0) {
		error = oom(ctx);
		goto out;
	}
	if ((error = sp_write_file_atomic(
	         ctx, req.ptr, text, len, 0644, SP_ATOMIC_EXCL)) < 0)
		goto out;
	sp_tlog_close(log);
	log = NULL;
	vals[0] = logdir;
	vals[1] = req.ptr;
	vals[2] = p.ptr;
	if ((envp = make_env(ctx, c, names, vals, own)) == NULL) {
		error = SP_ENOMEM;
		goto out;
	}
	if ((error = run_command(ctx, c, envp)) < 0)
		goto out;
	if (access(p.ptr, F_OK) != 0) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the witness command '%s' wrote no cosigned checkpoint to "
		    "$SRCPROOF_COSIGNED",
		    c->witness_command.v[0]);
		goto out;
	}
	if ((error = sp_read_file(
	         ctx, &got, p.ptr, COSIGNED_MAX, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((error = sp_tlog_add_cosignatures(ctx, c->log_dir,
	         got.ptr != NULL ? (const char *)got.ptr : "", got.size,
	         (const sp_tlog_verifier *const *)wit, c->witnesses.n,
	         &added)) < 0) {
		if (error == SP_EVERIFY) {
			char why[SP_ERRMSG_MAX];

			snprintf(why, sizeof(why), "%s", sp_ctx_errmsg(ctx));
			error = sp_err_set(ctx, SP_EVERIFY,
			    "the witness command's cosigned checkpoint is "
			    "refused (trusted: the config's 'witnesses'): %s",
			    why);
		}
		goto out;
	}
	error = count_cosigned(ctx, c, wit, cosigned);
out:
	/* The request and the answer are the step's own: they must not be
	 * published with the release (docs/spec/release-config.md). */
	if (req.ptr != NULL)
		(void)unlink(req.ptr);
	if (p.ptr != NULL)
		(void)unlink(p.ptr);
	sp_tlog_close(log);
	free(envp);
	for (i = 0; i < 3; i++)
		free(own[i]);
	free(logdir);
	free(abstmp);
	sp_buf_dispose(&req);
	sp_buf_dispose(&got);
	sp_buf_dispose(&p);
	return error;
}
