/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Runs one program with a fixed argument vector through execve, never a
 * shell: in its own process group, stdin from /dev/null, stdout and stderr
 * into one pipe of which at most output_max bytes are kept (the first ones,
 * or the last ones with keep_tail), with a clean signal mask, and killed
 * with its whole group when the timeout expires. What it leaves behind in
 * its group is killed when it exits, unless keep_leftovers: then its exit
 * ends the run, and what it started keeps running (a toolstack's daemons).
 */
struct spawn_cmd {
        const char *path;          /* absolute; inside root_fd when that is >= 0 */
        char *const *argv;
        char *const *envp;
        int root_fd;               /* >= 0: chroot there first; -1: run as we are */
        uint64_t timeout_usec;
        size_t output_max;
        bool keep_tail;            /* keep the end of the output rather than its start */
        bool keep_leftovers;       /* its exit ends the run; its group is killed only on timeout */
        bool die_with_parent;      /* SIGKILL when the caller dies (PR_SET_PDEATHSIG): only the
                                    * program itself; what it started stays in its group */
        /*
         * Called once the child exists, in its own process group, before it runs the
         * program (the caller records the group, say); < 0 kills the child unrun and
         * spawn_run returns that error.
         */
        int (*started)(pid_t pid, void *userdata);
        void *userdata;
};

struct spawn_result {
        int status;                /* exit status 0..255, 128+N when killed by signal N */
        bool timed_out;
        char *output;              /* NUL-terminated */
        size_t output_len;
        size_t omitted;            /* output bytes beyond output_max */
        int exec_errno;            /* the program could not be executed: why (status is 127) */
};

/* < 0 only when the program could not be started; its failures are in ret. */
int spawn_run(const struct spawn_cmd *c, struct spawn_result *ret);
void spawn_result_done(struct spawn_result *r);

/*
 * A process group that spawn_run started, as recorded to find it again after
 * the caller died: the group id is the leader's pid, which the kernel may
 * give to another process once the whole group is gone, so the leader's
 * start time and the boot it ran in come with it.
 */
struct spawn_group {
        pid_t pgid;
        uint64_t start;            /* the leader's start time, clock ticks after boot */
        char boot_id[37];
};

int spawn_group_of(pid_t pid, struct spawn_group *ret);
/*
 * Kills whatever is left of the group and waits until none of it runs
 * (zombies do nothing, and are not waited for). Nothing is killed when g is
 * from another boot, or its leader's pid now belongs to another process.
 * Returns the number of processes killed, or -ETIME when some still ran
 * after timeout_usec.
 */
int spawn_group_kill(const struct spawn_group *g, uint64_t timeout_usec);
