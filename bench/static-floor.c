/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floor of a statically linked glibc program: it allocates, formats a
 * line through stdio and waits, as an idle daemon does. bench/agent-footprint
 * links it with -static and measures it beside the static agent, so that the
 * agent's own share of its resident pages shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
        char *line = malloc(64);

        if (!line)
                return 1;
        snprintf(line, 64, "ready %ld", (long)getpid());
        puts(line);
        fflush(stdout);
        free(line);
        pause();
        return 0;
}
