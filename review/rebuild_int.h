/*
 * Internals of the rebuild driver and signed verdicts (review/rebuild*.c,
 * review/verdict*.c). Not part of the public API.
 */
#ifndef SP_REBUILD_INT_H
#define SP_REBUILD_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srcproof/rebuild.h"
#include "srcproof/util.h"

/* ---- binaries/SHA256SUMS --------------------------------------------------
 */

/** Largest SHA256SUMS read (the bundle reader's limit). */
#define RB_SUMS_MAX_SIZE ((size_t)64 << 20)
/** Most lines read. */
#define RB_SUMS_MAX_ENTRIES 65536

typedef struct rb_sum {
	char *name;   /* decoded name (a safe relative path) */
	char hex[65]; /* lower-case SHA-256 */
	bool used;    /* matched to a declared output */
} rb_sum;

/**
 * Parse a SHA256SUMS file as srcproof bundles carry it (docs/spec/bundle.md
 * section 2.2): "HEX  NAME" lines, LF-terminated, names sorted and unique,
 * with sha256sum's escaping ("\" before the hash; "\\", "\n", "\r" in the
 * name). Names MUST be safe relative paths.
 * @param out receives an array of *n entries (rb_sums_free)
 * @return 0, SP_EPARSE (the message names the line), SP_ELIMIT, SP_ENOMEM
 */
int rb_sums_parse(
    sp_ctx *ctx, rb_sum **out, size_t *n, const char *data, size_t len) SP_WUR;

void rb_sums_free(rb_sum *v, size_t n);

/* ---- running the build ------------------------------------------------------
 */

typedef enum rb_build_status {
	RB_BUILD_NOT_RUN = 0,
	RB_BUILD_OK = 1,       /* exit status 0 */
	RB_BUILD_FAILED = 2,   /* non-zero exit or killed by a signal */
	RB_BUILD_TIMEOUT = 3,  /* killed at the wall-clock limit */
	RB_BUILD_NO_START = 4, /* could not be started (exec failed) */
} rb_build_status;

const char *rb_build_status_name(rb_build_status s);

typedef struct rb_exec {
	const char *const *argv; /* NULL-terminated */
	char *const *envp;       /* NULL-terminated */
	const char *cwd;
	const char *path_env; /* PATH used to find argv[0] */
	const char *log_path; /* created (O_EXCL) */
	uint64_t max_log;
	unsigned timeout; /* seconds */
} rb_exec;

typedef struct rb_exec_result {
	rb_build_status status;
	int exit_code; /* -1 unless exited */
	int signal;    /* 0 unless killed by a signal */
	uint64_t duration_ms;
	uint64_t log_bytes;    /* bytes in the log file */
	uint64_t output_total; /* bytes the build wrote */
	bool log_truncated;
	char program[4096]; /* argv[0] as run (resolved), "" if not found */
	char error[SP_ERRMSG_MAX]; /* why it could not start, or "" */
} rb_exec_result;

/**
 * Run a command in its own process group, standard input /dev/null,
 * stdout and stderr into @p e->log_path (capped at e->max_log bytes; the
 * rest is counted and dropped), umask 022, at most e->timeout seconds
 * (SIGTERM to the group, SIGKILL two seconds later). Whatever the build
 * does, the result is in @p r; the return value is an error only when the
 * log could not be written or a process could not be created.
 */
int rb_exec_run(sp_ctx *ctx, const rb_exec *e, rb_exec_result *r) SP_WUR;

/**
 * Run `PROGRAM --version` (stdin /dev/null, stderr to /dev/null, LC_ALL=C,
 * 10 s) and copy its first non-empty line into @p out, "" when none
 * (sp_proc_first_line: the same rule as the recipe's recorded versions).
 */
void rb_tool_version(const char *program, char *out, size_t outlen);

/* ---- verdict documents
 * --------------------------------------------------------
 */

/**
 * A JSON string for text that may come from an input: the string itself
 * when it is valid UTF-8, else its terminal-escaped form. Never NULL
 * unless out of memory.
 */
json_t *rb_jstr(const char *s);

/** Same for @p len bytes. */
json_t *rb_jstrn(const char *s, size_t len);

/** A JSON string of the hex of a 32-byte digest. */
json_t *rb_jhex(const uint8_t digest[32]);

/**
 * The artefact object of a comparison (docs/spec/verdict.md section 4):
 * name, output, verdict, method, compare_method, reason, digests, sizes,
 * signatures, ranges, findings. @p cres may be NULL (then the caller
 * fills verdict, method and reason).
 */
int rb_artefact_from_compare(sp_ctx *ctx, json_t **out, const char *name,
    const char *output, const sp_compare_result *cres) SP_WUR;

/** Set members of an artefact object (strings copied, NULL means null). */
int rb_artefact_set(sp_ctx *ctx, json_t *art, sp_verdict v, const char *method,
    const char *reason) SP_WUR;

/**
 * Wrap @p predicate into an in-toto Statement with @p subjects (an array
 * of {name, digest: {sha256}}; at least one) and append its compact,
 * key-sorted JSON to @p out.
 */
int rb_statement(
    sp_ctx *ctx, sp_buf *out, json_t *subjects, const json_t *predicate) SP_WUR;

/** Parse a verdict name; -1 when unknown. */
int rb_verdict_parse(const char *s);

#endif
