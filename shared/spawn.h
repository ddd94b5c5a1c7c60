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
 * A sandbox (below) confines it.
 */
struct spawn_rlimit {
        int resource;              /* RLIMIT_* */
        uint64_t soft, hard;
};

/*
 * A sandbox for a program that reads hostile data (spawn_cmd.sandbox). In
 * the child, in this order: new namespaces; a private root with the grants;
 * the caller's setup; then every privilege goes (supplementary groups, gid, uid: with a
 * uid other than 0 the capabilities go too), the limits are set, no new
 * privileges can be gained (PR_SET_NO_NEW_PRIVS), the child dies with its
 * parent, and the program is executed from the private root. No shell.
 */
/*
 * A file the sandboxed program may read, at target inside the private root.
 * An owned grant is readable by the sandbox's uid through that path only,
 * whatever its owner and mode on the host: a block or character device
 * becomes a device node of its own (mode 0400, owned by the uid); a regular
 * file is bound read-only through an idmapped mount that shows the file's
 * owner as the uid (the host's inode and permissions are untouched, and
 * nothing new appears on the host, as a loop device would to udev and LVM).
 * Other grants are plain read-only binds (a program to execute).
 */
struct spawn_grant {
        const char *source;        /* a host path */
        const char *target;        /* absolute, inside the private root */
        bool owned;
};

struct spawn_sandbox {
        /*
         * CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWPID: the
         * child is created in new ones (clone3). With CLONE_NEWPID it is process 1
         * of its own, and whatever it starts dies with it. With CLONE_NEWNS every
         * mount is made private first, so that nothing propagates back.
         */
        unsigned long namespaces;
        /*
         * With CLONE_NEWNS: a private root is built on a small tmpfs mounted at
         * root_dir (an empty directory the caller made): the system's programs and
         * libraries read-only (/usr, and /bin, /sbin, /lib* as on the host: links
         * or read-only binds), /dev/null, and /tmp, a tmpfs of tmp_size bytes of
         * its own. After setup the child enters it (pivot_root), and its tmpfs
         * becomes read-only but /tmp.
         */
        const char *root_dir;
        uint64_t tmp_size;
        const struct spawn_grant *grants; /* with a private root: added after it is built */
        size_t n_grants;
        bool proc;                 /* with a private root and CLONE_NEWPID: /proc of its own namespace */
        /*
         * Called in the child, in its namespaces, before the privileges go, with
         * the private root's path (or "/" without one): where the caller adds what
         * the program needs. The parent may have threads: only async-signal-safe
         * calls (system calls, no allocation). Returns 0 or -errno.
         */
        int (*setup)(const char *root, void *userdata);
        void *userdata;
        uid_t uid;                 /* != 0: the identity the child drops to, */
        gid_t gid;                 /*   with no supplementary groups */
        const struct spawn_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privs;
};

struct spawn_cmd {
        const char *path;          /* absolute; inside root_fd when that is >= 0 */
        char *const *argv;
        char *const *envp;
        int root_fd;               /* >= 0: chroot there first; -1: run as we are */
        uint64_t timeout_usec;
        size_t output_max;
        bool keep_tail;            /* keep the end of the output rather than its start */
        bool keep_leftovers;       /* its exit ends the run; its group is killed only on timeout */
        const struct spawn_sandbox *sandbox; /* NULL: none */
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
        const char *exec_step;     /* with exec_errno: the step of the child that failed */
};

/* < 0 only when the program could not be started; its failures are in ret. */
int spawn_run(const struct spawn_cmd *c, struct spawn_result *ret);
void spawn_result_done(struct spawn_result *r);

/*
 * Starts path (absolute) with argv and our environment in the background and
 * returns at once, for a program that outlives the call (a daemon's worker):
 * stdout is stdout_fd when >= 0, stdin and stderr stay ours, no other
 * descriptor of ours reaches it, its signal mask is empty. The caller reaps it.
 */
int spawn_start(const char *path, char *const argv[], int stdout_fd, pid_t *ret_pid);

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

/*
 * The tasks (threads) whose real user is uid now, as RLIMIT_NPROC counts
 * them: a sandbox's limit for a shared user is set beyond them. 0 when
 * /proc cannot be read.
 */
uint64_t spawn_user_tasks(uid_t uid);
