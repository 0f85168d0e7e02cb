/*
 * Unit tests for the process runner (util/proc.c): exit status, signals,
 * programs that cannot start, time limits that kill the whole group,
 * captured output, the callback's error, environment, directory, stdin,
 * the drain after exit, RLIMIT_FSIZE, PATH search and version lines.
 */
#define _GNU_SOURCE /* prctl */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp_test.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

static char tmpdir[PATH_MAX];
static sp_ctx *ctx;
static char env_path[] = "PATH=/usr/bin:/bin";
static char env_mark[] = "MARK=set";
static char *envp[] = {env_path, env_mark, NULL};

static int
group_setup(void **state)
{
	char t[256];

	(void)state;
	if (sp_test_mkdtemp(t, sizeof(t), "proc") < 0 ||
	    realpath(t, tmpdir) == NULL)
		return -1;
	/* Orphaned grandchildren come back to us, so that the tests can
	 * see how they ended. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -1;
	return sp_ctx_new(&ctx) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	sp_ctx_free(ctx);
	return sp_test_rmtree(tmpdir);
}

static void
path(char *out, size_t n, const char *name)
{
	assert_true((size_t)snprintf(out, n, "%s/%s", tmpdir, name) < n);
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char p[PATH_MAX];
	FILE *f;

	path(p, sizeof(p), name);
	(void)unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static pid_t
read_pid(const char *name)
{
	char p[PATH_MAX], buf[32] = "";
	FILE *f;
	long v;

	path(p, sizeof(p), name);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	v = strtol(buf, NULL, 10);
	assert_true(v > 1);
	return (pid_t)v;
}

/* @p pid ended by SIGKILL (reaped here, as its subreaper), then gone. */
static void
assert_killed(pid_t pid)
{
	int wst = 0;
	pid_t w;

	do {
		w = waitpid(pid, &wst, 0);
	} while (w < 0 && errno == EINTR);
	assert_int_equal(w, pid);
	assert_true(WIFSIGNALED(wst));
	assert_int_equal(WTERMSIG(wst), SIGKILL);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static int
collect(void *arg, const void *buf, size_t n)
{
	return sp_buf_put(arg, buf, n) < 0 ? SP_ENOMEM : 0;
}

/* Run `sh -c SCRIPT` with output (stderr merged) into @p out. */
static int
sh(const char *script, sp_proc_options *o, sp_proc_result *r, sp_buf *out)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};

	o->argv = argv;
	if (o->envp == NULL)
		o->envp = envp;
	if (out != NULL) {
		sp_buf_clear(out);
		o->stdout_mode = SP_PROC_CAPTURE;
		o->stderr_mode = SP_PROC_MERGE;
		o->output = collect;
		o->output_arg = out;
	}
	return sp_proc_run(ctx, o, r);
}

static void
test_util_proc__exit_code_and_signal(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;

	(void)state;
	assert_int_equal(sh("exit 7", &o, &r, NULL), 0);
	assert_true(r.started);
	assert_int_equal(r.exit_code, 7);
	assert_int_equal(r.signal, 0);
	assert_false(r.timed_out);

	assert_int_equal(sh("exit 0", &o, &r, NULL), 0);
	assert_int_equal(r.exit_code, 0);

	/* The file run may differ from argv[0], which the program sees. */
	{
		sp_buf out = SP_BUF_INIT;
		char *argv[] = {"given-name", "-c", "echo $0", NULL};
		sp_proc_options o2 = SP_PROC_OPTIONS_INIT;

		o2.argv = argv;
		o2.path = "/bin/sh";
		o2.envp = envp;
		o2.stdout_mode = SP_PROC_CAPTURE;
		o2.output = collect;
		o2.output_arg = &out;
		assert_int_equal(sp_proc_run(ctx, &o2, &r), 0);
		assert_int_equal(r.exit_code, 0);
		assert_string_equal(out.ptr, "given-name\n");
		sp_buf_dispose(&out);
	}

	assert_int_equal(sh("kill -USR1 $$", &o, &r, NULL), 0);
	assert_true(r.started);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, SIGUSR1);
}

