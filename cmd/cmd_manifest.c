/*
 * srcproof manifest: create, check, diff, chain and show source manifests.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "srcproof/manifest.h"
#include "srcproof/sign.h"

#include "banned.h"

enum {
	OPT_REF = CLI_OPT_FIRST_FREE,
	OPT_PRODUCT,
	OPT_RELEASE,
	OPT_KIND,
	OPT_PREVIOUS,
	OPT_STRIP,
	OPT_THREADS,
	OPT_POLICY,
	OPT_AT,
};

static void
log_cb(sp_log_level level, const char *msg, void *payload)
{
	const struct cli_common *c = payload;

	if (level >= SP_LOG_WARN && !c->quiet)
		cli_warn("%s", msg);
}

static void
setup(sp_ctx *ctx, struct cli_common *c)
{
	sp_ctx_set_log(ctx, log_cb, c);
	cli_progress_setup(ctx, c);
}

static int
parse_uint(const char *cmd, const char *opt, const char *s, unsigned max,
    unsigned *out)
{
	uint64_t v;
	int rc = cli_number_opt(cmd, opt, s, 0, max, &v);

	if (rc == 0)
		*out = (unsigned)v;
	return rc;
}

static const char *
type_name(sp_manifest_entry_type t)
{
	switch (t) {
	case SP_MANIFEST_EXECUTABLE:
		return "executable";
	case SP_MANIFEST_SYMLINK:
		return "symlink";
	default:
		return "regular";
	}
}

static json_t *
entry_json(const sp_manifest_entry *e)
{
	char hex[SP_SHA256_HEX_LEN + 1];
	json_t *o;

	if (e == NULL)
		return json_null();
	sp_hex_encode(hex, e->sha256, 32);
	o = json_pack("{s:s%, s:s, s:s}", "path", e->path, e->path_len, "type",
	    type_name(e->type), "sha256", hex);
	if (o != NULL && e->type == SP_MANIFEST_SYMLINK)
		json_object_set_new(o, "target", json_string(e->link_target));
	if (o != NULL && e->size != SP_MANIFEST_SIZE_UNKNOWN)
		json_object_set_new(
		    o, "size", json_integer((json_int_t)e->size));
	return o;
}

static json_t *
opt_string(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
header_json(const sp_manifest *m, const uint8_t digest[32])
{
	char hex[SP_SHA256_HEX_LEN + 1];

	sp_hex_encode(hex, digest, 32);
	return json_pack("{s:s, s:o, s:o, s:s, s:o, s:I, s:I, s:I, s:s, s:s}",
	    "sha256", hex, "product", opt_string(sp_manifest_product(m)),
	    "release", opt_string(sp_manifest_release(m)), "kind",
	    sp_manifest_kind_name(sp_manifest_kind_of(m)), "previous",
	    opt_string(sp_manifest_previous(m)), "files",
	    (json_int_t)sp_manifest_file_count(m), "symlinks",
	    (json_int_t)sp_manifest_symlink_count(m), "bytes",
	    (json_int_t)sp_manifest_total_bytes(m), "git_tree",
	    sp_manifest_git_tree(m), "swhid", sp_manifest_swhid(m));
}

/* ---- create ----------------------------------------------------------------
 */

static const char create_usage[] =
    "usage: srcproof manifest create SOURCE -o OUT [--ref REF]\n"
    "           [--product NAME] [--release VERSION]\n"
    "           [--kind release|update] [--previous PREV_MANIFEST]\n"
    "           [--strip-components N] [--threads N] [--json] [-q]\n"
    "\n"
    "Hash every file of SOURCE and write its manifest to OUT (atomically:\n"
    "nothing is left at OUT on failure). SOURCE is a directory, a git\n"
    "repository with --ref (read without a checkout), or a tar, tar.gz,\n"
    "tar.bz2, tar.xz, tar.zst or zip archive (read without unpacking).\n"
    "The same content gives the same bytes from any of them.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT          the manifest to write (outside SOURCE)\n"
    "  --ref REF                 git: tag, branch or commit to hash\n"
    "  --product NAME            product name recorded in the header\n"
    "  --release VERSION         release recorded in the header\n"
    "  --kind release|update     default release; update needs --previous\n"
    "  --previous PREV_MANIFEST  previous manifest of an update chain\n"
    "  --strip-components N      archive: drop N leading path components\n"
    "  --threads N               hashing threads (default: CPUs, max 8)\n"
    "  --json                    one JSON document on stdout\n"
    "  -q, --quiet               no progress, no summary\n"
    "  -h, --help                this help\n";

