/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "migrate.h"
#include "render.h"
#include "spawn.h"

#define OUTPUT_KEEP 400 /* bytes of a command's output kept for the failure reason */

extern char **environ;

/* The tail of the output, on one line, escaped. */
static char *output_tail(char *buf, size_t n)
{
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        for (size_t i = 0; i < n; i++)
                if (buf[i] == '\n')
                        buf[i] = ' ';
        return render_escape(buf, n);
}

static char *exec_failure(const char *path, int e)
{
        char *s;

        if (asprintf(&s, "cannot execute %s: %s", path, strerror(e)) < 0)
                return NULL;
        return s;
}

/* Runs argv with envp; started (when not NULL) learns the child's pid before the program runs. */
static int exec_run(char *const argv[], char *const envp[], unsigned timeout_s,
                    int (*started)(pid_t pid, void *userdata), void *userdata, char **ret_output)
{
        const struct spawn_cmd c = {
                .path = argv[0],
                .argv = argv,
                .envp = envp,
                .root_fd = -1,
                .timeout_usec = (uint64_t)timeout_s * 1000000,
                .output_max = OUTPUT_KEEP,
                .keep_tail = true,
                /* xl create leaves the domain's daemon behind: that is its job. */
                .keep_leftovers = true,
                .started = started,
                .userdata = userdata,
        };
        struct spawn_result res;
        int r = spawn_run(&c, &res);

        if (r < 0)
                return r;
        r = res.timed_out ? -ETIMEDOUT : res.status;
        if (ret_output)
                *ret_output = res.exec_errno ? exec_failure(argv[0], res.exec_errno)
                                             : output_tail(res.output, res.output_len);
        spawn_result_done(&res);
        return r;
}

int mexec_tracked(char *const argv[], unsigned timeout_s, int (*started)(pid_t pid, void *userdata),
                  void *userdata, char **ret_output)
{
        return exec_run(argv, environ, timeout_s, started, userdata, ret_output);
}

int mexec_env(char *const argv[], char *const envp[], unsigned timeout_s, char **ret_output)
{
        return exec_run(argv, envp, timeout_s, NULL, NULL, ret_output);
}

int mexec(char *const argv[], unsigned timeout_s, char **ret_output)
{
        return mexec_tracked(argv, timeout_s, NULL, NULL, ret_output);
}

int mexec_output(char *const argv[], unsigned timeout_s, size_t max, char **ret)
{
        const struct spawn_cmd c = {
                .path = argv[0],
                .argv = argv,
                .envp = environ,
                .root_fd = -1,
                .timeout_usec = (uint64_t)timeout_s * 1000000,
                .output_max = max,
        };
        struct spawn_result res;
        int r = spawn_run(&c, &res);

        if (r < 0)
                return r;
        r = res.timed_out ? -ETIMEDOUT : res.exec_errno ? -res.exec_errno : res.status;
        if (r >= 0 && res.omitted)
                r = -EFBIG;
        *ret = TAKE_PTR(res.output);
        spawn_result_done(&res);
        return r;
}
