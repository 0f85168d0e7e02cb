/*
 * Build recipes: what a rebuild needs to know about the original build.
 *
 * A recipe records the build command (an argument vector, never a shell
 * line), where it ran (the source root's absolute path and the working
 * directory below it), SOURCE_DATE_EPOCH, an allowlisted environment
 * (compiler and flags, locale, time zone; never secrets), the identity of
 * the toolchain found on PATH (path, SHA-256, size and version line of the
 * compiler, linker, make and other key tools), the host architecture and
 * operating system, and the declared outputs. Its on-disk form is canonical
 * JSON, specified in docs/spec/recipe.md; the same facts give the same
 * bytes.
 *
 * A rebuild driver reads it back:
 *
 *     sp_recipe *r = NULL;
 *     size_t argc, nenv, ntools;
 *     error = sp_recipe_load(ctx, &r, "recipe");
 *     const char *const *argv = sp_recipe_command(r, &argc);
 *     const sp_recipe_env *env = sp_recipe_environment(r, &nenv);
 *     const sp_recipe_tool *tools = sp_recipe_toolchain(r, &ntools);
 *     ...
 *     sp_recipe_free(r);
 */
#ifndef SRCPROOF_RECIPE_H
#define SRCPROOF_RECIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"

/** Value of the "format" member of a version-1 recipe. */
#define SP_RECIPE_FORMAT "srcproof-recipe v1"

/** Limits enforced by the recorder and the parser (docs/spec/recipe.md). */
#define SP_RECIPE_MAX_SIZE ((size_t)1 << 20) /**< bytes of a recipe file */
#define SP_RECIPE_MAX_ARGS 4096              /**< words of the command */
#define SP_RECIPE_MAX_ENV 256                /**< environment variables */
#define SP_RECIPE_MAX_TOOLS 256              /**< toolchain entries */
#define SP_RECIPE_MAX_OUTPUTS 65536          /**< declared outputs */
#define SP_RECIPE_MAX_STRING 65536           /**< bytes of one string */

/** A recorded or parsed recipe (opaque; sp_recipe_free). */
typedef struct sp_recipe sp_recipe;

/** One environment variable; strings borrowed from the recipe. */
typedef struct sp_recipe_env {
	const char *name;
	const char *value;
} sp_recipe_env;

/** One tool of the toolchain; strings borrowed from the recipe. */
typedef struct sp_recipe_tool {
	const char *name;     /**< name looked up ("gcc", "gcc:cc1", ...) */
	const char *path;     /**< where PATH lookup found it (absolute) */
	const char *resolved; /**< the file after resolving symlinks */
	char sha256[65];      /**< SHA-256 of the resolved file, lower hex */
	uint64_t size;        /**< size of the resolved file */
	const char *version;  /**< first line of `TOOL --version`, or "" */
} sp_recipe_tool;

/** Options of sp_recipe_record. */
typedef struct sp_recipe_record_options {
	unsigned int version; /**< SP_RECIPE_RECORD_OPTIONS_VERSION */
	/** The build command, @p argc >= 1 words. */
	const char *const *argv;
	size_t argc;
	/** The source root (default "."); recorded as an absolute path. */
	const char *source_dir;
	/**
	 * Where the command runs, relative to the source root ('/'-separated,
	 * no "..", default "."). It MUST exist below the source root.
	 */
	const char *workdir;
	/** Declared outputs, paths relative to the source root. */
	const char *const *outputs;
	size_t noutputs;
	/** More tools to identify (names looked up on PATH, or paths). */
	const char *const *tools;
	size_t ntools;
	/** More environment variable names to record besides the allowlist. */
	const char *const *env_names;
	size_t nenv_names;
	/** The environment to read; NULL means the process environment. */
	const char *const *envp;
	/**
	 * SOURCE_DATE_EPOCH when @p have_source_date_epoch; otherwise it is
	 * read from the environment, and left out when absent there too.
	 */
	int64_t source_date_epoch;
	bool have_source_date_epoch;
	/** Do not run `TOOL --version` (hashes are still recorded). */
	bool no_versions;
} sp_recipe_record_options;

#define SP_RECIPE_RECORD_OPTIONS_VERSION 1
#define SP_RECIPE_RECORD_OPTIONS_INIT                                          \
	{                                                                      \
		SP_RECIPE_RECORD_OPTIONS_VERSION, NULL, 0, NULL, NULL, NULL,   \
		    0, NULL, 0, NULL, 0, NULL, 0, false, false                 \
	}

/**
 * Names recorded from the environment when set: CC CXX CPP LD AR AS NM
 * RANLIB STRIP OBJCOPY OBJDUMP WINDRES RC CFLAGS CPPFLAGS CXXFLAGS LDFLAGS
 * ASFLAGS ARFLAGS MAKEFLAGS GOFLAGS RUSTFLAGS LANG LANGUAGE LC_ALL LC_*
 * TZ SOURCE_DATE_EPOCH DEB_BUILD_OPTIONS. True when @p name is one.
 */
bool sp_recipe_env_allowed(const char *name);