/* Refuse an output inside a directory source: it would hash itself. */
static int
output_inside(const char *source, const char *output)
{
	char src[PATH_MAX], dir[PATH_MAX], *copy, *d;
	size_t n;
	int inside = 0;

	if (realpath(source, src) == NULL)
		return 0; /* the library reports a missing source */
	if ((copy = strdup(output)) == NULL)
		return 0;
	d = dirname(copy);
	if (realpath(d, dir) != NULL) {
		n = strlen(src);
		inside = strcmp(src, "/") == 0 ||
		         (strncmp(dir, src, n) == 0 &&
		             (dir[n] == '\0' || dir[n] == '/'));
	}
	free(copy);
	return inside;
}

static bool
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int
manifest_create(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"ref", required_argument, NULL, OPT_REF},
	    {"product", required_argument, NULL, OPT_PRODUCT},
	    {"release", required_argument, NULL, OPT_RELEASE},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"previous", required_argument, NULL, OPT_PREVIOUS},
	    {"strip-components", required_argument, NULL, OPT_STRIP},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char cmd[] = "manifest create";
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	struct cli_common common = {0};
	const char *output = NULL;
	sp_manifest *m = NULL;
	uint8_t digest[32];
	int opt, exit_now = -1, rc = CLI_EXIT_OK;

	common.progress = isatty(STDERR_FILENO);
	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORTOPTS,
	            longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, create_usage, &exit_now))
			continue;
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case OPT_REF:
			o.ref = optarg;
			break;
		case OPT_PRODUCT:
			o.product = optarg;
			break;
		case OPT_RELEASE:
			o.release = optarg;
			break;
		case OPT_KIND:
			if (strcmp(optarg, "release") == 0)
				o.kind = SP_MANIFEST_RELEASE;
			else if (strcmp(optarg, "update") == 0)
				o.kind = SP_MANIFEST_UPDATE;
			else
				return cli_usage_error(cmd,
				    "--kind is 'release' or 'update', not "
				    "'%s'",
				    optarg);
			break;
		case OPT_PREVIOUS:
			o.previous_path = optarg;
			break;
		case OPT_STRIP:
			if (parse_uint(cmd, "--strip-components", optarg, 64,
			        &o.strip_components) != 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_THREADS:
			if (parse_uint(
			        cmd, "--threads", optarg, 64, &o.threads) != 0)
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option(cmd, argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (optind >= argc)
		return cli_usage_error(cmd, "missing SOURCE");
	if (optind + 1 != argc)
		return cli_usage_error(
		    cmd, "unexpected argument '%s'", argv[optind + 1]);
	o.path = argv[optind];
	if (output == NULL)
		return cli_usage_error(cmd, "missing -o OUT");
	if (o.kind == SP_MANIFEST_UPDATE && o.previous_path == NULL)
		return cli_usage_error(
		    cmd, "--kind update needs --previous PREV_MANIFEST");
	if (o.kind == SP_MANIFEST_RELEASE && o.previous_path != NULL)
		return cli_usage_error(cmd, "--previous needs --kind update");
	if (o.previous_path != NULL && same_file(o.previous_path, output))
		return cli_usage_error(cmd,
		    "-o '%s' would overwrite the previous manifest", output);
	if (o.ref == NULL && output_inside(o.path, output)) {
		cli_error("output '%s' is inside source '%s'", output, o.path);
		cli_hint("write the manifest outside the source tree: it "
		         "would be hashed as part of the content");
		return CLI_EXIT_USAGE;
	}
	setup(ctx, &common);
	if (sp_manifest_create(ctx, &m, &o) < 0 ||
	    sp_manifest_write(ctx, m, output, 0, digest) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	cli_progress_done();
	if (common.json) {
		json_t *doc = header_json(m, digest);

		if (doc != NULL)
			json_object_set_new(doc, "output", json_string(output));
		rc = cli_json_print(doc, "manifest.create");
	} else if (!common.quiet) {
		char hex[SP_SHA256_HEX_LEN + 1];

		sp_hex_encode(hex, digest, 32);
		printf("wrote ");
		cli_print_untrusted(stdout, output);
		printf("\n  files:    %llu (%llu bytes)\n  symlinks: %llu\n"
		       "  git tree: %s\n  swhid:    %s\n  sha256:   %s\n",
		    (unsigned long long)sp_manifest_file_count(m),
		    (unsigned long long)sp_manifest_total_bytes(m),
		    (unsigned long long)sp_manifest_symlink_count(m),
		    sp_manifest_git_tree(m), sp_manifest_swhid(m), hex);
	}
out:
	sp_manifest_free(m);
	return rc;
}

/* ---- check ------------------------------------------------------------------
 */

static const char check_usage[] =
    "usage: srcproof manifest check MANIFEST SOURCE [--ref REF]\n"
    "           [--strip-components N] [--threads N] [--json] [-q]\n"
    "\n"
    "Audit SOURCE (a directory, a git repository with --ref, or an\n"
    "archive) against MANIFEST, like hashdeep's audit mode: every path is\n"
    "matched, changed, missing, new or has a changed executable bit. The\n"
    "differences are listed on stdout, then a summary line.\n"
    "\n"
    "options:\n"
    "  --ref REF                 git: tag, branch or commit to check\n"
    "  --strip-components N      archive: drop N leading path components\n"
    "  --threads N               hashing threads (default: CPUs, max 8)\n"
    "  --json                    one JSON document on stdout\n"
    "  -q, --quiet               print nothing; the exit status tells\n"
    "  -h, --help                this help\n"
    "\n"
    "exit status: 0 everything matches, 1 something differs, 2 usage,\n"
    "3 could not complete.\n";

/*
 * Differences kept for --json until the totals are known: the kind and
 * copies of both entries. As jansson objects, 80,000 of them took 210 MiB;
 * they are made and printed one at a time instead.
 */
struct pair {
	int kind;
	sp_manifest_entry a, b;
	bool has_a, has_b;
};

struct pair_list {
	bool check; /**< manifest check's shape, else manifest diff's */
	struct pair *v;
	size_t n, cap;
	bool failed; /**< out of memory: the output is refused */
};

static bool
copy_entry(sp_manifest_entry *dst, bool *has, const sp_manifest_entry *src)
{
	*has = src != NULL;
	if (src == NULL)
		return true;
	*dst = *src;
	dst->link_target = NULL;
	if ((dst->path = strndup(src->path, src->path_len)) == NULL)
		return false;
	if (src->link_target != NULL &&
	    (dst->link_target = strdup(src->link_target)) == NULL) {
		free((char *)dst->path);
		dst->path = NULL;
		return false;
	}
	return true;
}

static void
pair_list_add(struct pair_list *l, int kind, const sp_manifest_entry *a,
    const sp_manifest_entry *b)
{
	struct pair *p;

	if (l->failed)
		return;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct pair *nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			l->failed = true;
			return;
		}
		l->v = nv;
		l->cap = ncap;
	}
	p = &l->v[l->n];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	if (!copy_entry(&p->a, &p->has_a, a) ||
	    !copy_entry(&p->b, &p->has_b, b)) {
		free((char *)p->a.path);
		free((char *)p->a.link_target);
		l->failed = true;
		return;
	}
	l->n++;
}

