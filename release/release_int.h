/*
 * Internals of sp_release: the parsed configuration.
 */
#ifndef SP_RELEASE_INT_H
#define SP_RELEASE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srcproof/escrow.h"
#include "srcproof/manifest.h"
#include "srcproof/release.h"
#include "srcproof/tlog.h"

struct sp_release_key {
	char *spec;     /* PEM file (resolved) or pkcs11: URI */
	char *env_name; /* passphrase_env, or NULL */
};

struct sp_release_strv {
	char **v;
	size_t n;
};

struct sp_release_config {
	char *product, *release;
	sp_manifest_kind kind;
	char *previous;

	sp_manifest_source_type source_type;
	char *source_path; /* directory, repository or archive */
	char *source_ref;  /* git */
	unsigned strip_components;
	char *source_dir; /* the directory packed */

	struct sp_release_key *keys;
	size_t nkeys;
	char *policy;

	bool have_recipe, recipe_record;
	char *recipe_file;
	struct sp_release_strv command, outputs, tools, env_names;
	char *workdir;
	int64_t recipe_sde;
	bool recipe_have_sde, no_versions;

	char *binaries, *binary_sigs;

	bool have_log;
	char *log_dir;
	struct sp_release_key log_key; /* spec NULL: the log's own */
	/* Witnesses asked to cosign the new checkpoint after the append. */
	struct sp_release_strv witness_command, witnesses;
	unsigned quorum, witness_timeout;
	char *base; /* the configuration's directory: the command's cwd */

	struct sp_release_strv recipients;
	sp_escrow_compression compression;
	int64_t sde;
	bool have_sde;
	char *output;
};

/*
 * Run the configured witness command on the log's current checkpoint, add
 * the cosignatures it returns (each verified against @p wit, the loaded
 * log.witnesses, c->witnesses.n of them) and require the quorum.
 * @p tmp is the release's temporary directory. *cosigned receives the
 * number of configured witnesses that cosigned.
 * @return 0; SP_EVERIFY (command failed or refused, bad cosignature,
 *         quorum not met), SP_ENOTFOUND (command not found), SP_EIO
 */
int sp_release__cosign(sp_ctx *ctx, const sp_release_config *c,
    sp_tlog_verifier *const *wit, const char *tmp, size_t *cosigned);

#endif
