/*
 * Build recipes: record, canonical JSON, strict parse, accessors.
 */
#include "srcproof/recipe.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "escrow_int.h"
#include "srcproof/util.h"
#include "util_int.h"

#include "banned.h"

extern char **environ;

/* Largest SOURCE_DATE_EPOCH accepted: 9999-12-31T23:59:59Z. */
#define SDE_MAX ((int64_t)253402300799)

struct sp_recipe {
	json_t *doc; /* owns every string below */
	const char **argv;
	size_t argc;
	const char *workdir;
	const char *build_path;
	int64_t sde;
	bool have_sde;
	sp_recipe_env *env;
	size_t nenv;
	sp_recipe_tool *tools;
	size_t ntools;
	const char *arch, *os, *distro;
	const char **outputs;
	size_t noutputs;
};

/* ---- environment allowlist ------------------------------------------------
 */

static const char *const env_allow[] = {"AR", "ARFLAGS", "AS", "ASFLAGS", "CC",
    "CFLAGS", "CPP", "CPPFLAGS", "CXX", "CXXFLAGS", "DEB_BUILD_OPTIONS",
    "GOFLAGS", "LANG", "LANGUAGE", "LD", "LDFLAGS", "MAKEFLAGS", "NM",
    "OBJCOPY", "OBJDUMP", "RANLIB", "RC", "RUSTFLAGS", "SOURCE_DATE_EPOCH",
    "STRIP", "TZ", "WINDRES"};

bool
sp_recipe_env_allowed(const char *name)
{
	size_t i;

	if (strncmp(name, "LC_", 3) == 0 && name[3] != '\0')
		return true;
	for (i = 0; i < SP_ARRAY_SIZE(env_allow); i++) {
		if (strcmp(name, env_allow[i]) == 0)
			return true;
	}
	return false;
}

static bool
env_name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > 256)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        c == '_' || (i > 0 && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* ---- validation of a JSON document into the accessor arrays -------------- */

static int
bad(sp_ctx *ctx, const char *what)
{
	return sp_err_set(ctx, SP_EPARSE, "invalid recipe: %s", what);
}

/* A JSON string without NUL and within the size limit. */
static const char *
str_of(const json_t *v)
{
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v) ||
	    json_string_length(v) > SP_RECIPE_MAX_STRING)
		return NULL;
	return s;
}

static bool
rel_path_ok(const char *s, bool allow_dot)
{
	if (allow_dot && strcmp(s, ".") == 0)
		return true;
	return sp_path_is_safe_relative(s, strlen(s)) &&
	       sp_is_clean_utf8(s, strlen(s));
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_env(const void *a, const void *b)
{
	return strcmp(
	    ((const sp_recipe_env *)a)->name, ((const sp_recipe_env *)b)->name);
}

static int
cmp_tool(const void *a, const void *b)
{
	return strcmp(((const sp_recipe_tool *)a)->name,
	    ((const sp_recipe_tool *)b)->name);
}

static int
load_tool(sp_ctx *ctx, sp_recipe_tool *t, const json_t *o)
{
	static const char *const keys[] = {
	    "name", "path", "resolved", "sha256", "size", "version"};
	const char *key, *sha;
	json_t *v;
	size_t i;

	if (!json_is_object(o))
		return bad(ctx, "a toolchain entry is not an object");
	json_object_foreach((json_t *)o, key, v)
	{
		bool known = false;

		for (i = 0; i < SP_ARRAY_SIZE(keys); i++)
			known = known || strcmp(key, keys[i]) == 0;
		if (!known)
			return bad(ctx, "unknown member in a toolchain entry");
	}
	t->name = str_of(json_object_get(o, "name"));
	t->path = str_of(json_object_get(o, "path"));
	t->resolved = str_of(json_object_get(o, "resolved"));
	t->version = str_of(json_object_get(o, "version"));
	sha = str_of(json_object_get(o, "sha256"));
	v = json_object_get(o, "size");
	if (t->name == NULL || t->name[0] == '\0' || t->path == NULL ||
	    t->path[0] != '/' || t->resolved == NULL || t->resolved[0] != '/' ||
	    t->version == NULL || sha == NULL || !json_is_integer(v) ||
	    json_integer_value(v) < 0)
		return bad(ctx, "a toolchain entry lacks name, path, resolved, "
		                "sha256, size or version");
	if (!sp_is_lower_hex(sha, strlen(sha), 32))
		return bad(ctx, "a toolchain sha256 is not 64 lower-case hex");
	memcpy(t->sha256, sha, 65);
	t->size = (uint64_t)json_integer_value(v);
	return 0;
}

static int
from_json(sp_ctx *ctx, sp_recipe *r)
{
	static const char *const keys[] = {"build_path", "command",
	    "environment", "format", "host", "outputs", "source_date_epoch",
	    "toolchain", "workdir"};
	json_t *doc = r->doc, *v, *item;
	const char *key, *s;
	size_t i;
	int error;

	if (!json_is_object(doc))
		return bad(ctx, "not a JSON object");
	json_object_foreach(doc, key, v)
	{
		bool known = false;

		for (i = 0; i < SP_ARRAY_SIZE(keys); i++)
			known = known || strcmp(key, keys[i]) == 0;
		if (!known)
			return sp_err_set(ctx, SP_EPARSE,
			    "invalid recipe: unknown member '%s'", key);
	}
	s = str_of(json_object_get(doc, "format"));
	if (s == NULL || strcmp(s, SP_RECIPE_FORMAT) != 0)
		return bad(ctx, "format is not '" SP_RECIPE_FORMAT "'");

	v = json_object_get(doc, "command");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > SP_RECIPE_MAX_ARGS)
		return bad(ctx, "command is not an array of 1 to 4096 strings");
	r->argc = json_array_size(v);
	if ((r->argv = sp_calloc(ctx, r->argc + 1, sizeof(*r->argv))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	json_array_foreach(v, i, item)
	{
		if ((r->argv[i] = str_of(item)) == NULL)
			return bad(ctx, "a command word is not a string");
	}
	if (r->argv[0][0] == '\0')
		return bad(ctx, "the command's program is empty");

	r->workdir = str_of(json_object_get(doc, "workdir"));
	if (r->workdir == NULL || !rel_path_ok(r->workdir, true))
		return bad(ctx, "workdir is not '.' or a safe relative path");
	r->build_path = str_of(json_object_get(doc, "build_path"));
	if (r->build_path == NULL || r->build_path[0] != '/')
		return bad(ctx, "build_path is not an absolute path");

	v = json_object_get(doc, "source_date_epoch");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > SDE_MAX)
			return bad(ctx, "source_date_epoch is not an integer "
			                "from 0 to 253402300799");
		r->sde = json_integer_value(v);
		r->have_sde = true;
	}

	v = json_object_get(doc, "environment");
	if (!json_is_object(v) || json_object_size(v) > SP_RECIPE_MAX_ENV)
		return bad(ctx, "environment is not an object of at most 256 "
		                "variables");
	r->nenv = json_object_size(v);
	if ((r->env = sp_calloc(ctx, r->nenv + 1, sizeof(*r->env))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	i = 0;
	json_object_foreach(v, key, item)
	{
		if (!env_name_ok(key))
			return bad(ctx, "an environment name is not [A-Za-z_]"
			                "[A-Za-z0-9_]*");
		r->env[i].name = key;
		if ((r->env[i].value = str_of(item)) == NULL)
			return bad(ctx, "an environment value is not a string");
		i++;
	}
	qsort(r->env, r->nenv, sizeof(*r->env), cmp_env);

	v = json_object_get(doc, "toolchain");
	if (!json_is_array(v) || json_array_size(v) > SP_RECIPE_MAX_TOOLS)
		return bad(ctx, "toolchain is not an array of at most 256 "
		                "entries");
	r->ntools = json_array_size(v);
	if ((r->tools = sp_calloc(ctx, r->ntools + 1, sizeof(*r->tools))) ==
	    NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	json_array_foreach(v, i, item)
	{
		if ((error = load_tool(ctx, &r->tools[i], item)) < 0)
			return error;
	}
	qsort(r->tools, r->ntools, sizeof(*r->tools), cmp_tool);
	for (i = 1; i < r->ntools; i++) {
		if (strcmp(r->tools[i - 1].name, r->tools[i].name) == 0)
			return bad(ctx, "a tool is listed twice");
	}

	v = json_object_get(doc, "host");
	if (!json_is_object(v) || json_object_size(v) != 3 ||
	    (r->arch = str_of(json_object_get(v, "arch"))) == NULL ||
	    (r->os = str_of(json_object_get(v, "os"))) == NULL ||
	    (r->distro = str_of(json_object_get(v, "distro"))) == NULL)
		return bad(ctx, "host is not {arch, distro, os}");

	v = json_object_get(doc, "outputs");
	if (!json_is_array(v) || json_array_size(v) > SP_RECIPE_MAX_OUTPUTS)
		return bad(ctx, "outputs is not an array of at most 65536 "
		                "paths");
	r->noutputs = json_array_size(v);
	if ((r->outputs = sp_calloc(
	         ctx, r->noutputs + 1, sizeof(*r->outputs))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	json_array_foreach(v, i, item)
	{
		if ((r->outputs[i] = str_of(item)) == NULL ||
		    !rel_path_ok(r->outputs[i], false))
			return bad(
			    ctx, "an output is not a safe relative path");
	}
	qsort(r->outputs, r->noutputs, sizeof(*r->outputs), cmp_cstr);
	for (i = 1; i < r->noutputs; i++) {
		if (strcmp(r->outputs[i - 1], r->outputs[i]) == 0)
			return bad(ctx, "an output is listed twice");
	}
	return 0;
}

void
sp_recipe_free(sp_recipe *r)
{
	if (r == NULL)
		return;
	json_decref(r->doc);
	free(r->argv);
	free(r->env);
	free(r->tools);
	free(r->outputs);
	free(r);
}

int
sp_recipe_parse(sp_ctx *ctx, sp_recipe **out, const char *data, size_t len)
{
	sp_recipe *r = NULL;
	json_error_t jerr;
	int error;

	*out = NULL;
	if (len > SP_RECIPE_MAX_SIZE)
		return sp_err_set(ctx, SP_ELIMIT,
		    "recipe is larger than the limit of %zu bytes",
		    SP_RECIPE_MAX_SIZE);
	if ((r = sp_calloc(ctx, 1, sizeof(*r))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	r->doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->doc == NULL) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "invalid recipe: line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	if ((error = from_json(ctx, r)) < 0)
		goto out;
	*out = r;
	r = NULL;
out:
	sp_recipe_free(r);
	return error;
}

int
sp_recipe_load(sp_ctx *ctx, sp_recipe **out, const char *path)
{
	sp_buf b = SP_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = sp_read_file(
	         ctx, &b, path, SP_RECIPE_MAX_SIZE, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((error = sp_recipe_parse(ctx, out, b.ptr, b.size)) < 0)
		sp_err_hint(ctx, "the recipe is '%s'", path);
out:
	sp_buf_dispose(&b);
	return error;
}

int
sp_recipe_serialize(sp_ctx *ctx, const sp_recipe *r, sp_buf *out)
{
	char *text;
	int error = 0;

	text = json_dumps(
	    r->doc, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (text == NULL)
		return sp_err_set(
		    ctx, SP_ENOMEM, "cannot serialise the recipe");
	if (sp_buf_puts(out, text) < 0 || sp_buf_putc(out, '\n') < 0)
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
	free(text);
	return error;
}

int
sp_recipe_write(
    sp_ctx *ctx, const sp_recipe *r, const char *path, unsigned flags)
{
	sp_buf b = SP_BUF_INIT;
	int error;

	if ((error = sp_recipe_serialize(ctx, r, &b)) == 0)
		error =
		    sp_write_file_atomic(ctx, path, b.ptr, b.size, 0644, flags);
	sp_buf_dispose(&b);
	return error;
}

/* ---- accessors --------------------------------------------------------------
 */

const char *const *
sp_recipe_command(const sp_recipe *r, size_t *argc)
{
	*argc = r->argc;
	return r->argv;
}

const char *
sp_recipe_workdir(const sp_recipe *r)
{
	return r->workdir;
}

const char *
sp_recipe_build_path(const sp_recipe *r)
{
	return r->build_path;
}

bool
sp_recipe_source_date_epoch(const sp_recipe *r, int64_t *out)
{
	if (r->have_sde && out != NULL)
		*out = r->sde;
	return r->have_sde;
}

const sp_recipe_env *
sp_recipe_environment(const sp_recipe *r, size_t *n)
{
	*n = r->nenv;
	return r->env;
}

const char *
sp_recipe_getenv(const sp_recipe *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nenv; i++) {
		if (strcmp(r->env[i].name, name) == 0)
			return r->env[i].value;
	}
	return NULL;
}

const sp_recipe_tool *
sp_recipe_toolchain(const sp_recipe *r, size_t *n)
{
	*n = r->ntools;
	return r->tools;
}

const char *
sp_recipe_arch(const sp_recipe *r)
{
	return r->arch;
}

const char *
sp_recipe_os(const sp_recipe *r)
{
	return r->os;
}

const char *
sp_recipe_distro(const sp_recipe *r)
{
	return r->distro;
}

const char *const *
sp_recipe_outputs(const sp_recipe *r, size_t *n)
{
	*n = r->noutputs;
	return r->outputs;
}

/* ---- recording
 * ---------------------------------------------------------------- */

static const char *
env_lookup(const char *const *envp, const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; envp[i] != NULL; i++) {
		if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
			return envp[i] + n + 1;
	}
	return NULL;
}

static bool
is_gcc_like(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base != NULL ? base + 1 : path;
	n = strlen(base);
	if (strcmp(base, "cc") == 0 || strcmp(base, "c++") == 0)
		return true;
	/* gcc, g++, gcc-12, x86_64-w64-mingw32-gcc, ... */
	return strstr(base, "gcc") != NULL ||
	       (n >= 3 && strstr(base, "g++") != NULL);
}

/* Default key tools looked up on PATH. */
static const char *const default_tools[] = {"ar", "as", "c++", "cc", "clang",
    "clang++", "cmake", "cpp", "g++", "gcc", "i686-w64-mingw32-gcc", "ld",
    "ld.bfd", "ld.gold", "ld.lld", "make", "meson", "ninja", "nm", "objcopy",
    "pkg-config", "ranlib", "strip", "x86_64-w64-mingw32-gcc",
    "x86_64-w64-mingw32-ld"};

struct recorder {
	sp_ctx *ctx;
	const char *const *envp;
	const char *path_env;
	bool versions;
	json_t *tools; /* object name -> tool object, sorted on dump */
};

/* True when a recorded tool already resolves to @p resolved. */
static bool
have_resolved(json_t *tools, const char *resolved)
{
	const char *key;
	json_t *t;

	json_object_foreach(tools, key, t)
	{
		const char *r =
		    json_string_value(json_object_get(t, "resolved"));

		if (r != NULL && strcmp(r, resolved) == 0)
			return true;
	}
	return false;
}

static int
add_tool_at(struct recorder *rec, const char *name, const char *path)
{
	sp_ctx *ctx = rec->ctx;
	char resolved[PATH_MAX];
	uint8_t digest[32];
	char hex[65];
	uint64_t size = 0;
	sp_buf ver = SP_BUF_INIT;
	json_t *t = NULL;
	int error;

	if (json_object_get(rec->tools, name) != NULL)
		return 0;
	if (realpath(path, resolved) == NULL)
		return sp_err_set(ctx, SP_EIO, "cannot resolve '%s': %s", path,
		    strerror(errno));
	if ((error = sp_sha256_file(ctx, digest, &size, resolved)) < 0)
		return error;
	sp_hex_encode(hex, digest, 32);
	if (rec->versions && (error = sp_recipe__first_line(
	                          ctx, &ver, path, "--version", rec->envp)) < 0)
		goto out;
	t = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "name", name, "path",
	    path, "resolved", resolved, "sha256", hex, "size", (json_int_t)size,
	    "version", ver.ptr != NULL ? ver.ptr : "");
	if (t == NULL) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "tool '%s': path or version is not UTF-8", name);
		goto out;
	}
	if (json_object_set_new(rec->tools, name, t) < 0) {
		t = NULL;
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	t = NULL;
	/* gcc drivers: also identify the real compiler and linker driver. */
	if (rec->versions && is_gcc_like(path)) {
		static const char *const progs[] = {
		    "cc1", "cc1plus", "collect2"};
		size_t i;

		for (i = 0; i < SP_ARRAY_SIZE(progs); i++) {
			char arg[64], sub[300];
			struct stat st;

			sp_buf_clear(&ver);
			snprintf(
			    arg, sizeof(arg), "-print-prog-name=%s", progs[i]);
			if ((error = sp_recipe__first_line(
			         ctx, &ver, path, arg, rec->envp)) < 0)
				goto out;
			if (ver.ptr == NULL || ver.ptr[0] != '/' ||
			    stat(ver.ptr, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			snprintf(sub, sizeof(sub), "%s:%s", name, progs[i]);
			if (json_object_get(rec->tools, sub) != NULL)
				continue;
			if (realpath(ver.ptr, resolved) == NULL ||
			    have_resolved(rec->tools, resolved))
				continue;
			if (sp_sha256_file(ctx, digest, &size, resolved) < 0) {
				sp_err_clear(ctx);
				continue;
			}
			sp_hex_encode(hex, digest, 32);
			t = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "name",
			    sub, "path", ver.ptr, "resolved", resolved,
			    "sha256", hex, "size", (json_int_t)size, "version",
			    "");
			if (t == NULL ||
			    json_object_set_new(rec->tools, sub, t) < 0) {
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			t = NULL;
		}
	}
out:
	json_decref(t);
	sp_buf_dispose(&ver);
	return error;
}

/* Look @p name up; @p required tools must exist. */
static int
add_tool(struct recorder *rec, const char *name, bool required)
{
	char *path = NULL;
	const char *label = name;
	int error;

	if (sp_recipe__which(&path, name, rec->path_env) < 0) {
		if (!required)
			return 0;
		return sp_err_set(
		    rec->ctx, SP_ENOTFOUND, "tool '%s' is not on PATH", name);
	}
	if (strchr(name, '/') != NULL) {
		label = strrchr(name, '/') + 1;
		if (label[0] == '\0')
			label = name;
	}
	error = add_tool_at(rec, label, path);
	free(path);
	return error;
}

/* First word of a tool variable such as CC="ccache gcc -m64". */
static int
add_tool_from_var(struct recorder *rec, const char *value)
{
	char word[256];
	size_t n = 0;

	while (*value == ' ' || *value == '\t')
		value++;
	while (value[n] != '\0' && value[n] != ' ' && value[n] != '\t')
		n++;
	if (n == 0 || n >= sizeof(word))
		return 0;
	memcpy(word, value, n);
	word[n] = '\0';
	return add_tool(rec, word, false);
}

static void
read_distro(char *out, size_t outlen)
{
	static const char *const files[] = {
	    "/etc/os-release", "/usr/lib/os-release"};
	char id[64] = "", ver[64] = "";
	sp_buf b = SP_BUF_INIT;
	sp_ctx *tmp = NULL;
	size_t i;

	out[0] = '\0';
	if (sp_ctx_new(&tmp) < 0)
		return;
	for (i = 0; i < SP_ARRAY_SIZE(files); i++) {
		if (sp_read_file(tmp, &b, files[i], 65536, 0) == 0)
			break;
		sp_buf_clear(&b);
	}
	if (b.ptr != NULL) {
		char *line = b.ptr;

		while (line != NULL && *line != '\0') {
			char *nl = strchr(line, '\n');
			char *dst = NULL;
			const char *val = NULL;
			size_t len;

			if (nl != NULL)
				*nl = '\0';
			if (strncmp(line, "ID=", 3) == 0) {
				dst = id;
				val = line + 3;
			} else if (strncmp(line, "VERSION_ID=", 11) == 0) {
				dst = ver;
				val = line + 11;
			}
			if (dst != NULL) {
				if (*val == '"')
					val++;
				len = strlen(val);
				if (len > 0 && val[len - 1] == '"')
					len--;
				if (len < 64 && sp_is_clean_utf8(val, len)) {
					memcpy(dst, val, len);
					dst[len] = '\0';
				}
			}
			line = nl != NULL ? nl + 1 : NULL;
		}
	}
	if (id[0] != '\0')
		snprintf(out, outlen, "%s%s%s", id, ver[0] ? " " : "", ver);
	sp_buf_dispose(&b);
	sp_ctx_free(tmp);
}

int
sp_recipe_record(
    sp_ctx *ctx, sp_recipe **out, const sp_recipe_record_options *opts)
{
	const char *const *envp;
	const char *src, *workdir, *v;
	struct recorder rec = {0};
	char root[PATH_MAX], distro[160];
	struct utsname uts;
	struct stat st;
	json_t *doc = NULL, *arr = NULL, *env = NULL, *tools = NULL;
	sp_recipe *r = NULL;
	sp_buf wd = SP_BUF_INIT;
	size_t i;
	int error = 0;

	*out = NULL;
	SP_ASSERT_ARG(ctx,
	    opts != NULL && opts->version == SP_RECIPE_RECORD_OPTIONS_VERSION);
	if (opts->argc == 0 || opts->argv == NULL || opts->argv[0] == NULL ||
	    opts->argv[0][0] == '\0')
		return sp_err_set(ctx, SP_EINVALID, "no build command given");
	if (opts->argc > SP_RECIPE_MAX_ARGS)
		return sp_err_set(ctx, SP_EINVALID,
		    "the build command has more than %d words",
		    SP_RECIPE_MAX_ARGS);
	envp = opts->envp != NULL ? opts->envp : (const char *const *)environ;
	src = opts->source_dir != NULL ? opts->source_dir : ".";
	workdir = opts->workdir != NULL ? opts->workdir : ".";
	if (realpath(src, root) == NULL || stat(root, &st) < 0 ||
	    !S_ISDIR(st.st_mode))
		return sp_err_set(ctx, SP_ENOTFOUND,
		    "source directory '%s' does not exist", src);
	if (!rel_path_ok(workdir, true))
		return sp_err_set(ctx, SP_EINVALID,
		    "working directory '%s' is not '.' or a relative path "
		    "below the source root",
		    workdir);
	if (sp_buf_printf(&wd, "%s/%s", root, workdir) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (stat(wd.ptr, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error = sp_err_set(ctx, SP_ENOTFOUND,
		    "working directory '%s' does not exist below '%s'", workdir,
		    root);
		goto out;
	}
	for (i = 0; i < opts->noutputs; i++) {
		if (!rel_path_ok(opts->outputs[i], false)) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "output '%s' is not a relative path below the "
			    "source root",
			    opts->outputs[i]);
			goto out;
		}
	}
	if (opts->have_source_date_epoch &&
	    (opts->source_date_epoch < 0 ||
	        opts->source_date_epoch > SDE_MAX)) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "SOURCE_DATE_EPOCH must be from 0 to 253402300799");
		goto out;
	}

	doc = json_object();
	arr = json_array();
	env = json_object();
	tools = json_object();
	if (doc == NULL || arr == NULL || env == NULL || tools == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < opts->argc; i++) {
		json_t *s = json_string(opts->argv[i]);

		if (s == NULL || json_array_append_new(arr, s) < 0) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "command word %zu is not UTF-8", i + 1);
			goto out;
		}
	}

	/* Environment: the allowlist plus names asked for. */
	for (i = 0; envp[i] != NULL; i++) {
		const char *eq = strchr(envp[i], '=');
		char name[257];
		size_t n;

		if (eq == NULL || (n = (size_t)(eq - envp[i])) == 0 ||
		    n >= sizeof(name))
			continue;
		memcpy(name, envp[i], n);
		name[n] = '\0';
		if (!sp_recipe_env_allowed(name) || !env_name_ok(name))
			continue;
		if (json_object_get(env, name) != NULL)
			continue; /* first one wins, as getenv() does */
		if (json_object_set_new(env, name, json_string(eq + 1)) < 0) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "environment variable '%s' is not UTF-8", name);
			goto out;
		}
	}
	for (i = 0; i < opts->nenv_names; i++) {
		const char *name = opts->env_names[i];

		if (!env_name_ok(name)) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "'%s' is not an environment variable name", name);
			goto out;
		}
		if ((v = env_lookup(envp, name)) == NULL ||
		    json_object_get(env, name) != NULL)
			continue;
		if (json_object_set_new(env, name, json_string(v)) < 0) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "environment variable '%s' is not UTF-8", name);
			goto out;
		}
	}
	if (json_object_size(env) > SP_RECIPE_MAX_ENV) {
		error = sp_err_set(ctx, SP_ELIMIT,
		    "more than %d environment variables to record",
		    SP_RECIPE_MAX_ENV);
		goto out;
	}

	/* SOURCE_DATE_EPOCH: the option, else the environment. */
	if (opts->have_source_date_epoch) {
		if (json_object_set_new(doc, "source_date_epoch",
		        json_integer(opts->source_date_epoch)) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if (json_object_set_new(env, "SOURCE_DATE_EPOCH",
		        json_sprintf(
		            "%lld", (long long)opts->source_date_epoch)) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	} else if ((v = env_lookup(envp, "SOURCE_DATE_EPOCH")) != NULL) {
		int64_t t;

		if (sp_time_parse(&t, v) < 0) {
			char at[32];

			snprintf(at, sizeof(at), "@%.20s", v);
			if (strlen(v) > 20 || sp_time_parse(&t, at) < 0) {
				error = sp_err_set(ctx, SP_EINVALID,
				    "SOURCE_DATE_EPOCH '%s' is not a number of "
				    "seconds",
				    v);
				goto out;
			}
		}
		if (t < 0 || t > SDE_MAX) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "SOURCE_DATE_EPOCH must be from 0 to "
			    "253402300799");
			goto out;
		}
		if (json_object_set_new(
		        doc, "source_date_epoch", json_integer(t)) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}

	/* Toolchain. */
	rec.ctx = ctx;
	rec.envp = envp;
	rec.path_env = env_lookup(envp, "PATH");
	if (rec.path_env == NULL)
		rec.path_env = "/usr/local/bin:/usr/bin:/bin";
	rec.versions = !opts->no_versions;
	rec.tools = tools;
	for (i = 0; i < opts->ntools; i++) {
		if ((error = add_tool(&rec, opts->tools[i], true)) < 0)
			goto out;
	}
	if ((error = add_tool(&rec, opts->argv[0], false)) < 0)
		goto out;
	{
		static const char *const vars[] = {"CC", "CXX", "LD", "AR"};

		for (i = 0; i < SP_ARRAY_SIZE(vars); i++) {
			if ((v = env_lookup(envp, vars[i])) != NULL &&
			    (error = add_tool_from_var(&rec, v)) < 0)
				goto out;
		}
	}
	for (i = 0; i < SP_ARRAY_SIZE(default_tools); i++) {
		if ((error = add_tool(&rec, default_tools[i], false)) < 0)
			goto out;
	}
	if (json_object_size(tools) > SP_RECIPE_MAX_TOOLS) {
		error = sp_err_set(ctx, SP_ELIMIT, "more than %d tools found",
		    SP_RECIPE_MAX_TOOLS);
		goto out;
	}

	if (uname(&uts) < 0) {
		error = sp_err_set(
		    ctx, SP_EIO, "uname failed: %s", strerror(errno));
		goto out;
	}
	read_distro(distro, sizeof(distro));

	{
		json_t *tarr = json_array(), *outs = json_array(), *t;
		const char *key;

		if (tarr == NULL || outs == NULL ||
		    json_object_set_new(doc, "toolchain", tarr) < 0 ||
		    json_object_set_new(doc, "outputs", outs) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		/* Sorted by name: the object's keys in order. */
		{
			const char **names = NULL;
			size_t n = json_object_size(tools), k = 0;

			if ((names = sp_calloc(ctx, n + 1, sizeof(*names))) ==
			    NULL) {
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			json_object_foreach(tools, key, t) names[k++] = key;
			qsort(names, n, sizeof(*names), cmp_cstr);
			for (k = 0; k < n; k++) {
				if (json_array_append(tarr,
				        json_object_get(tools, names[k])) < 0) {
					free(names);
					error = sp_err_set(
					    ctx, SP_ENOMEM, "out of memory");
					goto out;
				}
			}
			free(names);
		}
		{
			const char **sorted = NULL;

			if ((sorted = sp_calloc(ctx, opts->noutputs + 1,
			         sizeof(*sorted))) == NULL) {
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			for (i = 0; i < opts->noutputs; i++)
				sorted[i] = opts->outputs[i];
			qsort(
			    sorted, opts->noutputs, sizeof(*sorted), cmp_cstr);
			for (i = 0; i < opts->noutputs; i++) {
				if (i > 0 &&
				    strcmp(sorted[i - 1], sorted[i]) == 0)
					continue;
				if (json_array_append_new(
				        outs, json_string(sorted[i])) < 0) {
					error = sp_err_set(ctx, SP_EINVALID,
					    "output '%s' is not UTF-8",
					    sorted[i]);
					free(sorted);
					goto out;
				}
			}
			free(sorted);
		}
	}
	if (json_object_set_new(doc, "format", json_string(SP_RECIPE_FORMAT)) <
	        0 ||
	    json_object_set(doc, "command", arr) < 0 ||
	    json_object_set(doc, "environment", env) < 0 ||
	    json_object_set_new(doc, "workdir", json_string(workdir)) < 0 ||
	    json_object_set_new(doc, "host",
	        json_pack("{s:s, s:s, s:s}", "arch", uts.machine, "os",
	            uts.sysname, "distro", distro)) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (json_object_set_new(doc, "build_path", json_string(root)) < 0) {
		error = sp_err_set(ctx, SP_EINVALID,
		    "the source path '%s' is not UTF-8", root);
		goto out;
	}

	if ((r = sp_calloc(ctx, 1, sizeof(*r))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	r->doc = doc;
	doc = NULL;
	if ((error = from_json(ctx, r)) < 0)
		goto out;
	*out = r;
	r = NULL;
out:
	sp_recipe_free(r);
	json_decref(doc);
	json_decref(arr);
	json_decref(env);
	json_decref(tools);
	sp_buf_dispose(&wd);
	return error;
}

/* ---- toolchain comparison ------------------------------------------------ */

int
sp_recipe_check_toolchain(sp_ctx *ctx, const sp_recipe *r, const char *path_env,
    sp_recipe_tool_cb cb, void *payload)
{
	size_t i;
	int error = 0, differ = 0;

	if (path_env == NULL)
		path_env = getenv("PATH");
	if (path_env == NULL)
		path_env = "/usr/local/bin:/usr/bin:/bin";
	for (i = 0; i < r->ntools; i++) {
		const sp_recipe_tool *t = &r->tools[i];
		sp_recipe_tool_status st = SP_TOOL_MISSING;
		char *found = NULL, hex[65] = "";
		const char *base;
		uint8_t digest[32];
		struct stat sb;

		if (stat(t->path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if ((found = strdup(t->path)) == NULL)
				return sp_err_set(
				    ctx, SP_ENOMEM, "out of memory");
		} else {
			base = strrchr(t->name, ':') != NULL
			           ? NULL
			           : t->name; /* sub-programs: path only */
			if (base != NULL &&
			    sp_recipe__which(&found, base, path_env) < 0)
				found = NULL;
		}
		if (found != NULL) {
			char res[PATH_MAX];

			if (realpath(found, res) != NULL &&
			    sp_sha256_file(ctx, digest, NULL, res) == 0) {
				sp_hex_encode(hex, digest, 32);
				st = strcmp(hex, t->sha256) == 0
				         ? SP_TOOL_SAME
				         : SP_TOOL_DIFFERENT;
			} else {
				sp_err_clear(ctx);
				st = SP_TOOL_MISSING;
			}
		}
		if (st != SP_TOOL_SAME)
			differ++;
		if (cb != NULL && (error = cb(st, t, found, hex[0] ? hex : NULL,
		                       payload)) != 0) {
			free(found);
			return error;
		}
		free(found);
	}
	if (differ > 0)
		return sp_err_set(ctx, SP_EVERIFY,
		    "%d of %zu recorded tools differ or are missing", differ,
		    r->ntools);
	return 0;
}