static void
pair_list_dispose(struct pair_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free((char *)l->v[i].a.path);
		free((char *)l->v[i].a.link_target);
		free((char *)l->v[i].b.path);
		free((char *)l->v[i].b.link_target);
	}
	free(l->v);
}

static const char *const check_names[] = {
    "matched", "changed", "missing", "new", "mode"};
static const char *const diff_names[] = {
    "added", "removed", "changed", "renamed", "mode"};

static json_t *
pair_item(void *arg, size_t i)
{
	const struct pair_list *l = arg;
	const struct pair *p = &l->v[i];
	const sp_manifest_entry *a = p->has_a ? &p->a : NULL;
	const sp_manifest_entry *b = p->has_b ? &p->b : NULL;
	const sp_manifest_entry *e = a != NULL ? a : b;
	json_t *o;

	if (l->check)
		o = json_pack("{s:s, s:s%, s:o, s:o}", "status",
		    check_names[p->kind], "path", e->path, e->path_len,
		    "expected", entry_json(a), "actual", entry_json(b));
	else
		o = json_pack("{s:s, s:o, s:o}", "kind", diff_names[p->kind],
		    "a", entry_json(a), "b", entry_json(b));
	if (o == NULL)
		cli_error("out of memory while building JSON output");
	return o;
}

