/*
 * Internal helpers shared by the modules (not part of the public API).
 */
#ifndef SP_UTIL_INT_H
#define SP_UTIL_INT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srcproof/ctx.h"

/** Allocation through the context, so tests can fail the Nth one. */
void *sp_malloc(sp_ctx *ctx, size_t n);
void *sp_calloc(sp_ctx *ctx, size_t count, size_t n);

struct stat;

/** sp_open_read, with the fstat it makes of the file in *st. */
int sp_open_read_st(sp_ctx *ctx, int *fd_out, const char *path, unsigned flags,
    struct stat *st);

/** API misuse: assert in debug builds, SP_EINVALID otherwise. */
#ifdef NDEBUG
#define SP_ASSERT_ARG(ctx, cond)                                               \
	do {                                                                   \
		if (!(cond))                                                   \
			return sp_err_set((ctx), SP_EINVALID,                  \
			    "invalid argument: %s", #cond);                    \
	} while (0)
#else
#define SP_ASSERT_ARG(ctx, cond) assert(cond)
#endif

#define SP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- running programs (proc.c) -------------------------------------------
 *
 * The one place srcproof starts another program. The child gets its own
 * process group, standard input from /dev/null, an empty signal mask and
 * default signal handlers (ignored signals stay ignored, except SIGPIPE);
 * between fork and exec it makes only async-signal-safe calls. Every
 * descriptor the runner opens is close-on-exec. Whatever happens (exit,
 * time limit, an error of the output callback), the whole process group
 * is SIGKILLed and the child reaped before sp_proc_run returns.
 */

/** Where the child's standard output or error goes. */
typedef enum sp_proc_out {
	SP_PROC_NULL = 0, /* /dev/null */
	SP_PROC_INHERIT,  /* our own descriptor, as it is */
	SP_PROC_CAPTURE,  /* stdout only: a pipe read into output() */
	SP_PROC_FD,       /* stdout_fd or stderr_fd (a copy is given) */
	SP_PROC_MERGE     /* stderr only: wherever stdout goes */
} sp_proc_out;

typedef struct sp_proc_options {
	char *const *argv;
	/* The file run: a path, no PATH search (see sp_proc_which); NULL:
	 * argv[0]. */
	const char *path;
	char *const *envp;   /* the whole environment */
	const char *cwd;     /* NULL: ours */
	uint64_t timeout_ms; /* wall clock from the start; 0: none */
	/* At the limit: SIGTERM to the group, SIGKILL this much later (0:
	 * SIGKILL at once). */
	uint64_t kill_grace_ms;
	/* Once the leader exited (and the rest of its group was killed):
	 * how long to wait for the end of the captured output. What is
	 * already in the pipe is always read. */
	uint64_t drain_ms;
	sp_proc_out stdout_mode, stderr_mode;
	int stdout_fd, stderr_fd; /* for SP_PROC_FD */
	/* Captured output; a negative return stops the run (the group is
	 * killed and reaped) and sp_proc_run returns it. */
	int (*output)(void *arg, const void *buf, size_t n);
	void *output_arg;
	int umask;            /* -1: ours */
	uint64_t fsize_limit; /* RLIMIT_FSIZE of the child; 0: ours */
} sp_proc_options;

#define SP_PROC_OPTIONS_INIT                                                   \
	{                                                                      \
		.stdout_fd = -1, .stderr_fd = -1, .umask = -1                  \
	}

typedef struct sp_proc_result {
	bool started;         /* exec succeeded */
	int start_errno;      /* why not (chdir or exec), else 0 */
	bool timed_out;       /* the time limit was reached */
	int exit_code;        /* -1 unless it exited */
	int signal;           /* 0 unless killed by a signal */
	uint64_t duration_ms; /* from the start to the leader's exit */
} sp_proc_result;

/**
 * Run @p o->argv and wait for it. A program that cannot be started (no
 * such file, not executable, @p o->cwd missing) is r->started false with
 * r->start_errno, and 0 is returned.
 * @return 0, the output callback's error, or SP_EIO (error set) when no
 * process could be created or waited for
 */
int sp_proc_run(
    sp_ctx *ctx, const sp_proc_options *o, sp_proc_result *r) SP_WUR;

/**
 * The program @p name as found on @p path_env (a PATH value, may be NULL):
 * the first entry where it is an executable regular file. Empty entries
 * are skipped, and so are relative ones when @p absolute_only. A @p name
 * with a '/' is not searched: it is copied when it is an executable file.
 * @return true when found (in @p out)
 */
bool sp_proc_which(char *out, size_t outlen, const char *name,
    const char *path_env, bool absolute_only);

/** Longest line sp_proc_first_line returns, in bytes. */
#define SP_PROC_LINE_MAX 1024

/**
 * Run `@p program @p arg` (stdin /dev/null, environment @p envp, 10 s)
 * and copy into @p out the first line of its standard output (with
 * standard error when @p merge_stderr) that is not empty once trailing
 * spaces and CRs are cut. "" when there is none, when that line is longer
 * than SP_PROC_LINE_MAX or @p outlen - 1 bytes, or not printable UTF-8, or
 * when the program cannot be run: a version string is informative only.
 */
void sp_proc_first_line(const char *program, const char *arg, char *const *envp,
    bool merge_stderr, char *out, size_t outlen);

/**
 * A new environment: the entries of @p base (NULL-terminated, may be NULL)
 * but those whose name is set by @p set or for which @p drop (may be NULL)
 * is true, then the entries of @p set. The strings are borrowed; free()
 * the array.
 * @return the array, or NULL when out of memory (error set)
 */
char **sp_proc_env(sp_ctx *ctx, char *const *base, char *const *set,
    bool (*drop)(const char *entry, void *arg), void *arg);

#endif
