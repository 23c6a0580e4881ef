/* conflux store check|list|folders|import: looking after the store. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "lib/xalloc.h"

static const char store_usage[] =
	"usage: conflux store check [--repair] [USER]\n"
	"       conflux store folders USER\n"
	"       conflux store list USER [FOLDER]\n"
	"       conflux store import USER [--folder FOLDER] FILE...\n"
	"       conflux store expunge USER FOLDER UID...\n"
	"       conflux store flags USER FOLDER UID +FLAG|-FLAG...\n"
	"\n"
	"check compares the Maildir files with the index and reports every\n"
	"difference (exit 1 if any); --repair fixes them: a file without\n"
	"an index row is indexed, a row without a file is dropped, an\n"
	"orphaned tmp/ file is removed, flags in file names follow the\n"
	"index. list prints uid, RFC822.SIZE, flags, Message-ID and path.\n"
	"import appends each FILE (one message each) in one atomic batch.\n"
	"expunge removes messages; flags adds (+) or removes (-) \\Seen,\n"
	"\\Answered, \\Flagged, \\Deleted, \\Draft or a keyword. Both are\n"
	"journaled like a client's change, so syncs carry them out.\n";

struct store_opts {
	const char *config, *folder;
	int repair;
	char **args;
	int nargs;
};

static void
print_line(const char *line, void *ctx)
{
	puts(line);
}

static int
store_check_cmd(struct cli_ctx *ctx, struct store_opts *o)
{
	struct store_check_report r;
	unsigned found;

	memset(&r, 0, sizeof(r));
	if (store_check(ctx->store, o->nargs > 1 ? o->args[1] : NULL,
			o->repair, 0, &r, print_line, NULL) != STORE_OK)
		cli_die(EXIT_TEMPFAIL, "%s", store_error(ctx->store));
	found = r.unindexed + r.missing + r.flags_fixed + r.stray_tmp +
		r.folders_missing;
	printf("%u folders, %u messages; %u unindexed files, %u missing "
	       "files, %u flag mismatches, %u stray tmp files, %u folder "
	       "mismatches%s\n", r.folders, r.messages, r.unindexed,
	       r.missing, r.flags_fixed, r.stray_tmp, r.folders_missing,
	       found == 0 ? "" : o->repair ? " (repaired)" :
	       " (run with --repair)");
	return found == 0 || o->repair ? EXIT_OK : EXIT_FAIL;
}

static void
flags_text(unsigned flags, char out[6])
{
	static const struct { unsigned flag; char c; } map[] = {
		{ STORE_F_DRAFT, 'D' }, { STORE_F_FLAGGED, 'F' },
		{ STORE_F_ANSWERED, 'R' }, { STORE_F_SEEN, 'S' },
		{ STORE_F_DELETED, 'T' },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (flags & map[i].flag)
			out[n++] = map[i].c;
	}
	if (n == 0)
		out[n++] = '-';
	out[n] = '\0';
}

static int
print_msg(const struct store_msg *m, void *ctx)
{
	char flags[6];

	flags_text(m->flags, flags);
	printf("%u\t%" PRIu64 "\t%s\t%s\t%s\n", m->uid, m->size, flags,
	       m->message_id != NULL ? m->message_id : "-", m->path);
	return 0;
}

static int
print_folder(const struct store_folder *f, void *ctx)
{
	printf("%s\t%u messages\tuidvalidity %u\tuidnext %u%s%s\n", f->name,
	       f->messages, f->uidvalidity, f->uidnext,
	       f->special_use != NULL ? "\t" : "",
	       f->special_use != NULL ? f->special_use : "");
	return 0;
}

static int
store_list_cmd(struct cli_ctx *ctx, struct store_opts *o)
{
	const char *name = o->nargs > 2 ? o->args[2] : "INBOX";
	struct store_folder f;
	int rc;

	if (o->nargs < 2)
		cli_die(EXIT_CONFIG, "list: missing USER");
	rc = store_folder_get(ctx->store, o->args[1], name, &f);
	if (rc == STORE_NOTFOUND)
		cli_die(EXIT_NOUSER, "no folder %s for user %s", name,
			o->args[1]);
	if (rc != STORE_OK ||
	    store_msg_list(ctx->store, f.id, 1, print_msg, NULL) != STORE_OK)
		cli_die(EXIT_TEMPFAIL, "%s", store_error(ctx->store));
	store_folder_clear(&f);
	return EXIT_OK;
}

static int
copy_file(struct store_draft *d, const char *path)
{
	char data[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = STORE_OK;
	ssize_t n;

	if (fd < 0)
		cli_die(EXIT_FAIL, "import: %s: %s", path, strerror(errno));
	while (rc == STORE_OK && (n = read(fd, data, sizeof(data))) > 0)
		rc = store_draft_write(d, data, (size_t)n);
	close(fd);
	return rc == STORE_OK ? store_draft_finish(d) : rc;
}

static int
store_import_cmd(struct cli_ctx *ctx, struct store_opts *o)
{
	const char *folder = o->folder != NULL ? o->folder : "INBOX";
	struct store_batch *b = NULL;
	struct store_draft *d;
	int rc, i;

	if (o->nargs < 3)
		cli_die(EXIT_CONFIG, "import: expected USER and FILE...");
	rc = store_batch_begin(ctx->store, o->args[1], folder, &b);
	for (i = 2; rc == STORE_OK && i < o->nargs; i++) {
		rc = store_draft_begin(b, 0, 0, NULL, &d);
		if (rc == STORE_OK)
			rc = copy_file(d, o->args[i]);
	}
	if (rc == STORE_OK)
		rc = store_batch_commit(&b, NULL);
	else
		store_batch_abort(&b);
	if (rc != STORE_OK)
		cli_die(rc == STORE_REJECT ? EXIT_DATAERR :
			rc == STORE_NOTFOUND ? EXIT_NOUSER : EXIT_TEMPFAIL,
			"import into %s/%s: %s (nothing imported)", o->args[1],
			folder, store_error(ctx->store));
	printf("imported %d messages into %s/%s\n", o->nargs - 2, o->args[1],
	       folder);
	return EXIT_OK;
}

static int64_t
folder_arg(struct cli_ctx *ctx, struct store_opts *o)
{
	struct store_folder f;
	int64_t id;

	if (o->nargs < 4)
		cli_die(EXIT_CONFIG, "%s: expected USER FOLDER UID...",
			o->args[0]);
	if (store_folder_get(ctx->store, o->args[1], o->args[2], &f) !=
	    STORE_OK)
		cli_die(EXIT_NOUSER, "no folder %s for user %s", o->args[2],
			o->args[1]);
	id = f.id;
	store_folder_clear(&f);
	return id;
}

static uint32_t
uid_arg(const char *s)
{
	uint64_t v;

	if (str_to_uint64_range(s, 1, UINT32_MAX, &v) < 0)
		cli_die(EXIT_CONFIG, "invalid UID '%s'", s);
	return (uint32_t)v;
}

static int
store_expunge_cmd(struct cli_ctx *ctx, struct store_opts *o)
{
	int64_t folder = folder_arg(ctx, o);
	size_t n = (size_t)o->nargs - 3;
	uint32_t *uids = xcalloc(n, sizeof(*uids));

	for (size_t i = 0; i < n; i++)
		uids[i] = uid_arg(o->args[3 + i]);
	if (store_msg_expunge(ctx->store, folder, uids, n) != STORE_OK)
		cli_die(EXIT_TEMPFAIL, "%s", store_error(ctx->store));
	free(uids);
	return EXIT_OK;
}

static unsigned int
system_flag(const char *name)
{
	static const struct { const char *name; unsigned int flag; } map[] = {
		{ "\\Seen", STORE_F_SEEN }, { "\\Answered", STORE_F_ANSWERED },
		{ "\\Flagged", STORE_F_FLAGGED }, { "\\Deleted", STORE_F_DELETED },
		{ "\\Draft", STORE_F_DRAFT },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcasecmp(map[i].name, name) == 0)
			return map[i].flag;
	}
	return 0;
}

static int
store_flags_cmd(struct cli_ctx *ctx, struct store_opts *o)
{
	int64_t folder = folder_arg(ctx, o);
	uint32_t uid = uid_arg(o->args[3]);
	unsigned int add = 0, del = 0;
	struct buf add_kw, del_kw;

	buf_init(&add_kw, 1 << 16);
	buf_init(&del_kw, 1 << 16);
	for (int i = 4; i < o->nargs; i++) {
		const char *a = o->args[i];
		unsigned int f = system_flag(a + 1);
		struct buf *kw = a[0] == '+' ? &add_kw : &del_kw;

		if (a[0] != '+' && a[0] != '-')
			cli_die(EXIT_CONFIG, "flags: '%s' needs + or -", a);
		if (a[1] == '\\' && f == 0)
			cli_die(EXIT_CONFIG, "flags: unknown flag '%s'", a + 1);
		if (f != 0)
			*(a[0] == '+' ? &add : &del) |= f;
		else
			buf_printf(kw, "%s%s", kw->len ? " " : "", a + 1);
	}
	if (store_msg_set_flags(ctx->store, folder, uid, add, del,
				buf_cstr(&add_kw), buf_cstr(&del_kw), NULL) !=
	    STORE_OK)
		cli_die(EXIT_TEMPFAIL, "%s", store_error(ctx->store));
	buf_free(&add_kw);
	buf_free(&del_kw);
	return EXIT_OK;
}

static void
parse_store_opts(int argc, char **argv, struct store_opts *o)
{
	static const struct option opts[] = {
		{ "repair", no_argument, NULL, 'r' },
		{ "folder", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "c:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'r': o->repair = 1; break;
		case 'f': o->folder = optarg; break;
		case 'h': fputs(store_usage, stdout); exit(EXIT_OK);
		default: fputs(store_usage, stderr); exit(EXIT_CONFIG);
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->nargs < 1)
		cli_die(EXIT_CONFIG, "missing sub-command (check, folders, "
			"list, import)");
}

int
cmd_store(int argc, char **argv)
{
	struct store_opts o;
	struct cli_ctx ctx;
	const char *verb;
	int rc;

	parse_store_opts(argc, argv, &o);
	verb = o.args[0];
	if (strcmp(verb, "check") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "folders") != 0 && strcmp(verb, "import") != 0 &&
	    strcmp(verb, "expunge") != 0 && strcmp(verb, "flags") != 0)
		cli_die(EXIT_CONFIG, "unknown sub-command '%s'", verb);
	cli_open(&ctx, o.config, CLI_OPEN_STORE);
	if (strcmp(verb, "check") == 0)
		rc = store_check_cmd(&ctx, &o);
	else if (strcmp(verb, "list") == 0)
		rc = store_list_cmd(&ctx, &o);
	else if (strcmp(verb, "import") == 0)
		rc = store_import_cmd(&ctx, &o);
	else if (strcmp(verb, "expunge") == 0)
		rc = store_expunge_cmd(&ctx, &o);
	else if (strcmp(verb, "flags") == 0)
		rc = store_flags_cmd(&ctx, &o);
	else if (o.nargs < 2)
		cli_die(EXIT_CONFIG, "folders: missing USER");
	else
		rc = store_folder_list(ctx.store, o.args[1], print_folder,
				       NULL) == STORE_OK ? EXIT_OK :
			EXIT_TEMPFAIL;
	cli_close(&ctx);
	return rc;
}