struct check_state {
	struct cli_common *common;
	struct pair_list *list; /**< --json */
};

static int
check_cb(sp_manifest_check_status st, const sp_manifest_entry *exp,
    const sp_manifest_entry *act, void *payload)
{
	struct check_state *cs = payload;
	const sp_manifest_entry *e = exp != NULL ? exp : act;

	if (st == SP_CHECK_MATCHED)
		return 0;
	if (cs->list != NULL) {
		pair_list_add(cs->list, (int)st, exp, act);
		return 0;
	}
	if (cs->common->quiet)
		return 0;
	printf("%-8s  ", check_names[st]);
	cli_print_untrusted_n(stdout, e->path, e->path_len);
	if (st == SP_CHECK_MODE)
		printf(
		    " (%s -> %s)", type_name(exp->type), type_name(act->type));
	else if (st == SP_CHECK_CHANGED && exp->type != act->type)
		printf(
		    " (%s -> %s)", type_name(exp->type), type_name(act->type));
	putchar('\n');
	return 0;
}

static int
manifest_check(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    {"ref", required_argument, NULL, OPT_REF},
	    {"strip-components", required_argument, NULL, OPT_STRIP},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char cmd[] = "manifest check";
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	struct cli_common common = {0};
	struct pair_list diffs = {.check = true};
	struct check_state cs = {&common, NULL};
	sp_manifest_check_summary s;
	sp_manifest *m = NULL;
	int opt, exit_now = -1, rc = CLI_EXIT_OK, error;

	common.progress = isatty(STDERR_FILENO);
	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, check_usage, &exit_now))
			continue;
		switch (opt) {
		case OPT_REF:
			o.ref = optarg;
			break;
		case OPT_STRIP:
			if (parse_uint(cmd, "--strip-components", optarg, 64,
			        &o.strip_components) != 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_THREADS:
			if (parse_uint(
			        cmd, "--threads", optarg, 64, &o.threads) != 0)
				return CLI_EXIT_USAGE;
			break;
		default:
			return cli_bad_option(cmd, argv);
		}
	}
	if (exit_now >= 0)
		return exit_now;
	if (argc - optind != 2)
		return cli_usage_error(cmd, argc - optind < 2
		                                ? "missing MANIFEST or SOURCE"
		                                : "too many arguments");
	o.path = argv[optind + 1];
	setup(ctx, &common);
	if (sp_manifest_load(ctx, &m, argv[optind]) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		cs.list = &diffs;
	memset(&s, 0, sizeof(s));
	error = sp_manifest_check(ctx, m, &o, check_cb, &cs, &s);
	cli_progress_done();
	if (error < 0 && error != SP_EVERIFY) {
		rc = cli_fail(ctx);
		goto out;
	}
	rc = error == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (common.json && diffs.failed) {
		cli_error("out of memory while building JSON output");
		rc = CLI_EXIT_ERROR;
	} else if (common.json) {
		rc = cli_json_print_items(
		         json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, "
		                   "s:{s:s, s:s, s:b}}",
		             "result", error == 0 ? "passed" : "failed",
		             "matched", (json_int_t)s.matched, "changed",
		             (json_int_t)s.changed, "missing",
		             (json_int_t)s.missing, "new", (json_int_t)s.added,
		             "mode", (json_int_t)s.mode, "git_tree", "manifest",
		             sp_manifest_git_tree(m), "source", s.actual_tree,
		             "matches", s.tree_matches),
		         "manifest.check", "differences", diffs.n, pair_item,
		         &diffs) == CLI_EXIT_OK
		         ? rc
		         : CLI_EXIT_ERROR;
	} else if (!common.quiet) {
		if (!s.tree_matches && error == SP_EVERIFY &&
		    !(s.changed || s.missing || s.added || s.mode))
			printf("git tree differs: manifest %s, source %s\n",
			    sp_manifest_git_tree(m), s.actual_tree);
		if (error == 0)
			printf("audit passed: %llu matched\n",
			    (unsigned long long)s.matched);
		else
			printf("audit failed: %llu matched, %llu changed, "
			       "%llu missing, %llu new, %llu mode changes\n",
			    (unsigned long long)s.matched,
			    (unsigned long long)s.changed,
			    (unsigned long long)s.missing,
			    (unsigned long long)s.added,
			    (unsigned long long)s.mode);
	}
