/*
 * srcproof attach-signature: re-attach a detached Authenticode signature.
 */
#include "cli.h"
#include "srcproof/compare.h"

#include "banned.h"

static const char usage[] =
    "usage: srcproof attach-signature UNSIGNED PKCS7 -o OUT [--force]\n"
    "\n"
    "Attach a detached PKCS#7 Authenticode signature (DER or PEM) to an\n"
    "unsigned PE image, byte for byte as 'osslsigncode attach-signature'\n"
    "does: pad to 8, append one WIN_CERTIFICATE (revision 0x0200, type 2),\n"
    "set the Certificate Table entry and recompute the CheckSum. The\n"
    "signature's digest must match the image.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT  the signed image to write (atomically)\n"
    "  -f, --force       overwrite OUT if it exists\n"
    "  --json            one JSON document on stdout\n"
    "  -q, --quiet       print nothing on success\n"
    "  -h, --help        this help\n"
    "\n"
    "exit status: 0 written, 1 the signature does not match the image,\n"
    "2 usage error, 3 could not complete\n";

int
cmd_attach_signature(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"force", no_argument, NULL, 'f'}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	struct cli_common common = {0};
	const char *output = NULL;
	bool force = false;
	int opt, exit_now = -1;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "o:f",
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, usage, &exit_now))
			continue;
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			force = true;
			break;
		default:
			return cli_bad_option("attach-signature", argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (argc - optind < 2)
		return cli_usage_error(
		    "attach-signature", "UNSIGNED and PKCS7 are required");
	if (argc - optind > 2)
		return cli_usage_error("attach-signature",
		    "unexpected argument '%s'", argv[optind + 2]);
	if (output == NULL)
		return cli_usage_error(
		    "attach-signature", "'-o OUT' is required");
	if (sp_attach_signature(
	        ctx, argv[optind], argv[optind + 1], output, force) < 0)
		return cli_fail(ctx);
	if (common.json)
		return cli_json_print(
		    json_pack("{s:s}", "output", output), "attach-signature");
	if (!common.quiet) {
		fputs("signature attached: ", stdout);
		cli_print_untrusted(stdout, output);
		fputc('\n', stdout);
	}
	return CLI_EXIT_OK;
}
