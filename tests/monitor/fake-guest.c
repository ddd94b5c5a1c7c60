/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-guest: stands in for pvh-agent in the monitor's tests, run as a guest
 * (XENSTORED_PATH=HOST/guest/N.sock). It writes what the test tells it,
 * valid or not, and answers requests the way PROTOCOL.md describes.
 *
 *   fake-guest publish [--summary] FILE
 *                                  "KEY VALUE" lines under data/pvh, one
 *                                  transaction; VALUE takes \n \t \\ \xNN;
 *                                  "-KEY" removes KEY; --summary: and in the
 *                                  same transaction data/pvh/summary of those
 *                                  lines, made by the protocol's encoder as
 *                                  the agent makes it (fails when it refuses)
 *   fake-guest flood KEY N [PREFIX]
 *                                  writes KEY N times ("flood-1" .. "flood-N"),
 *                                  after PREFIX (escaped as in publish)
 *   fake-guest nodes N             tries to create N keys (410 check entries,
 *                                  then junk/dI/kJ); prints how many it made
 *   fake-guest cycle KEY N VALUE...
 *                                  writes KEY N times, cycling through the values
 *   fake-guest forge N             publishes N final answers to requests nobody
 *                                  sent, each with a new id and its own action
 *                                  word, one at a time (the previous one removed)
 *   fake-guest answer [VERDICT]    answers requests until killed
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "macro.h"
#include "protocol.h"
#include "util.h"

static struct xs_handle *xs;

static int die(const char *what, const char *path)
{
        fprintf(stderr, "fake-guest: %s %s: %s\n", what, path ? path : "", strerror(errno));
        exit(1);
}

static int unescape(const char *in, char *out)
{
        int n = 0;

        for (; *in; in++) {
                unsigned v;

                if (*in != '\\') {
                        out[n++] = *in;
                        continue;
                }
                in++;
                if (*in == 'n')
                        out[n++] = '\n';
                else if (*in == 't')
                        out[n++] = '\t';
                else if (*in == 'x' && sscanf(in + 1, "%2x", &v) == 1) {
                        out[n++] = (char)v;
                        in += 2;
                } else if (*in)
                        out[n++] = *in;
                else
                        break;
        }
        return n;
}

/* The summary the agent would write for the lines: KEY VALUE, in the file's order. */
static void summary_add(char *sum, size_t size, size_t *len, const char *line)
{
        char key[256], *val = malloc(strlen(line) + 1);
        const char *sp = strchr(line, ' ');
        int r;

        if (!val || !sp || *line == '#' || *line == '-' || (size_t)(sp - line) >= sizeof(key)) {
                free(val);
                return;
        }
        memcpy(key, line, (size_t)(sp - line));
        key[sp - line] = 0;
        val[unescape(sp + 1, val)] = 0;
        r = proto_summary_add(sum, size, len, key, val);
        free(val);
        if (r < 0) {
                fprintf(stderr, "fake-guest: the summary refuses %s: %s\n", key, proto_strerror(r));
                exit(1);
        }
}

static void publish_line(xs_transaction_t t, char *line)
{
        char path[8300], *val = malloc(strlen(line) + 1);
        char *sp;
        int n;

        line[strcspn(line, "\n")] = 0;
        if (!*line || *line == '#' || !val) {
                free(val);
                return;
        }
        if (*line == '-') {
                snprintf(path, sizeof(path), "data/pvh/%s", line + 1);
                xs_rm(xs, t, path);
                free(val);
                return;
        }
        sp = strchr(line, ' ');
        if (sp)
                *sp = 0;
        snprintf(path, sizeof(path), "data/pvh/%s", line);
        n = unescape(sp ? sp + 1 : "", val);
        if (!xs_write(xs, t, path, val, (unsigned)n))
                die("write", path);
        free(val);
}

static int cmd_publish(const char *file, bool summary)
{
        FILE *f = fopen(file, "re");
        char line[8192], sum[PROTO_SUMMARY_MAX + 1];
        size_t len;
        int r;

        if (!f)
                die("open", file);
        for (;;) {
                xs_transaction_t t = xs_transaction_start(xs);

                if (t == XBT_NULL)
                        die("transaction", NULL);
                rewind(f);
                sum[0] = 0;
                len = 0;
                while (fgets(line, sizeof(line), f)) {
                        line[strcspn(line, "\n")] = 0;
                        if (summary)
                                summary_add(sum, sizeof(sum), &len, line);
                        publish_line(t, line);
                }
                r = summary ? proto_summary_check(sum, len) : 0;
                if (r < 0) {
                        fprintf(stderr, "fake-guest: the summary is refused: %s\n", proto_strerror(r));
                        exit(1);
                }
                if (summary && !xs_write(xs, t, "data/pvh/summary", sum, (unsigned)len))
                        die("write", "data/pvh/summary");
                if (xs_transaction_end(xs, t, false))
                        break;
                if (errno != EAGAIN)
                        die("commit", file);
        }
        fclose(f);
        return 0;
}