out:
	pair_list_dispose(&diffs);
	sp_manifest_free(m);
	return rc;
}

/* ---- diff ------------------------------------------------------------------
 */

static const char diff_usage[] =
    "usage: srcproof manifest diff A B [--json] [-q]\n"
    "\n"
    "Compare two manifests: paths added, removed, changed (other content,\n"
    "target or file type), renamed (same content, new path) and executable\n"
    "bit changes, in path order.\n"
    "\n"
    "options:\n"
    "  --json       one JSON document on stdout\n"
    "  -q, --quiet  print nothing; the exit status tells\n"
    "  -h, --help   this help\n"
    "\n"
    "exit status: 0 same entries, 1 they differ, 2 usage, 3 could not\n"
    "complete.\n";

struct diff_state {
	struct cli_common *common;
	struct pair_list *list; /**< --json */
};

static int
diff_cb(sp_manifest_diff_kind kind, const sp_manifest_entry *a,
    const sp_manifest_entry *b, void *payload)
{
	struct diff_state *ds = payload;

	if (ds->list != NULL) {
		pair_list_add(ds->list, (int)kind, a, b);
		return 0;
	}
	if (ds->common->quiet)
		return 0;
	printf("%-8s  ", diff_names[kind]);
	if (kind == SP_DIFF_RENAMED) {
		cli_print_untrusted_n(stdout, a->path, a->path_len);
		fputs(" -> ", stdout);
		cli_print_untrusted_n(stdout, b->path, b->path_len);
	} else {
		const sp_manifest_entry *e = b != NULL ? b : a;

		cli_print_untrusted_n(stdout, e->path, e->path_len);
		if (a != NULL && b != NULL && a->type != b->type)
			printf(" (%s -> %s)", type_name(a->type),
			    type_name(b->type));
	}
	putchar('\n');
	return 0;
}

static int
load_two(sp_ctx *ctx, sp_manifest **a, sp_manifest **b, char **argv)
{
	if (sp_manifest_load(ctx, a, argv[0]) < 0 ||
	    sp_manifest_load(ctx, b, argv[1]) < 0)
		return -1;
	return 0;
}

