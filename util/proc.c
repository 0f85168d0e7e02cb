/*
 * Running other programs: fork, exec errors reported through a
 * close-on-exec pipe, a time limit, the whole process group killed and the
 * child reaped on every path. Declared in util_int.h.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

/* Longest wait between two looks at the child, in milliseconds. */
#define TICK_MS 20
/* Output read in one go before the child is looked at again. */
#define READS_PER_TICK 16
/* `PROGRAM --version`: time limit and end of output after its exit. */
#define FIRST_LINE_TIMEOUT_MS 10000
#define FIRST_LINE_DRAIN_MS 1000

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
nap_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	/* EINTR only shortens the nap: the loop looks again. */
	(void)nanosleep(&ts, NULL);
}

/*
 * What the child sets up, prepared by the parent so that the child only
 * calls async-signal-safe functions.
 */
struct child_setup {
	const sp_proc_options *o;
	int in, out, err; /* sources for 0, 1, 2 (>= 3, or 1 for merge); -1:
	                     leave as is */
	int report;       /* write end of the exec-error pipe */
	sigset_t empty;
	struct sigaction dfl;
	struct rlimit fsize;
};

/*
 * In the child, between fork and exec: async-signal-safe calls only
 * (setrlimit is not on POSIX's list, but is a plain system call here).
 */
static void
child_exec(const struct child_setup *s)
{
	const sp_proc_options *o = s->o;
	int sig, err;

	(void)setpgid(0, 0);
	/* Handlers of ours must not run here; exec would reset them anyway.
	 * Ignored signals stay ignored, but SIGPIPE. */
	for (sig = 1; sig < NSIG; sig++) {
		struct sigaction cur;

		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigaction(sig, NULL, &cur) < 0)
			continue;
		if (cur.sa_handler == SIG_DFL ||
		    (cur.sa_handler == SIG_IGN && sig != SIGPIPE))
			continue;
		(void)sigaction(sig, &s->dfl, NULL);
	}
	(void)sigprocmask(SIG_SETMASK, &s->empty, NULL);
	if (o->umask >= 0)
		(void)umask((mode_t)o->umask);
	if (o->fsize_limit > 0 && setrlimit(RLIMIT_FSIZE, &s->fsize) < 0)
		goto fail;
	if (o->cwd != NULL && chdir(o->cwd) < 0)
		goto fail;
	if ((s->in >= 0 && dup2(s->in, 0) < 0) ||
	    (s->out >= 0 && dup2(s->out, 1) < 0) ||
	    (s->err >= 0 && dup2(s->err, 2) < 0))
		goto fail;
	execve(o->path != NULL ? o->path : o->argv[0], o->argv, o->envp);
