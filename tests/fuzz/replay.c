/*-------------------------------------------------------------------------
 *
 * replay.c
 *	  Runs a libFuzzer target over its corpus without libFuzzer, so that
 *	  `make test` replays every corpus file (seeds and past findings) with
 *	  the ordinary compiler.  A target that crashes or aborts fails the test.
 *
 *	  usage: replay_<target> [ignored]   (the corpus directory is compiled in)
 *	  prints TAP: one line per corpus file
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CORPUS_DIR
#error "CORPUS_DIR must name the corpus directory"
#endif

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int			LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* name order, for stable output */
static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int
main(int argc, char **argv)
{
	DIR		   *d = opendir(CORPUS_DIR);
	struct dirent *de;
	char	  **names = NULL;
	size_t		n = 0,
				cap = 0;
	int			failed = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (d == NULL)
	{
		printf("1..0 # SKIP no corpus at %s\n", CORPUS_DIR);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		if (n == cap)
		{
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(char *));
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), cmp);
	for (size_t i = 0; i < n; i++)
	{
		char		path[4096];
		FILE	   *f;
		struct stat st;
		uint8_t    *buf;
		pid_t		pid;
		int			status;

		snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, names[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (f = fopen(path, "rb")) == NULL)
			continue;
		buf = malloc(st.st_size ? st.st_size : 1);
		if (fread(buf, 1, st.st_size, f) != (size_t) st.st_size)
			st.st_size = 0;
		fclose(f);
		fflush(stdout);
		/* each input in a child, so one crash is reported and the rest still run */
		pid = fork();
		if (pid == 0)
		{
			LLVMFuzzerTestOneInput(buf, st.st_size);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			printf("ok %zu - %s\n", i + 1, names[i]);
		else
		{
			printf("not ok %zu - %s (%s %d)\n", i + 1, names[i],
				   WIFSIGNALED(status) ? "signal" : "exit",
				   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			failed++;
		}
		free(buf);
	}
	printf("1..%zu\n", n);
	return failed ? 1 : 0;
}
