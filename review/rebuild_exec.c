/*
 * Running a build for a rebuild: no shell, own process group, cleared
 * environment (given by the caller), standard input /dev/null, output
 * captured into a capped log, a wall-clock limit, umask 022.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rebuild_int.h"

#include "banned.h"

/* Seconds between SIGTERM and SIGKILL at the time limit. */
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

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Find @p name on @p path (absolute entries only); true when found. */
static bool
find_program(char *out, size_t outlen, const char *name, const char *path)
{
	const char *p, *e;
	struct stat st;

	for (p = path; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p || *p != '/')
			continue;
		if (snprintf(out, outlen, "%.*s/%s", (int)(e - p), p, name) >=
		    (int)outlen)
			continue;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* In the child: only async-signal-safe calls until execve. */
static void
child(const rb_exec *e, const char *program, int outfd, int errfd)
{
	sigset_t none;
	int devnull, err;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	umask(022);
	if (chdir(e->cwd) < 0)
		goto fail;
	if ((devnull = open("/dev/null", O_RDONLY)) < 0 ||
	    dup2(devnull, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
		goto fail;
	execve(program, (char *const *)e->argv, e->envp);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

/* Write to the log up to its cap; count everything. */
static int
log_put(sp_atomic *log, const rb_exec *e, rb_exec_result *r, const char *buf,
    size_t n)
{
	size_t keep = 0;

	r->output_total += n;
	if (r->log_bytes < e->max_log) {
		keep = n;
		if ((uint64_t)keep > e->max_log - r->log_bytes)
			keep = (size_t)(e->max_log - r->log_bytes);
	}
	if (keep < n)
		r->log_truncated = true;
	if (keep == 0)
		return 0;
	r->log_bytes += keep;
	return sp_atomic_write(log, buf, keep);
}

int
rb_exec_run(sp_ctx *ctx, const rb_exec *e, rb_exec_result *r)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	sp_atomic *log = NULL;
	char buf[65536];
	uint64_t t0, deadline, kill_at = 0, drain_until = 0;
	bool exited = false, eof = false, timed_out = false;
	int error = 0, wst = 0, child_err = 0;
	pid_t pid = -1;
	ssize_t n;

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
	} else if (!find_program(r->program, sizeof(r->program), e->argv[0],
	               e->path_env)) {
		r->program[0] = '\0';
	}
	if (r->program[0] == '\0') {
		r->status = RB_BUILD_NO_START;
		snprintf(r->error, sizeof(r->error),
		    "the command '%.200s' was not found on PATH '%.200s'",
		    e->argv[0], e->path_env);
		goto commit;
	}
	if (pipe(outp) < 0 || pipe(errp) < 0 ||
	    fcntl(outp[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(errp[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(errp[1], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(outp[1], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(outp[0], F_SETFL, O_NONBLOCK) < 0) {
		error = sp_err_set(
		    ctx, SP_EIO, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	t0 = now_ms();
	deadline = t0 + (uint64_t)e->timeout * 1000;
	if ((pid = fork()) < 0) {
		error = sp_err_set(
		    ctx, SP_EIO, "cannot start the build: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(e, r->program, outp[1], errp[1]);
	setpgid(pid, pid);
	close(outp[1]);
	outp[1] = -1;
	close(errp[1]);
	errp[1] = -1;
	/* The exec status: EOF when execve succeeded (close-on-exec). */
	do {
		n = read(errp[0], &child_err, sizeof(child_err));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(child_err)) {
		waitpid(pid, &wst, 0);
		pid = -1;
		r->status = RB_BUILD_NO_START;
		snprintf(r->error, sizeof(r->error),
		    "cannot run '%.200s' in '%.200s': %s", r->program, e->cwd,
		    strerror(child_err));
		r->duration_ms = now_ms() - t0;
		goto commit;
	}
	for (;;) {
		struct pollfd pfd = {outp[0], POLLIN, 0};
		uint64_t now = now_ms();
		int pr;

		if (!exited) {
			pid_t w = waitpid(pid, &wst, WNOHANG);

			if (w == pid) {
				exited = true;
				r->duration_ms = now - t0;
				/* Leftovers of its process group. */
				kill(-pid, SIGKILL);
				drain_until = now + DRAIN_MS;
			}
		}
		if (!exited && !timed_out && now >= deadline) {
			timed_out = true;
			kill(-pid, SIGTERM);
			kill_at = now + KILL_GRACE_MS;
		}
		if (!exited && timed_out && now >= kill_at) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		if (eof && exited)
			break;
		if (exited && now >= drain_until)
			break;
		if (eof) {
			struct timespec nap = {0, 20 * 1000 * 1000};

			nanosleep(&nap, NULL);
			continue;
		}
		pr = poll(&pfd, 1, 50);
		if (pr < 0 && errno != EINTR) {
			error = sp_err_set(ctx, SP_EIO,
			    "cannot read the build output: %s",
			    strerror(errno));
			goto out;
		}
		if (pr <= 0)
			continue;
		for (;;) {
			n = read(outp[0], buf, sizeof(buf));
			if (n > 0) {
				if ((error = log_put(
				         log, e, r, buf, (size_t)n)) < 0)
					goto out;
				continue;
			}
			if (n == 0)
				eof = true;
			else if (errno == EINTR)
				continue;
			break;
		}
	}
	pid = -1;
	if (timed_out) {
		r->status = RB_BUILD_TIMEOUT;
	} else if (WIFEXITED(wst)) {
		r->exit_code = WEXITSTATUS(wst);
		r->status = r->exit_code == 0 ? RB_BUILD_OK : RB_BUILD_FAILED;
	} else {
		r->status = RB_BUILD_FAILED;
	}
	if (WIFSIGNALED(wst))
		r->signal = WTERMSIG(wst);
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
	if (pid > 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &wst, 0);
	}
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	sp_atomic_abort(log);
	return error;
}

void
rb_tool_version(const char *program, char *out, size_t outlen)
{
	static char env_lc[] = "LC_ALL=C";
	static char env_path[] = "PATH=" SP_REBUILD_DEFAULT_PATH;
	char *envp[] = {env_lc, env_path, NULL};
	char buf[4096], *line, *end;
	size_t got = 0;
	int outp[2] = {-1, -1}, wst;
	uint64_t deadline = now_ms() + 10000;
	pid_t pid;

	out[0] = '\0';
	if (pipe(outp) < 0)
		return;
	if (fcntl(outp[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(outp[0], F_SETFL, O_NONBLOCK) < 0) {
		close(outp[0]);
		close(outp[1]);
		return;
	}
	if ((pid = fork()) < 0) {
		close(outp[0]);
		close(outp[1]);
		return;
	}
	if (pid == 0) {
		char *argv[] = {(char *)program, "--version", NULL};
		int devnull = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		if (devnull < 0 || dup2(devnull, 0) < 0 ||
		    dup2(outp[1], 1) < 0 || dup2(devnull, 2) < 0)
			_exit(127);
		execve(program, argv, envp);
		_exit(127);
	}
	setpgid(pid, pid);
	close(outp[1]);
	while (got < sizeof(buf) - 1 && now_ms() < deadline) {
		struct pollfd pfd = {outp[0], POLLIN, 0};
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(outp[0], buf + got, sizeof(buf) - 1 - got);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(outp[0]);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, &wst, 0);
	buf[got] = '\0';
	for (line = buf; *line != '\0'; line = end + (*end != '\0')) {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (end > line) {
			size_t len = (size_t)(end - line);

			if (len > 1024)
				len = 1024;
			if (len >= outlen)
				len = outlen - 1;
			if (line[len - 1] == '\r')
				len--;
			if (len > 0 && sp_is_clean_utf8(line, len)) {
				memcpy(out, line, len);
				out[len] = '\0';
			}
			return;
		}
	}
}
