/*
 * The auditor's verification of an escrow bundle (module sp_verify): every
 * check the bundle allows, each with PASS, FAIL or NOT CHECKED and the
 * reason, and one overall result.
 *
 * sp_verify_run() reuses the other modules' checks: sp_escrow_verify for
 * the bundle itself (decryption, archive, INDEX, manifest, source,
 * signatures under the pinned policy, log proof, recipe, binaries), the
 * policy chain (sp_policy_verify_chain), the update chain
 * (sp_manifest_chain_check, sp_sign_verify_manifest_chain), witness
 * cosignatures (sp_tlog_checkpoint_cosigned), a rebuild (sp_rebuild_run)
 * and review coverage (sp_review_coverage_compute). Which checks are
 * required, and the JSON result: docs/spec/verify.md.
 *
 * Typical use:
 *
 *     sp_verify_options o = SP_VERIFY_OPTIONS_INIT;
 *     sp_verify_result *res = NULL;
 *     const char *pol[] = {"policy.json"};
 *     o.policies = pol; o.npolicies = 1; o.at = release_time;
 *     error = sp_verify_run(ctx, &res, "release.bundle", &o);
 *     if (res != NULL)
 *             ... sp_verify_check_at(res, i), sp_verify_ok(res) ...
 *     sp_verify_result_free(res);
 */
#ifndef SRCPROOF_VERIFY_H
#define SRCPROOF_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"
#include "escrow.h"
#include "review.h"

struct json_t;

/** Schema of the JSON result (docs/spec/verify.md). */
#define SP_VERIFY_SCHEMA "srcproof.verify/v1"

/** The checks, in report order. */
typedef enum sp_verify_check_id {
	SP_VERIFY_DECRYPTION = 0, /**< CMS opened and authenticated */
	SP_VERIFY_ARCHIVE,        /**< structure, names, types, limits */
	SP_VERIFY_INDEX,          /**< every member matches INDEX */
	SP_VERIFY_MANIFEST,       /**< manifest present and parses */
	SP_VERIFY_SOURCE,         /**< source/ matches the manifest */
	SP_VERIFY_SIGNATURE,      /**< manifest.sig under the policy chain */
	SP_VERIFY_UPDATE_CHAIN,   /**< links to the previous manifest */
	SP_VERIFY_LOG_PROOF,      /**< the signed manifest is in the log */
	SP_VERIFY_WITNESSES,      /**< witness quorum on a checkpoint */
	SP_VERIFY_RECIPE,         /**< recipe parses */
	SP_VERIFY_BINARIES,       /**< binaries/SHA256SUMS parses */
	SP_VERIFY_REBUILD,        /**< rebuilt outputs match the shipped */
	SP_VERIFY_COVERAGE,       /**< trusted review covers the source */
	SP_VERIFY_CHECK_COUNT
} sp_verify_check_id;

/** One check's outcome; strings borrowed from the result. */
typedef struct sp_verify_check {
	const char *name;              /**< stable name, e.g. "log-proof" */
	sp_escrow_check_status status; /**< PASS, FAIL or NOT CHECKED */
	/** Must PASS for the bundle to pass (a FAIL always fails it). */
	bool required;
	/** Why; may quote bundle text: escape before display. */
	const char *detail;
} sp_verify_check;

