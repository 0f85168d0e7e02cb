/*
 * Optional diffoscope run for a report: looked up on PATH, run in its own
 * process group with a private TMPDIR, a wall-clock limit (then SIGKILL to
 * the whole group) and a cap on every file it writes (RLIMIT_FSIZE),
 * through the process runner of util/proc.c. The verdict never depends on
 * it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compare_int.h"
#include "util_int.h"

#include "banned.h"

#define DEFAULT_TIMEOUT 300
#define DEFAULT_CAP ((uint64_t)40 << 20)

extern char **environ;

int cmp_run_diffoscope(sp_ctx *ctx, json_t **out, const char *shipped,
    const char *rebuilt, const sp_compare_options *opts);

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
at_cap(const char *path, uint64_t cap)
{
	struct stat st;

	return stat(path, &st) == 0 && (uint64_t)st.st_size >= cap;
}

static bool
nonempty(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

int
cmp_run_diffoscope(sp_ctx *ctx, json_t **out, const char *shipped,
    const char *rebuilt, const sp_compare_options *opts)
{
	char exe[4096], txt[4096], js[4096], logp[4096], tmp[4096], env[4200];
	char cap_s[32], to_s[32];
	unsigned timeout = opts->diffoscope_timeout ? opts->diffoscope_timeout
	                                            : DEFAULT_TIMEOUT;
	uint64_t cap = opts->diffoscope_max_output ? opts->diffoscope_max_output
	                                           : DEFAULT_CAP;
	const char *path = getenv("PATH");
	char *argv[] = {exe, "--text", txt, "--json", js, "--no-progress",
	    "--max-report-size", cap_s, "--timeout", to_s, "--",
	    (char *)shipped, (char *)rebuilt, NULL};
	char *set[] = {env, NULL};
	char **envp;
	sp_proc_options po = SP_PROC_OPTIONS_INIT;
	sp_proc_result pr;
	double t0;
	const char *status;
	int logfd = -1, code = -1, error;
	json_t *o;

	*out = NULL;
	if (!sp_proc_which(exe, sizeof(exe), "diffoscope",
	        path != NULL ? path : "/usr/bin:/bin", false)) {
		*out = json_pack("{s:s}", "status", "not-installed");
		return *out ? 0 : sp_err_set(ctx, SP_ENOMEM, "out of memory");
	}
	if (mkdir(opts->report_dir, 0755) < 0 && errno != EEXIST)
		return sp_err_set(ctx, SP_EIO, "cannot create '%s': %s",
		    opts->report_dir, strerror(errno));
	snprintf(txt, sizeof(txt), "%s/diffoscope.txt", opts->report_dir);
	snprintf(js, sizeof(js), "%s/diffoscope.json", opts->report_dir);
	snprintf(logp, sizeof(logp), "%s/diffoscope.log", opts->report_dir);
	snprintf(tmp, sizeof(tmp), "%s/.diffoscope-tmp", opts->report_dir);
	snprintf(env, sizeof(env), "TMPDIR=%s", tmp);
	snprintf(cap_s, sizeof(cap_s), "%llu", (unsigned long long)cap);
	snprintf(to_s, sizeof(to_s), "%u", timeout);
	unlink(txt);
	unlink(js);
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return sp_err_set(ctx, SP_EIO, "cannot create '%s': %s", tmp,
		    strerror(errno));
	/* Our environment with the private TMPDIR. */
	if ((envp = sp_proc_env(ctx, environ, set, NULL, NULL)) == NULL)
		return SP_ENOMEM;
	logfd = open(
	    logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (logfd < 0) {
		free(envp);
		return sp_err_set(ctx, SP_EIO, "cannot create '%s': %s", logp,
		    strerror(errno));
	}
	po.argv = argv;
	po.envp = envp;
	po.stdout_mode = SP_PROC_FD;
	po.stdout_fd = logfd;
	po.stderr_mode = SP_PROC_MERGE;
	po.fsize_limit = cap;
	/* diffoscope's own --timeout first, then ours: SIGKILL to the group
	 * up to 30 s later. */
	po.timeout_ms =
	    ((uint64_t)timeout + (timeout < 30 ? timeout : 30)) * 1000;
	t0 = now_s();
	error = sp_proc_run(ctx, &po, &pr);
	close(logfd);
	free(envp);
	rmdir(tmp);
	if (error < 0)
		return error;
	if (pr.timed_out)
		status = "timeout";
	else if (at_cap(txt, cap) || at_cap(js, cap) || at_cap(logp, cap))
		status = "output-cap";
	else if (pr.signal == SIGXFSZ)
		status = "output-cap";
	else if (pr.signal != 0)
		status = "killed";
	else if (!pr.started) {
		/* What the shell says of a command it cannot run. */
		code = 127;
		status = "not-installed";
	} else if (pr.exit_code >= 0) {
		code = pr.exit_code;
		status = code == 0     ? "no-differences"
		         : code == 1   ? "differences"
		         : code == 127 ? "not-installed"
		                       : "failed";
	} else
		status = "failed";
	o = json_pack("{s:s, s:i, s:f, s:i, s:I, s:s, s:o, s:o}", "status",
	    status, "exit_code", code, "seconds", now_s() - t0, "timeout",
	    (int)timeout, "max_output", (json_int_t)cap, "log",
	    "diffoscope.log", "text_report",
	    nonempty(txt) ? json_string("diffoscope.txt") : json_null(),
	    "json_report",
	    nonempty(js) ? json_string("diffoscope.json") : json_null());
	if (o == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	*out = o;
	return 0;
}
