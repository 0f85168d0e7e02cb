/*
 * srcproof escrow: pack, verify, list and unpack escrow bundles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/escrow.h"

#include "banned.h"

enum {
	OPT_MANIFEST = CLI_OPT_FIRST_FREE,
	OPT_SIG,
	OPT_SOURCE,
	OPT_RECIPE,
	OPT_BINARIES,
	OPT_BINARY_SIGS,
	OPT_POLICY,
	OPT_PROOF,
	OPT_SDE,
	OPT_COMPRESSION,
	OPT_LEVEL,
	OPT_THREADS,
	OPT_RECIPIENT,
	OPT_KEY,
	OPT_CERT,
	OPT_PASSFD,
	OPT_MAX_SIZE,
	OPT_MAX_RATIO,
	OPT_MAX_MEMBERS,
	OPT_ROLE,
	OPT_AT,
	OPT_LOG_KEY,
	OPT_LOG_ORIGIN,
	OPT_WITNESS,
	OPT_QUORUM,
	OPT_STRICT,
};

static void
log_cb(sp_log_level level, const char *msg, void *payload)
{
	const struct cli_common *c = payload;

	if (level >= SP_LOG_WARN && !c->quiet)
		cli_warn("%s", msg);
}

static int
parse_u64(const char *cmd, const char *opt, const char *s, uint64_t max,
    bool suffixes, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (suffixes && end != s && end[0] != '\0' && end[1] == '\0') {
		switch (end[0]) {
		case 'K':
		case 'k':
			mul = (uint64_t)1 << 10;
			break;
		case 'M':
		case 'm':
			mul = (uint64_t)1 << 20;
			break;
		case 'G':
		case 'g':
			mul = (uint64_t)1 << 30;
			break;
		case 'T':
		case 't':
			mul = (uint64_t)1 << 40;
			break;
		default:
			mul = 0;
			break;
		}
		if (mul != 0)
			end++;
	}
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    mul == 0 || v > max / mul || v == 0)
		return cli_usage_error(cmd,
		    "%s needs a number from 1 to %llu%s, not '%s'", opt,
		    (unsigned long long)max,
		    suffixes ? " (K, M, G, T allowed)" : "", s);
	*out = (uint64_t)v * mul;
	return 0;
}

static int
parse_time(const char *cmd, const char *opt, const char *s, int64_t *out)
{
	char at[32];

	if (sp_time_parse(out, s) == 0)
		return 0;
	if (strlen(s) <= 20 && s[0] >= '0' && s[0] <= '9') {
		snprintf(at, sizeof(at), "@%s", s);
		if (sp_time_parse(out, at) == 0)
			return 0;
	}
	return cli_usage_error(cmd,
	    "%s needs seconds, @SECONDS or an RFC 3339 UTC time, not '%s'", opt,
	    s);
}

/* Options shared by verify, list and unpack. */
struct read_opts {
	sp_escrow_read_options ro;
	struct cli_secret secret;
};

#define READ_LONGOPTS                                                          \
	{"key", required_argument, NULL, OPT_KEY},                             \
	    {"cert", required_argument, NULL, OPT_CERT},                       \
	    {"passphrase-fd", required_argument, NULL, OPT_PASSFD},            \
	    {"max-size", required_argument, NULL, OPT_MAX_SIZE},               \
	    {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},             \
	{                                                                      \
		"max-members", required_argument, NULL, OPT_MAX_MEMBERS        \
	}

#define READ_HELP                                                              \
	"  --key KEY             a recipient's private key (encrypted "        \
	"bundles):\n"                                                          \
	"                        a PEM file or a pkcs11: URI\n"                \
	"  --cert CERT.pem       that recipient's certificate (optional)\n"    \
	"  --passphrase-fd N     read the key's passphrase (or PIN) from "     \
	"descriptor N\n"                                                       \
	"                        (else $SRCPROOF_PASSPHRASE, else a prompt)\n" \
	"  --max-size N          refuse bundles whose members exceed N "       \
	"bytes\n"                                                              \
	"                        (K, M, G, T suffixes; default 64G)\n"         \
	"  --max-ratio N         refuse compression ratios of N:1 or more\n"   \
	"                        (default 1000)\n"                             \
	"  --max-members N       refuse more than N members (default "         \
	"1000000)\n"

