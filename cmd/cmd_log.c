/*
 * srcproof log: a transparency log of signed manifests (C2SP tlog-tiles),
 * its checkpoints, proofs, witnesses and offline verification.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/base64.h"
#include "srcproof/tlog.h"

#include "banned.h"

#define MAX_WITNESSES 64
#define MAX_FILES 4096
#define ENTRIES_MAX ((size_t)1 << 30)

enum {
	OPT_KEY = CLI_OPT_FIRST_FREE,
	OPT_ORIGIN,
	OPT_PASSPHRASE_FD,
	OPT_ENTRIES,
	OPT_ADD,
	OPT_WITNESS,
	OPT_LOG_KEY,
	OPT_QUORUM,
	OPT_ENTRY,
	OPT_STATE,
	OPT_NAME,
	OPT_TIME,
	OPT_COSIGNATURE,
	OPT_ALLOW_DUPLICATE,
	OPT_POLICY,
	OPT_AT,
};

/* ---- helpers ----------------------------------------------------------------
 */

static int
oom(void)
{
	cli_error("out of memory");
	return CLI_EXIT_ERROR;
}

/* Read a file, or standard input for "-". */
static int
read_input(sp_ctx *ctx, sp_buf *out, const char *path, size_t max)
{
	if (strcmp(path, "-") == 0)
		return sp_read_fd(ctx, out, 0, max, "standard input");
	return sp_read_file(ctx, out, path, max, SP_OPEN_NOFOLLOW);
}

/* Write to a file atomically, or to standard output for NULL or "-". */
static int
write_output(sp_ctx *ctx, const char *path, const sp_buf *data)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(data->ptr, 1, data->size, stdout) != data->size)
			return sp_err_set(
			    ctx, SP_EIO, "cannot write to standard output");
		return 0;
	}
	return sp_write_file_atomic(ctx, path, data->ptr, data->size, 0644, 0);
}

static json_t *
b64_json(const uint8_t *data, size_t len)
{
	sp_buf b = SP_BUF_INIT;
	json_t *j = NULL;

	if (sp_base64_encode(&b, data, len) == 0)
		j = json_string(b.ptr);
	sp_buf_dispose(&b);
	return j;
}

static json_t *
hex_json(const uint8_t *data, size_t len)
{
	char hex[2 * 64 + 1];

	if (len > 64)
		return NULL;
	sp_hex_encode(hex, data, len);
	return json_string(hex);
}

static void
print_root(FILE *f, const uint8_t *root)
{
	sp_buf b = SP_BUF_INIT;

	if (sp_base64_encode(&b, root, SP_TLOG_HASH_LEN) == 0)
		fputs(b.ptr, f);
	sp_buf_dispose(&b);
}

/* An entry described in JSON (strings from the log are untrusted data). */
static json_t *
entry_json(const void *data, size_t len)
{
	sp_tlog_entry e;
	json_t *j;

	if (sp_tlog_entry_parse(NULL, &e, data, len) < 0)
		return json_null();
	j = json_pack("{s:s, s:s, s:s}", "product", e.product, "release",
	    e.release, "kind", e.kind);
	if (j != NULL) {
		json_object_set_new(
		    j, "statement_sha256", hex_json(e.statement, 32));
		json_object_set_new(
		    j, "subject_sha256", hex_json(e.subject, 32));
	}
	return j;
}

static void
print_entry(FILE *f, const void *data, size_t len)
{
	sp_tlog_entry e;
	char hex[65];

	if (sp_tlog_entry_parse(NULL, &e, data, len) < 0) {
		fputs("(not a srcproof entry)", f);
		return;
	}
	cli_print_untrusted(f, e.product);
	fputc(' ', f);
	cli_print_untrusted(f, e.release);
	fprintf(f, " (%s) manifest sha256:", e.kind);
	sp_hex_encode(hex, e.subject, 32);
	fputs(hex, f);
}

/* ---- init
 * -----------------------------------------------------------------------
 */

static const char init_usage[] =
    "usage: srcproof log init DIR --key LOGKEY --origin NAME\n"
    "                         [--passphrase-fd N] [--json] [-q]\n"
    "\n"
    "Create an empty transparency log in DIR (created, or empty): a signed\n"
    "checkpoint of size 0, the log's public key as a note verifier key in\n"
    "DIR/log.vkey, and a private configuration that records where LOGKEY\n"
    "is (the key itself never goes into DIR). DIR can be served as static\n"
    "files.\n"
    "\n"
    "options:\n"
    "  --key LOGKEY        the log's Ed25519 private key file (PEM)\n"
    "  --origin NAME       the log's name, e.g. example.com/releases; also\n"
    "                      its key name\n"
    "  --passphrase-fd N   read the key's passphrase from descriptor N\n"
    "  --json              one JSON document on stdout\n"
    "  -q, --quiet         print nothing on success\n"
    "  -h, --help          this help\n";

static int
log_init(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, OPT_KEY},
	    {"origin", required_argument, NULL, OPT_ORIGIN},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	const char *key = NULL, *origin = NULL, *dir;
	sp_buf vkey = SP_BUF_INIT;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, init_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_ORIGIN:
			origin = optarg;
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(&secret, "log init", optarg))
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("log init", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind + 1 != argc)
		return cli_usage_error("log init", "expected one DIR");
	if (key == NULL || origin == NULL)
		return cli_usage_error(
		    "log init", "--key LOGKEY and --origin NAME are required");
	dir = argv[optind];
	if (sp_tlog_init(ctx, dir, origin, key, cli_secret_cb, &secret) < 0 ||
	    sp_tlog_vkey_from_key(ctx, &vkey, key, origin, SP_TLOG_SIG_ED25519,
	        cli_secret_cb, &secret) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		rc = cli_json_print(json_pack("{s:s, s:s, s:s}", "dir", dir,
		                        "origin", origin, "vkey", vkey.ptr),
		    "log-init");
	else if (!common.quiet)
		printf("created log '%s' in %s\nlog key: %s\n", origin, dir,
		    vkey.ptr);
out:
	sp_buf_dispose(&vkey);
	return rc;
}

/* ---- append
 * -------------------------------------------------------------------------
 */

static const char append_usage[] =
    "usage: srcproof log append DIR FILE... [--entries BUNDLE] [--key KEY]\n"
    "                           [--policy POLICY [--policy NEXT...]]\n"
    "                           [--allow-duplicate] [--passphrase-fd N]\n"
    "                           [--json] [-q]\n"
    "\n"
    "Append the signed manifests FILE... (DSSE envelopes made by 'srcproof\n"
    "sign') to the log in DIR, in one atomic step: the entry of each is the\n"
    "statement's SHA-256 and the manifest's digest, product, release and\n"
    "kind. Tiles and entry bundles are written first, the new signed\n"
    "checkpoint last; a lock keeps appenders apart. An entry is reported\n"
    "only once it is durable. An entry already in the log (the same signed\n"
    "manifest appended again), or given twice, refuses the whole append\n"
    "(exit 1, naming its index; the log is unchanged).\n"
    "The envelopes' signatures are not checked unless --policy is given:\n"
    "then each FILE must be signed by the policy's threshold of keys of\n"
    "its statement's role (release or update: the manifest's kind), valid\n"
    "now, and be for the policy's product, or nothing is appended (exit 1).\n"
    "\n"
    "options:\n"
    "  --entries BUNDLE    also append the entries of BUNDLE, a file of\n"
    "                      big-endian uint16 length-prefixed entries (the\n"
    "                      C2SP entry bundle encoding), for bulk imports\n"
    "  --allow-duplicate   append entries already in the log anyway\n"
    "  --policy POLICY     check each FILE's signatures against this trust\n"
    "                      policy first; repeat for a rotation chain,\n"
    "                      pinned one first (not with --entries)\n"
    "  --key KEY           the log key, if not the one given to 'log init'\n"
    "  --passphrase-fd N   read the key's passphrase from descriptor N\n"
    "  --json              one JSON document on stdout\n"
    "  -q, --quiet         print nothing on success\n"
    "  -h, --help          this help\n";

#ifdef SP_TEST_HOOKS
/*
 * Test hook: SRCPROOF_TEST_CRASH_AT=N kills the process at step N. Built
 * only with the CMake option SP_TEST_HOOKS (Debug and Sanitize builds).
 */
struct crash {
	unsigned long at, count;
};

static void
crash_step(const char *what, void *payload)
{
	struct crash *c = payload;

	(void)what;
	if (++c->count == c->at)
		raise(SIGKILL);
}
#endif