static void
test_util_proc__cannot_start(void **state)
{
	char *missing[] = {"/nonexistent-srcproof/prog", NULL};
	char *plain[2] = {NULL, NULL}, p[PATH_MAX];
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;

	(void)state;
	o.envp = envp;
	o.argv = missing;
	assert_int_equal(sp_proc_run(ctx, &o, &r), 0);
	assert_false(r.started);
	assert_int_equal(r.start_errno, ENOENT);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, 0);

	write_file("plain", "#!/bin/sh\necho hi\n", 0644);
	path(p, sizeof(p), "plain");
	plain[0] = p;
	o.argv = plain;
	assert_int_equal(sp_proc_run(ctx, &o, &r), 0);
	assert_false(r.started);
	assert_int_equal(r.start_errno, EACCES);

	/* A directory that is not there. */
	assert_int_equal(chmod(p, 0755), 0);
	o.cwd = "/nonexistent-srcproof-dir";
	assert_int_equal(sp_proc_run(ctx, &o, &r), 0);
	assert_false(r.started);
	assert_int_equal(r.start_errno, ENOENT);
	o.cwd = tmpdir;
	assert_int_equal(sp_proc_run(ctx, &o, &r), 0);
	assert_true(r.started);
	assert_int_equal(r.exit_code, 0);
}

static void
test_util_proc__timeout_kills_the_group(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	char script[PATH_MAX + 64];
	pid_t gpid;

	(void)state;
	snprintf(script, sizeof(script), "sleep 30 & echo $! > '%s/gpid'; wait",
	    tmpdir);
	o.timeout_ms = 300;
	assert_int_equal(sh(script, &o, &r, NULL), 0);
	assert_true(r.started);
	assert_true(r.timed_out);
	assert_int_equal(r.signal, SIGKILL);
	assert_true(r.duration_ms >= 300 && r.duration_ms < 3000);
	gpid = read_pid("gpid");
	assert_killed(gpid);
}

static void
test_util_proc__term_then_kill(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	sp_buf out = SP_BUF_INIT;

	(void)state;
	/* A child that exits on TERM, within the grace period. */
	o.timeout_ms = 200;
	o.kill_grace_ms = 5000;
	assert_int_equal(sh("trap 'echo term; exit 5' TERM; echo ready; "
	                    "while :; do sleep 0.05; done",
	                     &o, &r, &out),
	    0);
	assert_true(r.timed_out);
	assert_int_equal(r.exit_code, 5);
	assert_true(r.duration_ms >= 200 && r.duration_ms < 3000);
	/* The shell may say that its sleep was "Terminated" too. */
	assert_memory_equal(out.ptr, "ready\n", 6);
	assert_string_equal(out.ptr + out.size - 5, "term\n");

	/* One that ignores it: SIGKILL after the grace period. */
	o.kill_grace_ms = 400;
	assert_int_equal(
	    sh("trap '' TERM; while :; do sleep 0.05; done", &o, &r, &out), 0);
	assert_true(r.timed_out);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, SIGKILL);
	assert_true(r.duration_ms >= 600 && r.duration_ms < 4000);
	sp_buf_dispose(&out);
}

static int
count_calls(void *arg, const void *buf, size_t n)
{
	size_t *calls = arg;

	(void)buf;
	(void)n;
	(*calls)++;
	return 0;
}

static void
test_util_proc__captures_output(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	sp_buf out = SP_BUF_INIT;
	size_t i, calls = 0;
	char *argv[] = {"/bin/sh", "-c",
	    "head -c 300000 /dev/zero | tr '\\0' a; echo err >&2", NULL};

	(void)state;
	assert_int_equal(sh("head -c 300000 /dev/zero | tr '\\0' a; "
	                    "echo err >&2; echo out",
	                     &o, &r, &out),
	    0);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(out.size, 300000 + 8);
	for (i = 0; i < 300000; i++)
		if (out.ptr[i] != 'a')
			fail_msg("byte %zu is %d", i, out.ptr[i]);
	assert_string_equal(out.ptr + 300000, "err\nout\n");

	/* Many reads; stderr to /dev/null this time. */
	memset(&o, 0, sizeof(o));
	o.umask = -1;
	o.argv = argv;
	o.envp = envp;
	o.stdout_mode = SP_PROC_CAPTURE;
	o.output = count_calls;
	o.output_arg = &calls;
	assert_int_equal(sp_proc_run(ctx, &o, &r), 0);
	assert_int_equal(r.exit_code, 0);
	assert_true(calls >= 5);
	sp_buf_dispose(&out);
}

