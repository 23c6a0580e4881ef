/* Getting to the authenticated state: greeting, STARTTLS, CAPABILITY,
 * LOGIN / AUTHENTICATE PLAIN, ENABLE. One step at a time: each finished
 * setup command calls step() again, which picks what is still missing. */
#include <string.h>

#include "client/imapc-private.h"
#include "lib/b64.h"
#include "lib/log.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "net/connect.h"
#include "net/tls.h"

static void
step(struct imapc *c);

static const struct {
	const char *name;
	unsigned int bit;
} cap_names[] = {
	{ "IMAP4REV1", IMAPC_CAP_IMAP4REV1 },
	{ "IMAP4REV2", IMAPC_CAP_IMAP4REV2 },
	{ "STARTTLS", IMAPC_CAP_STARTTLS },
	{ "LOGINDISABLED", IMAPC_CAP_LOGINDISABLED },
	{ "AUTH=PLAIN", IMAPC_CAP_AUTH_PLAIN },
	{ "SASL-IR", IMAPC_CAP_SASL_IR },
	{ "LITERAL+", IMAPC_CAP_LITERALPLUS },
	{ "LITERAL-", IMAPC_CAP_LITERALMINUS },
	{ "IDLE", IMAPC_CAP_IDLE },
	{ "UIDPLUS", IMAPC_CAP_UIDPLUS },
	{ "CONDSTORE", IMAPC_CAP_CONDSTORE },
	{ "QRESYNC", IMAPC_CAP_QRESYNC },
	{ "ENABLE", IMAPC_CAP_ENABLE },
	{ "SPECIAL-USE", IMAPC_CAP_SPECIAL_USE },
	{ "LIST-EXTENDED", IMAPC_CAP_LIST_EXTENDED },
};

/* What IMAP4rev2 includes (RFC 9051 section 1.3). */
#define REV2_IMPLIES (IMAPC_CAP_IDLE | IMAPC_CAP_UIDPLUS | \
	IMAPC_CAP_ENABLE | IMAPC_CAP_LITERALMINUS | IMAPC_CAP_SASL_IR | \
	IMAPC_CAP_SPECIAL_USE | IMAPC_CAP_LIST_EXTENDED)

static unsigned int
cap_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (str_casecmp(name, cap_names[i].name) == 0)
			return cap_names[i].bit;
	return 0;
}

void
imapc_parse_caps(struct imapc *c, const struct imap_arg *args, size_t n,
		 const char *text)
{
	c->caps = 0;
	c->have_caps = true;
	if (text != NULL) {
		char **words = str_split_ws(text, NULL);
		for (char **w = words; *w != NULL; w++)
			c->caps |= cap_bit(*w);
		str_array_free(&words);
	}
	for (size_t i = 0; i < n; i++)
		if (args[i].type == IMAP_ARG_ATOM)
			c->caps |= cap_bit(args[i].str);
	if ((c->caps & IMAPC_CAP_IMAP4REV2) != 0)
		c->caps |= REV2_IMPLIES;
}

static struct imapc_cmd *
setup_cmd(struct imapc *c, const char *verb, imapc_done_fn *done)
{
	struct imapc_cmd *cmd = imapc_cmd_new(c, IMAPC_CMD_PLAIN, verb);

	cmd->setup = true;
	cmd->done = done;
	return cmd;
}

/* ---- greeting ---- */

void
imapc_auth_greeting(struct imapc *c, const struct imap_resp *r)
{
	if (r->type != IMAP_RT_STATUS || r->status == IMAP_ST_NO ||
	    r->status == IMAP_ST_BAD) {
		imapc_fail(c, "protocol error: bad greeting");
		return;
	}
	if (r->status == IMAP_ST_BYE) {
		imapc_fail(c, "server refused the connection: %s", r->text);
		return;
	}
	if (r->status == IMAP_ST_PREAUTH) {
		if (c->set.tls == IMAPC_TLS_STARTTLS) {
			imapc_fail(c, "PREAUTH greeting in plaintext, "
				   "but STARTTLS is required");
			return;
		}
		c->preauth = true;
	}
	if (r->code.type == IMAP_CODE_CAPABILITY)
		imapc_parse_caps(c, NULL, 0, r->code.text);
	c->state = IMAPC_ST_SETUP;
	step(c);
}

