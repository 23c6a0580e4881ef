# The two commands that matter: `make run` and `make check` (see README.md).
BUILD      ?= build
BUILD_ASAN ?= build-asan
DATA       ?= var
CONFLUX     = $(BUILD)/src/cli/conflux

.PHONY: all deps build build-asan run check bench fuzz clean

all: build

deps:
	@sh scripts/setup-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) --buildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)

# Creates ./var on first use, then runs the daemon in the foreground.
run: build
	@if [ ! -e $(DATA)/conflux.conf ]; then $(CONFLUX) init --data $(DATA); fi
	exec $(CONFLUX) serve -c $(DATA)/conflux.conf

# Unit + integration tests, on the normal and the ASan+UBSan build.
check: build build-asan
	sh scripts/check.sh $(BUILD) $(BUILD_ASAN)

bench: build
	sh bench/run.sh $(BUILD)

# libFuzzer over every parser, FUZZ_SECONDS each (clang build in build-fuzz).
FUZZ_SECONDS ?= 60
fuzz: deps
	[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz \
		-Dfuzz=true -Dtests=false
	ninja -C build-fuzz
	for t in pop3-resp imap-resp imap-cmd pop3-cmd lmtp-cmd mime; do \
		[ -x build-fuzz/tests/fuzz/fuzz-$$t ] || continue; \
		dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		mkdir -p build-fuzz/corpus-$$t && \
		build-fuzz/tests/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
			$$dict build-fuzz/corpus-$$t \
			tests/fuzz/corpus/$$t || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz
