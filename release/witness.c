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
 * counted.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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

/*
 * environ without our three names, then NAME=VALUE for each of them; the
 * three strings are also in @p own (the caller frees them and the array).
 */
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

static char **
make_env(sp_ctx *ctx, const sp_release_config *c, const char *const names[3],
    const char *const vals[3], char *own[3])
{
	size_t n = 0, i, k, out = 0;
	char **envp;

	while (environ != NULL && environ[n] != NULL)
		n++;
	for (k = 0; k < 3; k++) {
		sp_buf b = SP_BUF_INIT;

		if (sp_buf_printf(&b, "%s=%s", names[k], vals[k]) < 0) {
			sp_buf_dispose(&b);
			oom(ctx);
			return NULL;
		}
		own[k] = sp_buf_detach(&b);
	}
	if ((envp = sp_calloc(ctx, n + 4, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		bool drop = false;

		for (k = 0; k < 3 && !drop; k++)
			drop = strncmp(environ[i], own[k],
			           strlen(names[k]) + 1) == 0;
		/* Secrets stay with srcproof. */
		drop = drop || is_secret_var(c, environ[i]);
		if (!drop)
			envp[out++] = environ[i];
	}
	for (k = 0; k < 3; k++)
		envp[out++] = own[k];
	return envp;
}

/* Run the witness command; 0 when it exited with status 0. */
static int
run_command(sp_ctx *ctx, const sp_release_config *c, char **envp)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	const char *prog = c->witness_command.v[0];
	struct timespec tick = {0, 20 * 1000 * 1000};
	uint64_t waited_ms = 0, limit_ms = (uint64_t)c->witness_timeout * 1000;
	pid_t pid = -1;
	int status = 0, rc, error = 0;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return oom(ctx);
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return oom(ctx);
	}
	if (posix_spawn_file_actions_addopen(
	        &fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(
	        &fa, STDERR_FILENO, STDOUT_FILENO) != 0 ||
	    posix_spawn_file_actions_addchdir_np(&fa, c->base) != 0 ||
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP) != 0 ||
	    posix_spawnattr_setpgroup(&attr, 0) != 0) {
		error = oom(ctx);
		goto out;
	}
	rc = posix_spawnp(&pid, prog, &fa, &attr, c->witness_command.v, envp);
	if (rc != 0) {
		error = sp_err_set(ctx, SP_ENOTFOUND,
		    "cannot run the witness command '%s': %s", prog,
		    strerror(rc));
		goto out;
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			error = sp_err_set(ctx, SP_EIO,
			    "waiting for the witness command: %s",
			    strerror(errno));
			goto out;
		}
		if (waited_ms >= limit_ms) {
			(void)kill(-pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			error = sp_err_set(ctx, SP_EVERIFY,
			    "the witness command '%s' did not finish within "
			    "%u s (killed)",
			    prog, c->witness_timeout);
			goto out;
		}
		nanosleep(&tick, NULL);
		waited_ms += 20;
	}
	if (WIFSIGNALED(status))
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the witness command '%s' was killed by signal %d", prog,
		    WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the witness command '%s' failed (exit status %d)", prog,
		    WEXITSTATUS(status));
out:
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
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
sp_release__cosign(
    sp_ctx *ctx, const sp_release_config *c, const char *tmp, size_t *cosigned)
{
	static const char *const names[3] = {
	    "SRCPROOF_LOG_DIR", "SRCPROOF_CHECKPOINT", "SRCPROOF_COSIGNED"};
	sp_tlog_verifier **wit = NULL;
	sp_tlog *log = NULL;
	sp_buf req = SP_BUF_INIT, got = SP_BUF_INIT, p = SP_BUF_INIT;
	char *logdir = NULL, *abstmp = NULL, **envp = NULL;
	char *own[3] = {NULL, NULL, NULL};
	const char *text, *vals[3];
	size_t i, len, added = 0;
	int error;

	*cosigned = 0;
	if ((wit = sp_calloc(ctx, c->witnesses.n, sizeof(*wit))) == NULL)
		return SP_ENOMEM;
	for (i = 0; i < c->witnesses.n; i++)
		if ((error = sp_tlog_verifier_load(ctx, &wit[i],
		         c->witnesses.v[i], SP_TLOG_SIG_COSIGNATURE,
		         "witness")) < 0)
			goto out;
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
	for (i = 0; wit != NULL && i < c->witnesses.n; i++)
		sp_tlog_verifier_free(wit[i]);
	free(wit);
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