/* 1 when @p opt was one of the read options, -1 on a usage error. */
static int
read_opt(struct read_opts *r, const char *cmd, int opt)
{
	uint64_t v;

	switch (opt) {
	case OPT_KEY:
		r->ro.key = optarg;
		return 1;
	case OPT_CERT:
		r->ro.cert = optarg;
		return 1;
	case OPT_PASSFD:
		return cli_secret_parse_fd(&r->secret, cmd, optarg) == 0 ? 1
		                                                         : -1;
	case OPT_MAX_SIZE:
		if (parse_u64(cmd, "--max-size", optarg, UINT64_MAX / 2, true,
		        &r->ro.max_total) != 0)
			return -1;
		return 1;
	case OPT_MAX_RATIO:
		if (parse_u64(
		        cmd, "--max-ratio", optarg, 1000000000, false, &v) != 0)
			return -1;
		r->ro.max_ratio = (unsigned)v;
		return 1;
	case OPT_MAX_MEMBERS:
		if (parse_u64(cmd, "--max-members", optarg, 100000000, false,
		        &r->ro.max_members) != 0)
			return -1;
		return 1;
	default:
		return 0;
	}
}

static void
read_opts_init(struct read_opts *r)
{
	sp_escrow_read_options ro = SP_ESCROW_READ_OPTIONS_INIT;
	struct cli_secret s = CLI_SECRET_INIT;

	r->ro = ro;
	r->secret = s;
	r->ro.passphrase_cb = cli_secret_cb;
	r->ro.passphrase_payload = &r->secret;
}

/* ---- pack ---------------------------------------------------------------- */

static const char pack_usage[] =
    "usage: srcproof escrow pack --manifest M --sig M.sig --source DIR\n"
    "           [--recipe R] [--binaries DIR|SHA256SUMS] [--binary-sigs DIR]\n"
    "           [--policy P] [--proof PROOF]... [--recipient CERT.pem]...\n"
    "           -o BUNDLE\n"
    "\n"
    "Pack a deterministic escrow bundle: a tar archive (zstd by default)\n"
    "with the manifest, its signatures, the source (checked against the\n"
    "manifest), the recipe, the shipped binaries' SHA256SUMS and detached\n"
    "signatures, the policy, log proofs and an INDEX of every member.\n"
    "With --recipient it is encrypted with CMS (AES-256-GCM).\n"
    "\n"
    "options:\n"
    "  -o, --output BUNDLE        the bundle to write (atomically)\n"
    "  --manifest M               the source manifest (required)\n"
    "  --sig M.sig                its signature envelope (required)\n"
    "  --source DIR               the source tree (required)\n"
    "  --recipe R                 the build recipe\n"
    "  --binaries DIR|FILE        shipped binaries: a directory to hash, or\n"
    "                             a SHA256SUMS file\n"
    "  --binary-sigs DIR          detached signatures of the binaries\n"
    "  --policy P                 the trust policy\n"
    "  --proof PROOF              a transparency log proof (repeatable)\n"
    "  --source-date-epoch T      mtime of every member (default: the\n"
    "                             recipe's SOURCE_DATE_EPOCH, else 0)\n"
    "  --compression C            zstd (default), gzip or none\n"
    "  --level N                  compression level (zstd 3, gzip 6)\n"
    "  --threads N                zstd workers (the bytes do not depend\n"
    "                             on it; default: CPUs, at most 8)\n"
    "  --recipient CERT.pem       encrypt to this X.509 certificate\n"
    "                             (repeatable; RSA or EC keys)\n"
    "  -f, --force                replace an existing BUNDLE\n"
    "  --json                     one JSON document on stdout\n"
    "  -q, --quiet                print nothing on success\n"
    "  -h, --help                 this help\n"
    "\n"
    "exit status: 0 packed, 1 the source does not match the manifest,\n"
    "2 usage error, 3 could not complete (nothing is written then)\n";

