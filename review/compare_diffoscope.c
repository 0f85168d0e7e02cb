/*
 * Optional diffoscope run for a report: looked up on PATH, run in its own
 * process group with a private TMPDIR, a wall-clock limit (then SIGKILL to
 * the whole group) and a cap on every file it writes (RLIMIT_FSIZE). The
 * verdict never depends on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare_int.h"

#include "banned.h"

#define DEFAULT_TIMEOUT 300
#define DEFAULT_CAP ((uint64_t)40 << 20)

int cmp_run_diffoscope(sp_ctx *ctx, json_t **out, const char *shipped,
    const char *rebuilt, const sp_compare_options *opts);

static bool
find_on_path(char *out, size_t outlen, const char *name)
{
	const char *path = getenv("PATH"), *p, *e;

	if (path == NULL)
		path = "/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p)
			continue;
		if (snprintf(out, outlen, "%.*s/%s", (int)(e - p), p, name) >=
		    (int)outlen)
			continue;
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

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
	double t0, limit, grace;
	const char *status;
	int wst = 0, logfd = -1, code = -1;
	pid_t pid, w;
	bool timed_out = false;
	json_t *o;

	*out = NULL;
	if (!find_on_path(exe, sizeof(exe), "diffoscope")) {
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
	logfd = open(
	    logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (logfd < 0)
		return sp_err_set(ctx, SP_EIO, "cannot create '%s': %s", logp,
		    strerror(errno));
	t0 = now_s();
	pid = fork();
	if (pid < 0) {
		close(logfd);
		return sp_err_set(
		    ctx, SP_EIO, "cannot run diffoscope: %s", strerror(errno));
	}
	if (pid == 0) {
		struct rlimit rl;
		char *argv[] = {exe, "--text", txt, "--json", js,
		    "--no-progress", "--max-report-size", cap_s, "--timeout",
		    to_s, "--", (char *)shipped, (char *)rebuilt, NULL};
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		rl.rlim_cur = rl.rlim_max = (rlim_t)cap;
		setrlimit(RLIMIT_FSIZE, &rl);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		putenv(env);
		execv(exe, argv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(logfd);
	grace = timeout < 30 ? timeout : 30;
	limit = (double)timeout + grace;
	for (;;) {
		struct timespec nap = {0, 50 * 1000 * 1000};

		w = waitpid(pid, &wst, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
		if (now_s() - t0 > limit) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &wst, 0);
			timed_out = true;
			break;
		}
		nanosleep(&nap, NULL);
	}
	kill(-pid, SIGKILL); /* leftovers of its process group */
	rmdir(tmp);
	if (timed_out)
		status = "timeout";
	else if (at_cap(txt, cap) || at_cap(js, cap) || at_cap(logp, cap))
		status = "output-cap";
	else if (WIFSIGNALED(wst) && WTERMSIG(wst) == SIGXFSZ)
		status = "output-cap";
	else if (WIFSIGNALED(wst))
		status = "killed";
	else if (WIFEXITED(wst)) {
		code = WEXITSTATUS(wst);
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
