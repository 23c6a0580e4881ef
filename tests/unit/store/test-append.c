#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

static const char msg1[] =
	"From: Alice <alice@example.org>\r\n"
	"Subject: one\r\n"
	"Message-ID: <m1@example.org>\r\n"
	"\r\n"
	"body\r\n";

static void
test_store_append_get_open(void **state)
{
	struct fx *fx = *state;
	struct store_msg m;
	char buf[256];
	uint32_t uid = 0;
	int64_t id;
	int fd;
	ssize_t n;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_append(fx->st, "u", "INBOX", msg1,
				      strlen(msg1), 1700000000, STORE_F_SEEN,
				      &uid), STORE_OK);
	assert_int_equal(uid, 1);
	id = fx_folder_id(fx, "u", "INBOX");
	assert_int_equal(store_msg_get(fx->st, id, 1, &m), STORE_OK);
	assert_int_equal(m.psize, strlen(msg1));
	assert_int_equal(m.size, strlen(msg1));
	assert_int_equal(m.flags, STORE_F_SEEN);
	assert_int_equal(m.internal_date, 1700000000);
	assert_string_equal(m.keywords, "");
	assert_string_equal(m.message_id, "m1@example.org");
	assert_int_equal(strlen(m.fingerprint), 64);
	assert_non_null(strstr(m.path, "/u/cur/"));
	assert_int_equal(access(m.path, R_OK), 0);
	store_msg_clear(&m);
	fd = store_msg_open(fx->st, id, 1);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, strlen(msg1));
	assert_memory_equal(buf, msg1, strlen(msg1));
	assert_int_equal(store_msg_get(fx->st, id, 2, &m), STORE_NOTFOUND);
	assert_int_equal(fx_count(fx, "u/tmp"), 0);
}

static void
test_store_append_file_name(void **state)
{
	struct fx *fx = *state;
	const char *name;
	char pattern[256];
	regex_t re;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_append(fx->st, "u", "Sent", "a\nb\r\nc\n", 7, 0,
				      STORE_F_SEEN | STORE_F_DRAFT |
				      STORE_F_FLAGGED, NULL), STORE_OK);
	name = fx_only(fx, "u/.Sent/cur");
	assert_non_null(name);
	snprintf(pattern, sizeof(pattern),
		 "^[0-9]+\\.M[0-9]+P%ldQ[0-9]+\\.[^,:/]+,S=7,W=9:2,DFS$",
		 (long)getpid());
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, name, 0, NULL, 0), 0);
	regfree(&re);
}

/* RFC822.SIZE counts every line end as CRLF, whatever the chunking. */
static void
test_store_draft_size_bare_lf(void **state)
{
	struct fx *fx = *state;
	const char *data = "Subject: x\n\nline\r\nbare\n\r\n\n";
	struct store_batch *b;
	struct store_draft *d;
	struct store_msg m;
	uint32_t uids[1];

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_batch_begin(fx->st, "u", "INBOX", &b), STORE_OK);
	assert_int_equal(store_draft_begin(b, 0, 0, "$Junk  work", &d),
			 STORE_OK);
	/* Split between CR and LF: the CR must be remembered. */
	for (size_t i = 0; data[i] != '\0'; i++)
		assert_int_equal(store_draft_write(d, data + i, 1), STORE_OK);
	assert_int_equal(store_draft_finish(d), STORE_OK);
	assert_int_equal(store_batch_commit(&b, uids), STORE_OK);
	assert_null(b);
	assert_int_equal(store_msg_get(fx->st, fx_folder_id(fx, "u", "INBOX"),
				       uids[0], &m), STORE_OK);
	assert_int_equal(m.psize, strlen(data));
	assert_int_equal(m.size, strlen(data) + 4);
	assert_string_equal(m.keywords, "$Junk work");
	assert_null(m.message_id);
	store_msg_clear(&m);
}