static int
stop_early(void *arg, const void *buf, size_t n)
{
	size_t *seen = arg;

	(void)buf;
	*seen += n;
	return sp_err_set(ctx, SP_ELIMIT, "enough");
}

static void
test_util_proc__callback_error_stops_the_run(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	char script[2 * PATH_MAX + 128];
	size_t seen = 0;
	pid_t leader, gpid;
	char *argv[] = {"/bin/sh", "-c", script, NULL};

	(void)state;
	snprintf(script, sizeof(script),
	    "echo $$ > '%s/leader'; sleep 30 & echo $! > '%s/gpid2'; "
	    "while :; do echo xxxxxxxx; done",
	    tmpdir, tmpdir);
	o.argv = argv;
	o.envp = envp;
	o.stdout_mode = SP_PROC_CAPTURE;
	o.output = stop_early;
	o.output_arg = &seen;
	assert_int_equal(sp_proc_run(ctx, &o, &r), SP_ELIMIT);
	assert_string_equal(sp_ctx_errmsg(ctx), "enough");
	assert_true(r.started);
	assert_true(seen > 0);
	assert_int_equal(r.signal, SIGKILL);
	/* The leader was reaped, its child killed. */
	leader = read_pid("leader");
	assert_int_equal(waitpid(leader, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	gpid = read_pid("gpid2");
	assert_killed(gpid);
}

static void
test_util_proc__env_cwd_umask_stdin(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	sp_buf out = SP_BUF_INIT;
	char want[PATH_MAX + 64];
	static char env_only[] = "ONLY=this";
	char *env2[] = {env_only, NULL};

	(void)state;
	o.cwd = tmpdir;
	o.umask = 027;
	assert_int_equal(sh("echo \"$MARK\"; pwd; umask; "
	                    "readlink /proc/self/fd/0; cat; echo end",
	                     &o, &r, &out),
	    0);
	assert_int_equal(r.exit_code, 0);
	snprintf(want, sizeof(want), "set\n%s\n0027\n/dev/null\nend\n", tmpdir);
	assert_string_equal(out.ptr, want);

	/* The whole environment is the one given. */
	{
		char *a2[] = {"/usr/bin/env", NULL};

		memset(&o, 0, sizeof(o));
		o.umask = -1;
		o.argv = a2;
		o.envp = env2;
		o.stdout_mode = SP_PROC_CAPTURE;
		o.output = collect;
		o.output_arg = &out;
		sp_buf_clear(&out);
		assert_int_equal(sp_proc_run(ctx, &o, &r), 0);
		assert_string_equal(out.ptr, "ONLY=this\n");
	}
	sp_buf_dispose(&out);
}

static void
test_util_proc__drain_after_exit(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	sp_buf out = SP_BUF_INIT;
	char late[2 * PATH_MAX + 200], ready[PATH_MAX];
	int i;

	(void)state;
	/* A process of another session (not killed with the group) keeps
	 * the pipe open and writes after the leader exited; the leader waits
	 * until it is out of the group. */
	path(ready, sizeof(ready), "ready");
	snprintf(late, sizeof(late),
	    "setsid sh -c 'touch \"%s\"; sleep 0.4; echo late' & "
	    "while [ ! -e '%s' ]; do sleep 0.01; done; echo early",
	    ready, ready);
	for (i = 0; i < 3; i++) {
		static const uint64_t drain[] = {5000, 0, 100};

		(void)unlink(ready);
		o.drain_ms = drain[i];
		assert_int_equal(sh(late, &o, &r, &out), 0);
		assert_int_equal(r.exit_code, 0);
		assert_string_equal(
		    out.ptr, i == 0 ? "early\nlate\n" : "early\n");
	}

	/* What is in the pipe at exit is read even without a drain. */
	o.drain_ms = 0;
	assert_int_equal(sh("head -c 200000 /dev/zero", &o, &r, &out), 0);
	assert_int_equal(out.size, 200000);
	/* Let the late writers end before the next test. */
	usleep(500 * 1000);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sp_buf_dispose(&out);
}

static void
test_util_proc__fsize_limit_and_fd(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	char p[PATH_MAX];
	char *argv[] = {"/usr/bin/head", "-c", "10000", "/dev/zero", NULL};
	struct stat st;
	sp_buf got = SP_BUF_INIT;
	int fd;

	(void)state;
	path(p, sizeof(p), "capped");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	o.argv = argv;
	o.envp = envp;
	o.stdout_mode = SP_PROC_FD;
	o.stdout_fd = fd;
	o.fsize_limit = 4096;
	assert_int_equal(sp_proc_run(ctx, &o, &r), 0);
	assert_true(r.started);
	assert_int_equal(r.signal, SIGXFSZ);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 4096);
	/* The descriptor given stays ours, open. */
	assert_int_equal(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);

	/* stdout to a descriptor, stderr merged into it, no limit. */
	path(p, sizeof(p), "both");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	{
		char *a2[] = {"/bin/sh", "-c", "echo one; echo two >&2", NULL};

		memset(&o, 0, sizeof(o));
		o.umask = -1;
		o.argv = a2;
		o.envp = envp;
		o.stdout_mode = SP_PROC_FD;
		o.stdout_fd = fd;
		o.stderr_mode = SP_PROC_MERGE;
		assert_int_equal(sp_proc_run(ctx, &o, &r), 0);
		assert_int_equal(r.exit_code, 0);
	}
	close(fd);
	assert_int_equal(sp_read_file(ctx, &got, p, 1024, 0), 0);
	assert_int_equal(got.size, 8);
	assert_memory_equal(got.ptr, "one\ntwo\n", 8);
	sp_buf_dispose(&got);
}

static void
test_util_proc__descriptors_are_not_inherited(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	sp_buf out = SP_BUF_INIT;
	char want[2048];
	int fd;

	(void)state;
	/* Above 2, the child has only what we had without FD_CLOEXEC: none
	 * of the runner's pipes or /dev/null. */
	want[0] = '\0';
	for (fd = 3; fd < 256; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl >= 0 && !(fl & FD_CLOEXEC))
			snprintf(want + strlen(want),
			    sizeof(want) - strlen(want), "%d\n", fd);
	}
	assert_int_equal(sh("i=3; while [ $i -lt 256 ]; do "
	                    "[ -e /proc/$$/fd/$i ] && echo $i; i=$((i+1)); "
	                    "done; exit 0",
	                     &o, &r, &out),
	    0);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(out.ptr != NULL ? out.ptr : "", want);
	sp_buf_dispose(&out);
}

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void
test_util_proc__interrupted_by_signals(void **state)
{
	sp_proc_options o = SP_PROC_OPTIONS_INIT;
	sp_proc_result r;
	sp_buf out = SP_BUF_INIT;
	struct sigaction sa;
	struct itimerval it = {{0, 2000}, {0, 2000}}, off;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: calls fail with EINTR */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&off, 0, sizeof(off));
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(
	    sh("sleep 0.2; head -c 100000 /dev/zero; exit 3", &o, &r, &out), 0);
	/* The handler stays: a late SIGALRM must not end the tests. */
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_true(alarms > 10);
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(out.size, 100000);
	sp_buf_dispose(&out);
}

