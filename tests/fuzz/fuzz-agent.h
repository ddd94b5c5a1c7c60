/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libFuzzer entry points for the agent's parsers (kernel images, ELF notes,
 * decompressors, cpio, grub.cfg, BLS, menu.lst, grubenv). Build one with
 * clang against agent/ and shared/ and the compression libraries:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *         -include config.h -Iagent -Ishared tests/fuzz/fuzz-kimage.c \
 *         agent/{bls,bootentry,cpio,decompress,elfnotes,grubcfg,kimage,menulst,rootfs,strv}.c \
 *         shared/util.c -I/usr/include/lzo -lz -lbz2 -llzma -llzo2 -llz4 -lzstd
 *
 * (config.h: any file defining _GNU_SOURCE). Seeds: tests/fuzz/corpus/<target>/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                               \
        do {                                                                           \
                if (!(cond)) {                                                         \
                        fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__,       \
                                __LINE__, #cond);                                      \
                        abort();                                                       \
                }                                                                      \
        } while (0)