/* ---- CAPABILITY ---- */

static void
capability_done(struct imapc_cmd *cmd, enum imapc_result r,
		const struct imap_resp *tagged, const char *error)
{
	struct imapc *c = cmd->client;

	if (r != IMAPC_OK || !c->have_caps) {
		imapc_fail(c, "CAPABILITY failed: %s", error != NULL ? error :
			   "no capability list");
		return;
	}
	step(c);
}

static void
capability(struct imapc *c)
{
	c->caps = 0;
	c->have_caps = false;
	imapc_cmd_submit(setup_cmd(c, "CAPABILITY", capability_done));
}

/* ---- STARTTLS ---- */

static void
starttls_done(struct imapc_cmd *cmd, enum imapc_result r,
	      const struct imap_resp *tagged, const char *error)
{
	struct imapc *c = cmd->client;

	if (r != IMAPC_OK) {
		imapc_fail(c, "STARTTLS refused: %s", error);
		return;
	}
	if (conn_starttls_client(c->conn, c->tls, c->host) < 0) {
		imapc_fail(c, "STARTTLS: cannot start TLS");
		return;
	}
	c->starttls_sent = true;
}

void
imapc_auth_tls_done(struct imapc *c)
{
	if (!c->starttls_sent)
		return;
	/* what was said in plaintext is forgotten (RFC 3501 6.2.1) */
	c->have_caps = false;
	c->caps = 0;
	step(c);
}

static bool
starttls_needed(struct imapc *c)
{
	return c->set.tls == IMAPC_TLS_STARTTLS && !c->starttls_sent;
}

static void
starttls(struct imapc *c)
{
	if ((c->caps & IMAPC_CAP_STARTTLS) == 0) {
		imapc_fail(c, "server does not offer STARTTLS, "
			   "which is required");
		return;
	}
	imapc_cmd_submit(setup_cmd(c, "STARTTLS", starttls_done));
}

/* ---- authentication ---- */

static void
login_done(struct imapc_cmd *cmd, enum imapc_result r,
	   const struct imap_resp *tagged, const char *error)
{
	struct imapc *c = cmd->client;

	imapc_wipe_password(c);
	if (r != IMAPC_OK) {
		char *msg = xasprintf("authentication failed: %s",
				      error != NULL ? error : "");
		imapc_ref(c);
		imapc_connect_done(c, r == IMAPC_FAILED ? r : IMAPC_NO, msg);
		if (!c->freed)
			imapc_fail(c, "%s", msg);
		free(msg);
		imapc_unref(c);
		return;
	}
	c->authed = true;
	if (tagged == NULL || tagged->code.type != IMAP_CODE_CAPABILITY)
		c->have_caps = false;
	step(c);
}

static void
auth_plain_cont(struct imapc_cmd *cmd, const struct imap_resp *r)
{
	struct imapc *c = cmd->client;

	(void)conn_write(c->conn, cmd->secret_resp.data,
			 cmd->secret_resp.len);
	(void)conn_write(c->conn, "\r\n", 2);
	cmd->cont = NULL;
	c->blocker = NULL;
	imapc_pump(c);
}

static int
plain_response(struct imapc *c, struct buf *out)
{
	struct buf raw;
	int rc;

	buf_init(&raw, 4096);
	rc = buf_append(&raw, "", 1) | buf_append_str(&raw, c->login) |
		buf_append(&raw, "", 1) | buf_append_str(&raw, c->password);
	if (rc == 0)
		rc = b64_encode(raw.data, raw.len, out);
	explicit_bzero(raw.data, raw.len);
	buf_free(&raw);
	return rc;
}

static void
auth_plain(struct imapc *c)
{
	struct imapc_cmd *cmd = setup_cmd(c, "AUTHENTICATE PLAIN", login_done);

	cmd->secret = true;
	buf_init(&cmd->secret_resp, 8192);
	if (plain_response(c, &cmd->secret_resp) < 0)
		cmd->overflow = true;
	if ((c->caps & IMAPC_CAP_SASL_IR) != 0)
		(void)buf_printf(&cmd->out, " %s",
				 buf_cstr(&cmd->secret_resp));
	else
		cmd->cont = auth_plain_cont;
	imapc_cmd_submit(cmd);
}

