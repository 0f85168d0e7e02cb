/*
 * srcproof key: generate signing keys, show public keys.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_secret.h"
#include "srcproof/sign.h"

#include "banned.h"

enum {
	OPT_ALGORITHM = CLI_OPT_FIRST_FREE,
	OPT_NO_PASSPHRASE,
	OPT_FORCE,
	OPT_PASSPHRASE_FD,
};

static const char generate_usage[] =
    "usage: srcproof key generate -o KEY [--algorithm ALG] [--no-passphrase]\n"
    "                             [--passphrase-fd N] [--force] [--json]\n"
    "\n"
    "Generate a signing key: KEY (PKCS#8 PEM, mode 0600, encrypted with a\n"
    "passphrase: scrypt + AES-256) and KEY.pub (SPKI PEM). Prints the key id\n"
    "(sha256 of the DER public key).\n"
    "\n"
    "options:\n"
    "  -o, --output KEY       private key file (public key: KEY.pub)\n"
    "  -a, --algorithm ALG    ed25519 (default), ecdsa-p256 or rsa-3072\n"
    "  --no-passphrase        store the private key unencrypted\n"
    "  --passphrase-fd N      read the passphrase from descriptor N\n"
    "  --force                replace existing files\n"
    "  --json                 one JSON document on stdout\n"
    "  -q, --quiet            print nothing but errors\n"
    "  -h, --help             this help\n"
    "\n"
    "The passphrase comes from --passphrase-fd, else SRCPROOF_PASSPHRASE,\n"
    "else a prompt on the terminal (asked twice).\n";

static int
key_generate(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"algorithm", required_argument, NULL, 'a'},
	    {"no-passphrase", no_argument, NULL, OPT_NO_PASSPHRASE},
	    {"passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD},
	    {"force", no_argument, NULL, OPT_FORCE}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	struct cli_secret secret = CLI_SECRET_INIT;
	const char *output = NULL, *algname = "ed25519";
	bool no_pass = false, force = false;
	sp_buf pass = SP_BUF_INIT;
	sp_key_alg alg;
	sp_key *key = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:a:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, generate_usage, &exit_now))
			continue;
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'a':
			algname = optarg;
			break;
		case OPT_NO_PASSPHRASE:
			no_pass = true;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_PASSPHRASE_FD:
			if (cli_secret_parse_fd(
			        &secret, "key generate", optarg) != 0)
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option("key generate", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind != argc)
		return cli_usage_error(
		    "key generate", "unexpected argument '%s'", argv[optind]);
	if (output == NULL)
		return cli_usage_error(
		    "key generate", "missing -o KEY (the private key file)");
	if (sp_key_alg_parse(ctx, &alg, algname) < 0)
		return cli_fail(ctx);
	if (!no_pass) {
		if (cli_secret_cb(ctx, &pass, "passphrase for the new key",
		        true, &secret) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
		if (pass.size == 0) {
			cli_error("empty passphrase");
			cli_hint("use --no-passphrase for an unencrypted key");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (sp_key_generate(ctx, &key, alg) < 0 ||
	    sp_key_save(ctx, key, output, no_pass ? NULL : pass.ptr, pass.size,
	        force ? SP_KEY_SAVE_FORCE : 0) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json) {
		sp_buf pub = SP_BUF_INIT;

		(void)!sp_buf_printf(&pub, "%s.pub", output);
		rc = cli_json_print(
		    json_pack("{s:s, s:s, s:s, s:s, s:b}", "keyid",
		        sp_key_id(key), "algorithm", sp_key_algorithm_name(key),
		        "private_key", output, "public_key",
		        pub.ptr ? pub.ptr : "", "encrypted", !no_pass),
		    "key");
		sp_buf_dispose(&pub);
	} else if (!common.quiet) {
		printf("%s\n", sp_key_id(key));
		fprintf(stderr, "srcproof: wrote %s key ",
		    sp_key_algorithm_name(key));
		cli_print_untrusted(stderr, output);
		fprintf(stderr, " (%s) and ",
		    no_pass ? "unencrypted" : "encrypted");
		cli_print_untrusted(stderr, output);
		fputs(".pub\n", stderr);
	}
out:
	sp_key_free(key);
	sp_buf_dispose_secret(&pass);
	return rc;
}

static const char show_usage[] =
    "usage: srcproof key show PUBKEY [--json]\n"
    "\n"
    "Print the key id and algorithm of a public key (SPKI PEM).\n"
    "\n"
    "options:\n"
    "  --json       one JSON document on stdout\n"
    "  -q, --quiet  print only the key id\n"
    "  -h, --help   this help\n";

static int
key_show(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	sp_key *key = NULL;
	int exit_now = -1, rc;

	if ((exit_now = cli_common_only(
	         argc, argv, "key show", show_usage, &common)) >= 0)
		return exit_now;
	if (optind + 1 != argc)
		return cli_usage_error(
		    "key show", "expected one public key file");
	if (sp_key_load_public(ctx, &key, argv[optind]) < 0)
		return cli_fail(ctx);
	if (common.json)
		rc = cli_json_print(
		    json_pack("{s:s, s:s}", "keyid", sp_key_id(key),
		        "algorithm", sp_key_algorithm_name(key)),
		    "key");
	else {
		if (common.quiet)
			printf("%s\n", sp_key_id(key));
		else
			printf("keyid: %s\nalgorithm: %s\n", sp_key_id(key),
			    sp_key_algorithm_name(key));
		rc = CLI_EXIT_OK;
	}
	sp_key_free(key);
	return rc;
}

int
cmd_key(int argc, char **argv, sp_ctx *ctx)
{
	static const struct cli_sub subs[] = {
	    {"generate", key_generate, "generate a signing key pair"},
	    {"show", key_show, "print a public key's id and algorithm"},
	};

	return cli_dispatch("key", "Generate and inspect signing keys.", subs,
	    sizeof(subs) / sizeof(subs[0]), argc, argv, ctx);
}
