/*
 * Toolchain probing for recipes: PATH lookup and `TOOL --version`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "escrow_int.h"
#include "util_int.h"

#include "banned.h"

/* How long one `TOOL --version` may run. */
#define VERSION_TIMEOUT_MS 10000
/* Output read from it at most. */
#define VERSION_MAX_OUTPUT 65536

static bool
is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

int
sp_recipe__which(char **out, const char *name, const char *path_env)
{
	const char *p = path_env, *end;
	char buf[PATH_MAX];

	*out = NULL;
	if (name[0] == '\0')
		return SP_ENOTFOUND;
	if (strchr(name, '/') != NULL) {
		if (!is_exec_file(name))
			return SP_ENOTFOUND;
		if (name[0] == '/') {
			*out = strdup(name);
		} else {
			char cwd[PATH_MAX];

			if (getcwd(cwd, sizeof(cwd)) == NULL)
				return SP_ENOTFOUND;
			if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", cwd,
			        name) >= sizeof(buf))
				return SP_ENOTFOUND;
			*out = strdup(buf);
		}
		return *out != NULL ? 0 : SP_ENOMEM;
	}
	while (p != NULL && *p != '\0') {
		size_t n;

		end = strchr(p, ':');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		/* Empty or relative PATH entries are skipped: they depend
		 * on the current directory. */
		if (n > 0 && p[0] == '/' &&
		    n + strlen(name) + 2 < sizeof(buf)) {
			memcpy(buf, p, n);
			buf[n] = '/';
			memcpy(buf + n + 1, name, strlen(name) + 1);
			if (is_exec_file(buf)) {
				*out = strdup(buf);
				return *out != NULL ? 0 : SP_ENOMEM;
			}
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return SP_ENOTFOUND;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sp_recipe__first_line(sp_ctx *ctx, sp_buf *line, const char *prog,
    const char *arg, const char *const *envp)
{
	posix_spawn_file_actions_t fa;
	const char **env = NULL;
	char *argv[3];
	sp_buf outb = SP_BUF_INIT;
	int pipefd[2] = {-1, -1};
	pid_t pid = -1;
	size_t n = 0, i, k = 0;
	int64_t deadline;
	bool fa_init = false;
	int error = 0, status;

	sp_buf_clear(line);
	for (n = 0; envp[n] != NULL; n++)
		;
	if ((env = sp_calloc(ctx, n + 2, sizeof(*env))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	env[k++] = "LC_ALL=C";
	for (i = 0; i < n; i++) {
		if (strncmp(envp[i], "LC_ALL=", 7) != 0)
			env[k++] = envp[i];
	}
	env[k] = NULL;
	if (pipe(pipefd) < 0)
		goto out;
	(void)fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	fa_init = true;
	if (posix_spawn_file_actions_addopen(
	        &fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2) != 0)
		goto out;
	argv[0] = (char *)prog;
	argv[1] = (char *)arg;
	argv[2] = NULL;
	if (posix_spawn(&pid, prog, &fa, NULL, argv, (char *const *)env) != 0) {
		pid = -1;
		goto out;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	deadline = now_ms() + VERSION_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = {pipefd[0], POLLIN, 0};
		int64_t left = deadline - now_ms();
		char chunk[4096];
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		r = read(pipefd[0], chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (outb.size < VERSION_MAX_OUTPUT &&
		    sp_buf_put(&outb, chunk, (size_t)r) < 0)
			break;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	/* First non-empty line, if clean UTF-8. */
	if (outb.ptr != NULL) {
		const char *s = outb.ptr, *e;

		while (*s != '\0') {
			e = strchr(s, '\n');
			n = e != NULL ? (size_t)(e - s) : strlen(s);
			while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' '))
				n--;
			if (n > 0) {
				if (n <= 1024 && sp_is_clean_utf8(s, n) &&
				    sp_buf_put(line, s, n) < 0)
					error = sp_err_set(
					    ctx, SP_ENOMEM, "out of memory");
				break;
			}
			if (e == NULL)
				break;
			s = e + 1;
		}
	}
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	free(env);
	sp_buf_dispose(&outb);
	return error;
}
