/*
 * Running a build for a rebuild: no shell, own process group, cleared
 * environment (given by the caller), standard input /dev/null, output
 * captured into a capped log, a wall-clock limit, umask 022; through the
 * process runner of util/proc.c.
 */
#include <stdio.h>
#include <string.h>

#include "rebuild_int.h"
#include "util_int.h"

#include "banned.h"

/* Milliseconds between SIGTERM and SIGKILL at the time limit. */
#define KILL_GRACE_MS 2000
/* How long to drain output once the command exited. */
#define DRAIN_MS 2000

const char *
rb_build_status_name(rb_build_status s)
{
	switch (s) {
	case RB_BUILD_OK:
		return "ok";
	case RB_BUILD_FAILED:
		return "failed";
	case RB_BUILD_TIMEOUT:
		return "timeout";
	case RB_BUILD_NO_START:
		return "not-started";
	case RB_BUILD_NOT_RUN:
		break;
	}
	return "not-run";
}

/* Writes the build's output to the log up to its cap; counts everything. */
struct log_sink {
	sp_atomic *log;
	const rb_exec *e;
	rb_exec_result *r;
};

static int
log_put(void *arg, const void *buf, size_t n)
{
	struct log_sink *ls = arg;
	rb_exec_result *r = ls->r;
	size_t keep = 0;

	r->output_total += n;
	if (r->log_bytes < ls->e->max_log) {
		keep = n;
		if ((uint64_t)keep > ls->e->max_log - r->log_bytes)
			keep = (size_t)(ls->e->max_log - r->log_bytes);
	}
	if (keep < n)
		r->log_truncated = true;
	if (keep == 0)
		return 0;
	r->log_bytes += keep;
	return sp_atomic_write(ls->log, buf, keep);
}

int
rb_exec_run(sp_ctx *ctx, const rb_exec *e, rb_exec_result *r)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result pr;
	struct log_sink ls;
	sp_atomic *log = NULL;
	int error = 0;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	r->status = RB_BUILD_NOT_RUN;
	if ((error = sp_atomic_open(
	         ctx, &log, e->log_path, 0644, SP_ATOMIC_EXCL)) < 0)
		return error;
	if (strchr(e->argv[0], '/') != NULL) {
		if (snprintf(r->program, sizeof(r->program), "%s",
		        e->argv[0]) >= (int)sizeof(r->program)) {
			r->program[0] = '\0';
		}
	} else if (!sp_proc_which(r->program, sizeof(r->program), e->argv[0],
	               e->path_env, true)) {
		r->program[0] = '\0';
	}
	if (r->program[0] == '\0') {
		r->status = RB_BUILD_NO_START;
		snprintf(r->error, sizeof(r->error),
		    "the command '%.200s' was not found on PATH '%.200s'",
		    e->argv[0], e->path_env);
		goto commit;
	}
	ls.log = log;
	ls.e = e;
	ls.r = r;
	o.argv = (char *const *)e->argv;
	o.path = r->program;
	o.envp = e->envp;
	o.cwd = e->cwd;
	o.umask = 022;
	o.timeout_ms = (uint64_t)e->timeout * 1000;
	o.kill_grace_ms = KILL_GRACE_MS;
	o.drain_ms = DRAIN_MS;
	o.stdout_mode = SP_PROC_CAPTURE;
	o.stderr_mode = SP_PROC_MERGE;
	o.output = log_put;
	o.output_arg = &ls;
	if ((error = sp_proc_run(ctx, &o, &pr)) < 0)
		goto out;
	r->duration_ms = pr.duration_ms;
	if (!pr.started) {
		r->status = RB_BUILD_NO_START;
		snprintf(r->error, sizeof(r->error),
		    "cannot run '%.200s' in '%.200s': %s", r->program, e->cwd,
		    strerror(pr.start_errno));
		goto commit;
	}
	if (pr.timed_out) {
		r->status = RB_BUILD_TIMEOUT;
	} else if (pr.exit_code >= 0) {
		r->exit_code = pr.exit_code;
		r->status = r->exit_code == 0 ? RB_BUILD_OK : RB_BUILD_FAILED;
	} else {
		r->status = RB_BUILD_FAILED;
	}
	r->signal = pr.signal;
commit:
	if (r->log_truncated) {
		char note[160];
		int len = snprintf(note, sizeof(note),
		    "\n[srcproof: build output truncated: %llu of %llu bytes "
		    "kept]\n",
		    (unsigned long long)r->log_bytes,
		    (unsigned long long)r->output_total);

		if ((error = sp_atomic_write(log, note, (size_t)len)) < 0)
			goto out;
		r->log_bytes += (uint64_t)len;
	}
	error = sp_atomic_commit(log);
	log = NULL;
out:
	sp_atomic_abort(log);
	return error;
}

void
rb_tool_version(const char *program, char *out, size_t outlen)
{
	static char env_lc[] = "LC_ALL=C";
	static char env_path[] = "PATH=" SP_REBUILD_DEFAULT_PATH;
	char *envp[] = {env_lc, env_path, NULL};

	sp_proc_first_line(program, "--version", envp, false, out, outlen);
}
