/*
 * The release pipeline in one step (module sp_release): manifest, k-of-n
 * signatures, build recipe, transparency log entry and proof, escrow
 * bundle, all into one new output directory that appears whole or not at
 * all.
 *
 * The inputs come from a JSON configuration file (docs/spec/
 * release-config.md): the source (directory, git revision or archive),
 * product, release, kind and previous manifest, the signing keys (PEM files
 * or PKCS#11 URIs, each with the NAME of an environment variable holding
 * its passphrase or PIN, never the value), the policy, the recipe (a file
 * or what to record), the shipped binaries and their signatures, the log
 * directory and the reviewers' certificates.
 *
 * Typical use (what `srcproof release --config FILE` does):
 *
 *     sp_release_config *cfg = NULL;
 *     sp_release_options o = SP_RELEASE_OPTIONS_INIT;
 *     sp_release_result res;
 *     error = sp_release_config_load(ctx, &cfg, "release.json");
 *     o.secret = my_secret_cb;
 *     error = sp_release_run(ctx, cfg, &o, &res);
 *     sp_release_config_free(cfg);
 */
#ifndef SRCPROOF_RELEASE_H
#define SRCPROOF_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"

struct json_t;

/** Value of the "format" member of a version-1 configuration. */
#define SP_RELEASE_CONFIG_FORMAT "srcproof-release-config v1"
/** Largest configuration file, in bytes. */
#define SP_RELEASE_CONFIG_MAX_SIZE ((size_t)1 << 20)
/** Most signing keys, recipients, recipe words... of one configuration. */
#define SP_RELEASE_MAX_ITEMS 256
/** Schema of release.json and of the JSON output. */
#define SP_RELEASE_SCHEMA "srcproof.release/v1"

/** File names inside the output directory. */
#define SP_RELEASE_MANIFEST "manifest"
#define SP_RELEASE_SIGNATURE "manifest.sig"
#define SP_RELEASE_RECIPE "recipe.json"
#define SP_RELEASE_PROOF "manifest.tlog-proof"
#define SP_RELEASE_SUMMARY "release.json"

/** A parsed configuration (opaque; sp_release_config_free). */
typedef struct sp_release_config sp_release_config;

/**
 * Parse a configuration. Strict: JSON with duplicate keys refused, every
 * member known and of the right type, required members present, the
 * combination consistent. Relative paths are resolved against
 * @p base_dir (the directory of the configuration file).
 * @param out receives the configuration (sp_release_config_free)
 * @return 0, SP_EINVALID (message names the member and the problem),
 *         SP_ELIMIT, SP_ENOMEM
 */
int sp_release_config_parse(sp_ctx *ctx, sp_release_config **out,
    const char *data, size_t len, const char *base_dir) SP_WUR;

/** Read (O_NOFOLLOW, at most SP_RELEASE_CONFIG_MAX_SIZE) and parse. */
int sp_release_config_load(
    sp_ctx *ctx, sp_release_config **out, const char *path) SP_WUR;

/** Free; NULL is a no-op. */
void sp_release_config_free(sp_release_config *cfg);

/** The output directory the configuration names (resolved), or NULL. */
const char *sp_release_config_output(const sp_release_config *cfg);

/**
 * Asked for the passphrase or PIN of @p key (a key file or PKCS#11 URI as
 * configured). @p env_name is the configuration's passphrase_env for that
 * key, or NULL. Append the secret to @p out.
 * @return 0, or a negative sp_error_code with the message set
 */
typedef int (*sp_release_secret_cb)(sp_ctx *ctx, sp_buf *out, const char *key,
    const char *env_name, void *payload);

/**
 * Called before each step ("check", "keys", "manifest", "sign", "recipe",
 * "pack", "log-append", "witness", "log-prove", "repack", "publish"); a
 * non-zero
 * return makes the step fail with SP_EIO. For tests of failure paths.
 */
