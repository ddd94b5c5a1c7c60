/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

/*
 * serve's HTTP endpoint: GET or HEAD /metrics, answered by a render callback;
 * libmicrohttpd in external epoll mode, run from the caller's event loop:
 * watch httpd_fd() for input, call httpd_run() when it is readable and when
 * the httpd_timeout() it asked for is due.
 */

#define HTTPD_CONNECTIONS_MAX 64     /* at once; further clients wait in the backlog */
#define HTTPD_CONNECTIONS_PER_IP 8   /* at once from one address; further ones are closed */
#define HTTPD_TIMEOUT_S 10           /* an idle connection is closed after this */

struct httpd;

/* Writes the metrics; < 0 fails the request with 500. */
typedef int (*httpd_render_fn)(FILE *f, void *userdata);

int httpd_start(const struct sockaddr_in *listen, httpd_render_fn render, void *userdata,
                struct httpd **ret);
struct httpd *httpd_stop(struct httpd *h);
/* The port it listens on (the one picked, for port 0). */
unsigned httpd_port(struct httpd *h);
/* The descriptor to watch for input (libmicrohttpd's epoll set). */
int httpd_fd(struct httpd *h);
/* The connections it holds now. */
unsigned httpd_connections(struct httpd *h);
/* Accepts, reads, answers and closes what is ready; never blocks. */
int httpd_run(struct httpd *h);
/* When httpd_run() must run at the latest, in µs from now: 1 and *ret_usec, or 0 for never. */
int httpd_timeout(struct httpd *h, uint64_t *ret_usec);
