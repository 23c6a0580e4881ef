#ifndef CONFLUX_CLIENT_POP3C_PRIVATE_H
#define CONFLUX_CLIENT_POP3C_PRIVATE_H

/* Shared by pop3c.c (the session, commands and their replies) and
 * pop3c-login.c (greeting, CAPA, STLS, USER/PASS, AUTH PLAIN, APOP).
 * Internal to the client: users include client/pop3c.h only. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/pop3c.h"
#include "lib/buf.h"

struct pp;
struct tls_ctx;

enum pop3c_state {
	POP3C_STATE_INIT,
	POP3C_STATE_GREETING,
	POP3C_STATE_CAPA,
	POP3C_STATE_STLS,
	POP3C_STATE_AUTH_PLAIN,
	POP3C_STATE_AUTH_CONT,
	POP3C_STATE_USER,
	POP3C_STATE_PASS,
	POP3C_STATE_APOP,
	POP3C_STATE_CAPA2,
	POP3C_STATE_TRANSACTION,
	POP3C_STATE_STOPPED,
};

enum pcmd_kind { K_STATE, K_STAT, K_LIST, K_UIDL, K_DATA, K_SIMPLE };

struct pop3c {
	struct loop *loop;
	struct pp *pp;
	struct tls_ctx *tls;
	char *tls_error;
	enum pop3c_state state;
	char *host, *login, *password, *session;
	unsigned int port;
	enum pop3c_tls tls_mode;
	enum pop3c_auth auth;
	unsigned int timeout_ms, window;
	size_t max_body_line;
	uint32_t max_msgs;
	struct pop3_capa capa;
	bool capa_known, tls_started;
	char apop_ts[POP3_APOP_TS_MAX + 1];
	pop3c_cb *connect_cb;
	void *connect_ctx;
	struct buf error;
};

/* One request on pp: a login step (K_STATE) or a transaction command. */
struct pcmd {
	struct pop3c *pc;
	enum pcmd_kind kind;
	bool multi, got_status, cont, busy, freed, aborted;
	enum pop3_status_kind status;
	char code[POP3_RESP_CODE_MAX + 1];
	char *text;
	char *invalid;
	char name[48];
	union {
		pop3c_cb *cb;
		pop3c_stat_cb *stat;
		pop3c_list_cb *list;
		pop3c_uidl_cb *uidl;
	} u;
	pop3c_data_cb *data;
	void *ctx;
	struct buf chunk;
	void *items;
	size_t n, cap;
};

/* pop3c.c */
struct pcmd *
pop3c_cmd_new(struct pop3c *pc, enum pcmd_kind kind, bool multi, void *ctx);
/* Queues c on pp; flags are PP_CMD_* (a login step is a barrier). */
void
pop3c_cmd_send(struct pop3c *pc, struct pcmd *c, const char *line,
	       const char *log_line, unsigned int flags);
void
pop3c_wipe_password(struct pop3c *pc);

/* pop3c-login.c */
/* The reply to a K_STATE command: runs the handler of pc->state. */
void
pop3c_state_resp(struct pop3c *pc, struct pcmd *c,
		 const struct pop3c_reply *r);

#endif
