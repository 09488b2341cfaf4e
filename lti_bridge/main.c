/*-------------------------------------------------------------------------
 *
 * main.c
 *	  microcred-bridge: the LTI 1.3 tool daemon of microcred.
 *
 * Not implemented yet (see the project's issues): this placeholder prints
 * its version and exits with status 2 so that nothing mistakes it for a
 * working bridge.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#ifndef MICROCRED_VERSION
#define MICROCRED_VERSION "unknown"
#endif

int
main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0))
	{
		printf("microcred-bridge %s\n", MICROCRED_VERSION);
		return 0;
	}
	printf("microcred-bridge %s\n", MICROCRED_VERSION);
	fprintf(stderr, "microcred-bridge: not implemented yet\n");
	return 2;
}
