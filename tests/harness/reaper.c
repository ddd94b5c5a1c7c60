/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reaper: runs one test and fails it if it leaves a process behind.
 *
 * The wrapper makes itself a child subreaper, so every process the test
 * starts and does not wait for (a daemonized xenstored, a guest proxy) is
 * re-parented to us when its parent exits, and reaped when it dies. After
 * the test exits we give stragglers a short grace period to finish dying,
 * then report, kill and reap whatever is left, and turn the result into a
 * failure.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GRACE_STEPS 40 /* x 50 ms */

static void reap_zombies(void)
{
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

/* Fills pids with our direct children that are still alive; returns their number. */
static int list_children(pid_t *pids, int max, bool report)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        int n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                char path[64], buf[512], *rp;
                int ppid;
                char state;
                FILE *f;

                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
                f = fopen(path, "re");
                if (!f)
                        continue;
                if (!fgets(buf, sizeof(buf), f)) {
                        fclose(f);
                        continue;
                }
                fclose(f);
                /* comm may contain spaces and parentheses: parse after the last ')'. */
                rp = strrchr(buf, ')');
                if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
                        continue;
                if (ppid != getpid() || state == 'Z')
                        continue;
                if (report) {
                        *rp = '\0';
                        fprintf(stderr, "reaper: process %s %s) left behind by the test\n",
                                de->d_name, strchr(buf, '(') ? strchr(buf, '(') : "(?");
                }
                if (n < max)
                        pids[n++] = atoi(de->d_name);
        }
        closedir(d);
        return n;
}

static int run(char **argv)
{
        int status;
        pid_t pid = fork();

        if (pid < 0) {
                perror("reaper: fork");
                return 99;
        }
        if (pid == 0) {
                execvp(argv[0], argv);
                fprintf(stderr, "reaper: cannot run '%s': %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        /*
         * Orphans re-parented to us are reaped as they die, not when the test
         * ends: a zombie still answers kill -0, and a test that waits for a
         * process to be gone (the toolstack stand-in's shutdown -w) would
         * wait out its whole timeout.
         */
        for (;;) {
                pid_t p = waitpid(-1, &status, 0);

                if (p == pid)
                        break;
                if (p < 0 && errno != EINTR)
                        return 99;
        }
        if (WIFSIGNALED(status)) {
                fprintf(stderr, "reaper: test killed by signal %d\n", WTERMSIG(status));
                return 1;
        }
        return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
        struct timespec step = { 0, 50 * 1000 * 1000 };
        pid_t left[256];
        int rc, n = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: reaper TEST [ARG...]\n");
                return 99;
        }
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
                perror("reaper: PR_SET_CHILD_SUBREAPER");
                return 99;
        }
        rc = run(argv + 1);

        for (int i = 0; i < GRACE_STEPS; i++) {
                reap_zombies();
                n = list_children(left, (int)(sizeof(left) / sizeof(left[0])), false);
                if (n == 0)
                        return rc;
                nanosleep(&step, NULL);
        }
        n = list_children(left, (int)(sizeof(left) / sizeof(left[0])), true);
        for (int i = 0; i < n; i++)
                kill(left[i], SIGKILL);
        for (int i = 0; i < n; i++)
                waitpid(left[i], NULL, 0);
        fprintf(stderr, "reaper: FAIL: %d process(es) left behind\n", n);
        return rc == 99 ? 99 : 1;
}
