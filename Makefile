# evbridge - the front door: make, make run, make test, make asan, make fuzz, make bench.

CC       ?= cc
PKGS     := libmicrohttpd jansson libcurl openssl sqlite3 libpcre2-8
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
            -Wformat=2 -Wno-format-nonliteral -Werror
OPT      ?= -O2 -g
SAN      ?=
CFLAGS   := $(OPT) $(SAN) -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -MMD -MP \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS  += $(SAN)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

BUILD    ?= build
SRCS     := $(sort $(filter-out src/main.c,$(wildcard src/*/*.c)))
OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libevbridge.a
BIN      := $(BUILD)/evbridge
UNIT_SRCS := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_COMMON := $(wildcard tests/unit/common/*.c)

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
CFLAGS   += -DEV_VERSION='"$(VERSION)"'

.PHONY: all run test unit e2e asan fuzz fuzz-lib bench clean deps node_modules gen

all: $(BIN)

deps:
	@./scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(LIB)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(UNIT_COMMON)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(UNIT_COMMON) $(LIB) $(LDLIBS) -lcmocka

run: deps $(BIN)
	@echo "evbridge: listening on http://127.0.0.1:4010 (http:// endpoints allowed; data in ./evbridge-data)"
	$(BIN) serve --listen 127.0.0.1:4010 --data-dir ./evbridge-data --allow-http-endpoints

node_modules: package-lock.json
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch node_modules; fi

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

e2e: $(BIN) node_modules
	EVBRIDGE_BIN=$(abspath $(BIN)) node --test --test-concurrency=1 tests/e2e/

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all unit e2e

FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 30

# The library is brought up to date first (its own make run knows the
# dependencies); each target is relinked after it.
fuzz-lib:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT="-O1 -g" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libevbridge.a

build-fuzz/fuzz_%: fuzz/fuzz_%.c fuzz-lib
	clang -O1 -g -std=c11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
	  $(shell pkg-config --cflags $(PKGS)) -o $@ $< build-fuzz/libevbridge.a $(LDLIBS)

fuzz: deps $(FUZZ_BINS)
	@set -e; for f in $(filter $(FUZZ_BINS),$(addprefix build-fuzz/,$(or $(FUZZ_TARGETS),$(notdir $(FUZZ_BINS))))); do n=$$(basename $$f); mkdir -p build-fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/$$n.dict build-fuzz/corpus/$$n fuzz/corpus/$$n \
	    2>&1 | tail -3; done

bench: deps $(BIN)
	@set -e; for b in bench/*.sh; do [ -f "$$b" ] && bash $$b; done; true

# Regenerates the validation tables from the botocore models installed here.
gen:
	python3 scripts/gen-model.py -o src/api/model_gen.c

clean:
	rm -rf build build-asan build-fuzz

-include $(OBJS:.o=.d) $(BUILD)/src/main.d
