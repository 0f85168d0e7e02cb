/*
 * srcproof sign: a DSSE envelope over an in-toto Statement about a file.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/sign.h"
#include "srcproof/util.h"

#include "banned.h"

enum {
	OPT_KEY = CLI_OPT_FIRST_FREE,
	OPT_ROLE,
	OPT_APPEND,
	OPT_NAME,
	OPT_TIME,
	OPT_FORCE,
	OPT_PASSPHRASE_FD,
};

static const char usage[] =
    "usage: srcproof sign FILE --key KEY [-o FILE.sig] [--role ROLE] "
    "[--append]\n"
    "                     [--name NAME] [--time TIME] [--passphrase-fd N]\n"
    "                     [--force] [--json]\n"
    "\n"
    "Sign FILE: write a DSSE envelope whose payload is an in-toto Statement\n"
    "(subject: the file's name and sha256; predicate: the role, the time and,\n"
    "for a srcproof manifest, its product, release, kind and previous\n"
    "digest). With --append, add a signature to an existing envelope over\n"
    "the same file. Every new signature is verified before it is written.\n"
    "\n"
    "options:\n"
    "  -k, --key KEY        private key file or PKCS#11 URI (pkcs11:...)\n"
    "  -o, --output SIG     envelope file (default: FILE.sig)\n"
    "  -r, --role ROLE      release, update, review, rebuild or witness\n"
    "                       (default: update for an update manifest,\n"
    "                       release otherwise)\n"
    "  --append             add a signature to the existing envelope SIG\n"
    "  --name NAME          subject name (default: FILE's base name)\n"
    "  --time TIME          signed_at, YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
    "  --passphrase-fd N    read the key passphrase or PIN from descriptor N\n"
    "  --force              replace an existing SIG (without --append)\n"
    "  --json               one JSON document on stdout\n"
    "  -q, --quiet          print nothing but errors\n"
    "  -h, --help           this help\n"
    "\n"
    "The passphrase or PIN comes from --passphrase-fd, else\n"
    "SRCPROOF_PASSPHRASE, else a prompt on the terminal.\n";

int
cmd_sign(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"output", required_argument, NULL, 'o'},
	    {"role", required_argument, NULL, 'r'},
	    {"append", no_argument, NULL, OPT_APPEND},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"time", required_argument, NULL, OPT_TIME},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	const char *file, *keyspec = NULL, *output = NULL, *role = NULL;
	const char *name = NULL, *timearg = NULL;
	bool append = false, force = false;
	sp_buf stmt = SP_BUF_INIT, outbuf = SP_BUF_INIT, sigpath = SP_BUF_INIT;
	sp_statement_info info = {0};
	char *namecopy = NULL;
	uint8_t md[SP_SHA256_LEN];
	char hex[SP_SHA256_HEX_LEN + 1];
	int64_t when = (int64_t)time(NULL);
	sp_key *key = NULL;
	sp_dsse *env = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "k:o:r:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, usage, &exit_now))
			continue;
		switch (opt) {
		case 'k':
			keyspec = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case OPT_APPEND:
			append = true;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_TIME:
			timearg = optarg;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(&secret, "sign", optarg) != 0)
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("sign", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind + 1 != argc)
		return cli_usage_error("sign", "expected one FILE to sign");
	file = argv[optind];
	if (keyspec == NULL)
		return cli_usage_error("sign", "missing --key KEY");
	if (role != NULL &&
	    (!sp_sign_role_is_known(role) || strcmp(role, "root") == 0))
		return cli_usage_error("sign",
		    "unknown role '%s' (release, update, review, rebuild, "
		    "witness)",
		    role);
	if (timearg != NULL && sp_time_parse(&when, timearg) < 0)
		return cli_usage_error("sign",
		    "--time needs YYYY-MM-DDTHH:MM:SSZ, not '%s'", timearg);
	if (append && (name != NULL || timearg != NULL))
		return cli_usage_error("sign",
		    "--append keeps the envelope's statement; --name and "
		    "--time do not apply");
	if (output == NULL) {
		if (sp_buf_printf(&sigpath, "%s.sig", file) < 0) {
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
		output = sigpath.ptr;
	}
	if (name == NULL) {
		if ((namecopy = strdup(file)) == NULL) {
			rc = CLI_EXIT_ERROR;
			cli_error("out of memory");
			goto out;
		}
		name = basename(namecopy);
	}
	if (sp_sha256_file(ctx, md, NULL, file) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	sp_hex_encode(hex, md, sizeof(md));
	if (append) {
		if (sp_dsse_load(ctx, &env, output) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (sp_statement_check(ctx, env, md, &info) < 0) {
			rc = cli_fail(ctx);
			cli_hint("the envelope is about another file; sign "
			         "without --append to start a new one");
			goto out;
		}
		if (role != NULL &&
		    (info.role == NULL || strcmp(info.role, role) != 0)) {
			cli_error("the envelope is for role '%s', not '%s'",
			    info.role ? info.role : "(none)", role);
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	} else if (sp_sign_file_statement(ctx, &stmt, file, name, role, when) <
	           0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (sp_key_load_private(ctx, &key, keyspec, cli_secret_cb, &secret) <
	    0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (append) {
		if (sp_dsse_add_signature(ctx, env, key) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
	} else if (sp_sign_statement(ctx, &env, stmt.ptr, stmt.size, key) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (!append && sp_statement_check(ctx, env, md, &info) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (sp_dsse_serialize(ctx, env, &outbuf) < 0 ||
	    sp_write_file_atomic(ctx, output, outbuf.ptr, outbuf.size, 0644,
	        append || force ? 0 : SP_ATOMIC_EXCL) < 0) {
		if (sp_ctx_errcode(ctx) == SP_EEXISTS)
			sp_err_hint(ctx, "add --append to add a signature, or "
			                 "--force to replace it");
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		rc = cli_json_print(
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "file", file,
		        "sha256", hex, "role", info.role ? info.role : "",
		        "keyid", sp_key_id(key), "signature_file", output,
		        "signatures", (int)sp_dsse_sig_count(env)),
		    "sign");
	} else if (!common.quiet) {
		fputs("srcproof: signed ", stderr);
		cli_print_untrusted(stderr, file);
		fprintf(
		    stderr, " (sha256 %s) with key %s; ", hex, sp_key_id(key));
		cli_print_untrusted(stderr, output);
		fprintf(stderr, " has %zu signature%s\n",
		    sp_dsse_sig_count(env),
		    sp_dsse_sig_count(env) == 1 ? "" : "s");
	}
out:
	sp_statement_info_dispose(&info);
	sp_key_free(key);
	sp_dsse_free(env);
	sp_buf_dispose(&stmt);
	sp_buf_dispose(&outbuf);
	sp_buf_dispose(&sigpath);
	free(namecopy);
	return rc;
}
