/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The owner's configuration file: every setting gives the actions the agent
 * publishes and the requests it takes; every way of breaking the grammar
 * makes the file invalid, which means report-only, with the line and what
 * is wrong; the file is read through --root or as --config says.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "macro.h"
#include "policy.h"
#include "util.h"

#define DRY (1u << PROTO_ARG_DRY_RUN)
#define S_TEXT(x) (x), (sizeof(x) - 1)

struct valid_case {
        const char *text;
        const char *actions; /* what agent/actions says */
        bool report_only;
};

static const struct valid_case valid[] = {
        { "", "ping probe prepare rollback", false },
        { "# nothing set\n\n   \t\n", "ping probe prepare rollback", false },
        { "prepare = allow\nrollback = allow\nreport-only = no\n", "ping probe prepare rollback", false },
        { "prepare=dry-run", "ping probe prepare-dry-run rollback", false },
        { "  prepare\t=\tdry-run  \n", "ping probe prepare-dry-run rollback", false },
        { "prepare = deny\n", "ping probe rollback", false },
        { "rollback = deny\n", "ping probe prepare", false },
        { "prepare = deny\nrollback = deny\n", "ping probe", false },
        { "report-only = yes\n", "ping probe", true },
        /* report-only wins over whatever the lines before or after allow. */
        { "prepare = allow\nreport-only = yes\nrollback = allow\n", "ping probe", true },
        { "# a comment\n  # an indented one\nprepare = dry-run\n", "ping probe prepare-dry-run rollback", false },
};

struct invalid_case {
        const char *text;
        size_t len;          /* 0: strlen */
        const char *error;   /* the start of the message */
};

static const struct invalid_case invalid[] = {
        { "prepar = allow\n", 0, "line 1: unknown key 'prepar'" },
        { "ping = deny\n", 0, "line 1: unknown key 'ping'" },
        { "switch = deny\n", 0, "line 1: unknown key 'switch'" },
        { "\n\nprepare = allow\nprepare = deny\n", 0, "line 4: 'prepare' is set again (first on line 3)" },
        { "rollback = dry-run\n", 0, "line 1: rollback takes allow or deny, not 'dry-run'" },
        { "prepare = yes\n", 0, "line 1: prepare takes allow, dry-run or deny, not 'yes'" },
        { "report-only = allow\n", 0, "line 1: report-only takes yes or no, not 'allow'" },
        { "prepare allow\n", 0, "line 1: expected '=' after 'prepare'" },
        { "prepare =\n", 0, "line 1: the value of 'prepare' is not one word" },
        { "prepare = allow # comment\n", 0, "line 1: the value of 'prepare' is not one word" },
        { "prepare = allow deny\n", 0, "line 1: the value of 'prepare' is not one word" },
        { "Prepare = allow\n", 0, "line 1: expected KEY = VALUE" },
        { "prepare = Allow\n", 0, "line 1: the value of 'prepare' is not one word" },
        { "= allow\n", 0, "line 1: expected KEY = VALUE" },
        { "prepare = allow\r\n", 0, "line 1: byte 0x0d is not printable ASCII" },
        { "# caf\xc3\xa9\n", 0, "line 1: byte 0xc3 is not printable ASCII" },
        { "prepare = allow\0rollback = deny\n", 32, "line 1: byte 0x00 is not printable ASCII" },
        { "[agent]\n", 0, "line 1: expected KEY = VALUE" },
        { "compat = yes\n", 0, "line 1: compat takes none or xapi, not 'yes'" },
        { "compat = xapi\ncompat = none\n", 0, "line 2: 'compat' is set again (first on line 1)" },
};

static void test_valid(void)
{
        for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
                struct proto_actions a;
                struct policy p;
                char buf[128];
                int r = policy_parse(valid[i].text, strlen(valid[i].text), &p);

                CHECK(r == 0 && p.origin == POLICY_FILE, "case %zu: valid (%d)", i, r);
                policy_actions(&p, &a);
                proto_actions_encode(&a, buf, sizeof(buf));
                CHECK(streq(buf, valid[i].actions), "case %zu: actions '%s', expected '%s'", i, buf,
                      valid[i].actions);
                CHECK(p.report_only == valid[i].report_only, "case %zu: report-only %d", i, p.report_only);
        }
}

static void test_invalid(void)
{
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                const char *t = invalid[i].text;
                size_t len = invalid[i].len ? invalid[i].len : strlen(t);
                struct proto_actions a;
                struct policy p;
                char buf[128];
                int r = policy_parse(t, len, &p);

                CHECK(r == -EINVAL && p.origin == POLICY_INVALID && p.report_only, "case %zu: invalid (%d)", i, r);
                CHECK(startswith(p.error, invalid[i].error), "case %zu: error '%s', expected '%s...'", i,
                      p.error, invalid[i].error);
                policy_actions(&p, &a);
                proto_actions_encode(&a, buf, sizeof(buf));
                CHECK(streq(buf, "ping probe"), "case %zu: an invalid file publishes '%s'", i, buf);
        }
}

/* compat changes what is published, never what the host may request; a mistake turns it off. */
static void test_compat(void)
{
        struct policy p, q;

        policy_default(&p);
        CHECK(!p.compat_xapi, "off without a file");
        CHECK(policy_parse("compat = xapi\n", 14, &p) == 0 && p.compat_xapi && !p.report_only,
              "compat = xapi");
        CHECK(policy_grant(&p, PROTO_ACTION_PREPARE) == POLICY_ALLOW, "compat grants nothing else");
        CHECK(policy_parse("compat = none\n", 14, &q) == 0 && !q.compat_xapi, "compat = none");
        CHECK(!policy_same(&p, &q), "a change of compat is a change of the choice");
        CHECK(policy_parse("compat = xapi\nprepare = maybe\n", 30, &p) == -EINVAL && !p.compat_xapi,
              "an invalid file publishes no compat keys");
}