static int
split_bundle(const sp_buf *b, sp_tlog_data **out, size_t *n)
{
	const uint8_t *p = (const uint8_t *)b->ptr, *end = p + b->size;
	sp_tlog_data *d = NULL;
	size_t count = 0, cap = 0;

	while (p < end) {
		size_t len;

		if (end - p < 2)
			goto bad;
		len = (size_t)p[0] << 8 | p[1];
		p += 2;
		if ((size_t)(end - p) < len)
			goto bad;
		if (count == cap) {
			sp_tlog_data *nd;

			cap = cap ? 2 * cap : 1024;
			if ((nd = realloc(d, cap * sizeof(*nd))) == NULL)
				goto bad;
			d = nd;
		}
		d[count].data = p;
		d[count].len = len;
		count++;
		p += len;
	}
	*out = d;
	*n = count;
	return 0;
bad:
	free(d);
	return -1;
}

/* Name entry @p i of an append: its FILE, or its place in the bundle. */
static void
source_name(char *out, size_t size, size_t i, char **files, size_t nfiles,
    const char *bundle_path)
{
	if (i < nfiles)
		snprintf(out, size, "'%s'", files[i]);
	else
		snprintf(
		    out, size, "entry %zu of '%s'", i - nfiles, bundle_path);
}

/* An append refused because an entry is already in the log: exit 1. */
static int
duplicate_error(const sp_tlog_duplicate *dup, char **files, size_t nfiles,
    const char *bundle_path)
{
	char what[1024], other[1024];

	source_name(what, sizeof(what), dup->entry, files, nfiles, bundle_path);
	if (dup->in_batch) {
		source_name(other, sizeof(other), (size_t)dup->index, files,
		    nfiles, bundle_path);
		if (strcmp(what, other) == 0)
			cli_error("%s is given twice", what);
		else
			cli_error("%s is the same entry as %s: given twice",
			    what, other);
	} else {
		cli_error("%s is already in the log at index %" PRIu64, what,
		    dup->index);
	}
	cli_hint("nothing was appended; to log the same bytes again, use "
	         "--allow-duplicate");
	return CLI_EXIT_FAIL;
}

#define MAX_POLICIES 16

/* Load the policy chain @p specs (pinned first) and verify it at @p at;
 * *current receives the last one. */
static int
load_policy_chain(sp_ctx *ctx, char **specs, size_t n, sp_policy **chain,
    int64_t at, const sp_policy **current)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		if ((error = sp_policy_load(ctx, &chain[i], specs[i])) < 0)
			return error;
	return sp_policy_verify_chain(ctx, chain, n, at, current);
}

/* What the policy check of one envelope found. */
struct sigcheck {
	char role[32];
	sp_sign_result sr;
};

/*
 * Check the signatures of the envelope at @p path against @p policy at
 * @p at for its statement's role, and that it is for the policy's product.
 * @return 0, SP_EVERIFY (refused: the message says why) or an input error
 */
static int
check_envelope(sp_ctx *ctx, const char *path, const sp_policy *policy,
    int64_t at, struct sigcheck *out)
{
	sp_sign_verify_opts vo = SP_SIGN_VERIFY_OPTS_INIT;
	sp_statement_info info;
	sp_dsse *env = NULL;
	const char *product = sp_policy_product(policy);
	int error;

	memset(&info, 0, sizeof(info));
	memset(out, 0, sizeof(*out));
	if ((error = sp_dsse_load(ctx, &env, path)) < 0 ||
	    (error = sp_statement_check(ctx, env, NULL, &info)) < 0)
		goto out;
	if (info.role == NULL) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "the statement names no role to judge its signatures by");
		goto out;
	}
	/* A release or update manifest is judged as verify judges it: by
	 * the threshold of the role of its kind, which the statement must
	 * claim (a review signature does not release a manifest). */
	if (info.kind != NULL &&
	    (strcmp(info.kind, "release") == 0 ||
	        strcmp(info.kind, "update") == 0) &&
	    strcmp(info.role, info.kind) != 0) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "role not allowed: the signature is for role '%s', but "
		    "a manifest of kind '%s' needs role '%s'",
		    info.role, info.kind, info.kind);
		goto out;
	}
	snprintf(out->role, sizeof(out->role), "%s", info.role);
	if (product != NULL && info.product != NULL &&
	    strcmp(product, info.product) != 0) {
		error = sp_err_set(ctx, SP_EVERIFY,
		    "product mismatch: the signed manifest is for product "
		    "'%s' but policy version %llu is for '%s'",
		    info.product, (unsigned long long)sp_policy_version(policy),
		    product);
		goto out;
	}
	vo.policy = policy;
	vo.role = out->role;
	vo.at = at;
	error = sp_dsse_verify(ctx, env, &vo, &out->sr);
out:
	sp_statement_info_dispose(&info);
	sp_dsse_free(env);
	return error;
}

static int
log_append(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, OPT_KEY},
	    {"entries", required_argument, NULL, OPT_ENTRIES},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    {"allow-duplicate", no_argument, NULL, OPT_ALLOW_DUPLICATE},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	sp_tlog_append_opts opts = SP_TLOG_APPEND_OPTS_INIT;
	sp_tlog_duplicate dup = {SIZE_MAX, false, 0};
	char *pspecs[MAX_POLICIES];
	sp_policy *chain[MAX_POLICIES] = {NULL};
	const sp_policy *policy = NULL;
	struct sigcheck *checks = NULL;
	size_t npol = 0;
	int64_t now = (int64_t)time(NULL);
#ifdef SP_TEST_HOOKS
	struct crash crash = {0, 0};
	const char *env;
#endif
	const char *bundle_path = NULL, *dir;
	sp_buf *bufs = NULL, bundle = SP_BUF_INIT;
	sp_tlog_data *data = NULL, *bdata = NULL;
	size_t nfiles, nb = 0, n, i;
	uint64_t first = 0;
	json_t *list = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, append_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_KEY:
			opts.keyspec = optarg;
			break;
		case OPT_ENTRIES:
			bundle_path = optarg;
			break;
		case OPT_ALLOW_DUPLICATE:
			opts.allow_duplicate = true;
			break;
		case OPT_POLICY:
			if (npol == MAX_POLICIES)
				return cli_usage_error("log append",
				    "at most %d policies in a chain",
				    MAX_POLICIES);
			pspecs[npol++] = optarg;
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(&secret, "log append", optarg))
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("log append", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind >= argc)
		return cli_usage_error(
		    "log append", "expected DIR and FILE...");
	dir = argv[optind++];
	nfiles = (size_t)(argc - optind);
	if (nfiles == 0 && bundle_path == NULL)
		return cli_usage_error("log append",
		    "nothing to append: give FILE... or --entries");
	if (nfiles > MAX_FILES)
		return cli_usage_error("log append",
		    "at most %d files per append; use --entries for bulk",
		    MAX_FILES);
	if (npol > 0 && bundle_path != NULL)
		return cli_usage_error("log append",
		    "--policy checks the signatures of signed manifests; the "
		    "entries of --entries carry none");
	opts.passphrase = cli_secret_cb;
	opts.passphrase_payload = &secret;
	opts.duplicate = &dup;
#ifdef SP_TEST_HOOKS
	if ((env = getenv("SRCPROOF_TEST_CRASH_AT")) != NULL) {
		crash.at = strtoul(env, NULL, 10);
		opts.step = crash_step;
		opts.step_payload = &crash;
	}
