/* What the protocol servers share: the plaintext-password policy, the
 * peer's address as a limit key, and the login/logout audit lines. */
#include "server/common/server.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "net/conn.h"

const char *
server_peer_ip(const struct conn *c, char *buf, size_t size)
{
	const char *peer = conn_peer(c);
	const char *end;
	size_t len;

	if (peer[0] == '[') {		/* "[2001:db8::1]:143" */
		peer++;
		end = strchr(peer, ']');
	} else {			/* "192.0.2.1:143" */
		end = strrchr(peer, ':');
	}
	len = end != NULL ? (size_t)(end - peer) : strlen(peer);
	if (len >= size)
		len = size - 1;
	memcpy(buf, peer, len);
	buf[len] = '\0';
	return buf;
}

bool
server_peer_is_loopback(const struct conn *c)
{
	char ip[64];

	server_peer_ip(c, ip, sizeof(ip));
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	       strncmp(ip, "::ffff:127.", 11) == 0;
}

bool
server_plaintext_ok(const struct server_env *env, const struct conn *c)
{
	return env->plaintext_auth_anywhere || conn_is_tls(c) ||
	       server_peer_is_loopback(c);
}

void
server_log_login(const char *proto, struct conn *c, const char *user,
		 const char *method)
{
	log_write(LOG_LVL_INFO, conn_session_id(c),
		  "%s: login user=%s method=%s tls=%s peer=%s", proto, user,
		  method, conn_is_tls(c) ? "yes" : "no", conn_peer(c));
}

void
server_log_logout(const char *proto, struct conn *c, const char *user,
		  const char *reason)
{
	log_write(LOG_LVL_INFO, conn_session_id(c),
		  "%s: logout user=%s in=%llu out=%llu reason=\"%s\"", proto,
		  user != NULL ? user : "-",
		  (unsigned long long)conn_bytes_in(c),
		  (unsigned long long)conn_bytes_out(c), reason);
}
