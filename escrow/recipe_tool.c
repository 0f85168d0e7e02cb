/*
 * Toolchain probing for recipes: PATH lookup and `TOOL --version`, through
 * the process runner of util/proc.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escrow_int.h"
#include "util_int.h"

#include "banned.h"

int
sp_recipe__which(char **out, const char *name, const char *path_env)
{
	char buf[PATH_MAX], cwd[PATH_MAX], abs[PATH_MAX];

	*out = NULL;
	/* Empty or relative PATH entries are skipped: they depend on the
	 * current directory. */
	if (!sp_proc_which(buf, sizeof(buf), name, path_env, true))
		return SP_ENOTFOUND;
	if (buf[0] == '/') {
		*out = strdup(buf);
	} else {
		/* A relative path given as the name. */
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return SP_ENOTFOUND;
		if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, buf) >=
		    sizeof(abs))
			return SP_ENOTFOUND;
		*out = strdup(abs);
	}
	return *out != NULL ? 0 : SP_ENOMEM;
}

int
sp_recipe__first_line(sp_ctx *ctx, sp_buf *line, const char *prog,
    const char *arg, const char *const *envp)
{
	static char lc_all[] = "LC_ALL=C";
	char *set[] = {lc_all, NULL};
	char out[SP_PROC_LINE_MAX + 1];
	char **env;

	sp_buf_clear(line);
	if ((env = sp_proc_env(ctx, (char *const *)envp, set, NULL, NULL)) ==
	    NULL)
		return SP_ENOMEM;
	sp_proc_first_line(prog, arg, env, true, out, sizeof(out));
	free(env);
	if (out[0] != '\0' && sp_buf_puts(line, out) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}