static int cmd_flood(const char *key, unsigned n, const char *prefix)
{
        char path[256], val[320];
        int pre;

        if (strlen(prefix) > 256) {
                errno = E2BIG;
                die("prefix", NULL);
        }
        pre = unescape(prefix, val);
        snprintf(path, sizeof(path), "data/pvh/%s", key);
        for (unsigned i = 1; i <= n; i++) {
                int len = pre + snprintf(val + pre, sizeof(val) - (size_t)pre, "flood-%u", i);

                if (!xs_write(xs, XBT_NULL, path, val, (unsigned)len))
                        die("write", path);
        }
        return 0;
}

/*
 * xenstored bounds a node's record (its value and children's names) to 2 KiB,
 * so one directory holds about 400 short names: 400 go under checks/ (over
 * what a reader reads), the rest 100 to a directory under junk/.
 */
static int cmd_nodes(unsigned n)
{
        unsigned i;

        for (i = 0; i < n; i++) {
                char path[64];

                if (i < 410)
                        snprintf(path, sizeof(path), "data/pvh/checks/c%u", i);
                else
                        snprintf(path, sizeof(path), "data/pvh/junk/d%u/k%u", (i - 410) / 100,
                                 (i - 410) % 100);
                if (!xs_write(xs, XBT_NULL, path, "fail", 4))
                        break;
        }
        printf("%u\n", i);
        return 0;
}

static void answer_write(xs_transaction_t t, const char *id, const char *key, const char *val);

static int cmd_cycle(const char *key, unsigned n, char **values, unsigned n_values)
{
        char path[256];

        snprintf(path, sizeof(path), "data/pvh/%s", key);
        for (unsigned i = 0; i < n; i++) {
                const char *v = values[i % n_values];

                if (!xs_write(xs, XBT_NULL, path, v, (unsigned)strlen(v)))
                        die("write", path);
        }
        return 0;
}

static void forge_one(unsigned i, char *prev)
{
        char id[PROTO_UUID_LEN + 1], path[128], action[32];

        snprintf(id, sizeof(id), "%08x-0000-4000-8000-%012x", i, i);
        snprintf(action, sizeof(action), "forged%u", i);
        for (;;) {
                xs_transaction_t t = xs_transaction_start(xs);

                if (t == XBT_NULL)
                        die("transaction", NULL);
                if (*prev) {
                        snprintf(path, sizeof(path), "data/pvh/answer/%s", prev);
                        xs_rm(xs, t, path);
                }
                answer_write(t, id, "action", action);
                answer_write(t, id, "state", "done");
                if (!xs_write(xs, t, "data/pvh/last_request", id, PROTO_UUID_LEN))
                        die("write", "data/pvh/last_request");
                if (xs_transaction_end(xs, t, false))
                        break;
                if (errno != EAGAIN)
                        die("commit", "forge");
        }
        memcpy(prev, id, sizeof(id));
}

static int cmd_forge(unsigned n)
{
        char prev[PROTO_UUID_LEN + 1] = "";

        for (unsigned i = 1; i <= n; i++)
                forge_one(i, prev);
        return 0;
}

/* ---- answering ---------------------------------------------------------------- */

static void answer_write(xs_transaction_t t, const char *id, const char *key, const char *val)
{
        char path[128];

        snprintf(path, sizeof(path), "data/pvh/answer/%s/%s", id, key);
        if (!xs_write(xs, t, path, val, (unsigned)strlen(val)))
                die("write", path);
}