static void
test_util_proc__which(void **state)
{
	char out[PATH_MAX], want[PATH_MAX], cwd[PATH_MAX],
	    pathenv[3 * PATH_MAX];
	char small[8];

	(void)state;
	assert_int_equal(mkdir(tmpdir, 0755) < 0 && errno == EEXIST, 1);
	{
		char d[PATH_MAX];

		path(d, sizeof(d), "rel");
		(void)mkdir(d, 0755);
		path(d, sizeof(d), "abs");
		(void)mkdir(d, 0755);
		path(d, sizeof(d), "abs/tooldir");
		(void)mkdir(d, 0755);
	}
	write_file("rel/tool", "#!/bin/sh\n", 0755);
	write_file("abs/tool", "#!/bin/sh\n", 0755);
	write_file("abs/noexec", "#!/bin/sh\n", 0644);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);

	/* A relative entry first: skipped when absolute_only. */
	snprintf(pathenv, sizeof(pathenv), "::rel:%s/abs", tmpdir);
	assert_true(sp_proc_which(out, sizeof(out), "tool", pathenv, true));
	path(want, sizeof(want), "abs/tool");
	assert_string_equal(out, want);
	assert_true(sp_proc_which(out, sizeof(out), "tool", pathenv, false));
	assert_string_equal(out, "rel/tool");

	/* Not executable, a directory, missing, empty names. */
	assert_false(sp_proc_which(out, sizeof(out), "noexec", pathenv, false));
	assert_string_equal(out, "");
	assert_false(
	    sp_proc_which(out, sizeof(out), "tooldir", pathenv, false));
	assert_false(sp_proc_which(out, sizeof(out), "nope", pathenv, false));
	assert_false(sp_proc_which(out, sizeof(out), "", pathenv, false));
	assert_false(sp_proc_which(out, sizeof(out), "tool", NULL, false));
	assert_false(sp_proc_which(out, sizeof(out), "tool", "", false));
	/* Too long for the output. */
	assert_false(
	    sp_proc_which(small, sizeof(small), "tool", pathenv, true));

	/* A name with a '/': taken as it is, if executable. */
	assert_true(sp_proc_which(out, sizeof(out), "rel/tool", "", true));
	assert_string_equal(out, "rel/tool");
	assert_false(sp_proc_which(out, sizeof(out), "abs/noexec", "", true));
	assert_int_equal(chdir(cwd), 0);
}