static int
escrow_pack(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"manifest", required_argument, NULL, OPT_MANIFEST},
	    {"sig", required_argument, NULL, OPT_SIG},
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"recipe", required_argument, NULL, OPT_RECIPE},
	    {"binaries", required_argument, NULL, OPT_BINARIES},
	    {"binary-sigs", required_argument, NULL, OPT_BINARY_SIGS},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"proof", required_argument, NULL, OPT_PROOF},
	    {"source-date-epoch", required_argument, NULL, OPT_SDE},
	    {"compression", required_argument, NULL, OPT_COMPRESSION},
	    {"level", required_argument, NULL, OPT_LEVEL},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    {"recipient", required_argument, NULL, OPT_RECIPIENT},
	    {"force", no_argument, NULL, 'f'}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	static const char cmd[] = "escrow pack";
	sp_escrow_pack_options o = SP_ESCROW_PACK_OPTIONS_INIT;
	sp_escrow_pack_result res;
	struct cli_common common = {0};
	const char **proofs = NULL, **recips = NULL;
	const char *dest = NULL;
	uint64_t v;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	proofs = calloc((size_t)argc + 1, sizeof(*proofs));
	recips = calloc((size_t)argc + 1, sizeof(*recips));
	if (proofs == NULL || recips == NULL) {
		cli_error("out of memory");
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	common.progress = isatty(STDERR_FILENO);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:f" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, pack_usage, &exit_now))
			continue;
		switch (opt) {
		case 'o':
			dest = optarg;
			break;
		case OPT_MANIFEST:
			o.manifest = optarg;
			break;
		case OPT_SIG:
			o.manifest_sig = optarg;
			break;
		case OPT_SOURCE:
			o.source = optarg;
			break;
		case OPT_RECIPE:
			o.recipe = optarg;
			break;
		case OPT_BINARIES:
			o.binaries = optarg;
			break;
		case OPT_BINARY_SIGS:
			o.binary_sigs = optarg;
			break;
		case OPT_POLICY:
			o.policy = optarg;
			break;
		case OPT_PROOF:
			proofs[o.nproofs++] = optarg;
			break;
		case OPT_SDE:
			if (parse_time(cmd, "--source-date-epoch", optarg,
			        &o.source_date_epoch) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			o.have_source_date_epoch = true;
			break;
		case OPT_COMPRESSION:
			if (sp_escrow_compression_parse(
			        ctx, &o.compression, optarg) < 0) {
				rc = cli_usage_error(
				    cmd, "%s", sp_ctx_errmsg(ctx));
				goto out;
			}
			break;
		case OPT_LEVEL:
			if (parse_u64(cmd, "--level", optarg, 19, false, &v) !=
			    0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			o.level = (int)v;
			break;
		case OPT_THREADS:
			if (parse_u64(
			        cmd, "--threads", optarg, 64, false, &v) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			o.threads = (unsigned)v;
			break;
		case OPT_RECIPIENT:
			recips[o.nrecipients++] = optarg;
			break;
		case 'f':
			o.flags |= SP_ESCROW_PACK_FORCE;
			break;
		default:
			rc = cli_bad_option(cmd, argv);
			goto out;
		}
	}
	if (exit_now >= 0) {
		rc = exit_now;
		goto out;
	}
	if (optind != argc) {
		rc = cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (dest == NULL || o.manifest == NULL || o.manifest_sig == NULL ||
	    o.source == NULL) {
		rc = cli_usage_error(cmd, "missing %s",
		    dest == NULL             ? "-o BUNDLE"
		    : o.manifest == NULL     ? "--manifest M"
		    : o.manifest_sig == NULL ? "--sig M.sig"
		                             : "--source DIR");
		goto out;
	}
	o.proofs = proofs;
	o.recipients = recips;
	sp_ctx_set_log(ctx, log_cb, &common);
	cli_progress_setup(ctx, &common);
	if (sp_escrow_pack(ctx, dest, &o, &res) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	cli_progress_done();
	if (common.json) {
		rc = cli_json_print(
		    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:b, "
		              "s:I}",
		        "output", dest, "sha256", res.sha256, "members",
		        (json_int_t)res.members, "source_entries",
		        (json_int_t)res.source_files, "bytes",
		        (json_int_t)res.bytes, "output_bytes",
		        (json_int_t)res.output_bytes, "source_date_epoch",
		        (json_int_t)res.mtime, "compression",
		        sp_escrow_compression_name(o.compression), "encrypted",
		        res.encrypted, "recipients", (json_int_t)o.nrecipients),
		    "escrow.pack");
	} else if (!common.quiet) {
		printf("wrote ");
		cli_print_untrusted(stdout, dest);
		printf("\n  members:     %llu (%llu source entries)\n"
		       "  content:     %llu bytes\n"
		       "  bundle:      %llu bytes, %s%s\n"
		       "  mtime:       %lld\n"
		       "  sha256:      %s\n",
		    (unsigned long long)res.members,
		    (unsigned long long)res.source_files,
		    (unsigned long long)res.bytes,
		    (unsigned long long)res.output_bytes,
		    sp_escrow_compression_name(o.compression),
		    res.encrypted ? ", CMS AES-256-GCM" : "",
		    (long long)res.mtime, res.sha256);
	}
out:
	free(proofs);
	free(recips);
	return rc;
}

/* ---- verify ----------------------------------------------------------------
 */

static const char verify_usage[] =
    "usage: srcproof escrow verify BUNDLE [--policy P] [--log-key K]\n"
    "           [--key KEY.pem] [options]\n"
    "\n"
    "Check a bundle and report every check by name: decryption, archive,\n"
    "index, manifest, source, signature, log-proof, recipe, binaries; each\n"
    "PASS, FAIL or NOT CHECKED. Without --policy the signatures are NOT\n"
    "CHECKED (the bundle's own policy is informational only). A policy\n"
    "naming log keys (role log) gives the log key and requires a proof;\n"
    "one naming witnesses gives them and the quorum (its threshold).\n"
    "\n"
    "options:\n"
    "  --policy P            pinned trust policy for the manifest "
    "signatures\n"
    "  --role R              role whose threshold must sign (default:\n"
    "                        release or update, by the manifest's kind)\n"
    "  --at T                time for expiry checks (default: now)\n"
    "  --log-key K           log key (vkey, file, NAME=PEM) for the proofs,\n"
    "                        when the policy names no key of role log\n"
    "  --log-origin O        expected log origin (default: key name)\n"
    "  --witness W           witness key (repeatable), when the policy\n"
    "                        names no key of role witness\n"
    "  --quorum N            witness cosignatures needed (default: "
    "all\n"
    "                        the --witness keys)\n"
    "  --strict              NOT CHECKED signature or log counts as "
    "FAIL\n" READ_HELP "  --json                one JSON document on stdout\n"
    "  -q, --quiet           print only the result line\n"
    "  -h, --help            this help\n"
    "\n"
    "exit status: 0 every required check passed, 1 a check failed,\n"
    "2 usage error, 3 could not complete\n";

static int
escrow_verify(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"role", required_argument, NULL, OPT_ROLE},
	    {"at", required_argument, NULL, OPT_AT},
	    {"log-key", required_argument, NULL, OPT_LOG_KEY},
	    {"log-origin", required_argument, NULL, OPT_LOG_ORIGIN},
	    {"witness", required_argument, NULL, OPT_WITNESS},
	    {"quorum", required_argument, NULL, OPT_QUORUM},
	    {"strict", no_argument, NULL, OPT_STRICT}, READ_LONGOPTS,
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char cmd[] = "escrow verify";
	sp_escrow_verify_options o = SP_ESCROW_VERIFY_OPTIONS_INIT;
	sp_escrow_verify_result res;
	struct read_opts r;
	struct cli_common common = {0};
	const char **wit = NULL;
	uint64_t v;
	size_t i;
	int opt, exit_now = -1, rc = CLI_EXIT_OK, error, k;

	read_opts_init(&r);
	if ((wit = calloc((size_t)argc + 1, sizeof(*wit))) == NULL) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, verify_usage, &exit_now))
			continue;
		if ((k = read_opt(&r, cmd, opt)) != 0) {
			if (k < 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			continue;
		}
		switch (opt) {
		case OPT_POLICY:
			o.policy = optarg;
			break;
		case OPT_ROLE:
			o.role = optarg;
			break;
		case OPT_AT:
			if (parse_time(cmd, "--at", optarg, &o.at) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_LOG_KEY:
			o.log_key = optarg;
			break;
		case OPT_LOG_ORIGIN:
			o.log_origin = optarg;
			break;
		case OPT_WITNESS:
			wit[o.nwitnesses++] = optarg;
			break;
		case OPT_QUORUM:
			if (parse_u64(
			        cmd, "--quorum", optarg, 100, false, &v) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			o.quorum = (unsigned)v;
			break;
		case OPT_STRICT:
			o.strict = true;
			break;
		default:
			rc = cli_bad_option(cmd, argv);
			goto out;
		}
	}
	if (exit_now >= 0) {
		rc = exit_now;
		goto out;
	}
	if (optind >= argc) {
		rc = cli_usage_error(cmd, "missing BUNDLE");
		goto out;
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (o.quorum > o.nwitnesses) {
		rc = cli_usage_error(cmd,
		    "--quorum %u needs at least that many --witness keys",
		    o.quorum);
		goto out;
	}
	o.read = r.ro;
	o.witnesses = wit;
	sp_ctx_set_log(ctx, log_cb, &common);
	error = sp_escrow_verify(ctx, argv[optind], &o, &res);
	if (error < 0 && error != SP_EVERIFY) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		json_t *checks = json_array();

		for (i = 0; i < res.ncheck; i++)
			json_array_append_new(checks,
			    json_pack("{s:s, s:s, s:b, s:s}", "name",
			        res.checks[i].name, "status",
			        sp_escrow_status_name(res.checks[i].status),
			        "required", res.checks[i].required, "detail",
			        res.checks[i].detail));
		rc = cli_json_print(
		    json_pack("{s:s, s:b, s:o, s:b, s:s, s:I, s:I, s:I, s:s, "
		              "s:s, s:s, s:s, s:s?, s:s?}",
		        "bundle", argv[optind], "ok", res.ok, "checks", checks,
		        "encrypted", res.encrypted, "compression",
		        res.compression, "members", (json_int_t)res.members,
		        "source_entries", (json_int_t)res.source_files, "bytes",
		        (json_int_t)res.bytes, "manifest_sha256",
		        res.manifest_sha256, "product", res.product, "release",
		        res.release, "kind", res.kind, "log_key",
		        res.log_key_source, "witness_keys", res.witness_source),
		    "escrow.verify");
		if (rc == CLI_EXIT_OK && !res.ok)
			rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (!common.quiet) {
		printf("bundle ");
		cli_print_untrusted(stdout, argv[optind]);
		if (res.product[0] != '\0') {
			printf(" (");
			cli_print_untrusted(stdout, res.product);
			if (res.release[0] != '\0') {
				putchar(' ');
				cli_print_untrusted(stdout, res.release);
			}
			printf(", %s)", res.kind);
		}
		putchar('\n');
		for (i = 0; i < res.ncheck; i++) {
			printf("  %-11s %-11s ", res.checks[i].name,
			    sp_escrow_status_name(res.checks[i].status));
			cli_print_untrusted(stdout, res.checks[i].detail);
			if (!res.checks[i].required &&
			    res.checks[i].status == SP_ESCROW_NOT_CHECKED)
				printf(" (not required)");
			putchar('\n');
		}
	}
	printf("result: %s\n", res.ok ? "PASS (every required check passed)"
	                              : "FAIL (a required check failed)");
	if (!res.ok)
		rc = cli_fail(ctx);
out:
	free(wit);
	return rc;
}

/* ---- list ------------------------------------------------------------------
 */

static const char list_usage[] =
    "usage: srcproof escrow list BUNDLE [-l] [--key KEY.pem] [options]\n"
    "\n"
    "List the members of a bundle (INDEX last), checking each against "
    "INDEX.\n"
    "\n"
    "options:\n"
    "  -l, --long            type, size and SHA-256 of each member\n" READ_HELP
    "  --json                one JSON document on stdout\n"
    "  -q, --quiet           print nothing; exit status only\n"
    "  -h, --help            this help\n";

/* A member kept for --json (compact: jansson objects cost ten times more). */
struct list_member {
	char *name, *target;
	const char *type; /* static */
	uint64_t size;
	char sha256[SP_SHA256_HEX_LEN + 1];
};

struct list_out {
	struct cli_common *common;
	bool longfmt;
	struct list_member *v;
	size_t n, cap;
};

static const char *
member_type(const char *t)
{
	return strcmp(t, "exec") == 0      ? "exec"
	       : strcmp(t, "symlink") == 0 ? "symlink"
	                                   : "file";
}

static int
keep_member(struct list_out *lo, const sp_escrow_member *m)
{
	struct list_member *e;

	if (lo->n == lo->cap) {
		size_t ncap = lo->cap ? lo->cap * 2 : 256;
		struct list_member *nv = realloc(lo->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		lo->v = nv;
		lo->cap = ncap;
	}
	e = &lo->v[lo->n];
	memset(e, 0, sizeof(*e));
	e->type = member_type(m->type);
	e->size = m->size;
	snprintf(e->sha256, sizeof(e->sha256), "%s", m->sha256);
	if ((e->name = strdup(m->name)) == NULL ||
	    (m->target != NULL && (e->target = strdup(m->target)) == NULL)) {
		free(e->name);
		return -1;
	}
	lo->n++;
	return 0;
}

static void
list_out_dispose(struct list_out *lo)
{
	size_t i;

	for (i = 0; i < lo->n; i++) {
		free(lo->v[i].name);
		free(lo->v[i].target);
	}
	free(lo->v);
}

static json_t *
member_item(void *arg, size_t i)
{
	const struct list_member *e = &((struct list_out *)arg)->v[i];
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s?}", "name", e->name,
	    "type", e->type, "size", (json_int_t)e->size, "sha256", e->sha256,
	    "target", e->target);

	if (o == NULL)
		cli_error("out of memory while building JSON output");
	return o;
}

static int
list_cb(const sp_escrow_member *m, void *payload)
{
	struct list_out *lo = payload;

	/* JSON comes out after the whole bundle checked: a document, or an
	 * error, never half a list. */
	if (lo->common->json)
		return keep_member(lo, m);
	if (lo->common->quiet)
		return 0;
	if (lo->longfmt)
		printf("%-7s %12llu  %s  ", m->type,
		    (unsigned long long)m->size, m->sha256);
	cli_print_untrusted(stdout, m->name);
	if (lo->longfmt && m->target != NULL) {
		printf(" -> ");
		cli_print_untrusted(stdout, m->target);
	}
	putchar('\n');
	return 0;
}

static int
escrow_list(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"long", no_argument, NULL, 'l'}, READ_LONGOPTS,
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char cmd[] = "escrow list";
	struct read_opts r;
	struct cli_common common = {0};
	struct list_out lo = {&common, false, NULL, 0, 0};
	int opt, exit_now = -1, rc = CLI_EXIT_OK, k;

	read_opts_init(&r);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "l" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, list_usage, &exit_now))
			continue;
		if ((k = read_opt(&r, cmd, opt)) != 0) {
			if (k < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if (opt == 'l') {
			lo.longfmt = true;
			continue;
		}
		return cli_bad_option(cmd, argv);
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind >= argc)
		return cli_usage_error(cmd, "missing BUNDLE");
	if (optind + 1 != argc)
		return cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (sp_escrow_list(ctx, argv[optind], &r.ro, list_cb, &lo) < 0) {
		if (sp_ctx_errcode(ctx) == 0)
			sp_err_set(ctx, SP_ENOMEM, "out of memory");
		rc = cli_fail(ctx);
	} else if (common.json) {
		rc = cli_json_print_items(
		    json_pack("{s:s}", "bundle", argv[optind]), "escrow.list",
		    "members", lo.n, member_item, &lo);
	}
	list_out_dispose(&lo);
	return rc;
}