/** What to verify against. */
typedef struct sp_verify_options {
	unsigned version; /**< SP_VERIFY_OPTIONS_VERSION */
	/** How to open the bundle (recipient key of an encrypted one). The
	 * passphrase callback is called at most once. */
	sp_escrow_read_options read;
	/**
	 * Trust policy files: the pinned policy first, then each rotation
	 * (REQUIRED, at least one). The last one must not have expired at
	 * @p at.
	 */
	const char *const *policies;
	size_t npolicies;
	/** Time for key validity, policy expiry and witness cosignatures
	 * (0: now). A reviewer years later gives the release time. */
	int64_t at;
	/** The wall-clock time shown as "verified at" (0: now). */
	int64_t now;
	/** Log key (vkey, file, NAME=PEM; sp_tlog_verifier_load), or NULL.
	 * Used only when the policy names no key of role log: then the
	 * policy's log keys are used (docs/spec/policy.md, section 6). */
	const char *log_key;
	const char *log_origin; /**< expected origin; NULL: key name */
	/**
	 * Witness keys (vkey, file, NAME=PEM). Used only when the policy
	 * names no key of role witness; then @p quorum of them must cosign
	 * (0: all of them).
	 */
	const char *const *witnesses;
	size_t nwitnesses;
	unsigned quorum;
	/**
	 * The previous manifest (a manifest file, with its envelope in
	 * "<file>.sig" when present, or the previous bundle), or NULL: the
	 * update chain is NOT CHECKED.
	 */
	const char *previous;
	/** Rebuild with sp_rebuild_run and compare (check "rebuild"). */
	bool rebuild;
	const char *shipped_dir;  /**< shipped binaries for the rebuild */
	bool at_build_path;       /**< see sp_rebuild_options */
	unsigned rebuild_timeout; /**< seconds; 0: rebuild's default */
	const char *rebuild_path; /**< PATH of the build; NULL: default */
	/** Review attestation files (check "coverage" when any). */
	const char *const *attestations;
	size_t nattestations;
	sp_review_depth min_depth; /**< NONE means READ */
	/** Files covered needed, in thousandths of a percent (0: 100%). */
	uint64_t require_milli;
	/**
	 * New directory for report.txt, report.html, report.json (and the
	 * rebuild's results in rebuild/), made whole or not at all; NULL:
	 * none. It MUST NOT exist.
	 */
	const char *report_dir;
	/** Where temporary directories go (NULL: $TMPDIR or /tmp). */
	const char *tmpdir;
	/** Version of the calling tool, recorded (NULL: library's). */
	const char *tool_version;
	/** Never build at the recipe's path (see sp_rebuild_options). */
	bool no_build_path;
} sp_verify_options;

#define SP_VERIFY_OPTIONS_VERSION 1
#define SP_VERIFY_OPTIONS_INIT                                                 \
	{                                                                      \
		SP_VERIFY_OPTIONS_VERSION, SP_ESCROW_READ_OPTIONS_INIT, NULL,  \
		    0, 0, 0, NULL, NULL, NULL, 0, 0, NULL, false, NULL, false, \
		    0, NULL, NULL, 0, SP_REVIEW_DEPTH_NONE, 0, NULL, NULL,     \
		    NULL, false                                                \
	}

/** A verification's outcome (opaque; sp_verify_result_free). */
typedef struct sp_verify_result sp_verify_result;

/**
 * Verify @p bundle: every check of sp_verify_check_id, each recorded with
 * its status, whether it is required, and the reason. Required: decryption
 * (when encrypted), archive, index, manifest, source and signature always;
 * update-chain when @p opts->previous is given; log-proof when the policy
 * names a log key or witnesses or a log key is given; witnesses when the
 * policy names witnesses or witness keys are given; recipe and binaries when
 * the bundle carries them or a rebuild is asked; rebuild when asked; coverage
 * when attestations are given. The bundle passes when no check FAILed and every
 * required check PASSed.
 *
 * @param out receives the result (sp_verify_result_free) when the return
 *        value is 0 or SP_EVERIFY; NULL otherwise
 * @return 0 when the bundle passed; SP_EVERIFY when it did not (the
 *         result says why); SP_EINVALID (options), SP_ENOTFOUND, SP_EIO,
 *         SP_EPARSE (a policy, key or previous manifest unusable),
 *         SP_EEXISTS (report_dir exists), SP_ENOMEM when verification
 *         could not run
 */
int sp_verify_run(sp_ctx *ctx, sp_verify_result **out, const char *bundle,
    const sp_verify_options *opts) SP_WUR;

/** Free a result; NULL is a no-op. */
void sp_verify_result_free(sp_verify_result *res);

/** True when every required check passed and none failed. */
bool sp_verify_ok(const sp_verify_result *res);

/** Check @p id (< SP_VERIFY_CHECK_COUNT), borrowed from @p res. */
const sp_verify_check *sp_verify_check_at(
    const sp_verify_result *res, sp_verify_check_id id);

/**
 * The result as a JSON object (docs/spec/verify.md, "schema" included),
 * new reference in @p out.
 */
int sp_verify_json(
    sp_ctx *ctx, const sp_verify_result *res, struct json_t **out) SP_WUR;

/** Append the one-page text report (untrusted text escaped) to @p out. */
int sp_verify_text(
    sp_ctx *ctx, const sp_verify_result *res, sp_buf *out) SP_WUR;

/**
 * Append the one-page report as a self-contained HTML page (no script, no
 * external resource, a Content-Security-Policy, every untrusted string
 * through sp_escape_html). The overall result is the text of the element
 * with id "result"; each check is a table row with id "check-NAME".
 */
int sp_verify_html(
    sp_ctx *ctx, const sp_verify_result *res, sp_buf *out) SP_WUR;

/** Where the report was written (opts->report_dir), or NULL. */
const char *sp_verify_report_dir(const sp_verify_result *res);

#endif