fail:
	err = errno;
	if (write(s->report, &err, sizeof(err)) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

/*
 * @p fd as a close-on-exec descriptor above 2, so that no dup2 onto 0..2
 * in the child overwrites another source. When @p own, @p fd is ours and
 * closed if it is replaced; else a copy is always made. -1 on error.
 */
static int
above_stdio(int fd, bool own)
{
	int nfd;

	if (own && fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (own) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return nfd;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Wait for @p pid (EINTR retried); its status into @p r. */
static int
reap(pid_t pid, sp_proc_result *r)
{
	int wst;

	while (waitpid(pid, &wst, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(wst))
		r->exit_code = WEXITSTATUS(wst);
	else if (WIFSIGNALED(wst))
		r->signal = WTERMSIG(wst);
	return 0;
}

static void
kill_group(pid_t pid, int sig)
{
	/* The leader too, should it have left its group. */
	(void)kill(-pid, sig);
	(void)kill(pid, sig);
}

/* Read what is there (a bounded amount); *eof at end of file. */
static int
read_some(sp_ctx *ctx, const sp_proc_options *o, int fd, char *buf, size_t size,
    bool *eof)
{
	int i, error;

	for (i = 0; i < READS_PER_TICK; i++) {
		ssize_t n = read(fd, buf, size);

		if (n > 0) {
			if ((error = o->output(o->output_arg, buf, (size_t)n)) <
			    0)
				return error;
			continue;
		}
		if (n == 0) {
			*eof = true;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return sp_err_set(ctx, SP_EIO,
		    "cannot read the output of '%s': %s", o->argv[0],
		    strerror(errno));
	}
	return 0;
}

/* The source of the child's stdout or stderr into *src (-1: as it is). */
static int
child_source(sp_ctx *ctx, const sp_proc_options *o, sp_proc_out mode, int fd,
    int devnull, int pipe_w, int *copy, int *src)
{
	switch (mode) {
	case SP_PROC_NULL:
		*src = devnull;
		break;
	case SP_PROC_INHERIT:
		*src = -1;
		break;
	case SP_PROC_CAPTURE:
		*src = pipe_w;
		break;
	case SP_PROC_MERGE:
		*src = STDOUT_FILENO;
		break;
	case SP_PROC_FD:
		if ((*copy = above_stdio(fd, false)) < 0)
			return sp_err_set(ctx, SP_EIO,
			    "cannot pass descriptor %d to '%s': %s", fd,
			    o->argv[0], strerror(errno));
		*src = *copy;
		break;
	}
	return 0;
}

int
sp_proc_run(sp_ctx *ctx, const sp_proc_options *o, sp_proc_result *r)
{
	struct child_setup s;
	int outp[2] = {-1, -1}, rep[2] = {-1, -1}, devnull = -1;
	int out_copy = -1, err_copy = -1, child_err = 0, error = 0;
	char buf[65536];
	sigset_t all, old;
	uint64_t t0, kill_at = 0, drain_until = 0;
	unsigned nap = 1;
	bool exited = false, eof = false, killed = false;
	pid_t pid = -1;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	SP_ASSERT_ARG(ctx, o->argv != NULL && o->argv[0] != NULL);
	SP_ASSERT_ARG(ctx, o->envp != NULL);
	SP_ASSERT_ARG(ctx, o->stdout_mode != SP_PROC_MERGE &&
	                       o->stderr_mode != SP_PROC_CAPTURE);
	SP_ASSERT_ARG(
	    ctx, o->stdout_mode != SP_PROC_CAPTURE || o->output != NULL);
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.in = s.out = s.err = s.report = -1;
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    (devnull = above_stdio(devnull, true)) < 0) {
		error = sp_err_set(
		    ctx, SP_EIO, "cannot open /dev/null: %s", strerror(errno));
		goto out;
	}
	if (pipe2(rep, O_CLOEXEC) < 0 ||
	    (rep[0] = above_stdio(rep[0], true)) < 0 ||
	    (rep[1] = above_stdio(rep[1], true)) < 0 ||
	    (o->stdout_mode == SP_PROC_CAPTURE &&
	        (pipe2(outp, O_CLOEXEC) < 0 ||
	            (outp[0] = above_stdio(outp[0], true)) < 0 ||
	            (outp[1] = above_stdio(outp[1], true)) < 0 ||
	            fcntl(outp[0], F_SETFL, O_NONBLOCK) < 0))) {
		error = sp_err_set(
		    ctx, SP_EIO, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	s.in = devnull;
	s.report = rep[1];
	if ((error = child_source(ctx, o, o->stdout_mode, o->stdout_fd, devnull,
	         outp[1], &out_copy, &s.out)) < 0 ||
	    (error = child_source(ctx, o, o->stderr_mode, o->stderr_fd, devnull,
	         -1, &err_copy, &s.err)) < 0)
		goto out;
	sigemptyset(&s.empty);
	sigemptyset(&s.dfl.sa_mask);
	s.dfl.sa_handler = SIG_DFL;
	s.fsize.rlim_cur = s.fsize.rlim_max = (rlim_t)o->fsize_limit;

	/* No handler of ours may run in the child before it resets them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	t0 = now_ms();
	pid = fork();
	if (pid == 0)
		child_exec(&s);
	child_err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		error = sp_err_set(ctx, SP_EIO, "cannot start '%s': %s",
		    o->argv[0], strerror(child_err));
		goto out;
	}
	/* Also here: no signal to the group may miss the child. */
	(void)setpgid(pid, pid);
	close_fd(&rep[1]);
	close_fd(&outp[1]);
	close_fd(&devnull);
	close_fd(&out_copy);
	close_fd(&err_copy);

	/* The exec status: end of file when execve succeeded. */
	child_err = 0;
	do {
		n = read(rep[0], &child_err, sizeof(child_err));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(child_err)) {
		r->start_errno = child_err;
		if (reap(pid, r) < 0) {
			error =
			    sp_err_set(ctx, SP_EIO, "cannot wait for '%s': %s",
			        o->argv[0], strerror(errno));
		}
		pid = -1;
		r->exit_code = -1;
		r->signal = 0;
		r->duration_ms = now_ms() - t0;
		goto out;
	}
	r->started = true;

	for (;;) {
		uint64_t now = now_ms();

		if (!exited) {
			siginfo_t si;

			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, (id_t)pid, &si,
			        WEXITED | WNOHANG | WNOWAIT) < 0) {
				if (errno != EINTR) {
					error = sp_err_set(ctx, SP_EIO,
					    "cannot wait for '%s': %s",
					    o->argv[0], strerror(errno));
					goto out;
				}
			} else if (si.si_pid == pid) {
				/* Leftovers of its group; the unreaped
				 * leader keeps the group id from reuse. */
				(void)kill(-pid, SIGKILL);
				if (reap(pid, r) < 0) {
					error = sp_err_set(ctx, SP_EIO,
					    "cannot wait for '%s': %s",
					    o->argv[0], strerror(errno));
					goto out;
				}
				pid = -1;
				exited = true;
				r->duration_ms = now - t0;
				drain_until = now + o->drain_ms;
			}
		}
		if (!exited && o->timeout_ms > 0 && !r->timed_out &&
		    now - t0 >= o->timeout_ms) {
			r->timed_out = true;
			kill_at = now + o->kill_grace_ms;
			if (o->kill_grace_ms > 0)
				kill_group(pid, SIGTERM);
		}
		if (!exited && r->timed_out && !killed && now >= kill_at) {
			kill_group(pid, SIGKILL);
			killed = true;
		}
		if (outp[0] >= 0 && !eof) {
			struct pollfd pfd = {outp[0], POLLIN, 0};
			int wait = TICK_MS, pr;

			if (exited)
				wait = now >= drain_until ? 0
				       : drain_until - now < TICK_MS
				           ? (int)(drain_until - now)
				           : TICK_MS;
			pr = poll(&pfd, 1, wait);
			if (pr < 0 && errno != EINTR) {
				error = sp_err_set(ctx, SP_EIO,
				    "cannot read the output of '%s': %s",
				    o->argv[0], strerror(errno));
				goto out;
			}
			if (pr > 0 && (error = read_some(ctx, o, outp[0], buf,
			                   sizeof(buf), &eof)) < 0)
				goto out;
		} else if (!exited) {
			nap_ms(nap);
			nap = nap * 2 < TICK_MS ? nap * 2 : TICK_MS;
		}
		if (exited && (outp[0] < 0 || eof || now >= drain_until))
			break;
	}
out:
	if (pid > 0) {
		kill_group(pid, SIGKILL);
		if (reap(pid, r) < 0 && error == 0)
			error =
			    sp_err_set(ctx, SP_EIO, "cannot wait for '%s': %s",
			        o->argv[0], strerror(errno));
		if (r->duration_ms == 0)
			r->duration_ms = now_ms() - t0;
	}
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&rep[0]);
	close_fd(&rep[1]);
	close_fd(&devnull);
	close_fd(&out_copy);
	close_fd(&err_copy);
	return error;
}

static bool
is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

bool
sp_proc_which(char *out, size_t outlen, const char *name, const char *path_env,
    bool absolute_only)
{
	const char *p, *e;
	int len;

	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (name[0] == '\0')
		return false;
	if (strchr(name, '/') != NULL) {
		len = snprintf(out, outlen, "%s", name);
		if (len >= 0 && (size_t)len < outlen && is_exec_file(out))
			return true;
		out[0] = '\0';
		return false;
	}
	for (p = path_env; p != NULL && *p != '\0';
	     p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		/* Empty and (if asked) relative entries depend on the current
		 * directory. */
		if (e == p || (absolute_only && *p != '/'))
			continue;
		len = snprintf(out, outlen, "%.*s/%s", (int)(e - p), p, name);
		if (len >= 0 && (size_t)len < outlen && is_exec_file(out))
			return true;
	}
	out[0] = '\0';
	return false;
}

/* The first line that is not empty once trailing spaces and CRs are cut. */
struct first_line {
	char line[SP_PROC_LINE_MAX];
	size_t total; /* bytes of the current line */
	size_t trail; /* of them, trailing spaces and CRs */
	bool done;
	char *out;
	size_t outlen;
};

static void
first_line_end(struct first_line *fl)
{
	size_t n = fl->total - fl->trail;

	fl->total = fl->trail = 0;
	if (n == 0)
		return;
	fl->done = true;
	if (n <= sizeof(fl->line) && n < fl->outlen &&
	    sp_is_clean_utf8(fl->line, n)) {
		memcpy(fl->out, fl->line, n);
		fl->out[n] = '\0';
	}
}

static int
first_line_put(void *arg, const void *buf, size_t n)
{
	struct first_line *fl = arg;
	const char *p = buf;
	size_t i;

	for (i = 0; i < n && !fl->done; i++) {
		if (p[i] == '\n') {
			first_line_end(fl);
			continue;
		}
		if (fl->total < sizeof(fl->line))
			fl->line[fl->total] = p[i];
		fl->total++;
		fl->trail = p[i] == ' ' || p[i] == '\r' ? fl->trail + 1 : 0;
	}
	return 0;
}

void
sp_proc_first_line(const char *program, const char *arg, char *const *envp,
    bool merge_stderr, char *out, size_t outlen)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	struct first_line fl;
	char *argv[3];

	if (outlen == 0)
		return;
	out[0] = '\0';
	memset(&fl, 0, sizeof(fl));
	fl.out = out;
	fl.outlen = outlen;
	argv[0] = (char *)program;
	argv[1] = (char *)arg;
	argv[2] = NULL;
	o.argv = argv;
	o.envp = envp;
	o.timeout_ms = FIRST_LINE_TIMEOUT_MS;
	o.drain_ms = FIRST_LINE_DRAIN_MS;
	o.stdout_mode = SP_PROC_CAPTURE;
	o.stderr_mode = merge_stderr ? SP_PROC_MERGE : SP_PROC_NULL;
	o.output = first_line_put;
	o.output_arg = &fl;
	if (sp_proc_run(NULL, &o, &r) < 0 || !r.started)
		return;
	if (!fl.done)
		first_line_end(&fl);
}

/* True when @p entry sets a name that one of @p set sets. */
static bool
env_set_by(const char *entry, char *const *set)
{
	size_t i, len;

	for (i = 0; set != NULL && set[i] != NULL; i++) {
		len = strcspn(set[i], "=");
		if (strncmp(entry, set[i], len) == 0 && entry[len] == '=')
			return true;
	}
	return false;
}

char **
sp_proc_env(sp_ctx *ctx, char *const *base, char *const *set,
    bool (*drop)(const char *entry, void *arg), void *arg)
{
	size_t nbase = 0, nset = 0, i, k = 0;
	char **envp;

	while (base != NULL && base[nbase] != NULL)
		nbase++;
	while (set != NULL && set[nset] != NULL)
		nset++;
	if ((envp = sp_calloc(ctx, nbase + nset + 1, sizeof(*envp))) == NULL) {
		sp_err_set(ctx, SP_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < nbase; i++) {
		if (env_set_by(base[i], set) ||
		    (drop != NULL && drop(base[i], arg)))
			continue;
		envp[k++] = base[i];
	}
	for (i = 0; i < nset; i++)
		envp[k++] = set[i];
	return envp;
}
