/*
 * Functions we never call. Include this header last in every .c file of the
 * library and the CLI: a use becomes a compile error.
 */
#ifndef SP_BANNED_H
#define SP_BANNED_H

#define SP_BANNED(func) sorry_##func##_is_banned_in_srcproof

#undef strcpy
#define strcpy(x, y) SP_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SP_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SP_BANNED(strncpy)
#undef sprintf
#define sprintf(...) SP_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SP_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) SP_BANNED(strtok)
#undef gets
#define gets(x) SP_BANNED(gets)
#undef atoi
#define atoi(x) SP_BANNED(atoi)
#undef atol
#define atol(x) SP_BANNED(atol)
#undef gmtime
#define gmtime(t) SP_BANNED(gmtime)
#undef localtime
#define localtime(t) SP_BANNED(localtime)
#undef mktemp
#define mktemp(x) SP_BANNED(mktemp)
#undef tmpnam
#define tmpnam(x) SP_BANNED(tmpnam)

#endif
