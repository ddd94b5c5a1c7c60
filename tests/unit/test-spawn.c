/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shared/spawn: the program gets stdin, stdout and stderr and no other
 * descriptor of ours, even one without close-on-exec (libraries open such
 * ones), with close_range() or, on kernels before 5.9, without it
 * (tests/agent-old-kernel.sh runs this under a filter that refuses it); its exit
 * status and output come back. spawn_start: the same for a program left
 * running, with its stdout where the caller says. A signal for the caller's
 * process group that the caller ignores (a run's SIGHUP) never kills a
 * command between fork and exec.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "macro.h"
#include "spawn.h"
#include "util.h"

static char *const no_env[] = { (char *)"PATH=/usr/bin:/bin", NULL };

static int run(char *const *argv, struct spawn_result *ret)
{
        struct spawn_cmd c = { .path = argv[0], .argv = argv, .envp = no_env, .root_fd = -1,
                               .timeout_usec = 30 * 1000000ULL, .output_max = 4096 };

        return spawn_run(&c, ret);
}

/* Descriptors 0-2 and the one ls reads /proc/self/fd through; nothing of ours. */
static void test_no_inherited_fds(void)
{
        char *const argv[] = { (char *)"/bin/ls", (char *)"/proc/self/fd", NULL };
        struct spawn_result r = { 0 };
        int null_fd = open("/dev/null", O_RDONLY);
        int low = fcntl(null_fd, F_DUPFD, 10), high = fcntl(null_fd, F_DUPFD, 200);
        char *line, *save = NULL;
        int n = 0;

        CHECK(null_fd >= 3 && low >= 10 && high >= 200);
        close(null_fd);
        CHECK(run(argv, &r) >= 0);
        CHECK(r.status == 0, "ls exited %d: %s", r.status, r.output);
        for (line = strtok_r(r.output, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                int fd = atoi(line);

                CHECK(fd != low && fd != high, "descriptor %s was inherited", line);
                n++;
        }
        CHECK(n == 4, "%d descriptors in the child", n);
        spawn_result_done(&r);
        close(low);
        close(high);
}

static void test_status_and_output(void)
{
        char *const argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)"echo out; echo err >&2; exit 3", NULL };
        struct spawn_result r = { 0 };

        CHECK(run(argv, &r) >= 0);
        CHECK(r.status == 3);
        CHECK(!r.timed_out);
        CHECK(streq(r.output, "out\nerr\n"), "output '%s'", r.output);
        spawn_result_done(&r);
}

/* spawn_start: ls's output through a pipe given as its stdout; none of our descriptors in it. */
static void test_start(void)
{
        char *const argv[] = { (char *)"/bin/ls", (char *)"/proc/self/fd", NULL };
        int null_fd = open("/dev/null", O_RDONLY);
        int high = fcntl(null_fd, F_DUPFD, 200), p[2], status, n = 0;
        char buf[512], *line, *save = NULL;
        size_t len = 0;
        ssize_t k;
        pid_t pid;

        close(null_fd);
        CHECK(high >= 200 && pipe(p) == 0);
        /* Above what ls opens itself (3, its directory). */
        k = fcntl(p[0], F_DUPFD, 100);
        close(p[0]);
        p[0] = (int)k;
        CHECK(p[0] >= 100);
        CHECK(spawn_start(argv[0], argv, p[1], &pid) == 0);
        close(p[1]);
        while (len < sizeof(buf) - 1 && (k = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t)k;
        buf[len] = 0;
        close(p[0]);
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "ls: status %d", status);
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                CHECK(atoi(line) != high && atoi(line) != p[0], "descriptor %s was inherited", line);
                n++;
        }
        CHECK(n == 4, "%d descriptors in the child", n);
        close(high);
}

/*
 * A caller in a process group of its own, SIGHUP ignored, runs /bin/true
 * SPAWNS times while SIGHUP is sent to its group without pause; it exits
 * with how many of them did not exit 0 (a child killed by that SIGHUP
 * before it was in its own group).
 */
#define SPAWNS 400

static void test_group_signal(void)
{
        char *const argv[] = { (char *)"/bin/true", NULL };
        int status, sent = 0;
        pid_t caller;

        /* Ignored from the start: the caller's own reply to the signal. */
        signal(SIGHUP, SIG_IGN);
        caller = fork();
        CHECK(caller >= 0);
        if (caller == 0) {
                int bad = 0;

                setpgid(0, 0);
                for (int i = 0; i < SPAWNS; i++) {
                        struct spawn_result r = { 0 };

                        if (run(argv, &r) < 0 || r.status != 0)
                                bad++;
                        spawn_result_done(&r);
                }
                _exit(bad > 250 ? 250 : bad);
        }
        setpgid(caller, caller);
        signal(SIGHUP, SIG_DFL);
        while (waitpid(caller, &status, WNOHANG) == 0) {
                kill(-caller, SIGHUP);
                sent++;
        }
        CHECK(WIFEXITED(status), "the caller died: status %d", status);
        CHECK(WEXITSTATUS(status) == 0, "%d of %d commands did not run (%d SIGHUPs sent)",
              WEXITSTATUS(status), SPAWNS, sent);
}

int main(void)
{
        test_no_inherited_fds();
        test_status_and_output();
        test_start();
        test_group_signal();
        return check_exit("test-spawn");
}