/* The answer the daemon gives: what runs, and the setting a refusal names. */
static void test_allows(void)
{
        struct proto_request prep = { .action = PROTO_ACTION_PREPARE }, dry = prep, rb = prep, ping = prep;
        struct policy p;
        char why[512];

        dry.args = DRY;
        rb.action = PROTO_ACTION_ROLLBACK;
        ping.action = PROTO_ACTION_PING;

        policy_default(&p);
        CHECK(policy_allows(&p, &prep, "F", why, sizeof(why)) && policy_allows(&p, &rb, "F", why, sizeof(why)),
              "the defaults allow everything");

        policy_parse(S_TEXT("prepare = dry-run\n"), &p);
        CHECK(policy_allows(&p, &dry, "F", why, sizeof(why)), "dry-run: a dry run is taken");
        CHECK(!policy_allows(&p, &prep, "F", why, sizeof(why)) && strstr(why, "dry run only") &&
                      strstr(why, "prepare = dry-run in F"),
              "dry-run: a real prepare is refused: %s", why);
        CHECK(policy_allows(&p, &rb, "F", why, sizeof(why)), "dry-run: rollback stays allowed");

        policy_parse(S_TEXT("rollback = deny\n"), &p);
        CHECK(!policy_allows(&p, &rb, "F", why, sizeof(why)) && strstr(why, "turned off rollback requests") &&
                      strstr(why, "rollback = deny"),
              "rollback denied: %s", why);

        policy_parse(S_TEXT("report-only = yes\n"), &p);
        CHECK(!policy_allows(&p, &dry, "F", why, sizeof(why)) && strstr(why, "reports only"),
              "report-only refuses even a dry run: %s", why);
        CHECK(policy_allows(&p, &ping, "F", why, sizeof(why)), "report-only still answers ping");

        policy_parse(S_TEXT("prepare = sure\n"), &p);
        CHECK(!policy_allows(&p, &rb, "F", why, sizeof(why)) && strstr(why, "F is not valid"),
              "an invalid file refuses, and says the file is not valid: %s", why);
        CHECK(!strstr(why, "sure"), "without telling the host what the file holds: %s", why);
        CHECK(policy_allows(&p, &ping, "F", why, sizeof(why)), "an invalid file still answers ping");
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "writing %s", path);
}

/* Through the root (the tests' --root), as --config, absent, unreadable. */
static void test_load(void)
{
        char dir[] = "/tmp/test-policy.XXXXXX", path[256];
        struct policy p;
        int root_fd;

        CHECK(mkdtemp(dir));
        root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(root_fd >= 0);

        policy_load(root_fd, NULL, &p);
        CHECK(p.origin == POLICY_DEFAULT && !p.report_only, "no file: the defaults");

        snprintf(path, sizeof(path), "%s/etc", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/etc/pvh-agent", dir);
        CHECK(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s%s", dir, POLICY_PATH);
        write_file(path, "prepare = deny\n");
        policy_load(root_fd, NULL, &p);
        CHECK(p.origin == POLICY_FILE && policy_grant(&p, PROTO_ACTION_PREPARE) == POLICY_DENY,
              "read inside the root");

        /* A symlink out of the root leads back into it, where there is nothing. */
        unlink(path);
        CHECK(symlink("/etc/passwd", path) == 0);
        policy_load(root_fd, NULL, &p);
        CHECK(p.origin == POLICY_DEFAULT, "a link out of the root stays inside it (%d: %s)", p.origin, p.error);

        unlink(path);
        CHECK(mkfifo(path, 0600) == 0);
        policy_load(root_fd, NULL, &p);
        CHECK(p.origin == POLICY_INVALID && p.report_only && streq(p.error, "cannot be read: not a regular file"),
              "a FIFO is not opened, and means report-only: %s", p.error);

        unlink(path);
        CHECK(mkdir(path, 0755) == 0);
        policy_load(root_fd, NULL, &p);
        CHECK(p.origin == POLICY_INVALID && strstr(p.error, "cannot be read"), "a directory: %s", p.error);
        rmdir(path);

        snprintf(path, sizeof(path), "%s/elsewhere.conf", dir);
        write_file(path, "report-only = yes\n");
        policy_load(-1, path, &p);
        CHECK(p.origin == POLICY_FILE && p.report_only, "--config is read as it is");

        {
                char *big = malloc(POLICY_FILE_MAX + 2);

                memset(big, '#', POLICY_FILE_MAX + 1);
                big[POLICY_FILE_MAX + 1] = 0;
                write_file(path, big);
                free(big);
        }
        policy_load(-1, path, &p);
        CHECK(p.origin == POLICY_INVALID && strstr(p.error, "larger than"), "too large: %s", p.error);
        unlink(path);
        snprintf(path, sizeof(path), "%s/etc/pvh-agent", dir);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/etc", dir);
        rmdir(path);
        close(root_fd);
        CHECK(rmdir(dir) == 0);
}

/* The same bad text is the same problem (logged once); another bad text is not. */
static void test_hash(void)
{
        struct policy a, b, c;

        policy_parse(S_TEXT("x = y\n"), &a);
        policy_parse(S_TEXT("x = y\n"), &b);
        policy_parse(S_TEXT("x = y\n\n"), &c);
        CHECK(a.hash == b.hash && a.hash != c.hash, "hashes follow the text");
        CHECK(policy_same(&a, &b), "the same choice");
}

int main(void)
{
        test_valid();
        test_invalid();
        test_allows();
        test_load();
        test_hash();
        test_compat();
        return check_exit("test-policy");
}