/* ---- unpack ----------------------------------------------------------------
 */

static const char unpack_usage[] =
    "usage: srcproof escrow unpack BUNDLE -C DIR [--key KEY.pem] "
    "[options]\n"
    "\n"
    "Unpack a bundle into the new directory DIR (DIR/INDEX, DIR/manifest,\n"
    "DIR/source/...). Everything is written to a temporary directory next\n"
    "to DIR and checked against INDEX first; a hostile or damaged bundle\n"
    "leaves nothing behind.\n"
    "\n"
    "options:\n"
    "  -C, --directory DIR   where to unpack (must not exist)\n" READ_HELP
    "  --json                one JSON document on stdout\n"
    "  -q, --quiet           print nothing on success\n"
    "  -h, --help            this help\n";

static int
escrow_unpack(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"directory", required_argument, NULL, 'C'}, READ_LONGOPTS,
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char cmd[] = "escrow unpack";
	struct read_opts r;
	struct cli_common common = {0};
	const char *dir = NULL;
	int opt, exit_now = -1, k;

	read_opts_init(&r);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "C:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, unpack_usage, &exit_now))
			continue;
		if ((k = read_opt(&r, cmd, opt)) != 0) {
			if (k < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if (opt == 'C') {
			dir = optarg;
			continue;
		}
		return cli_bad_option(cmd, argv);
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind >= argc)
		return cli_usage_error(cmd, "missing BUNDLE");
	if (optind + 1 != argc)
		return cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (dir == NULL)
		return cli_usage_error(cmd, "missing -C DIR");
	if (sp_escrow_unpack(ctx, argv[optind], dir, &r.ro) < 0)
		return cli_fail(ctx);
	if (common.json)
		return cli_json_print(json_pack("{s:s, s:s}", "bundle",
		                          argv[optind], "directory", dir),
		    "escrow.unpack");
	if (!common.quiet) {
		printf("unpacked ");
		cli_print_untrusted(stdout, argv[optind]);
		printf(" into ");
		cli_print_untrusted(stdout, dir);
		printf(" (every member matches INDEX)\n");
	}
	return CLI_EXIT_OK;
}

int
cmd_escrow(int argc, char **argv, sp_ctx *ctx)
{
	static const struct cli_sub subs[] = {
	    {"pack", escrow_pack, "pack a deterministic (encrypted) bundle"},
	    {"verify", escrow_verify,
	        "check a bundle and report every check by name"},
	    {"list", escrow_list, "list a bundle's members"},
	    {"unpack", escrow_unpack,
	        "unpack a bundle safely into a new directory"},
	};

	return cli_dispatch("escrow",
	    "Escrow bundles: everything needed to check and rebuild a release.",
	    subs, sizeof(subs) / sizeof(subs[0]), argc, argv, ctx);
}