static void
test_util_proc__first_line(void **state)
{
	char p[PATH_MAX], v[SP_PROC_LINE_MAX + 100], tiny[6];
	char script[3000];

	(void)state;
	write_file("ver",
	    "#!/bin/sh\n"
	    "printf '\\n  \\r\\n\\nmy tool 1.2  \\r\\nmore\\n'\n",
	    0755);
	path(p, sizeof(p), "ver");
	sp_proc_first_line(p, "--version", envp, false, v, sizeof(v));
	assert_string_equal(v, "my tool 1.2");
	/* Longer than the output buffer: none. */
	sp_proc_first_line(p, "--version", envp, false, tiny, sizeof(tiny));
	assert_string_equal(tiny, "");

	/* The argument reaches it; no final newline. */
	write_file("ver", "#!/bin/sh\nprintf 'arg=%s' \"$1\"\n", 0755);
	sp_proc_first_line(p, "-x", envp, false, v, sizeof(v));
	assert_string_equal(v, "arg=-x");

	/* Not UTF-8, or with control characters: none. */
	write_file("ver", "#!/bin/sh\nprintf 'bad \\377\\nok\\n'\n", 0755);
	sp_proc_first_line(p, "--version", envp, false, v, sizeof(v));
	assert_string_equal(v, "");
	write_file("ver", "#!/bin/sh\nprintf 'esc \\033[31m\\n'\n", 0755);
	sp_proc_first_line(p, "--version", envp, false, v, sizeof(v));
	assert_string_equal(v, "");
	write_file("ver", "#!/bin/sh\nprintf 'caf\\303\\251 2\\n'\n", 0755);
	sp_proc_first_line(p, "--version", envp, false, v, sizeof(v));
	assert_string_equal(v, "caf\xc3\xa9 2");

	/* Standard error only when merged. */
	write_file("ver", "#!/bin/sh\necho 'on stderr' >&2\necho out\n", 0755);
	sp_proc_first_line(p, "--version", envp, false, v, sizeof(v));
	assert_string_equal(v, "out");
	sp_proc_first_line(p, "--version", envp, true, v, sizeof(v));
	assert_string_equal(v, "on stderr");

	/* A line of SP_PROC_LINE_MAX bytes is kept, one more is not. */
	snprintf(script, sizeof(script),
	    "#!/bin/sh\nhead -c %d /dev/zero | tr '\\0' v; echo '  '\n",
	    SP_PROC_LINE_MAX);
	write_file("ver", script, 0755);
	sp_proc_first_line(p, "--version", envp, false, v, sizeof(v));
	assert_int_equal(strlen(v), SP_PROC_LINE_MAX);
	snprintf(script, sizeof(script),
	    "#!/bin/sh\nhead -c %d /dev/zero | tr '\\0' v; echo\n",
	    SP_PROC_LINE_MAX + 1);
	write_file("ver", script, 0755);
	sp_proc_first_line(p, "--version", envp, false, v, sizeof(v));
	assert_string_equal(v, "");

	/* The environment given, nothing else. */
	write_file("ver", "#!/bin/sh\necho \"[$MARK][$HOME]\"\n", 0755);
	sp_proc_first_line(p, "--version", envp, false, v, sizeof(v));
	assert_string_equal(v, "[set][]");

	/* Cannot run, no output, hangs: none (within the time limit). */
	sp_proc_first_line(
	    "/nonexistent-tool", "--version", envp, true, v, sizeof(v));
	assert_string_equal(v, "");
	write_file("ver", "#!/bin/sh\nexit 0\n", 0755);
	sp_proc_first_line(p, "--version", envp, true, v, sizeof(v));
	assert_string_equal(v, "");
}