static void
test_store_batch_many(void **state)
{
	struct fx *fx = *state;
	struct store_batch *b;
	struct store_draft *d;
	uint32_t uids[300];
	char text[128];
	struct store_folder f;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_batch_begin(fx->st, "u", "Archive", &b),
			 STORE_OK);
	for (int i = 0; i < 300; i++) {
		int n = snprintf(text, sizeof(text),
				 "Subject: %d\r\n\r\nbody %d\r\n", i, i);

		assert_int_equal(store_draft_begin(b, 0, 0, NULL, &d),
				 STORE_OK);
		assert_int_equal(store_draft_write(d, text, (size_t)n),
				 STORE_OK);
		assert_int_equal(store_draft_finish(d), STORE_OK);
	}
	assert_int_equal(store_batch_count(b), 300);
	assert_int_equal(store_batch_commit(&b, uids), STORE_OK);
	for (int i = 0; i < 300; i++)
		assert_int_equal(uids[i], i + 1);
	assert_int_equal(fx_count(fx, "u/.Archive/cur"), 300);
	assert_int_equal(fx_count(fx, "u/.Archive/tmp"), 0);
	assert_int_equal(store_folder_get(fx->st, "u", "Archive", &f),
			 STORE_OK);
	assert_int_equal(f.messages, 300);
	assert_int_equal(f.uidnext, 301);
	assert_int_equal(f.highestmodseq, 300);
	store_folder_clear(&f);
}

static void
test_store_batch_abort(void **state)
{
	struct fx *fx = *state;
	struct store_batch *b;
	struct store_draft *d;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_batch_begin(fx->st, "u", "INBOX", &b), STORE_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_draft_begin(b, 0, 0, NULL, &d),
				 STORE_OK);
		assert_int_equal(store_draft_write(d, msg1, strlen(msg1)),
				 STORE_OK);
	}
	assert_int_equal(fx_count(fx, "u/tmp"), 3);
	store_batch_abort(&b);
	assert_null(b);
	store_batch_abort(&b);
	assert_int_equal(fx_count(fx, "u/tmp"), 0);
	assert_int_equal(fx_count(fx, "u/cur"), 0);
}

static void
test_store_append_empty_rejected(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_append(fx->st, "u", "INBOX", "", 0, 0, 0, NULL),
			 STORE_REJECT);
	assert_string_equal(store_error(fx->st), "empty message");
	assert_int_equal(fx_count(fx, "u/tmp"), 0);
	assert_int_equal(fx_count(fx, "u/cur"), 0);
}

static void
test_store_draft_max_size(void **state)
{
	struct fx *fx = *state;
	struct store_batch *b;
	struct store_draft *d;
	char chunk[10];
	int rc = STORE_OK, i;

	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_batch_begin(fx->st, "u", "INBOX", &b), STORE_OK);
	assert_int_equal(store_draft_begin(b, 0, 0, NULL, &d), STORE_OK);
	for (i = 0; i < 20 && rc == STORE_OK; i++)
		rc = store_draft_write(d, chunk, sizeof(chunk));
	assert_int_equal(rc, STORE_REJECT);
	assert_int_equal(i, 11);	/* 100 bytes fit, 110 do not */
	/* Nothing partial is left, even before the caller aborts. */
	assert_int_equal(fx_count(fx, "u/tmp"), 0);
	assert_int_equal(store_draft_finish(d), STORE_REJECT);
	store_batch_abort(&b);
	assert_int_equal(fx_count(fx, "u/tmp"), 0);
	assert_int_equal(fx_count(fx, "u/cur"), 0);
}

static void
test_store_append_no_folder(void **state)
{
	struct fx *fx = *state;
	struct store_batch *b = NULL;

	assert_int_equal(store_batch_begin(fx->st, "nobody", "INBOX", &b),
			 STORE_NOTFOUND);
	assert_null(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_append_get_open,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_append_file_name,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_draft_size_bare_lf,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_batch_many,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_batch_abort,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_append_empty_rejected,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_draft_max_size,
						fx_setup_limited, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_append_no_folder,
						fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
