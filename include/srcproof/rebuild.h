/*
 * Rebuild from an escrow bundle and signed verdicts (module sp_review).
 *
 * sp_rebuild_run() takes an escrow bundle (docs/spec/bundle.md) and:
 *
 *   1. copies it into a private work directory (hashing it), verifies it
 *      (sp_escrow_verify: index, manifest, source, signature under a pinned
 *      policy when given) and unpacks it safely (sp_escrow_unpack);
 *   2. compares the recipe's toolchain with this machine's (a difference
 *      is a warning naming the tools, versions and hashes);
 *   3. runs the recipe's command, without a shell, in the unpacked source
 *      tree, in its own process group, with a cleared environment: the
 *      recipe's variables, SOURCE_DATE_EPOCH, TZ=UTC, LC_ALL=C, a PATH,
 *      a fresh HOME and TMPDIR, umask 022, standard input /dev/null, a
 *      wall-clock limit and its output captured (capped) in build.log;
 *   4. compares every declared output with the shipped binary it names
 *      (binaries/SHA256SUMS and, when given, the shipped files; detached
 *      signatures from binary-sigs/) with sp_compare_files();
 *   5. decides one verdict per artefact and an overall verdict.
 *
 * The result is an in-toto Statement (predicate type SP_VERDICT_PREDICATE_V1,
 * role "rebuild", docs/spec/verdict.md) that the caller signs with
 * sp_verdict_sign(); negative results (DIFFERENT, ERROR) are results too,
 * and are meant to be signed as well. A one-page report (text and
 * self-contained HTML) describes it.
 *
 * Typical use:
 *
 *     sp_rebuild_options o = SP_REBUILD_OPTIONS_INIT;
 *     sp_rebuild_result *res = NULL;
 *     o.shipped_dir = "shipped";
 *     error = sp_rebuild_run(ctx, &res, "release.bundle", "out", &o);
 *     error = sp_verdict_sign(ctx, &env, sp_rebuild_statement(res), key);
 *     error = sp_rebuild_write_report(ctx, res, "out");
 *     exit = sp_verdict_is_match(sp_rebuild_verdict(res)) ? 0 : ...;
 *     sp_rebuild_result_free(res);
 */
#ifndef SRCPROOF_REBUILD_H
#define SRCPROOF_REBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "compare.h"
#include "ctx.h"
#include "escrow.h"
#include "sign.h"

struct json_t;

/** predicateType of a verdict attestation. */
#define SP_VERDICT_PREDICATE_V1 "https://srcproof.dev/verdict/v1"
/** The role a verdict attestation is signed for. */
#define SP_VERDICT_ROLE "rebuild"

/** Default wall-clock limit of a build, in seconds. */
#define SP_REBUILD_DEFAULT_TIMEOUT 3600
/** Default cap on build.log, in bytes. */
#define SP_REBUILD_DEFAULT_MAX_LOG ((uint64_t)16 << 20)
/** Default PATH of a build. */
#define SP_REBUILD_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

#define SP_REBUILD_OPTIONS_VERSION 1

/** Options of sp_rebuild_run(). */
typedef struct sp_rebuild_options {
	unsigned version; /**< SP_REBUILD_OPTIONS_VERSION */
	/** How to open the bundle (recipient key of an encrypted one). */
	sp_escrow_read_options read;
	/**
	 * Pinned trust policy for the bundle's manifest signature; NULL: the
	 * signature is NOT CHECKED (said so in the verdict).
	 */
	const char *policy;
	/**
	 * Directory holding the shipped binaries under their SHA256SUMS
	 * names; NULL: the rebuilt files are compared with the declared
	 * SHA-256 only.
	 */
	const char *shipped_dir;
	/** PATH of the build (NULL: SP_REBUILD_DEFAULT_PATH). */
	const char *path_env;
	/** Wall-clock limit in seconds (0: SP_REBUILD_DEFAULT_TIMEOUT). */
	unsigned timeout;
	/** Cap on build.log in bytes (0: SP_REBUILD_DEFAULT_MAX_LOG). */
	uint64_t max_log;
	/** Keep the work directory (unpacked bundle, build tree). */
	bool keep;
	/**
	 * The build runs at the recipe's recorded build path whenever it can
	 * be used fresh (it does not exist, its parent is a writable
	 * directory); the tree is moved back (or removed) afterwards. When
	 * it cannot, the build runs below the output directory with a
	 * warning (it MUST then be path-independent, e.g.
	 * -ffile-prefix-map). at_build_path requires the recorded path (the
	 * verdict is ERROR when it cannot be used); no_build_path never uses
	 * it.
	 */
	bool at_build_path;
	bool no_build_path;
	/** Differing ranges kept per artefact (0: compare's default). */
	size_t max_ranges;
	/** Run diffoscope on mismatches (see sp_compare_options). */
	bool diffoscope;
	unsigned diffoscope_timeout;
	/** The time recorded as signed_at (0: now). */
	int64_t now;
	/** Version string of the calling tool, recorded (NULL: library's). */
	const char *tool_version;
} sp_rebuild_options;