#endif
	if (bundle_path != NULL) {
		sp_buf_init(&bundle, ENTRIES_MAX);
		if (read_input(ctx, &bundle, bundle_path, ENTRIES_MAX) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (split_bundle(&bundle, &bdata, &nb) < 0) {
			cli_error("'%s' is not a sequence of length-prefixed "
			          "entries",
			    bundle_path);
			rc = CLI_EXIT_ERROR;
			goto out;
		}
	}
	n = nfiles + nb;
	if ((bufs = calloc(nfiles + 1, sizeof(*bufs))) == NULL ||
	    (data = calloc(n + 1, sizeof(*data))) == NULL) {
		rc = oom();
		goto out;
	}
	for (i = 0; i < nfiles; i++) {
		sp_buf_init(&bufs[i], SP_TLOG_MAX_ENTRY);
		if (sp_tlog_entry_from_envelope(
		        ctx, &bufs[i], argv[optind + i]) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		data[i].data = bufs[i].ptr;
		data[i].len = bufs[i].size;
	}
	for (i = 0; i < nb; i++)
		data[nfiles + i] = bdata[i];
	/* With a policy, every envelope must meet it before anything is
	 * appended. */
	if (npol > 0) {
		int error =
		    load_policy_chain(ctx, pspecs, npol, chain, now, &policy);

		if (error == SP_EVERIFY) {
			cli_error("the trust policy does not verify: %s",
			    sp_ctx_errmsg(ctx));
			if (sp_ctx_errhint(ctx)[0] != '\0')
				cli_hint("%s", sp_ctx_errhint(ctx));
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		if (error < 0 ||
		    (checks = calloc(nfiles, sizeof(*checks))) == NULL) {
			rc = error < 0 ? cli_fail(ctx) : oom();
			goto out;
		}
		for (i = 0; i < nfiles; i++) {
			const char *path = argv[optind + i];

			error =
			    check_envelope(ctx, path, policy, now, &checks[i]);
			if (error == SP_EVERIFY) {
				cli_error("'%s' does not meet policy version "
				          "%llu: %s",
				    path,
				    (unsigned long long)sp_policy_version(
				        policy),
				    sp_ctx_errmsg(ctx));
				cli_hint("nothing was appended");
				rc = CLI_EXIT_FAIL;
				goto out;
			}
			if (error < 0) {
				rc = cli_fail(ctx);
				goto out;
			}
		}
	}
	if (sp_tlog_append(ctx, dir, &opts, data, n, &first) < 0) {
		if (sp_ctx_errcode(ctx) == SP_EEXISTS && dup.entry < n)
			rc = duplicate_error(
			    &dup, argv + optind, nfiles, bundle_path);
		else
			rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		if ((list = json_array()) == NULL) {
			rc = oom();
			goto out;
		}
		for (i = 0; i < nfiles; i++) {
			json_t *e = entry_json(data[i].data, data[i].len);

			json_object_set_new(
			    e, "index", json_integer((json_int_t)(first + i)));
			json_object_set_new(
			    e, "source", json_string(argv[optind + i]));
			if (checks != NULL)
				json_object_set_new(e, "signatures",
				    json_pack("{s:s, s:I, s:I, s:I}", "role",
				        checks[i].role, "valid",
				        (json_int_t)checks[i].sr.valid,
				        "required",
				        (json_int_t)checks[i].sr.required,
				        "policy_version",
				        (json_int_t)sp_policy_version(policy)));
			json_array_append_new(list, e);
		}
		rc = cli_json_print(
		    json_pack("{s:I, s:I, s:I, s:o}", "first",
		        (json_int_t)first, "count", (json_int_t)n, "size",
		        (json_int_t)(first + n), "appended", list),
		    "log-append");
		list = NULL;
	} else if (!common.quiet) {
		for (i = 0; i < nfiles; i++) {
			printf("appended %" PRIu64 ": ", first + i);
			print_entry(stdout, data[i].data, data[i].len);
			fputc('\n', stdout);
			if (checks != NULL)
				printf("  signed: %zu of %zu required '%s' "
				       "signatures valid under policy version "
				       "%llu\n",
				    checks[i].sr.valid, checks[i].sr.required,
				    checks[i].role,
				    (unsigned long long)sp_policy_version(
				        policy));
		}
		if (nb > 0)
			printf("appended %zu entries from ", nb);
		if (nb > 0) {
			cli_print_untrusted(stdout, bundle_path);
			fputc('\n', stdout);
		}
		printf("log size: %" PRIu64 "\n", first + n);
	}
out:
	json_decref(list);
	if (bufs != NULL) {
		for (i = 0; i < nfiles; i++)
			sp_buf_dispose(&bufs[i]);
	}
	free(bufs);
	free(data);
	free(bdata);
	free(checks);
	for (i = 0; i < npol; i++)
		sp_policy_free(chain[i]);
	sp_buf_dispose(&bundle);
	return rc;
}

/* ---- checkpoint
 * -----------------------------------------------------------------
 */

static const char checkpoint_usage[] =
    "usage: srcproof log checkpoint DIR [-o FILE] [--json] [-q]\n"
    "       srcproof log checkpoint DIR --add COSIGNED --witness PUB...\n"
    "\n"
    "Print the log's current signed checkpoint (for witnesses), after\n"
    "checking its signature with the log's key. With --add, merge the\n"
    "witness cosignatures of COSIGNED (the checkpoint as returned by 'log\n"
    "cosign') into the log's checkpoint: its body must be the current one,\n"
    "and every cosignature must verify with one of the --witness keys.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   write the checkpoint to FILE\n"
    "  --add COSIGNED      cosigned checkpoint to merge (repeatable)\n"
    "  --witness PUB       a witness key: vkey, file with a vkey, or\n"
    "                      NAME=PEM (repeatable)\n"
    "  --json              one JSON document on stdout\n"
    "  -q, --quiet         print nothing on success\n"
    "  -h, --help          this help\n";

static int
load_witnesses(sp_ctx *ctx, const char *cmd, char **specs, size_t n,
    sp_tlog_verifier **out)
{
	size_t i;

	(void)cmd;
	for (i = 0; i < n; i++) {
		if (sp_tlog_verifier_load(ctx, &out[i], specs[i],
		        SP_TLOG_SIG_COSIGNATURE, NULL) < 0)
			return cli_fail(ctx);
	}
	return 0;
}

static int
log_checkpoint(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"add", required_argument, NULL, OPT_ADD},
	    {"witness", required_argument, NULL, OPT_WITNESS},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	const char *output = NULL, *dir;
	char *adds[MAX_WITNESSES], *wspecs[MAX_WITNESSES];
	sp_tlog_verifier *ws[MAX_WITNESSES] = {NULL};
	size_t nadds = 0, nws = 0, i, added = 0, len;
	sp_tlog *log = NULL;
	const sp_tlog_checkpoint *cp;
	sp_buf text = SP_BUF_INIT, in = SP_BUF_INIT;
	const char *t;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, checkpoint_usage, &exit_now))
			continue;
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case OPT_ADD:
			if (nadds == MAX_WITNESSES)
				return cli_usage_error(
				    "log checkpoint", "too many --add");
			adds[nadds++] = optarg;
			break;
		case OPT_WITNESS:
			if (nws == MAX_WITNESSES)
				return cli_usage_error(
				    "log checkpoint", "too many --witness");
			wspecs[nws++] = optarg;
			break;
		default:
			return cli_bad_option("log checkpoint", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind + 1 != argc)
		return cli_usage_error("log checkpoint", "expected one DIR");
	if (nadds > 0 && nws == 0)
		return cli_usage_error("log checkpoint",
		    "--add needs the witnesses' keys (--witness PUB)");
	dir = argv[optind];
	if ((rc = load_witnesses(ctx, "log checkpoint", wspecs, nws, ws)) != 0)
		goto out;
	for (i = 0; i < nadds; i++) {
		size_t one = 0;

		sp_buf_clear(&in);
		if (read_input(ctx, &in, adds[i], SP_TLOG_NOTE_MAX_SIZE) < 0 ||
		    sp_tlog_add_cosignatures(ctx, dir, in.ptr, in.size,
		        (const sp_tlog_verifier *const *)ws, nws, &one) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		added += one;
	}
	if (sp_tlog_open(ctx, &log, dir) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	cp = sp_tlog_checkpoint_of(log);
	t = sp_tlog_checkpoint_text(cp, &len);
	if (sp_buf_put(&text, t, len) < 0) {
		rc = oom();
		goto out;
	}
	if (output != NULL && write_output(ctx, output, &text) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		rc = cli_json_print(
		    json_pack("{s:s, s:I, s:o, s:o, s:s, s:I}", "origin",
		        sp_tlog_checkpoint_origin(cp), "size",
		        (json_int_t)sp_tlog_checkpoint_size(cp), "root",
		        b64_json(sp_tlog_checkpoint_root(cp), 32), "root_hex",
		        hex_json(sp_tlog_checkpoint_root(cp), 32), "checkpoint",
		        text.ptr, "cosignatures_added", (json_int_t)added),
		    "log-checkpoint");
	} else if (!common.quiet) {
		if (nadds > 0)
			fprintf(stderr, "added %zu cosignature%s\n", added,
			    added == 1 ? "" : "s");
		/* A verified note: UTF-8 without control characters. */
		if (output == NULL)
			fwrite(text.ptr, 1, text.size, stdout);
	}
out:
	for (i = 0; i < nws; i++)
		sp_tlog_verifier_free(ws[i]);
	sp_tlog_close(log);
	sp_buf_dispose(&text);
	sp_buf_dispose(&in);
	return rc;
}

/* ---- prove
 * -------------------------------------------------------------------------
 */

static const char prove_usage[] =
    "usage: srcproof log prove DIR ENTRY [-o PROOF] [--json] [-q]\n"
    "\n"
    "Write a self-contained proof that ENTRY is in the log: the entry, its\n"
    "index, the inclusion proof and the current checkpoint with its witness\n"
    "cosignatures (C2SP tlog-proof, docs/spec/log.md). ENTRY is an index or\n"
    "the signed manifest (DSSE envelope) that was appended. 'srcproof log\n"
    "verify' checks the proof offline.\n"
    "\n"
    "options:\n"
    "  -o, --output PROOF  proof file to write (default: standard output)\n"
    "  --json              one JSON document on stdout (needs -o)\n"
    "  -q, --quiet         print nothing on success\n"
    "  -h, --help          this help\n";

static int
log_prove(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	const char *output = NULL, *dir, *what;
	sp_tlog *log = NULL;
	sp_buf entry = SP_BUF_INIT, proof = SP_BUF_INIT;
	uint64_t index;
	struct stat st;
	int exit_now, rc = CLI_EXIT_OK;

	if ((exit_now = cli_common_and_output(
	         argc, argv, "log prove", prove_usage, &common, &output)) >= 0)
		return exit_now;
	if (optind + 2 != argc)
		return cli_usage_error("log prove", "expected DIR and ENTRY");
	if (common.json && (output == NULL || strcmp(output, "-") == 0))
		return cli_usage_error(
		    "log prove", "--json needs -o PROOF (stdout is the JSON)");
	dir = argv[optind];
	what = argv[optind + 1];
	if (sp_tlog_open(ctx, &log, dir) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (stat(what, &st) != 0 &&
	    cli_parse_u64(what, 0, UINT64_MAX, &index)) {
		/* an index */
	} else if (sp_tlog_entry_from_envelope(ctx, &entry, what) < 0 ||
	           sp_tlog_find(ctx, log, entry.ptr, entry.size, &index) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (sp_tlog_prove(ctx, log, index, &proof) < 0 ||
	    write_output(ctx, output, &proof) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		rc = cli_json_print(
		    json_pack("{s:I, s:I, s:s, s:I}", "index",
		        (json_int_t)index, "size",
		        (json_int_t)sp_tlog_checkpoint_size(
		            sp_tlog_checkpoint_of(log)),
		        "output", output, "bytes", (json_int_t)proof.size),
		    "log-prove");
	} else if (!common.quiet && output != NULL &&
	           strcmp(output, "-") != 0) {
		printf("wrote proof of entry %" PRIu64 " (log size %" PRIu64
		       ") to ",
		    index, sp_tlog_checkpoint_size(sp_tlog_checkpoint_of(log)));
		cli_print_untrusted(stdout, output);
		fputc('\n', stdout);
	}
out:
	sp_tlog_close(log);
	sp_buf_dispose(&entry);
	sp_buf_dispose(&proof);
	return rc;
}

/* ---- consistency
 * -------------------------------------------------------------------
 */

static const char consistency_usage[] =
    "usage: srcproof log consistency DIR OLD_CHECKPOINT [-o FILE] [--json]\n"
    "\n"
    "Check that OLD_CHECKPOINT (signed by this log) is a past state of the\n"
    "log, and write a consistency proof from it to the current checkpoint,\n"
    "in the C2SP tlog-witness add-checkpoint format that 'srcproof log\n"
    "cosign' takes. Exit 1 if OLD_CHECKPOINT is not a prefix of this log\n"
    "(a fork or a rollback).\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   write the request to FILE (default: stdout)\n"
    "  --json              one JSON document on stdout (needs -o)\n"
    "  -q, --quiet         print nothing on success\n"
    "  -h, --help          this help\n";

static int
log_consistency(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	const char *output = NULL;
	sp_tlog *log = NULL;
	sp_tlog_checkpoint *old = NULL;
	sp_buf in = SP_BUF_INIT, out = SP_BUF_INIT;
	int exit_now, rc = CLI_EXIT_OK;

	if ((exit_now = cli_common_and_output(argc, argv, "log consistency",
	         consistency_usage, &common, &output)) >= 0)
		return exit_now;
	if (optind + 2 != argc)
		return cli_usage_error(
		    "log consistency", "expected DIR and OLD_CHECKPOINT");
	if (common.json && (output == NULL || strcmp(output, "-") == 0))
		return cli_usage_error("log consistency",
		    "--json needs -o FILE (stdout is the JSON)");
	if (sp_tlog_open(ctx, &log, argv[optind]) < 0 ||
	    read_input(ctx, &in, argv[optind + 1], SP_TLOG_NOTE_MAX_SIZE) < 0 ||
	    sp_tlog_checkpoint_parse(ctx, &old, in.ptr, in.size) < 0 ||
	    sp_tlog_checkpoint_verify(
	        ctx, old, sp_tlog_verifier_of(log), NULL) < 0 ||
	    sp_tlog_consistency(ctx, log, old, &out) < 0 ||
	    write_output(ctx, output, &out) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:I, s:I, s:s}", "old_size",
		        (json_int_t)sp_tlog_checkpoint_size(old), "size",
		        (json_int_t)sp_tlog_checkpoint_size(
		            sp_tlog_checkpoint_of(log)),
		        "output", output),
		    "log-consistency");
	else if (!common.quiet && output != NULL && strcmp(output, "-") != 0)
		printf("consistent: size %" PRIu64 " -> %" PRIu64 "\n",
		    sp_tlog_checkpoint_size(old),
		    sp_tlog_checkpoint_size(sp_tlog_checkpoint_of(log)));
out:
	sp_tlog_checkpoint_free(old);
	sp_tlog_close(log);
	sp_buf_dispose(&in);
	sp_buf_dispose(&out);
	return rc;
}

/* ---- verify
 * -----------------------------------------------------------------------
 */

static const char verify_usage[] =
    "usage: srcproof log verify PROOF [PROOF|CHECKPOINT...] --log-key PUB\n"
    "                           [--origin NAME] [--witness PUB... --quorum "
    "K]\n"
    "                           [--entry FILE] [--at TIME] [--json] [-q]\n"
    "       srcproof log verify CHECKPOINT PROOF|CHECKPOINT... --log-key "
    "PUB\n"
    "       srcproof log verify PROOF [PROOF|CHECKPOINT...] --policy "
    "POLICY\n"
    "                           [--policy NEXT...] [--at TIME] [--entry "
    "FILE]\n"
    "\n"
    "Verify a proof offline: the log's signature on its checkpoint, the\n"
    "inclusion of its entry, and a quorum of witness cosignatures. With\n"
    "--entry, the proven entry must be the one of FILE (the signed manifest).\n"
    "More proofs or checkpoints of the same log are checked too (the log's\n"
    "signature on each), and any two of the same size with different roots\n"
    "are reported as equivocation (a split view): exit 1. Checkpoints of\n"
    "different sizes are not checked for consistency (there is no\n"
    "consistency proof here); the output says so. The first argument may be\n"
    "a bare checkpoint when more follow: then only signatures and roots\n"
    "are compared (no entry, no witness quorum).\n"
    "With --policy, the log keys (role log, the role's threshold of them\n"
    "must sign) and the witnesses and quorum (role witness) come from the\n"
    "trust policy, which must verify at TIME; when the policy names keys of\n"
    "a role, --log-key, --witness and --quorum are ignored (and the output\n"
    "says so).\n"
    "\n"
    "options:\n"
    "  --log-key PUB       the log's key: a vkey, a file holding one, or a\n"
    "                      PEM public key (named after the origin)\n"
    "  --origin NAME       expected origin (default: the log key's name)\n"
    "  --witness PUB       a trusted witness: vkey, file, or NAME=PEM\n"
    "                      (repeatable)\n"
    "  --quorum K          cosignatures needed from distinct trusted\n"
    "                      witnesses (default: all the --witness keys)\n"
    "  --policy POLICY     the trust policy you pinned; repeat for a\n"
    "                      rotation chain, pinned one first\n"
    "  --at TIME           judge the policy's expiry, its keys' validity\n"
    "                      and cosignature times at TIME (YYYY-MM-DD,\n"
    "                      YYYY-MM-DDTHH:MM:SSZ or @SECONDS; default: now)\n"
    "  --entry FILE        the signed manifest the proof must be about\n"
    "  --json              one JSON document on stdout\n"
    "  -q, --quiet         print nothing; the exit status tells\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 verified, 1 not verified (with the reason), 2 usage\n"
    "error, 3 could not complete (a file or key unreadable).\n";

/* A checkpoint from a proof file or a checkpoint file. */
static int
load_any(sp_ctx *ctx, const char *path, sp_tlog_proof **proof,
    sp_tlog_checkpoint **cp)
{
	sp_buf b = SP_BUF_INIT;
	int error;

	*proof = NULL;
	*cp = NULL;
	if ((error = read_input(ctx, &b, path, SP_TLOG_PROOF_MAX_SIZE)) < 0)
		goto out;
	if (b.size >= strlen(SP_TLOG_PROOF_HEADER) &&
	    memcmp(b.ptr, SP_TLOG_PROOF_HEADER, strlen(SP_TLOG_PROOF_HEADER)) ==
	        0)
		error = sp_tlog_proof_parse(ctx, proof, b.ptr, b.size);
	else
		error = sp_tlog_checkpoint_parse(ctx, cp, b.ptr, b.size);
	if (error < 0) {
		char msg[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
		sp_err_set(ctx, error, "'%s': %s", path, msg);
	}
out:
	sp_buf_dispose(&b);
	return error;
}

/* Whom 'log verify' trusts: keys from the options or from a policy. */
struct vtrust {
	const sp_tlog_verifier *log_key; /* --log-key, or NULL */
	const char *origin;
	const sp_tlog_verifier *const *witnesses; /* --witness keys */
	size_t nwitnesses;
	unsigned quorum;
	int64_t at;
	const sp_policy *policy; /* the verified current policy, or NULL */
	bool policy_log;         /* the log keys are the policy's */
	bool policy_wit;         /* the witnesses and quorum are */
};

/* The verifiers one proof was checked with (freed by the caller). */
struct vused {
	sp_tlog_verifier *log_key;
	sp_tlog_verifier **witnesses;
	size_t nwitnesses;
};

static void
vused_dispose(struct vused *u)
{
	sp_tlog_verifier_free(u->log_key);
	sp_tlog_verifiers_free(u->witnesses, u->nwitnesses);
	memset(u, 0, sizeof(*u));
}

/*
 * Verify proof @p p (or, when @p p is NULL, the bare checkpoint @p cp: its
 * log signature only) with the keys of the options or of the policy.
 */
static int
verify_one(sp_ctx *ctx, const struct vtrust *vt, const sp_tlog_proof *p,
    const sp_tlog_checkpoint *cp, const void *entry, size_t elen,
    sp_tlog_verify_result *res, struct vused *u)
{
	sp_tlog_trust trust = SP_TLOG_TRUST_INIT;
	int error;

	memset(u, 0, sizeof(*u));
	if (p != NULL)
		cp = sp_tlog_proof_checkpoint(p);
	trust.log_key = vt->log_key;
	trust.origin = vt->origin;
	trust.witnesses = vt->witnesses;
	trust.nwitnesses = vt->nwitnesses;
	trust.quorum = vt->quorum;
	trust.now = vt->at;
	if (vt->policy_log) {
		if ((error = sp_tlog_checkpoint_verify_policy(ctx, cp,
		         vt->policy, vt->at, vt->origin, &u->log_key)) < 0)
			return error;
		trust.log_key = u->log_key;
	}
	if (p == NULL)
		return vt->policy_log ? 0
		                      : sp_tlog_checkpoint_verify(
		                            ctx, cp, trust.log_key, vt->origin);
	if (vt->policy_wit) {
		if ((error = sp_tlog_policy_verifiers(ctx, &u->witnesses,
		         &u->nwitnesses, NULL, cp, vt->policy, "witness",
		         SP_TLOG_SIG_COSIGNATURE, vt->at)) < 0)
			return error;
		trust.witnesses = (const sp_tlog_verifier *const *)u->witnesses;
		trust.nwitnesses = u->nwitnesses;
		trust.quorum = sp_policy_threshold(vt->policy, "witness");
	}
	return sp_tlog_proof_verify(ctx, p, &trust, entry, elen, res);
}

/* Keys of @p role in @p policy. */
static size_t
role_keys(const sp_policy *policy, const char *role)
{
	size_t i, n = 0;

	for (i = 0; i < sp_policy_key_count(policy); i++)
		n += sp_policy_key_has_role(policy, i, role);
	return n;
}

/* "5, 6 and 9" */
static void
print_sizes(const uint64_t *sizes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%" PRIu64,
		    i == 0       ? ""
		    : i + 1 == n ? " and "
		                 : ", ",
		    sizes[i]);
}

/* What comparing @p nextra more checkpoints showed (no equivocation). */
static void
print_agreement(size_t nextra, const uint64_t *sizes, size_t nsizes)
{
	printf("%zu more checkpoint%s of the log agree (no equivocation)\n",
	    nextra, nextra == 1 ? "" : "s");
	if (nsizes > 1) {
		printf("consistency: NOT CHECKED between sizes ");
		print_sizes(sizes, nsizes);
		printf(" (no consistency proof; a witness checks it: 'srcproof "
		       "log consistency' and 'log cosign')\n");
	}
}

/* The report of 'log verify CHECKPOINT CHECKPOINT...'. */
static void
print_checkpoints(size_t n, const sp_tlog_checkpoint *cp0,
    const uint64_t *sizes, size_t nsizes, bool witnesses_given)
{
	printf("verified: %zu checkpoints of log '", n);
	cli_print_untrusted(stdout, sp_tlog_checkpoint_origin(cp0));
	printf("' signed by its key (sizes ");
	print_sizes(sizes, nsizes);
	printf(")\n");
	print_agreement(n - 1, sizes, nsizes);
	printf("witnesses: NOT CHECKED (bare checkpoints%s)\n",
	    witnesses_given ? "; the witness keys are used only with a proof"
	                    : "");
}

/* The JSON fields of the comparison: mode, sizes, consistency. */
static int
sizes_json(json_t *doc, bool checkpoints, const uint64_t *sizes, size_t nsizes,
    size_t nextra)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL)
		return -1;
	for (i = 0; i < nsizes; i++)
		if (json_array_append_new(
		        a, json_integer((json_int_t)sizes[i])) < 0) {
			json_decref(a);
			return -1;
		}
	if (json_object_set_new(doc, "sizes", a) < 0 ||
	    json_object_set_new(doc, "mode",
	        json_string(checkpoints ? "checkpoints" : "proof")) < 0 ||
	    json_object_set_new(doc, "consistency",
	        nextra == 0  ? json_null()
	        : nsizes > 1 ? json_string("not checked")
	                     : json_string("same size")) < 0)
		return -1;
	if (checkpoints) {
		json_object_set_new(doc, "index", json_null());
		json_object_set_new(doc, "inclusion", json_null());
		json_object_set_new(doc, "proof_hashes", json_null());
		json_object_set_new(doc, "cosigned", json_null());
	}
	return 0;
}

static int
log_verify(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"log-key", required_argument, NULL, OPT_LOG_KEY},
	    {"origin", required_argument, NULL, OPT_ORIGIN},
	    {"witness", required_argument, NULL, OPT_WITNESS},
	    {"quorum", required_argument, NULL, OPT_QUORUM},
	    {"entry", required_argument, NULL, OPT_ENTRY},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"at", required_argument, NULL, OPT_AT}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	const char *logkey = NULL, *origin = NULL, *entry_file = NULL;
	char *wspecs[MAX_WITNESSES], *pspecs[MAX_POLICIES];
	sp_tlog_verifier *lk = NULL, *ws[MAX_WITNESSES] = {NULL};
	sp_policy *chain[MAX_POLICIES] = {NULL};
	const sp_policy *last = NULL;
	size_t nws = 0, npol = 0, i, j, nextra = 0;
	uint64_t quorum = UINT64_MAX;
	int64_t at = 0;
	struct vtrust vt;
	struct vused used = {NULL, NULL, 0};
	sp_tlog_verify_result res;
	sp_tlog_proof *proof = NULL;
	sp_tlog_checkpoint **cps = NULL, *first_cp = NULL;
	const sp_tlog_checkpoint *cp0 = NULL;
	uint64_t *sizes = NULL;
	size_t nsizes = 0;
	sp_tlog_proof **extra = NULL;
	sp_buf entry = SP_BUF_INIT;
	json_t *wit = NULL, *doc = NULL, *notes_j = NULL;
	const uint8_t *pe;
	size_t pelen;
	bool equivocation = false, quorum_given = false;
	char reason[2 * SP_ERRMSG_MAX + 1024] = "", notes[256] = "";
	char hint[SP_ERRMSG_MAX] = "";
	char when[SP_TIME_STR_LEN];
	int opt, exit_now = -1, rc = CLI_EXIT_OK, error = 0;

	memset(&res, 0, sizeof(res));
	memset(&vt, 0, sizeof(vt));
	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, verify_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_LOG_KEY:
			logkey = optarg;
			break;
		case OPT_ORIGIN:
			origin = optarg;
			break;
		case OPT_WITNESS:
			if (nws == MAX_WITNESSES)
				return cli_usage_error(
				    "log verify", "too many --witness");
			wspecs[nws++] = optarg;
			break;
		case OPT_QUORUM:
			if (!cli_parse_u64(optarg, 0, 1000, &quorum))
				return cli_usage_error("log verify",
				    "--quorum needs a number, not '%s'",
				    optarg);
			quorum_given = true;
			break;
		case OPT_ENTRY:
			entry_file = optarg;
			break;
		case OPT_POLICY:
			if (npol == MAX_POLICIES)
				return cli_usage_error("log verify",
				    "at most %d policies in a chain",
				    MAX_POLICIES);
			pspecs[npol++] = optarg;
			break;
		case OPT_AT:
			if (sp_time_parse(&at, optarg) < 0)
				return cli_usage_error("log verify",
				    "--at needs YYYY-MM-DDTHH:MM:SSZ, "
				    "YYYY-MM-DD or @SECONDS, not '%s'",
				    optarg);
			if (at == 0)
				at = 1; /* 0 means now: the epoch is 1 s */
			break;
		default:
			return cli_bad_option("log verify", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind >= argc)
		return cli_usage_error("log verify", "expected a PROOF");
	if (logkey == NULL && npol == 0)
		return cli_usage_error("log verify",
		    "--log-key PUB is required (or --policy POLICY naming the "
		    "log key)");
	if (at == 0)
		at = (int64_t)time(NULL);
	if (sp_time_format(when, at) < 0)
		snprintf(when, sizeof(when), "@%lld", (long long)at);
	/* What we trust, loaded first: failures here could not run. */
	for (i = 0; i < npol; i++) {
		if (sp_policy_load(ctx, &chain[i], pspecs[i]) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
	}
	if (npol > 0) {
		last = chain[npol - 1];
		vt.policy_log = sp_policy_threshold(last, "log") > 0;
		vt.policy_wit = sp_policy_threshold(last, "witness") > 0;
		if (!vt.policy_log && logkey == NULL) {
			rc = cli_usage_error("log verify",
			    "policy version %llu names no log key (role log): "
			    "give --log-key PUB",
			    (unsigned long long)sp_policy_version(last));
			goto out;
		}
		if (vt.policy_log && logkey != NULL)
			snprintf(notes, sizeof(notes),
			    "; --log-key ignored: the policy names the log "
			    "key");
		if (vt.policy_wit && (nws > 0 || quorum_given))
			snprintf(notes + strlen(notes),
			    sizeof(notes) - strlen(notes),
			    "; --witness and --quorum ignored: the policy "
			    "names "
			    "the witnesses");
	}
	if (quorum == UINT64_MAX)
		quorum = nws;
	if (!vt.policy_wit && quorum > nws) {
		rc = cli_usage_error("log verify",
		    "--quorum %" PRIu64 " needs at least that many --witness "
		    "keys (%zu given)",
		    quorum, nws);
		goto out;
	}
	nextra = (size_t)(argc - optind - 1);
	if ((cps = calloc(nextra + 1, sizeof(*cps))) == NULL ||
	    (extra = calloc(nextra + 1, sizeof(*extra))) == NULL) {
		rc = oom();
		goto out;
	}
	if ((rc = load_witnesses(ctx, "log verify", wspecs, nws, ws)) != 0)
		goto out;
	if (entry_file != NULL &&
	    sp_tlog_entry_from_envelope(ctx, &entry, entry_file) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (load_any(ctx, argv[optind], &proof, &first_cp) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	/* A bare checkpoint first: only with others to compare it to. */
	if (proof == NULL && nextra == 0) {
		cli_error("'%s' is a checkpoint, not a proof", argv[optind]);
		cli_hint("make one with 'srcproof log prove DIR ENTRY -o "
		         "PROOF', or give more checkpoints to compare");
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	if (proof == NULL && entry_file != NULL) {
		rc = cli_usage_error("log verify",
		    "--entry needs a PROOF first, not the checkpoint '%s'",
		    argv[optind]);
		goto out;
	}
	cp0 = proof != NULL ? sp_tlog_proof_checkpoint(proof) : first_cp;
	/* A PEM log key is named after the origin (the log's key name). */
	if (!vt.policy_log &&
	    sp_tlog_verifier_load(ctx, &lk, logkey, SP_TLOG_SIG_ED25519,
	        origin != NULL ? origin : sp_tlog_checkpoint_origin(cp0)) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	vt.log_key = lk;
	vt.origin = origin;
	vt.witnesses = (const sp_tlog_verifier *const *)ws;
	vt.nwitnesses = nws;
	vt.quorum = (unsigned)quorum;
	vt.at = at;
	/* The policy counts only if it verifies at --at (the pinned one's
	 * own root threshold, each next one's by the previous, not
	 * expired). */
	if (npol > 0) {
		const sp_policy *current = NULL;

		error = sp_policy_verify_chain(ctx, chain, npol, at, &current);
		if (error < 0 && error != SP_EVERIFY) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (error < 0)
			snprintf(reason, sizeof(reason),
			    "no trusted policy to take the %s from at %s: %s",
			    vt.policy_log   ? "log key"
			    : vt.policy_wit ? "witness keys"
			                    : "keys",
			    when, sp_ctx_errmsg(ctx));
		if (error < 0)
			snprintf(hint, sizeof(hint), "%s", sp_ctx_errhint(ctx));
		vt.policy = current;
		if (error == 0 && !vt.policy_log && !vt.policy_wit)
			cli_warn("policy version %llu names no log or witness "
			         "keys: --log-key and --witness are used",
			    (unsigned long long)sp_policy_version(last));
	}
	if (error == 0) {
		error = verify_one(ctx, &vt, proof, first_cp,
		    entry_file != NULL ? entry.ptr : NULL, entry.size, &res,
		    &used);
		if (error < 0 && error != SP_EVERIFY) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (error < 0 && proof == NULL) {
			char msg[SP_ERRMSG_MAX];

			snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
			snprintf(reason, sizeof(reason), "'%s': %s",
			    argv[optind], msg);
		} else if (error < 0)
			snprintf(
			    reason, sizeof(reason), "%s", sp_ctx_errmsg(ctx));
		if (error == 0 && proof == NULL) {
			/* Only the signature was checked. */
			res.size = sp_tlog_checkpoint_size(cp0);
			memcpy(res.root, sp_tlog_checkpoint_root(cp0),
			    SP_TLOG_HASH_LEN);
			res.log_signature_ok = true;
		}
	}
	/* Other proofs and checkpoints: each must verify, none may
	 * contradict another. */
	for (i = 0; i < nextra && error == 0; i++) {
		const char *path = argv[optind + 1 + i];
		struct vused u2;
		sp_tlog_verify_result r2;

		if (load_any(ctx, path, &extra[i], &cps[i]) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		error =
		    verify_one(ctx, &vt, extra[i], cps[i], NULL, 0, &r2, &u2);
		vused_dispose(&u2);
		if (extra[i] != NULL)
			cps[i] = NULL;
		if (error < 0 && error != SP_EVERIFY) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (error < 0) {
			char msg[SP_ERRMSG_MAX];

			snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
			snprintf(reason, sizeof(reason), "'%s': %s", path, msg);
		}
	}
	if ((sizes = calloc(nextra + 1, sizeof(*sizes))) == NULL) {
		rc = oom();
		goto out;
	}
	for (i = 0; i <= nextra && error == 0; i++) {
		const sp_tlog_checkpoint *a =
		    i == 0 ? cp0
		    : extra[i - 1] != NULL
		        ? sp_tlog_proof_checkpoint(extra[i - 1])
		        : cps[i - 1];

		for (j = i + 1; j <= nextra && error == 0; j++) {
			const sp_tlog_checkpoint *b =
			    extra[j - 1] != NULL
			        ? sp_tlog_proof_checkpoint(extra[j - 1])
			        : cps[j - 1];

			if ((error = sp_tlog_checkpoints_compare(ctx, a, b)) <
			    0) {
				equivocation = true;
				snprintf(reason, sizeof(reason), "%s",
				    sp_ctx_errmsg(ctx));
			}
		}
	}
	/* The distinct sizes, ascending: between two of them nothing here
	 * proves consistency. */
	for (i = 0; i <= nextra; i++) {
		const sp_tlog_checkpoint *a =
		    i == 0 ? cp0
		    : extra[i - 1] != NULL
		        ? sp_tlog_proof_checkpoint(extra[i - 1])
		        : cps[i - 1];
		uint64_t sz;

		if (a == NULL)
			continue; /* not loaded: an earlier one failed */
		sz = sp_tlog_checkpoint_size(a);
		for (j = 0; j < nsizes && sizes[j] < sz; j++)
			;
		if (j == nsizes || sizes[j] != sz) {
			memmove(sizes + j + 1, sizes + j,
			    (nsizes - j) * sizeof(*sizes));
			sizes[j] = sz;
			nsizes++;
		}
	}
	if (error < 0 && error != SP_EVERIFY) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (error < 0 && notes[0] != '\0')
		snprintf(reason + strlen(reason),
		    sizeof(reason) - strlen(reason), "%s", notes);
	if (vt.policy_wit)
		quorum = sp_policy_threshold(last, "witness");
	pe = proof != NULL ? sp_tlog_proof_entry(proof, &pelen) : NULL;
	if (common.json) {
		if ((wit = json_array()) == NULL ||
		    (notes_j = json_array()) == NULL) {
			rc = oom();
			goto out;
		}
		for (i = 0; i < res.cosigned && i < SP_TLOG_MAX_REPORTED; i++)
			json_array_append_new(
			    wit, json_pack("{s:s, s:I}", "name",
			             sp_tlog_verifier_name(res.cosigners[i]),
			             "time", (json_int_t)res.cosigned_at[i]));
		if (vt.policy_log && logkey != NULL)
			json_array_append_new(notes_j,
			    json_string("--log-key ignored: the policy names "
			                "the log key"));
		if (vt.policy_wit && (nws > 0 || quorum_given))
			json_array_append_new(notes_j,
			    json_string("--witness and --quorum ignored: the "
			                "policy names the witnesses"));
		doc = json_pack("{s:b, s:b, s:I, s:I, s:s, s:o, s:b, s:b, "
		                "s:I, s:I, s:o, s:I, s:s, s:s, s:s?, s:o}",
		    "verified", error == 0, "equivocation", equivocation,
		    "index", (json_int_t)res.index, "size",
		    (json_int_t)res.size, "origin",
		    sp_tlog_checkpoint_origin(cp0), "root",
		    b64_json(res.root, 32), "log_signature",
		    res.log_signature_ok, "inclusion", res.inclusion_ok,
		    "cosigned", (json_int_t)res.cosigned, "quorum",
		    (json_int_t)quorum, "witnesses", wit, "proof_hashes",
		    (json_int_t)res.proof_len, "at", when, "log_key",
		    vt.policy_log ? "policy" : "option", "witness_keys",
		    vt.policy_wit ? "policy"
		    : nws > 0     ? "options"
		                  : NULL,
		    "notes", notes_j);
		wit = NULL;
		notes_j = NULL;
		if (doc != NULL) {
			json_object_set_new(doc, "entry",
			    pe != NULL ? entry_json(pe, pelen) : json_null());
			json_object_set_new(doc, "policy_version",
			    last != NULL
			        ? json_integer(
			              (json_int_t)sp_policy_version(last))
			        : json_null());
			json_object_set_new(doc, "log_key_name",
			    error == 0 && (used.log_key != NULL || lk != NULL)
			        ? json_string(sp_tlog_verifier_name(
			              used.log_key != NULL ? used.log_key : lk))
			        : json_null());
			if (error < 0)
				json_object_set_new(
				    doc, "reason", json_string(reason));
			if (sizes_json(doc, proof == NULL, sizes, nsizes,
			        nextra) < 0) {
				rc = oom();
				goto out;
			}
		}
		rc = cli_json_print(doc, "log-verify");
		doc = NULL;
		if (error < 0) {
			cli_error("%s", reason);
			if (hint[0] != '\0')
				cli_hint("%s", hint);
			rc = CLI_EXIT_FAIL;
		}
		goto out;
	}
	if (error < 0) {
		cli_error("%s", reason);
		if (hint[0] != '\0')
			cli_hint("%s", hint);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (!common.quiet && proof == NULL) {
		print_checkpoints(nextra + 1, cp0, sizes, nsizes,
		    nws > 0 || quorum_given || vt.policy_wit);
		goto out;
	}
	if (!common.quiet) {
		size_t trusted =
		    vt.policy_wit ? role_keys(last, "witness") : nws;

		if (trusted == 0)
			cli_warn("no %s keys: nothing shows that others were "
			         "shown the same log (split view)",
			    npol > 0 ? "witness (the policy names none, nor "
			               "--witness)"
			             : "--witness");
		printf("verified: entry %" PRIu64 " of log '", res.index);
		cli_print_untrusted(stdout, sp_tlog_checkpoint_origin(cp0));
		printf("' (size %" PRIu64 ", root ", res.size);
		print_root(stdout, res.root);
		printf(")\n");
		if (pe != NULL) {
			printf("entry: ");
			print_entry(stdout, pe, pelen);
			fputc('\n', stdout);
		}
		if (vt.policy_log) {
			printf("log key: '");
			cli_print_untrusted(
			    stdout, sp_tlog_verifier_name(used.log_key));
			printf("' of policy version %llu, valid at %s%s\n",
			    (unsigned long long)sp_policy_version(last), when,
			    logkey != NULL ? " (--log-key ignored: the policy "
			                     "names the log key)"
			                   : "");
		}
		printf("witnesses: %zu of %zu trusted cosigned (quorum %" PRIu64
		       "%s)",
		    res.cosigned, trusted, quorum,
		    vt.policy_wit ? ", keys from the policy" : "");
		for (i = 0; i < res.cosigned && i < SP_TLOG_MAX_REPORTED; i++) {
			char t[SP_TIME_STR_LEN];

			if (sp_time_format(t, res.cosigned_at[i]) < 0)
				t[0] = '\0';
			printf("%s %s at %s", i == 0 ? ":" : ",",
			    sp_tlog_verifier_name(res.cosigners[i]), t);
		}
		printf("\n");
		if (vt.policy_wit && (nws > 0 || quorum_given))
			printf(
			    "note: --witness and --quorum ignored: the policy "
			    "names the witnesses\n");
		if (nextra > 0)
			print_agreement(nextra, sizes, nsizes);
	}
out:
	json_decref(wit);
	json_decref(doc);
	json_decref(notes_j);
	vused_dispose(&used);
	for (i = 0; i < nws; i++)
		sp_tlog_verifier_free(ws[i]);
	for (i = 0; i < nextra && cps != NULL; i++) {
		sp_tlog_checkpoint_free(cps[i]);
		sp_tlog_proof_free(extra[i]);
	}
	for (i = 0; i < npol; i++)
		sp_policy_free(chain[i]);
	free(cps);
	free(extra);
	free(sizes);
	sp_tlog_checkpoint_free(first_cp);
	sp_tlog_verifier_free(lk);
	sp_tlog_proof_free(proof);
	sp_buf_dispose(&entry);
	return rc;
}

/* ---- cosign
 * ------------------------------------------------------------------------
 */

static const char cosign_usage[] =
    "usage: srcproof log cosign REQUEST --key WITNESSKEY --name NAME\n"
    "                           --state FILE --log-key PUB [-o FILE]\n"
    "                           [--passphrase-fd N] [--json] [-q]\n"
    "\n"
    "Act as a witness: cosign the log's checkpoint in REQUEST (a checkpoint,\n"
    "or the output of 'srcproof log consistency': a consistency proof from\n"
    "the last checkpoint this witness cosigned). The witness checks the log\n"
    "signature and, using its state FILE, refuses a rollback, another tree\n"
    "of a size it already cosigned, or a checkpoint that is not consistent\n"
    "with its last one (a fork): exit 1. On success the state is updated,\n"
    "then the checkpoint with the new cosignature (C2SP tlog-cosignature\n"
    "v1) is written.\n"
    "\n"
    "options:\n"
    "  --key WITNESSKEY    the witness's Ed25519 private key\n"
    "  --name NAME         the witness's key name, e.g. witness.example/w1\n"
    "  --state FILE        the witness's state (created if missing)\n"
    "  --log-key PUB       the log's key (vkey, file, or PEM)\n"
    "  -o, --output FILE   write the cosigned checkpoint (default: stdout)\n"
    "  --time T            cosignature time (@SECONDS or RFC 3339; tests)\n"
    "  --passphrase-fd N   read the key's passphrase from descriptor N\n"
    "  --json              one JSON document on stdout (needs -o)\n"
    "  -q, --quiet         print nothing on success\n"
    "  -h, --help          this help\n";

/*
 * The origin line of a checkpoint or add-checkpoint request, to name a PEM
 * log key (a log's key name is its origin); NULL when there is none.
 */
static const char *
request_origin(const sp_buf *in, char *out, size_t size)
{
	const char *p = in->ptr, *end = in->ptr + in->size, *nl;

	if (in->size >= 4 && memcmp(p, "old ", 4) == 0) {
		const char *sep = strstr(p, "\n\n");

		if (sep == NULL)
			return NULL;
		p = sep + 2;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL || nl == p || (size_t)(nl - p) >= size)
		return NULL;
	memcpy(out, p, (size_t)(nl - p));
	out[nl - p] = '\0';
	return out;
}

static int
log_cosign(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, OPT_KEY},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"state", required_argument, NULL, OPT_STATE},
	    {"log-key", required_argument, NULL, OPT_LOG_KEY},
	    {"output", required_argument, NULL, 'o'},
	    {"time", required_argument, NULL, OPT_TIME},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	sp_tlog_witness_opts wo = SP_TLOG_WITNESS_OPTS_INIT;
	const char *logkey = NULL, *output = NULL;
	char origin[1024];
	sp_tlog_verifier *lk = NULL;
	sp_tlog_checkpoint *cp = NULL;
	sp_buf in = SP_BUF_INIT, out = SP_BUF_INIT;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, cosign_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_KEY:
			wo.keyspec = optarg;
			break;
		case OPT_NAME:
			wo.name = optarg;
			break;
		case OPT_STATE:
			wo.state_path = optarg;
			break;
		case OPT_LOG_KEY:
			logkey = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_TIME:
			if (sp_time_parse(&wo.timestamp, optarg) < 0 ||
			    wo.timestamp <= 0)
				return cli_usage_error("log cosign",
				    "--time needs @SECONDS or "
				    "YYYY-MM-DDTHH:MM:SSZ, not '%s'",
				    optarg);
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(&secret, "log cosign", optarg))
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("log cosign", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind + 1 != argc)
		return cli_usage_error("log cosign", "expected one REQUEST");
	if (wo.keyspec == NULL || wo.name == NULL || wo.state_path == NULL ||
	    logkey == NULL)
		return cli_usage_error("log cosign",
		    "--key, --name, --state and --log-key are required");
	if (common.json && (output == NULL || strcmp(output, "-") == 0))
		return cli_usage_error(
		    "log cosign", "--json needs -o FILE (stdout is the JSON)");
	wo.passphrase = cli_secret_cb;
	wo.passphrase_payload = &secret;
	if (read_input(ctx, &in, argv[optind], SP_TLOG_PROOF_MAX_SIZE) < 0 ||
	    sp_tlog_verifier_load(ctx, &lk, logkey, SP_TLOG_SIG_ED25519,
	        request_origin(&in, origin, sizeof(origin))) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	wo.log_key = lk;
	if (sp_tlog_witness_cosign(ctx, &wo, in.ptr, in.size, &out) < 0 ||
	    sp_tlog_checkpoint_parse(ctx, &cp, out.ptr, out.size) < 0 ||
	    write_output(ctx, output, &out) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s, s:s, s:I, s:o, s:s}", "witness", wo.name,
		        "origin", sp_tlog_checkpoint_origin(cp), "size",
		        (json_int_t)sp_tlog_checkpoint_size(cp), "root",
		        b64_json(sp_tlog_checkpoint_root(cp), 32), "output",
		        output),
		    "log-cosign");
	else if (!common.quiet && output != NULL && strcmp(output, "-") != 0) {
		printf("cosigned '");
		cli_print_untrusted(stdout, sp_tlog_checkpoint_origin(cp));
		printf(
		    "' at size %" PRIu64 " as ", sp_tlog_checkpoint_size(cp));
		cli_print_untrusted(stdout, wo.name);
		fputc('\n', stdout);
	}
out:
	sp_tlog_checkpoint_free(cp);
	sp_tlog_verifier_free(lk);
	sp_buf_dispose(&in);
	sp_buf_dispose(&out);
	return rc;
}

/* ---- check and vkey
 * ----------------------------------------------------------------
 */

static const char check_usage[] =
    "usage: srcproof log check DIR [--json] [-q]\n"
    "\n"
    "Audit the whole log: the checkpoint's signature, every tile and entry\n"
    "bundle it needs (present, of the right size), every entry (a srcproof\n"
    "entry hashing to its tile), every tile hashing into the level above,\n"
    "and the root. Exit 1 on a mismatch, 3 on missing or damaged files.\n"
    "\n"
    "options:\n"
    "  --json              one JSON document on stdout\n"
    "  -q, --quiet         print nothing on success\n"
    "  -h, --help          this help\n";

static int
log_check(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	sp_tlog *log = NULL;
	sp_tlog_check_result r;
	int exit_now = -1, rc = CLI_EXIT_OK;

	if ((exit_now = cli_common_only(
	         argc, argv, "log check", check_usage, &common)) >= 0)
		return exit_now;
	if (optind + 1 != argc)
		return cli_usage_error("log check", "expected one DIR");
	if (sp_tlog_open(ctx, &log, argv[optind]) < 0 ||
	    sp_tlog_check(ctx, log, &r) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:b, s:I, s:I, s:I, s:I}", "ok", 1, "size",
		        (json_int_t)r.size, "tiles", (json_int_t)r.tiles,
		        "bundles", (json_int_t)r.bundles, "entries",
		        (json_int_t)r.entries),
		    "log-check");
	else if (!common.quiet)
		printf("log ok: %" PRIu64 " entries, %" PRIu64
		       " tiles, %" PRIu64 " entry bundles checked\n",
		    r.entries, r.tiles, r.bundles);
out:
	sp_tlog_close(log);
	return rc;
}