static bool
drop_secret(const char *entry, void *arg)
{
	return strncmp(entry, (const char *)arg, strlen(arg)) == 0;
}

static void
test_util_proc__env(void **state)
{
	static char a[] = "A=1", b[] = "B=2", bb[] = "BB=5", s[] = "SECRET=x";
	static char b3[] = "B=3", c[] = "C=";
	char *base[] = {a, b, s, bb, NULL};
	char *set[] = {b3, c, NULL};
	char **e;

	(void)state;
	e = sp_proc_env(ctx, base, set, drop_secret, "SECRET=");
	assert_non_null(e);
	assert_string_equal(e[0], "A=1");
	assert_string_equal(e[1], "BB=5");
	assert_string_equal(e[2], "B=3");
	assert_string_equal(e[3], "C=");
	assert_null(e[4]);
	free(e);
	e = sp_proc_env(ctx, NULL, NULL, NULL, NULL);
	assert_non_null(e);
	assert_null(e[0]);
	free(e);
	sp_ctx_fail_alloc_after(ctx, 1);
	assert_null(sp_proc_env(ctx, base, set, NULL, NULL));
	assert_int_equal(sp_ctx_errcode(ctx), SP_ENOMEM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_util_proc__exit_code_and_signal),
	    cmocka_unit_test(test_util_proc__cannot_start),
	    cmocka_unit_test(test_util_proc__timeout_kills_the_group),
	    cmocka_unit_test(test_util_proc__term_then_kill),
	    cmocka_unit_test(test_util_proc__captures_output),
	    cmocka_unit_test(test_util_proc__callback_error_stops_the_run),
	    cmocka_unit_test(test_util_proc__env_cwd_umask_stdin),
	    cmocka_unit_test(test_util_proc__drain_after_exit),
	    cmocka_unit_test(test_util_proc__fsize_limit_and_fd),
	    cmocka_unit_test(test_util_proc__descriptors_are_not_inherited),
	    cmocka_unit_test(test_util_proc__interrupted_by_signals),
	    cmocka_unit_test(test_util_proc__which),
	    cmocka_unit_test(test_util_proc__first_line),
	    cmocka_unit_test(test_util_proc__env),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