static void
login(struct imapc *c)
{
	struct imapc_cmd *cmd;

	if (c->login == NULL || c->password == NULL) {
		imapc_fail(c, "no login or password to authenticate with");
		return;
	}
	if ((c->caps & IMAPC_CAP_AUTH_PLAIN) != 0) {
		auth_plain(c);
		return;
	}
	if ((c->caps & IMAPC_CAP_LOGINDISABLED) != 0) {
		imapc_fail(c, "server disables LOGIN and offers no AUTH=PLAIN");
		return;
	}
	cmd = setup_cmd(c, "LOGIN", login_done);
	cmd->secret = true;
	(void)buf_append_c(&cmd->out, ' ');
	imapc_cmd_astring(cmd, c->login);
	(void)buf_append_c(&cmd->out, ' ');
	imapc_cmd_astring(cmd, c->password);
	imapc_cmd_submit(cmd);
}

/* ---- ENABLE ---- */

static void
enable_done(struct imapc_cmd *cmd, enum imapc_result r,
	    const struct imap_resp *tagged, const char *error)
{
	step(cmd->client);
}

/* true when an ENABLE was sent */
static bool
enable(struct imapc *c)
{
	const char *what = NULL;

	if ((c->caps & IMAPC_CAP_ENABLE) == 0)
		return false;
	if ((c->caps & IMAPC_CAP_QRESYNC) != 0)
		what = "ENABLE QRESYNC";
	else if ((c->caps & IMAPC_CAP_CONDSTORE) != 0)
		what = "ENABLE CONDSTORE";
	if (what == NULL)
		return false;
	imapc_cmd_submit(setup_cmd(c, what, enable_done));
	return true;
}

static void
step(struct imapc *c)
{
	if (c->state != IMAPC_ST_SETUP)
		return;
	if (starttls_needed(c) && !c->have_caps) {
		capability(c);
	} else if (starttls_needed(c)) {
		starttls(c);
	} else if (!c->have_caps) {
		capability(c);
	} else if (!c->authed && !c->preauth) {
		login(c);
	} else if (!c->enable_sent) {
		c->enable_sent = true;
		if (!enable(c))
			step(c);
	} else {
		imapc_wipe_password(c);
		imapc_connect_done(c, IMAPC_OK, NULL);
	}
}

/* ---- connecting ---- */

static int
make_tls(struct imapc *c)
{
	struct tls_client_settings ts = {
		.ca_file = c->ca_file, .pin_sha256 = c->pin,
	};
	const char *error;

	if (c->set.tls == IMAPC_TLS_NONE)
		return 0;
	if (tls_client_new(&ts, &c->tls, &error) == 0)
		return 0;
	buf_reset(&c->error);
	(void)buf_printf(&c->error, "TLS setup: %s", error);
	c->state = IMAPC_ST_DEAD;
	return -1;
}

void
imapc_connect(struct imapc *c, imapc_cb *cb, void *ctx)
{
	struct connect_settings cs = { 0 };
	struct imapc_cmd *cmd = imapc_cmd_new(c, IMAPC_CMD_PLAIN, "connect");

	cmd->cb = cb;
	cmd->ctx = ctx;
	if (c->state != IMAPC_ST_NEW || make_tls(c) < 0) {
		imapc_cmd_defer(cmd, IMAPC_FAILED, c->state == IMAPC_ST_DEAD ?
				buf_cstr(&c->error) : "already connecting");
		return;
	}
	c->connect_cmd = cmd;
	cs.host = c->host;
	cs.port = c->set.port;
	cs.timeout_ms = c->set.timeout_ms;
	cs.tls = c->set.tls == IMAPC_TLS_IMPLICIT ? c->tls : NULL;
	c->state = IMAPC_ST_CONNECTING;
	c->conn = connect_start(c->loop, &cs, imapc_conn_event, c);
	conn_read_line(c->conn, c->set.max_line);
	imapc_update_timeouts(c);
}

void
imapc_connect_done(struct imapc *c, enum imapc_result r, const char *error)
{
	struct imapc_cmd *cmd = c->connect_cmd;

	c->connect_cmd = NULL;
	if (r == IMAPC_OK) {
		c->state = IMAPC_ST_READY;
		imapc_pump(c);
	}
	if (cmd != NULL)
		imapc_cmd_finish(cmd, r, NULL, error);
}
