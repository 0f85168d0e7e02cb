/*
 * srcproof version: print versions of srcproof and the libraries it uses.
 */
#include <archive.h>
#include <git2.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <zlib.h>

#include "cli.h"

#include "banned.h"

static const char usage[] =
    "usage: srcproof version [--json]\n"
    "\n"
    "Print the version of srcproof and of the libraries it runs with.\n"
    "\n"
    "options:\n"
    "  --json       one JSON document on stdout\n"
    "  -q, --quiet  print only the srcproof version\n"
    "  -h, --help   this help\n";

int
cmd_version(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	int exit_now = -1, major, minor, rev;
	char git2v[32];

	(void)ctx;
	if ((exit_now = cli_common_only(
	         argc, argv, "version", usage, &common)) >= 0)
		return exit_now;
	if (optind != argc)
		return cli_usage_error(
		    "version", "unexpected argument '%s'", argv[optind]);
	git_libgit2_version(&major, &minor, &rev);
	snprintf(git2v, sizeof(git2v), "%d.%d.%d", major, minor, rev);
	if (common.json) {
		return cli_json_print(
		    json_pack("{s:s, s:{s:s, s:s, s:s, s:s, "
		              "s:s}}",
		        "version", SP_VERSION, "libraries", "openssl",
		        OpenSSL_version(OPENSSL_VERSION), "libgit2", git2v,
		        "libarchive", archive_version_details(), "jansson",
		        JANSSON_VERSION, "zlib", zlibVersion()),
		    "version");
	}
	printf("srcproof %s\n", SP_VERSION);
	if (!common.quiet) {
		printf("  %s\n  libgit2 %s\n  %s\n  jansson %s\n  zlib %s\n",
		    OpenSSL_version(OPENSSL_VERSION), git2v,
		    archive_version_details(), JANSSON_VERSION, zlibVersion());
	}
	return CLI_EXIT_OK;
}
