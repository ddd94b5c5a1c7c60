/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table-driven tests of the xl configuration switch (monitor/xlcfg.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"
#include "xlcfg.h"

static const struct xlcfg_paths P = { "/usr/lib/grub-xen/grub-x86_64-xen.bin",
                                      "/usr/lib/grub-xen/grub-i386-xen_pvh.bin" };
static int failures;

#define CHECK(cond, ...)                                  \
        do {                                              \
                if (!(cond)) {                            \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
                        fprintf(stderr, __VA_ARGS__);     \
                        fputc('\n', stderr);              \
                        failures++;                       \
                }                                         \
        } while (0)

static const struct {
        const char *name, *in;
        enum xlcfg_type type;
        const char *out; /* NULL: cannot be switched */
} cases[] = {
        { "plain", "name = \"a\"\ntype = \"pv\"\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\nmemory = 512\n",
          XLCFG_PV,
          "name = \"a\"\ntype = \"pvh\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\nmemory = 512\n" },
        { "spacing, quotes, comments kept", "  type='pv'   # was xm\nkernel=\"/usr/lib/grub-xen/grub-x86_64-xen.bin\";\n",
          XLCFG_PV, "  type='pvh'   # was xm\nkernel=\"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\";\n" },
        { "no type: PV by default, type added", "kernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\nvif = [ 'mac=00:16:3e:00:00:01',\n  'bridge=br0' ]",
          XLCFG_PV,
          "kernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\nvif = [ 'mac=00:16:3e:00:00:01',\n  'bridge=br0' ]\ntype = \"pvh\"\n" },
        { "builder generic replaced", "builder = \"generic\"\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n",
          XLCFG_PV, "type = \"pvh\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\n" },
        { "the last assignment wins", "type = \"hvm\"\ntype = \"pv\"\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n",
          XLCFG_PV, "type = \"hvm\"\ntype = \"pvh\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\n" },
        { "commented lines untouched", "#type = \"pv\"\ntype = \"pv\"\n# kernel = \"x\"\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n",
          XLCFG_PV, "#type = \"pv\"\ntype = \"pvh\"\n# kernel = \"x\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\n" },
        { "direct kernel boot", "type = \"pv\"\nkernel = \"/boot/vmlinuz\"\n", XLCFG_PV, NULL },
        { "pygrub", "bootloader = \"pygrub\"\n", XLCFG_PV, NULL },
        { "no kernel", "type = \"pv\"\n", XLCFG_PV, NULL },
        { "pvh already", "type = \"pvh\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\n", XLCFG_PVH, NULL },
        { "hvm", "builder = \"hvm\"\n", XLCFG_HVM, NULL },
        { "type not a string", "type = pv\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n", XLCFG_UNKNOWN, NULL },
        { "type with trailing junk", "type = \"pv\" x\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n", XLCFG_UNKNOWN, NULL },
};

static void test_cases(void)
{
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *reason = NULL, *out = NULL;
                enum xlcfg_type t;
                int r;

                r = xlcfg_inspect(cases[i].in, &P, &t, &reason);
                CHECK(r == 0, "%s: inspect %d", cases[i].name, r);
                CHECK(t == cases[i].type, "%s: type %s", cases[i].name, xlcfg_type_to_string(t));
                CHECK(!reason == !!cases[i].out, "%s: reason '%s'", cases[i].name, reason ? reason : "");
                r = xlcfg_to_pvh(cases[i].in, &P, &out);
                if (!cases[i].out) {
                        CHECK(r == -EINVAL, "%s: switched: %d", cases[i].name, r);
                        continue;
                }
                CHECK(r == 0 && streq(out, cases[i].out), "%s: got\n%s", cases[i].name, out ? out : "(null)");
        }
}

/* A table of boot loaders: each PV image to its own counterpart; the reasons name what is wrong. */
static const struct xlcfg_paths TABLE = { "/usr/lib/grub-xen/grub-x86_64-xen.bin\n"
                                          "/usr/lib/grub-xen/grub-i386-xen.bin\n"
                                          "/opt/pvgrub",
                                          "/usr/lib/grub-xen/grub-i386-xen_pvh.bin\n"
                                          "/usr/lib/grub-xen/grub-i386-xen_pvh.bin\n"
                                          "/opt/pvhgrub" };

