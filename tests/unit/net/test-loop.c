/* tests for src/net/loop.c: timers, defer, signals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lib/log.h"
#include "nettest.h"

struct counts {
	struct loop *loop;
	struct timer *t;
	int fired;
	int stop_at;
	int order[4];
	int norder;
};

static void
count_cb(void *arg)
{
	struct counts *c = arg;

	if (++c->fired == c->stop_at)
		loop_break(c->loop);
}

static void
test_timer_one_shot(void **state)
{
	struct counts c = { .loop = loop_new(), .stop_at = 99 };

	c.t = timer_new(c.loop, count_cb, &c);
	timer_start(c.t, 10, false);
	assert_true(timer_pending(c.t));
	nt_run(c.loop, 100);
	assert_int_equal(c.fired, 1);
	assert_false(timer_pending(c.t));
	timer_free(&c.t);
	assert_null(c.t);
	timer_free(&c.t);
	loop_free(&c.loop);
	loop_free(&c.loop);
}

static void
test_timer_periodic_and_stop(void **state)
{
	struct counts c = { .loop = loop_new(), .stop_at = 3 };

	c.t = timer_new(c.loop, count_cb, &c);
	timer_start(c.t, 5, true);
	assert_false(nt_run(c.loop, 2000));
	assert_int_equal(c.fired, 3);
	timer_stop(c.t);
	nt_run(c.loop, 30);
	assert_int_equal(c.fired, 3);
	timer_free(&c.t);
	loop_free(&c.loop);
}

static void
order_a(void *arg)
{
	struct counts *c = arg;

	c->order[c->norder++] = 1;
}

static void
order_b(void *arg)
{
	struct counts *c = arg;

	c->order[c->norder++] = 2;
	loop_break(c->loop);
}

static void
test_loop_defer(void **state)
{
	struct counts c = { .loop = loop_new() };

	loop_defer(c.loop, order_a, &c);
	loop_defer(c.loop, order_b, &c);
	assert_int_equal(c.norder, 0);	/* never from inside the call */
	assert_false(nt_run(c.loop, 2000));
	assert_int_equal(c.norder, 2);
	assert_int_equal(c.order[0], 1);
	assert_int_equal(c.order[1], 2);
	loop_free(&c.loop);
}

static int last_signal;

static void
on_signal(int signo, void *ctx)
{
	last_signal = signo;
	loop_break(ctx);
}

static void
test_loop_signals(void **state)
{
	struct loop *l = loop_new();

	assert_int_equal(loop_on_signals(l, on_signal, l), 0);
	raise(SIGTERM);
	assert_false(nt_run(l, 2000));
	assert_int_equal(last_signal, SIGTERM);
	raise(SIGINT);
	assert_false(nt_run(l, 2000));
	assert_int_equal(last_signal, SIGINT);
	/* SIGPIPE is ignored: this process is still alive */
	raise(SIGPIPE);
	loop_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_one_shot),
		cmocka_unit_test(test_timer_periodic_and_stop),
		cmocka_unit_test(test_loop_defer),
		cmocka_unit_test(test_loop_signals),
	};

	log_open("test-loop", LOG_TARGET_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