/**
 * Record a recipe for a build about to run (or that just ran) in this
 * environment. Looks up the toolchain on the PATH of @p opts->envp: the
 * default key tools (cc, c++, gcc, g++, clang, ld, as, ar, make, cmake,
 * ninja, ...; for gcc-like compilers also cc1, cc1plus, collect2), the
 * programs named by CC, CXX, LD and AR, the command's own program and
 * @p opts->tools. Tools that are not found are left out; a tool named in
 * @p opts->tools that is not found is an error.
 *
 * @param out receives the recipe, owned by the caller (sp_recipe_free)
 * @return 0, SP_EINVALID (bad option), SP_ENOTFOUND (source, workdir or
 *         named tool missing), SP_EIO, SP_ENOMEM
 */
int sp_recipe_record(
    sp_ctx *ctx, sp_recipe **out, const sp_recipe_record_options *opts) SP_WUR;

/**
 * Append the canonical JSON of @p r (sorted keys, two-space indent, ASCII
 * only, final newline) to @p out.
 */
int sp_recipe_serialize(sp_ctx *ctx, const sp_recipe *r, sp_buf *out) SP_WUR;

/**
 * Write @p r to @p path atomically.
 * @param flags SP_ATOMIC_EXCL to refuse an existing file
 */
int sp_recipe_write(
    sp_ctx *ctx, const sp_recipe *r, const char *path, unsigned flags) SP_WUR;

/**
 * Parse a recipe (at most SP_RECIPE_MAX_SIZE bytes; duplicate keys,
 * unknown keys, wrong types and out-of-range values are refused). The
 * input need not be canonical.
 * @param out receives the recipe (sp_recipe_free)
 * @return 0, SP_EPARSE, SP_ELIMIT or SP_ENOMEM
 */
int sp_recipe_parse(
    sp_ctx *ctx, sp_recipe **out, const char *data, size_t len) SP_WUR;

/** Read (O_NOFOLLOW) and parse the recipe file @p path. */
int sp_recipe_load(sp_ctx *ctx, sp_recipe **out, const char *path) SP_WUR;

/** Free a recipe; NULL is a no-op. */
void sp_recipe_free(sp_recipe *r);

/* ---- accessors (borrowed values, valid while the recipe lives) -------- */

/** The build command; *argc receives the number of words (>= 1). */
const char *const *sp_recipe_command(const sp_recipe *r, size_t *argc);

/** Working directory relative to the source root ("." for the root). */
const char *sp_recipe_workdir(const sp_recipe *r);

/** Absolute path of the source root when the recipe was recorded. */
const char *sp_recipe_build_path(const sp_recipe *r);

/**
 * SOURCE_DATE_EPOCH.
 * @return true and *out set when the recipe has one
 */
bool sp_recipe_source_date_epoch(const sp_recipe *r, int64_t *out);

/** Environment, sorted by name; *n receives the count. */
const sp_recipe_env *sp_recipe_environment(const sp_recipe *r, size_t *n);

/** Value of environment variable @p name in the recipe, or NULL. */
const char *sp_recipe_getenv(const sp_recipe *r, const char *name);

/** Toolchain, sorted by name; *n receives the count. */
const sp_recipe_tool *sp_recipe_toolchain(const sp_recipe *r, size_t *n);

/** Host architecture (uname machine, e.g. "x86_64"). */
const char *sp_recipe_arch(const sp_recipe *r);

/** Host operating system (uname sysname, e.g. "Linux"). */
const char *sp_recipe_os(const sp_recipe *r);

/** Distribution ("ID VERSION_ID" of os-release, e.g. "debian 12"), or "". */
const char *sp_recipe_distro(const sp_recipe *r);

/** Declared outputs, sorted; *n receives the count. */
const char *const *sp_recipe_outputs(const sp_recipe *r, size_t *n);

/* ---- toolchain comparison (for rebuilds) --------------------------------- */

/** Outcome of comparing one recorded tool with the local one. */
typedef enum sp_recipe_tool_status {
	SP_TOOL_SAME = 0,      /**< same SHA-256 */
	SP_TOOL_DIFFERENT = 1, /**< found, other bytes */
	SP_TOOL_MISSING = 2,   /**< not found at its path nor on PATH */
} sp_recipe_tool_status;

/**
 * Called for each recorded tool. @p local_sha256 is the local file's digest
 * (NULL when missing), @p local_path where it was found.
 * Return non-zero to stop.
 */
typedef int (*sp_recipe_tool_cb)(sp_recipe_tool_status status,
    const sp_recipe_tool *recorded, const char *local_path,
    const char *local_sha256, void *payload);

/**
 * Compare the recorded toolchain with this machine's: each tool is looked up
 * at its recorded path, else by name on @p path_env (NULL: $PATH).
 * @return 0 when every tool is the same, SP_EVERIFY otherwise, or an error
 */
int sp_recipe_check_toolchain(sp_ctx *ctx, const sp_recipe *r,
    const char *path_env, sp_recipe_tool_cb cb, void *payload) SP_WUR;

#endif