static const struct {
        const char *name, *in;
        const char *out;    /* NULL: cannot be switched */
        const char *reason; /* in the reason when it cannot */
} table_cases[] = {
        { "64-bit pvgrub2", "type = \"pv\"\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n",
          "type = \"pvh\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\n", NULL },
        { "32-bit pvgrub2", "type = \"pv\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen.bin\"\n",
          "type = \"pvh\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen_pvh.bin\"\n", NULL },
        { "the last line of the table", "kernel = '/opt/pvgrub'\n", "kernel = '/opt/pvhgrub'\ntype = \"pvh\"\n", NULL },
        { "an image is not a prefix of it", "kernel = \"/opt/pvgrub2\"\n", NULL, "not a PV boot loader of the table" },
        { "a boot loader not in the table", "kernel = \"/usr/lib/xen/boot/pv-grub-x86_64.gz\"\n", NULL,
          "not a PV boot loader of the table" },
        { "direct kernel boot", "kernel = \"/boot/vmlinuz-6.1.0-13-amd64\"\nramdisk = \"/boot/initrd.img\"\n",
          NULL, "direct kernel boot" },
        { "pygrub", "bootloader = \"pygrub\"\n", NULL, "bootloader = \"pygrub\"" },
        { "pygrub beside a kernel", "bootloader = \"/usr/lib/xen/bin/pygrub\"\nkernel = \"/usr/lib/grub-xen/grub-i386-xen.bin\"\n",
          NULL, "pygrub" },
};

static void test_table(void)
{
        for (size_t i = 0; i < ELEMENTSOF(table_cases); i++) {
                _cleanup_free_ char *reason = NULL, *out = NULL;
                enum xlcfg_type t;
                int r;

                r = xlcfg_inspect(table_cases[i].in, &TABLE, &t, &reason);
                CHECK(r == 0 && t == XLCFG_PV, "%s: inspect %d", table_cases[i].name, r);
                r = xlcfg_to_pvh(table_cases[i].in, &TABLE, &out);
                if (table_cases[i].out) {
                        CHECK(!reason, "%s: reason '%s'", table_cases[i].name, reason);
                        CHECK(r == 0 && streq(out, table_cases[i].out), "%s: got\n%s", table_cases[i].name,
                              out ? out : "(null)");
                        continue;
                }
                CHECK(r == -EINVAL, "%s: switched: %d", table_cases[i].name, r);
                CHECK(reason && strstr(reason, table_cases[i].reason), "%s: reason '%s'", table_cases[i].name,
                      reason ? reason : "(null)");
        }
}

static char *slurp(const char *path)
{
        char *t = NULL;

        return xlcfg_load(path, &t, NULL) < 0 ? NULL : t;
}

static void test_files(void)
{
        char dir[] = "/tmp/test-xlcfg.XXXXXX", path[64], bak[80];
        const char *pv = "name = \"g\"\ntype = \"pv\"\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n";
        _cleanup_free_ char *reason = NULL, *a = NULL, *b = NULL, *c = NULL, *name = NULL;
        struct stat st;
        int fd;

        if (!mkdtemp(dir))
                exit(99);
        snprintf(path, sizeof(path), "%s/g.cfg", dir);
        snprintf(bak, sizeof(bak), "%s" XLCFG_BACKUP_SUFFIX, path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
        if (fd < 0 || write(fd, pv, strlen(pv)) < 0 || close(fd) < 0)
                exit(99);
        CHECK(xlcfg_restore(path) == 0, "restore of a file never switched changes nothing");
        CHECK(xlcfg_switch(path, &P, &reason) == 1, "switch");
        CHECK(xlcfg_switch(path, &P, &reason) == 0, "second switch changes nothing");
        a = slurp(path);
        b = slurp(bak);
        CHECK(a && strstr(a, "type = \"pvh\""), "switched: %s", a ? a : "");
        CHECK(b && streq(b, pv), "backup: %s", b ? b : "");
        CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "mode kept");
        CHECK(xlcfg_name(a, &name) == 0 && streq(name, "g"), "name");
        CHECK(xlcfg_restore(path) == 1, "restore");
        CHECK(xlcfg_restore(path) == 0, "second restore changes nothing");
        c = slurp(path);
        CHECK(c && streq(c, pv), "restored: %s", c ? c : "");
        CHECK(access(bak, F_OK) == 0, "backup kept");
        unlink(path);
        unlink(bak);
        rmdir(dir);
}