#define SP_REBUILD_OPTIONS_INIT                                                \
	{                                                                      \
		SP_REBUILD_OPTIONS_VERSION, SP_ESCROW_READ_OPTIONS_INIT, NULL, \
		    NULL, NULL, 0, 0, false, false, false, 0, false, 0, 0,     \
		    NULL                                                       \
	}

/** A rebuild's outcome (opaque; sp_rebuild_result_free). */
typedef struct sp_rebuild_result sp_rebuild_result;

/** One artefact of a result; strings borrowed from the result. */
typedef struct sp_rebuild_artefact {
	const char *name;   /**< shipped name (escaped), never NULL */
	const char *output; /**< declared output (escaped), or NULL */
	sp_verdict verdict;
	const char
	    *method; /**< "bit-identical", "normalized-authenticode"... */
	const char *reason; /**< one line, escaped */
} sp_rebuild_artefact;

/**
 * Rebuild @p bundle into the new directory @p outdir (created 0755; it
 * MUST NOT exist). @p outdir receives build.log, rebuilt/OUTPUT (copies of
 * the declared outputs), compare/N/ (one compare report per artefact) and,
 * with opts->keep, work/ (the unpacked bundle and the build tree).
 *
 * A bundle that does not verify, a failed or timed-out build, a missing
 * output or a file that does not parse are results (verdict ERROR or
 * DIFFERENT), not failures of the call.
 *
 * @param out receives the result (sp_rebuild_result_free); NULL on error
 * @return 0 when a result was produced (any verdict); SP_EEXISTS (outdir
 *         exists), SP_ENOTFOUND (bundle missing), SP_EINVALID (options),
 *         SP_EIO, SP_ENOMEM when nothing could be decided
 */
int sp_rebuild_run(sp_ctx *ctx, sp_rebuild_result **out, const char *bundle,
    const char *outdir, const sp_rebuild_options *opts) SP_WUR;

/** Free a result; NULL is a no-op. */
void sp_rebuild_result_free(sp_rebuild_result *res);

/** The overall verdict. */
sp_verdict sp_rebuild_verdict(const sp_rebuild_result *res);

/** Number of artefacts. */
size_t sp_rebuild_artefact_count(const sp_rebuild_result *res);

/** Artefact @p i (< count), filled in @p out. */
void sp_rebuild_artefact_get(
    const sp_rebuild_result *res, size_t i, sp_rebuild_artefact *out);

/**
 * The in-toto Statement (compact JSON, sorted keys, no final newline),
 * borrowed from @p res; *len (optional) receives its length.
 */
const char *sp_rebuild_statement(const sp_rebuild_result *res, size_t *len);

/** The predicate (borrowed JSON object). */
const struct json_t *sp_rebuild_predicate(const sp_rebuild_result *res);

/**
 * Write report.txt, report.html and verdict.json (the statement) into
 * @p dir (created 0755 when missing), each atomically.
 */
int sp_rebuild_write_report(
    sp_ctx *ctx, const sp_rebuild_result *res, const char *dir) SP_WUR;

/* ---- verdicts (shared with `srcproof compare`) ---------------------------
 */

/**
 * Build the verdict Statement for one comparison (predicate kind
 * "compare"): subject @p shipped_name with the shipped file's SHA-256,
 * the artefact's digests, method, verdict and reason.
 * @param shipped_name name recorded (escaped when needed); NULL: the
 *        shipped file's base name
 * @param when signed_at
 * @param tool_version recorded version (NULL: library's)
 * @param out receives compact JSON (appended)
 * @return 0, SP_EINVALID (no digest: a file could not be read), SP_ENOMEM
 */
int sp_verdict_compare_statement(sp_ctx *ctx, sp_buf *out,
    const sp_compare_result *res, const char *shipped_name, int64_t when,
    const char *tool_version) SP_WUR;

/**
 * Sign a verdict Statement with @p key and append the DSSE envelope (one
 * line of JSON and "\n") to @p out. The signature is verified before it
 * is returned.
 */
int sp_verdict_sign(sp_ctx *ctx, sp_buf *out, const char *statement, size_t len,
    const sp_key *key) SP_WUR;

/**
 * Render a verdict predicate (from sp_rebuild_predicate, or parsed from a
 * verified statement) as the plain-text report, appended to @p out.
 * Strings are shown escaped for a terminal.
 */
int sp_verdict_text(
    sp_ctx *ctx, sp_buf *out, const struct json_t *predicate) SP_WUR;

/**
 * Render a verdict predicate as a self-contained HTML page (no script,
 * no external resource, a Content-Security-Policy, every string escaped
 * with sp_escape_html). The overall verdict is the text of the element
 * with id "verdict".
 */
int sp_verdict_html(
    sp_ctx *ctx, sp_buf *out, const struct json_t *predicate) SP_WUR;

/**
 * Method name recorded for a comparison: "bit-identical" when the files
 * are identical, else "normalized-authenticode", "detached-authenticode",
 * "module-signature", "decompressed-identical", "elf-explained",
 * "elf-sections" or "bytes" by the compare method.
 */
const char *sp_verdict_method(const sp_compare_summary *sum);

#endif