/* Takes the request: empties the node and writes "accepted", in one transaction. */
static bool take(struct proto_request *ret, int *ret_err, struct proto_uuid *ret_id)
{
        for (;;) {
                xs_transaction_t t = xs_transaction_start(xs);
                unsigned len = 0;
                char *v = xs_read(xs, t, "control/pvh/request", &len);
                bool got = v && len > 0;

                if (got) {
                        *ret_err = proto_request_decode(v, len, ret);
                        if (proto_request_id(v, len, ret_id) < 0)
                                strcpy(ret_id->s, "00000000-0000-0000-0000-000000000000");
                        xs_write(xs, t, "control/pvh/request", "", 0);
                        answer_write(t, ret_id->s, "state", *ret_err < 0 ? "failed" : "accepted");
                        if (*ret_err < 0) {
                                answer_write(t, ret_id->s, "reason",
                                             proto_reason_to_string(proto_request_error_reason(*ret_err)));
                                answer_write(t, ret_id->s, "message", proto_strerror(*ret_err));
                        } else
                                answer_write(t, ret_id->s, "action", proto_action_to_string(ret->action));
                        xs_write(xs, t, "data/pvh/last_request", ret_id->s, PROTO_UUID_LEN);
                }
                free(v);
                if (xs_transaction_end(xs, t, !got))
                        return got;
                if (errno != EAGAIN)
                        return false;
        }
}

static const char dry_run_diff[] =
        "--- a/etc/default/grub\n"
        "+++ b/etc/default/grub\n"
        "@@ -1 +1 @@\n"
        "-GRUB_CMDLINE_LINUX=\"console=ttyS0\"\n"
        "+GRUB_CMDLINE_LINUX=\"console=ttyS0 console=hvc0\"\n"
        "update-grub\n";

static void finish(const char *id, const struct proto_request *req, const char *verdict)
{
        bool dry = req->args & (1u << PROTO_ARG_DRY_RUN);

        for (;;) {
                xs_transaction_t t = xs_transaction_start(xs);

                switch (req->action) {
                case PROTO_ACTION_PING:
                        answer_write(t, id, "message", "pong");
                        break;
                case PROTO_ACTION_PROBE:
                        answer_write(t, id, "message", verdict);
                        break;
                case PROTO_ACTION_PREPARE:
                        answer_write(t, id, "message", dry ? verdict : "ready");
                        answer_write(t, id, "output/0", dry ? dry_run_diff : "updated /etc/default/grub\n");
                        if (!dry)
                                xs_write(xs, t, "data/pvh/verdict", "ready", 5);
                        break;
                default:
                        answer_write(t, id, "message", "nothing to roll back");
                        answer_write(t, id, "reason", "error");
                        break;
                }
                answer_write(t, id, "state", req->action == PROTO_ACTION_ROLLBACK ? "failed" : "done");
                if (xs_transaction_end(xs, t, false) || errno != EAGAIN)
                        return;
        }
}

static _noreturn_ void cmd_answer(const char *verdict)
{
        struct pollfd p = { .fd = xs_fileno(xs), .events = POLLIN };

        if (!xs_watch(xs, "control/pvh/request", "req"))
                die("watch", "control/pvh/request");
        for (;;) {
                struct proto_request req;
                struct proto_uuid id;
                char **ev;
                int err;

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        die("poll", NULL);
                while ((ev = xs_check_watch(xs)))
                        free(ev);
                while (take(&req, &err, &id))
                        if (err >= 0) {
                                if (req.action != PROTO_ACTION_PING)
                                        answer_write(XBT_NULL, id.s, "state", "running");
                                finish(id.s, &req, verdict);
                        }
        }
}

int main(int argc, char **argv)
{
        unsigned n = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: fake-guest publish [--summary] FILE | flood KEY N [PREFIX] | nodes N | "
                                "cycle KEY N VALUE... | forge N | answer [VERDICT]\n");
                return 1;
        }
        xs = xs_open(0);
        if (!xs)
                die("open", "xenstore");
        if (streq(argv[1], "publish") && argc == 3)
                return cmd_publish(argv[2], false);
        if (streq(argv[1], "publish") && argc == 4 && streq(argv[2], "--summary"))
                return cmd_publish(argv[3], true);
        if (streq(argv[1], "flood") && (argc == 4 || argc == 5) && safe_atou(argv[3], &n) >= 0)
                return cmd_flood(argv[2], n, argc == 5 ? argv[4] : "");
        if (streq(argv[1], "nodes") && argc == 3 && safe_atou(argv[2], &n) >= 0)
                return cmd_nodes(n);
        if (streq(argv[1], "cycle") && argc >= 5 && safe_atou(argv[3], &n) >= 0)
                return cmd_cycle(argv[2], n, argv + 4, (unsigned)argc - 4);
        if (streq(argv[1], "forge") && argc == 3 && safe_atou(argv[2], &n) >= 0)
                return cmd_forge(n);
        if (streq(argv[1], "answer"))
                cmd_answer(argc > 2 ? argv[2] : "fixable");
        fprintf(stderr, "fake-guest: bad usage\n");
        return 1;
}