static const char vkey_usage[] =
    "usage: srcproof log vkey --key KEY --name NAME [--cosignature]\n"
    "                         [--passphrase-fd N] [--json]\n"
    "\n"
    "Print the note verifier key (vkey) of an Ed25519 key: a log key\n"
    "(signature type 0x01) or, with --cosignature, a witness key (0x04).\n"
    "Give vkeys to 'log verify --log-key/--witness'.\n"
    "\n"
    "options:\n"
    "  --key KEY           the private key\n"
    "  --name NAME         the key name (a log's origin, a witness's name)\n"
    "  --cosignature       a witness key (tlog-cosignature v1)\n"
    "  --passphrase-fd N   read the key's passphrase from descriptor N\n"
    "  --json              one JSON document on stdout\n"
    "  -h, --help          this help\n";

static int
log_vkey(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, OPT_KEY},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"cosignature", no_argument, NULL, OPT_COSIGNATURE},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	const char *key = NULL, *name = NULL;
	int type = SP_TLOG_SIG_ED25519;
	sp_buf v = SP_BUF_INIT;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, vkey_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_COSIGNATURE:
			type = SP_TLOG_SIG_COSIGNATURE;
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(&secret, "log vkey", optarg))
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("log vkey", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind != argc)
		return cli_usage_error(
		    "log vkey", "unexpected argument '%s'", argv[optind]);
	if (key == NULL || name == NULL)
		return cli_usage_error(
		    "log vkey", "--key KEY and --name NAME are required");
	if (sp_tlog_vkey_from_key(
	        ctx, &v, key, name, type, cli_secret_cb, &secret) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s}", "vkey", v.ptr), "log-vkey");
	else
		printf("%s\n", v.ptr);
out:
	sp_buf_dispose(&v);
	return rc;
}

int
cmd_log(int argc, char **argv, sp_ctx *ctx)
{
	static const struct cli_sub subs[] = {
	    {"init", log_init, "create an empty log in a directory"},
	    {"append", log_append, "append signed manifests (atomic)"},
	    {"checkpoint", log_checkpoint,
	        "print the checkpoint; merge witness cosignatures"},
	    {"prove", log_prove, "write a self-contained inclusion proof"},
	    {"consistency", log_consistency,
	        "prove an old checkpoint is a prefix (for witnesses)"},
	    {"verify", log_verify,
	        "verify proofs offline; detect equivocation"},
	    {"cosign", log_cosign, "cosign a checkpoint as a witness"},
	    {"check", log_check, "audit every tile, bundle and entry"},
	    {"vkey", log_vkey, "print the verifier key of a log or witness"},
	};

	return cli_dispatch("log",
	    "A transparency log of signed manifests (C2SP tlog-tiles), with\n"
	    "witness cosignatures and proofs that can be checked offline.",
	    subs, sizeof(subs) / sizeof(subs[0]), argc, argv, ctx);
}
