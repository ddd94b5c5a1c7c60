/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linked into the static pvh-agent only. libnl carries name lookups the agent
 * never asks for (protocol names when it prints a route, host names when it
 * parses or resolves an address); in a static binary glibc would answer them
 * by loading the guest's NSS modules (and libidn2), built for another glibc.
 * These stand in for them: every lookup fails as for an unknown name, and
 * nothing is loaded. (The linker warns about most of these; getnameinfo() it
 * does not, and it reaches NSS through gethostbyaddr_r().)
 */
#include "config.h"

#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>

struct protoent *getprotobyname(const char *name)
{
        return NULL;
}

struct protoent *getprotobynumber(int proto)
{
        return NULL;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
        return EAI_FAIL;
}

/* getaddrinfo() above never returns a list, so there is nothing to free. */
void freeaddrinfo(struct addrinfo *res)
{
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen, char *serv,
                socklen_t servlen, int flags)
{
        return EAI_FAIL;
}