typedef int (*sp_release_step_cb)(const char *step, void *payload);

/** Options of sp_release_run. */
typedef struct sp_release_options {
	unsigned version; /**< SP_RELEASE_OPTIONS_VERSION */
	/** Output directory; NULL: the configuration's "output". */
	const char *output;
	/** Passphrases and PINs (NULL: keys must need none). */
	sp_release_secret_cb secret;
	void *secret_payload;
	/** signed_at of the statement (0: now). */
	int64_t now;
	/** Test hook (NULL: none). */
	sp_release_step_cb step;
	void *step_payload;
} sp_release_options;

#define SP_RELEASE_OPTIONS_VERSION 1
#define SP_RELEASE_OPTIONS_INIT                                                \
	{                                                                      \
		SP_RELEASE_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, NULL    \
	}

/** What a release produced. */
typedef struct sp_release_result {
	char product[257], release[257];
	char kind[16];            /**< "release" or "update" */
	char role[16];            /**< role signed for */
	char manifest_sha256[65]; /**< SHA-256 of the manifest file */
	char previous_sha256[65]; /**< update: the previous manifest's */
	uint64_t files;           /**< manifest entries */
	int64_t signed_at;        /**< statement time */
	size_t signatures;        /**< signatures in manifest.sig */
	size_t required;          /**< policy threshold (0: no policy) */
	size_t nkeyids;           /**< signing keys listed below */
	char keyids[16][65];      /**< their key ids (first 16) */
	uint64_t policy_version;  /**< 0: no policy */
	bool have_recipe;         /**< recipe.json written */
	bool recipe_recorded;     /**< recorded (else copied) */
	bool logged;              /**< appended to the log */
	uint64_t log_index;       /**< entry index */
	uint64_t log_size;        /**< tree size of the proof */
	char log_origin[257];     /**< log origin */
	unsigned quorum;          /**< witnesses required (0: none asked) */
	size_t cosignatures;      /**< configured witnesses that cosigned */
	char bundle_name[32];     /**< file name in the output directory */
	char bundle_sha256[65];   /**< SHA-256 of the bundle file */
	uint64_t bundle_bytes;    /**< its size */
	bool encrypted;           /**< CMS to the recipients */
	size_t recipients;        /**< their number */
	char output[4096];        /**< the output directory */
} sp_release_result;

/**
 * Run the release: check the inputs and the output directory (which MUST
 * NOT exist; its parent MUST), load every key (wrong passphrases stop here),
 * then in a temporary directory next to the output: build the manifest,
 * sign it with every key and check the signatures meet the policy's
 * threshold for the role, write or record the recipe, pack the bundle
 * (which checks the source against the manifest); with a log, append the
 * signed manifest, write the inclusion proof and pack the bundle again
 * with the proof; write release.json; rename the directory to the output.
 *
 * The log append is the only effect outside the output directory and
 * comes after everything that can be checked: a failure before it leaves
 * nothing anywhere; a failure after it (the second pack, the rename)
 * leaves nothing in the output but the log keeps an entry for a signed
 * manifest that was not published (see srcproof-release(1)).
 *
 * @param res receives what was produced; may be NULL
 * @return 0; SP_EVERIFY (wrong passphrase or PIN, signatures below the
 *         policy threshold, source not matching the manifest);
 *         SP_EINVALID (configuration, missing passphrase); SP_EEXISTS
 *         (output exists); SP_ENOTFOUND (key, source, log directory...);
 *         SP_EIO and the other codes of the steps
 */
int sp_release_run(sp_ctx *ctx, const sp_release_config *cfg,
    const sp_release_options *opts, sp_release_result *res) SP_WUR;

/**
 * The summary written as release.json (schema SP_RELEASE_SCHEMA), a new
 * reference in @p out.
 */
int sp_release_json(
    sp_ctx *ctx, const sp_release_result *res, struct json_t **out) SP_WUR;

#endif