/* disk = [ ... ]: "TARGET VDEV FORMAT|..." per disk, cdroms marked. */
static const struct {
        const char *name, *in, *want;
} disk_cases[] = {
        { "legacy phy", "disk = [ 'phy:/dev/vg0/a,xvda,w' ]\n", "/dev/vg0/a xvda raw" },
        { "legacy file and tap", "disk = ['file:/srv/a.img,xvda,w', \"tap:aio:/srv/b.img,xvdb,r\"]",
          "/srv/a.img xvda raw|/srv/b.img xvdb raw" },
        { "positional with a format", "disk = [ '/srv/a.qcow2,qcow2,xvda,rw' ]", "/srv/a.qcow2 xvda qcow2" },
        { "keywords, target last with commas",
          "disk = [ 'format=raw, vdev=xvda, access=rw, target=/srv/a,b.img' ]", "/srv/a,b.img xvda raw" },
        { "over several lines, comments, the last assignment",
          "disk = [ 'phy:/dev/old,xvda,w' ]\ndisk = [\n  'phy:/dev/vg/root,xvda,w', # root\n"
          "  # 'phy:/dev/vg/gone,xvdc,w',\n  'file:/iso/x.iso,xvdd:cdrom,r,devtype=cdrom',\n]\n",
          "/dev/vg/root xvda raw|/iso/x.iso xvdd raw cdrom" },
        { "no vdev: left out", "disk = [ '/srv/a.img' ]", "" },
        { "no disk line", "name = \"a\"\n", "" },
};

static void test_disks(void)
{
        for (size_t i = 0; i < ELEMENTSOF(disk_cases); i++) {
                struct xlcfg_disk *d = NULL;
                char got[512] = "";
                size_t n = 0, o = 0;
                int r = xlcfg_disks(disk_cases[i].in, &d, &n);

                for (size_t k = 0; r >= 0 && k < n; k++)
                        o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s %s %s%s", k ? "|" : "", d[k].target,
                                              d[k].vdev, d[k].format, d[k].cdrom ? " cdrom" : "");
                CHECK(r >= 0 && strcmp(got, disk_cases[i].want) == 0, "disks %s: %d '%s', want '%s'",
                      disk_cases[i].name, r, got, disk_cases[i].want);
                xlcfg_disks_free(d, n);
        }
}

static void write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);

        if (fd < 0 || write(fd, text, strlen(text)) < 0 || close(fd) < 0)
                exit(99);
}