static int
manifest_diff(int argc, char **argv, sp_ctx *ctx)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char cmd[] = "manifest diff";
	struct cli_common common = {0};
	struct pair_list changes = {.check = false};
	struct diff_state ds = {&common, NULL};
	sp_manifest_diff_summary s;
	sp_manifest *a = NULL, *b = NULL;
	uint8_t da[32], db[32];
	int opt, exit_now = -1, rc = CLI_EXIT_OK;
	bool differ;

	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&common, opt, diff_usage, &exit_now))
			continue;
		return cli_bad_option(cmd, argv);
	}
	if (exit_now >= 0)
		return exit_now;
	if (argc - optind != 2)
		return cli_usage_error(cmd, argc - optind < 2
		                                ? "missing manifest A or B"
		                                : "too many arguments");
	if (load_two(ctx, &a, &b, argv + optind) < 0 ||
	    sp_manifest_digest(ctx, a, da) < 0 ||
	    sp_manifest_digest(ctx, b, db) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (common.json)
		ds.list = &changes;
	if (sp_manifest_diff(ctx, a, b, diff_cb, &ds, &s) != 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	differ = s.added || s.removed || s.changed || s.renamed || s.mode;
	rc = differ ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	if (common.json && changes.failed) {
		cli_error("out of memory while building JSON output");
		rc = CLI_EXIT_ERROR;
	} else if (common.json) {
		json_t *ja = header_json(a, da), *jb = header_json(b, db);

		if (ja != NULL)
			json_object_set_new(
			    ja, "path", json_string(argv[optind]));
		if (jb != NULL)
			json_object_set_new(
			    jb, "path", json_string(argv[optind + 1]));
		if (cli_json_print_items(
		        json_pack("{s:o, s:o, s:b, s:{s:I, s:I, s:I, "
		                  "s:I, s:I, s:I}}",
		            "a", ja, "b", jb, "identical", !differ, "summary",
		            "added", (json_int_t)s.added, "removed",
		            (json_int_t)s.removed, "changed",
		            (json_int_t)s.changed, "renamed",
		            (json_int_t)s.renamed, "mode", (json_int_t)s.mode,
		            "unchanged", (json_int_t)s.unchanged),
		        "manifest.diff", "changes", changes.n, pair_item,
		        &changes) != CLI_EXIT_OK)
			rc = CLI_EXIT_ERROR;
	} else if (!common.quiet) {
		printf("%llu added, %llu removed, %llu changed, %llu renamed, "
		       "%llu mode changes, %llu unchanged\n",
		    (unsigned long long)s.added, (unsigned long long)s.removed,
		    (unsigned long long)s.changed,
		    (unsigned long long)s.renamed, (unsigned long long)s.mode,
		    (unsigned long long)s.unchanged);
	}
out:
	pair_list_dispose(&changes);
	sp_manifest_free(a);
	sp_manifest_free(b);
	return rc;
}

/* ---- chain
 * --------------------------------------------------------------------
 */

static const char chain_usage[] =
    "usage: srcproof manifest chain M1 M2 ... Mn [--policy POLICY ...]\n"
    "                               [--at TIME] [--json] [-q]\n"
    "\n"
    "Check that the manifests form an unbroken update chain in this order:\n"
    "each of M2..Mn is an update whose previous digest is the SHA-256 of\n"
    "the manifest before it, for the same product. The first broken link\n"
    "is named.\n"
    "\n"
    "With --policy, every Mi must also be signed in Mi.sig (srcproof sign)\n"
    "for role release or update (its kind) by the policy's threshold, and\n"
    "rollback (a link signed before the one it follows), freeze (an expired\n"
    "policy) and mix-and-match (a manifest of another product) are refused.\n"
    "Repeat --policy for a rotation chain, pinned policy first.\n"
    "\n"
    "options:\n"
    "  --policy POLICY  trust policy; repeat for a rotation chain\n"
    "  --at TIME        check expiry as of TIME (default: now)\n"
    "  --json       one JSON document on stdout\n"
    "  -q, --quiet  print nothing but errors\n"
    "  -h, --help   this help\n"
    "\n"
    "exit status: 0 unbroken, 1 a link is broken, 2 usage, 3 could not\n"
    "complete (a manifest cannot be read or parsed).\n";

/* What `manifest chain` was asked; options (e.g. a trust policy) go here. */
struct chain_opts {
	struct cli_common common;
	char **paths;
	size_t n;
	const char *policies[64]; /* --policy, pinned first */
	size_t npolicies;
	int64_t at;
};

static int
chain_parse(struct chain_opts *co, int argc, char **argv, int *exit_now)
{
	static const struct option longopts[] = {
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"at", required_argument, NULL, OPT_AT}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	int opt;

	co->at = (int64_t)time(NULL);
	cli_getopt_reset();
	while ((opt = getopt_long(
	            argc, argv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (cli_common_opt(&co->common, opt, chain_usage, exit_now))
			continue;
		if (opt == OPT_POLICY && co->npolicies < 64) {
			co->policies[co->npolicies++] = optarg;
			continue;
		}
		if (opt == OPT_AT && sp_time_parse(&co->at, optarg) == 0)
			continue;
		if (opt == OPT_AT || opt == OPT_POLICY) {
			*exit_now =
			    cli_usage_error("manifest chain", "bad %s '%s'",
			        opt == OPT_AT ? "--at" : "--policy", optarg);
			return -1;
		}
		*exit_now = cli_bad_option("manifest chain", argv);
		return -1;
	}
	if (*exit_now >= 0)
		return -1;
	if (argc - optind < 2) {
		*exit_now = cli_usage_error("manifest chain",
		    "give at least two manifests, oldest first");
		return -1;
	}
	co->paths = argv + optind;
	co->n = (size_t)(argc - optind);
	return 0;
}

/*
 * --policy: verify every link's signature (Mi.sig) under the policy chain.
 * Returns CLI_EXIT_OK with *doc set, or prints the reason and returns the
 * exit status.
 */
static int
chain_signatures(sp_ctx *ctx, const struct chain_opts *co, json_t **doc)
{
	static const char *const kinds[] = {"ok", "policy", "freeze", "input",
	    "signature", "mix-and-match", "rollback"};
	sp_policy *pol[64] = {NULL};
	char **sigs = NULL;
	sp_sign_chain_result res = {0};
	size_t i;
	int rc = CLI_EXIT_OK, error = 0;

	if ((sigs = calloc(co->n, sizeof(*sigs))) == NULL) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	for (i = 0; i < co->n; i++) {
		sp_buf b = SP_BUF_INIT;

		if (sp_buf_printf(&b, "%s.sig", co->paths[i]) < 0) {
			cli_error("out of memory");
			rc = CLI_EXIT_ERROR;
			goto out;
		}
		sigs[i] = sp_buf_detach(&b);
	}
	for (i = 0; i < co->npolicies; i++)
		if ((error = sp_policy_load(ctx, &pol[i], co->policies[i])) < 0)
			break;
	if (error == 0)
		error = sp_sign_verify_manifest_chain(ctx,
		    (const char *const *)co->paths, (const char *const *)sigs,
		    co->n, pol, co->npolicies, co->at, &res);
	if (error < 0) {
		rc = cli_fail(ctx);
		if (co->common.json && rc == CLI_EXIT_FAIL)
			(void)cli_json_print(
			    json_pack("{s:b, s:b, s:s, s:s}", "unbroken", true,
			        "signed", false, "failure", kinds[res.kind],
			        "reason", sp_ctx_errmsg(ctx)),
			    "manifest.chain");
		goto out;
	}
	*doc = json_pack("{s:b, s:I}", "verified", true, "policy_version",
	    (json_int_t)res.policy_version);
out:
	for (i = 0; i < co->npolicies; i++)
		sp_policy_free(pol[i]);
	for (i = 0; i < co->n; i++)
		free(sigs[i]);
	free(sigs);
	return rc;
}

static int
manifest_chain(int argc, char **argv, sp_ctx *ctx)
{
	struct chain_opts co = {0};
	sp_manifest **ms = NULL;
	json_t *list = NULL;
	size_t i, broken = 0;
	int exit_now = -1, rc = CLI_EXIT_OK, error;
	char reason[SP_ERRMSG_MAX] = "";
	json_t *signed_doc = NULL;

	if (chain_parse(&co, argc, argv, &exit_now) < 0)
		return exit_now;
	if ((ms = calloc(co.n, sizeof(*ms))) == NULL) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	for (i = 0; i < co.n; i++) {
		if (sp_manifest_load(ctx, &ms[i], co.paths[i]) < 0) {
			rc = cli_fail(ctx);
			goto out;
		}
	}
	error = sp_manifest_chain_check(
	    ctx, (const sp_manifest *const *)ms, co.n, &broken);
	if (error < 0 && error != SP_EVERIFY) {
		rc = cli_fail(ctx);
		goto out;
	}
	if (error == SP_EVERIFY)
		snprintf(reason, sizeof(reason), "%s", sp_ctx_errmsg(ctx));
	if (error == 0 && co.npolicies > 0 &&
	    (rc = chain_signatures(ctx, &co, &signed_doc)) != CLI_EXIT_OK)
		goto out;
	rc = error == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (co.common.json) {
		json_t *doc;

		if ((list = json_array()) == NULL) {
			rc = CLI_EXIT_ERROR;
			goto out;
		}
		for (i = 0; i < co.n; i++) {
			uint8_t d[32];
			json_t *h;

			if (sp_manifest_digest(ctx, ms[i], d) < 0) {
				rc = cli_fail(ctx);
				goto out;
			}
			h = header_json(ms[i], d);
			if (h != NULL)
				json_object_set_new(
				    h, "path", json_string(co.paths[i]));
			json_array_append_new(list, h);
		}
		doc = json_pack(
		    "{s:b, s:O}", "unbroken", error == 0, "manifests", list);
		if (doc != NULL && signed_doc != NULL)
			json_object_set(doc, "signatures", signed_doc);
		if (doc != NULL)
			json_object_set_new(doc, "broken_link",
			    error == 0
			        ? json_null()
			        : json_pack("{s:s, s:s, s:I, s:s}", "from",
			              co.paths[broken - 1], "to",
			              co.paths[broken], "index",
			              (json_int_t)broken, "reason", reason));
		if (cli_json_print(doc, "manifest.chain") != CLI_EXIT_OK)
			rc = CLI_EXIT_ERROR;
	} else if (error == SP_EVERIFY) {
		cli_error("broken link between '%s' and '%s': %s",
		    co.paths[broken - 1], co.paths[broken], reason);
	} else if (!co.common.quiet) {
		printf("chain unbroken: %zu manifests, ", co.n);
		cli_print_untrusted(stdout, co.paths[0]);
		fputs(" -> ", stdout);
		cli_print_untrusted(stdout, co.paths[co.n - 1]);
		putchar('\n');
		if (signed_doc != NULL)
			printf("every link signed under policy version %lld\n",
			    (long long)json_integer_value(
			        json_object_get(signed_doc, "policy_version")));
	}
out:
	json_decref(signed_doc);
	json_decref(list);
	for (i = 0; ms != NULL && i < co.n; i++)
		sp_manifest_free(ms[i]);
	free(ms);
	return rc;
}

/* ---- show ------------------------------------------------------------------
 */

static const char show_usage[] =
    "usage: srcproof manifest show MANIFEST [--json]\n"
    "\n"
    "Print the header of MANIFEST and its SHA-256 (the digest an update\n"
    "records as previous).\n"
    "\n"
    "options:\n"
    "  --json       one JSON document on stdout\n"
    "  -q, --quiet  print the SHA-256 only\n"
    "  -h, --help   this help\n";

static void
show_field(const char *name, const char *value)
{
	printf("%-10s", name);
	if (value != NULL)
		cli_print_untrusted(stdout, value);
	else
		fputs("-", stdout);
	putchar('\n');
}

static int
manifest_show(int argc, char **argv, sp_ctx *ctx)
{
	struct cli_common common = {0};
	sp_manifest *m = NULL;
	char hex[SP_SHA256_HEX_LEN + 1];
	uint8_t d[32];
	int exit_now = -1, rc = CLI_EXIT_OK;

	if ((exit_now = cli_common_only(
	         argc, argv, "manifest show", show_usage, &common)) >= 0)
		return exit_now;
	if (argc - optind != 1)
		return cli_usage_error(
		    "manifest show", argc - optind < 1 ? "missing MANIFEST"
		                                       : "too many arguments");
	if (sp_manifest_load(ctx, &m, argv[optind]) < 0 ||
	    sp_manifest_digest(ctx, m, d) < 0) {
		rc = cli_fail(ctx);
		goto out;
	}
	sp_hex_encode(hex, d, 32);
	if (common.json) {
		json_t *doc = header_json(m, d);

		if (doc != NULL)
			json_object_set_new(
			    doc, "path", json_string(argv[optind]));
		rc = cli_json_print(doc, "manifest.show");
	} else if (common.quiet) {
		printf("%s\n", hex);
	} else {
		char num[32];

		show_field("manifest:", argv[optind]);
		show_field("sha256:", hex);
		show_field("product:", sp_manifest_product(m));
		show_field("release:", sp_manifest_release(m));
		show_field(
		    "kind:", sp_manifest_kind_name(sp_manifest_kind_of(m)));
		if (sp_manifest_previous(m) != NULL)
			printf("%-10ssha256:%s\n",
			    "previous:", sp_manifest_previous(m));
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)sp_manifest_file_count(m));
		show_field("files:", num);
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)sp_manifest_symlink_count(m));
		show_field("symlinks:", num);
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)sp_manifest_total_bytes(m));
		show_field("bytes:", num);
		show_field("git tree:", sp_manifest_git_tree(m));
		show_field("swhid:", sp_manifest_swhid(m));
	}
out:
	sp_manifest_free(m);
	return rc;
}

int
cmd_manifest(int argc, char **argv, sp_ctx *ctx)
{
	static const struct cli_sub subs[] = {
	    {"create", manifest_create,
	        "hash a directory, git revision or archive into a manifest"},
	    {"check", manifest_check,
	        "audit a source against a manifest (matched, changed, ...)"},
	    {"diff", manifest_diff, "compare two manifests"},
	    {"chain", manifest_chain, "check an update chain M1 ... Mn"},
	    {"show", manifest_show, "print a manifest's header and digest"},
	};

	return cli_dispatch("manifest",
	    "Build and check manifests: the exact files of a source release.",
	    subs, sizeof(subs) / sizeof(subs[0]), argc, argv, ctx);
}