/* A linked configuration: written through its symbolic link, refused with a second hard link. */
static void test_links(void)
{
        char dir[] = "/tmp/test-xlcfg.XXXXXX", real[64], lnk[80], bak[80], hard[80], lnkbak[96];
        const char *pv = "name = \"g\"\ntype = \"pv\"\nkernel = \"/usr/lib/grub-xen/grub-x86_64-xen.bin\"\n";
        _cleanup_free_ char *reason = NULL, *reason2 = NULL, *reason3 = NULL, *a = NULL, *c = NULL;
        enum xlcfg_type t;
        struct stat st;

        if (!mkdtemp(dir))
                exit(99);
        snprintf(real, sizeof(real), "%s/g.cfg", dir);
        snprintf(lnk, sizeof(lnk), "%s/auto-g.cfg", dir);
        snprintf(bak, sizeof(bak), "%s" XLCFG_BACKUP_SUFFIX, real);
        snprintf(lnkbak, sizeof(lnkbak), "%s" XLCFG_BACKUP_SUFFIX, lnk);
        snprintf(hard, sizeof(hard), "%s/hard.cfg", dir);
        write_file(real, pv);
        if (symlink("g.cfg", lnk) < 0)
                exit(99);
        CHECK(xlcfg_switch(lnk, &P, &reason) == 1, "switch through a link");
        CHECK(lstat(lnk, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
        a = slurp(real);
        CHECK(a && strstr(a, "type = \"pvh\""), "the target is switched: %s", a ? a : "");
        CHECK(access(bak, F_OK) == 0 && access(lnkbak, F_OK) < 0, "the backup is beside the target");
        CHECK(xlcfg_restore(lnk) == 1, "restore through the link");
        CHECK(lstat(lnk, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link after restore");
        c = slurp(real);
        CHECK(c && streq(c, pv), "the target is restored: %s", c ? c : "");

        if (link(real, hard) < 0)
                exit(99);
        CHECK(xlcfg_switch(hard, &P, &reason2) == -EINVAL && reason2 && strstr(reason2, "2 hard links"),
              "a hard-linked file is refused: %s", reason2 ? reason2 : "");
        CHECK(xlcfg_inspect_file(lnk, &P, &t, &reason3) == 0 && t == XLCFG_UNKNOWN && reason3 &&
                      strstr(reason3, "hard links"),
              "inspect says why: %s", reason3 ? reason3 : "");
        CHECK(xlcfg_restore(hard) == -EMLINK, "no restore of a hard-linked file");
        free(c);
        c = slurp(real);
        CHECK(c && streq(c, pv), "a refused file is untouched");
        unlink(hard);
        unlink(lnk);
        unlink(real);
        unlink(bak);
        rmdir(dir);
}

/* The copy of a trial boot: the guest's own name, memory, disks, network cards and PCI devices go, lists over several lines too. */
static void test_trial(void)
{
        static const char in[] = "name = \"web\"\ntype = \"pvh\"\nmemory = 2048 # MiB\nmaxmem = 4096\n"
                                 "uuid = \"0a0b\"\nvif = [ 'bridge=xenbr0',\n  'bridge=dmz' # ]\n]\n"
                                 "disk = [ 'phy:/dev/vg0/web,xvda,w' ]\npci = [ '01:00.0' ]\nvcpus = 2\n"
                                 "p9 = [ 'tag=share,path=/srv,security_model=none' ]\nvtpm = [ 'backend=1' ]\n"
                                 "on_crash = \"restart\"\nextra = \"console=hvc0\"";
        static const char *const disks[] = { "/dev/vg0/web-pvhtrial,raw,xvda,w", "/a.img-pvhtrial,raw,xvdb,w" };
        const struct xlcfg_trial t = { "web-pvhtrial", "1111-2222", 1024, disks, 2 };
        const struct xlcfg_trial bad = { "web\"", "1111-2222", 1024, disks, 2 };
        _cleanup_free_ char *out = NULL, *out2 = NULL;
        unsigned mem = 0;

        CHECK(xlcfg_memory(in, &mem) == 0 && mem == 2048, "memory: %u", mem);
        CHECK(xlcfg_memory("memory = \"2048\"\n", &mem) == -ENOENT, "memory as a string is not a number");
        CHECK(xlcfg_to_trial(in, &t, &out) == 0, "to_trial");
        CHECK(out && streq(out, "type = \"pvh\"\nvcpus = 2\nextra = \"console=hvc0\"\n"
                                "# pvh-monitor trial: a throwaway copy, no network\nname = \"web-pvhtrial\"\n"
                                "uuid = \"1111-2222\"\nmemory = 1024\nmaxmem = 1024\nvif = [ ]\n"
                                "on_poweroff = \"preserve\"\non_reboot = \"preserve\"\non_crash = \"preserve\"\n"
                                "disk = [ '/dev/vg0/web-pvhtrial,raw,xvda,w', '/a.img-pvhtrial,raw,xvdb,w' ]\n"),
              "to_trial: %s", out ? out : "(null)");
        CHECK(xlcfg_to_trial(in, &bad, &out2) == -EINVAL && !out2, "a name that cannot be quoted is refused");
}

int main(void)
{
        test_cases();
        test_table();
        test_files();
        test_disks();
        test_links();
        test_trial();
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}
