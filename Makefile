# cirque - a process supervisor.   make | make run | make test [SANITIZE=1] | make bench | make clean
CC      ?= cc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR  ?= $(PREFIX)/share/doc/cirque
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP
LDLIBS  += -lpthread -lev $(shell pkg-config --libs yaml-0.1 libzmq jansson 2>/dev/null || echo -lyaml -lzmq -ljansson) -lm

ifeq ($(SANITIZE),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
           -DCIRQUE_CHECK_COUNTS  # the counts watcher.c keeps are checked at every update
LDFLAGS += -fsanitize=address,undefined
endif

# Debian packages: to build, and (in addition) to run the tests and benchmarks.
BUILD_PKGS := gcc make pkg-config libev-dev libyaml-dev libzmq3-dev libjansson-dev libedit-dev \
              libmicrohttpd-dev libncurses-dev libinih-dev
TEST_PKGS  := procps python3-zmq valgrind tmux prometheus curl openssl chromium nodejs npm supervisor
BENCH_PKGS := supervisor strace curl
FUZZ_PKGS  := clang libclang-rt-14-dev

DAEMON_OBJS := src/main.o src/cgroup.o src/cgroup_limits.o src/launch.o src/fdlimit.o src/accept_guard.o src/connlimit.o src/arbiter.o src/watcher.o src/reaper.o src/spawn.o src/state.o src/yaml_node.o src/config_file.o src/config_daemon.o src/watcher_options.o src/config_hooks.o src/config_sockets.o src/sockets.o src/deps.o src/hook.o \
               src/parse.o src/log.o src/control.o src/commands.o src/cmd_lifecycle.o src/cmd_info.o src/cmd_config.o src/cmd_logs.o src/metrics.o src/events.o src/listener.o src/endpoint.o src/survivors.o \
               src/proc_info.o src/protocol.o src/reexec.o src/reexec_fds.o src/zbind.o src/zwatch.o src/curve.o src/zap.o src/stream.o src/sink.o src/notify.o src/ready.o src/safefs.o src/text.o src/xmalloc.o
LIB_OBJS    := src/deps.o src/cgroup_limits.o src/yaml_node.o src/config_file.o src/config_daemon.o src/watcher_options.o src/config_hooks.o src/config_sockets.o src/parse.o src/log.o src/state.o src/endpoint.o src/safefs.o src/text.o src/prom.o src/xmalloc.o
UNIT_TESTS  := tests/unit/test_parse tests/unit/test_reaper tests/unit/test_cgroup_limits tests/unit/test_config tests/unit/test_state tests/unit/test_safefs tests/unit/test_text tests/unit/test_prom tests/unit/test_deps \
               tests/unit/test_watcher tests/unit/test_stream_state

# Fuzz targets (tests/fuzz): replayed on their corpus by `make test` (built like everything
# else), fuzzed with libFuzzer by `make fuzz` (clang). The control target runs the whole daemon
# but spawn.c, replaced by a stub: no real process is ever started.
FUZZ_NAMES   := parse config control
FUZZ_REPLAYS := $(FUZZ_NAMES:%=tests/fuzz/replay_%)
FUZZ_BINS    := $(FUZZ_NAMES:%=tests/fuzz/fuzz_%)
FUZZ_TIME    ?= 60
FUZZ_CFLAGS  := -g -O1 -std=c11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all
CONTROL_FUZZ_OBJS := $(filter-out src/main.o src/spawn.o,$(DAEMON_OBJS)) tests/fuzz/spawn_stub.o

CTL_OBJS    := src/cirquectl.o src/ctl_shell.o src/ctl_verbs.o src/prom.o src/ctl_follow.o src/ctl_config.o src/ctl_top.o src/import.o src/import_supervisord.o src/import_circus.o src/protocol.o src/endpoint.o src/curve.o src/log.o src/text.o src/parse.o src/safefs.o src/xmalloc.o

# cirque-web: the dashboard and /metrics over HTTP (libmicrohttpd), a client of cirqued.
WEB_OBJS    := src/web.o src/web_config.o src/web_cirqued.o src/web_page.o src/web_assets.o src/prom.o \
               src/endpoint.o src/safefs.o src/log.o src/text.o src/xmalloc.o
WEB_ASSETS  := src/web/app.js src/web/style.css

all: src/cirqued src/cirquectl src/cirque-web

src/cirqued: $(DAEMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# cirquectl alone: libedit (the shell), ncursesw (top), libinih (import).
CTL_LDLIBS  := -ledit $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw) \
               $(shell pkg-config --libs inih 2>/dev/null || echo -linih)

src/cirquectl: $(CTL_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CTL_LDLIBS)

src/cirque-web: $(WEB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lmicrohttpd

src/web_assets.c: $(WEB_ASSETS) src/web/embed.sh
	{ src/web/embed.sh web_app_js src/web/app.js && src/web/embed.sh web_style_css src/web/style.css; } > $@.tmp
	mv $@.tmp $@

# Objects are rebuilt when the flags change (e.g. SANITIZE=1 after a normal build).
src/.flags: FORCE
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@
src/%.o tests/unit/%.o tests/fuzz/%.o: src/.flags
src/%.o: src/%.c src/.flags
	$(CC) $(CFLAGS) -c -o $@ $<

tests/unit/%: tests/unit/%.c tests/unit/check.h $(LIB_OBJS) src/.flags
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The watcher and arbiter, on a real loop without real processes (the control fuzzer's stub).
# The reaper's tests run real children: the module alone, with the descriptor reserve it uses.
REAPER_TEST_OBJS := src/reaper.o src/fdlimit.o src/accept_guard.o src/proc_info.o src/text.o src/xmalloc.o
tests/unit/test_reaper: tests/unit/test_reaper.c tests/unit/check.h $(REAPER_TEST_OBJS) src/.flags
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(REAPER_TEST_OBJS) $(LDLIBS)

tests/unit/test_watcher tests/unit/test_stream_state: tests/unit/%: tests/unit/%.c tests/unit/check.h $(CONTROL_FUZZ_OBJS) src/.flags
	$(CC) $(CFLAGS) -Isrc -Itests/fuzz $(LDFLAGS) -o $@ $< $(CONTROL_FUZZ_OBJS) $(LDLIBS)

tests/fuzz/%.o: tests/fuzz/%.c src/.flags
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<
tests/fuzz/replay_parse tests/fuzz/replay_config: tests/fuzz/replay_%: tests/fuzz/run_inputs.o \
		tests/fuzz/fuzz_%.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
tests/fuzz/replay_control: tests/fuzz/run_inputs.o tests/fuzz/fuzz_control.o $(CONTROL_FUZZ_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/fuzz/fuzz_parse tests/fuzz/fuzz_config: tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard src/*.[ch])
	clang $(FUZZ_CFLAGS) -o $@ $< $(patsubst %.o,%.c,$(LIB_OBJS)) $(LDLIBS)
tests/fuzz/fuzz_control: tests/fuzz/fuzz_control.c tests/fuzz/spawn_stub.c $(wildcard src/*.[ch])
	clang $(FUZZ_CFLAGS) -o $@ $< $(patsubst %.o,%.c,$(CONTROL_FUZZ_OBJS)) $(LDLIBS)

# Installs missing Debian packages when root (apt-get), otherwise prints the command to run. A
# package counts as present when one installed provides it (npm: NodeSource's nodejs has it).
define ensure_packages
	@provided=$$(dpkg-query -W -f='$${db:Status-Abbrev}|$${Provides}\n' 2>/dev/null | \
	  sed -n 's/^ii *|//p' | tr ',' '\n' | sed 's/^ *//; s/[ :].*//'); \
	missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || \
	  printf '%s\n' "$$provided" | grep -qxF "$$p" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call ensure_packages,$(BUILD_PKGS))
test-deps:
	$(call ensure_packages,$(BUILD_PKGS) $(TEST_PKGS))
bench-deps:
	$(call ensure_packages,$(BUILD_PKGS) $(BENCH_PKGS))

run: deps
	$(MAKE) all
	@chmod go-w etc/cirque.yaml  # as root, cirqued refuses a file others could change
	exec src/cirqued -c etc/cirque.yaml

test: test-deps
	$(MAKE) all $(UNIT_TESTS) $(FUZZ_REPLAYS)
	tests/run.sh $(UNIT_TESTS)

# The long chaos soak (tests/soak/chaos.py): SOAK_TIME seconds, 200 processes over 20 watchers,
# 4 clients; `make test` runs a 20 s version (tests/e2e/test_chaos.sh).
SOAK_TIME ?= 600
soak: test-deps
	$(MAKE) all
	/usr/bin/python3 tests/soak/chaos.py --duration $(SOAK_TIME)

fuzz-deps:
	$(call ensure_packages,$(BUILD_PKGS) $(FUZZ_PKGS))

# Each target for FUZZ_TIME seconds (make fuzz FUZZ_TIME=600); fails on any crash, leak or UB.
fuzz: fuzz-deps
	$(MAKE) $(FUZZ_BINS)
	tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_NAMES)

# BENCH_SCALE=0 skips bench/scale.sh (10,000 processes; BENCH_SCALE_N sets how many).
BENCH_SCALE ?= 1
bench: bench-deps
	$(MAKE) all bench/spawn_floor
	bench/run.sh
	bench/streams.sh
	bench/replies.sh
	bench/web.sh
	bench/deps.sh
	bench/reexec.sh
	[ "$(BENCH_SCALE)" = 0 ] || bench/scale.sh

bench/spawn_floor: bench/spawn_floor.c
	$(CC) -O2 -Wall -o $@ $<

# DESTDIR for packaging; an existing configuration is never overwritten. The configuration
# installed runs nothing (conf.d/ is where programs go); the demo of `make run` goes to DOCDIR.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/cirque $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 src/cirqued src/cirquectl src/cirque-web $(DESTDIR)$(BINDIR)/
	install -m 0644 etc/man/cirquectl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 etc/man/cirque.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 etc/man/cirqued.8 etc/man/cirque-web.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 etc/bash-completion/cirquectl $(DESTDIR)$(COMPLETIONDIR)/cirquectl
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/cirqued.service.in \
	    > $(DESTDIR)$(UNITDIR)/cirqued.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/cirqued.service
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    systemd/cirque-web.service.in > $(DESTDIR)$(UNITDIR)/cirque-web.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/cirque-web.service
	install -d $(DESTDIR)$(SYSCONFDIR)/cirque/conf.d $(DESTDIR)$(DOCDIR)
	install -m 0644 etc/cirque.yaml $(DESTDIR)$(DOCDIR)/example.yaml
	[ -e $(DESTDIR)$(SYSCONFDIR)/cirque/cirque.yaml ] || { \
	    sed -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        etc/cirque.installed.yaml > $(DESTDIR)$(SYSCONFDIR)/cirque/cirque.yaml && \
	    chmod 0644 $(DESTDIR)$(SYSCONFDIR)/cirque/cirque.yaml; }
	[ -e $(DESTDIR)$(SYSCONFDIR)/cirque/web.yaml ] || { \
	    sed -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' etc/web.yaml > $(DESTDIR)$(SYSCONFDIR)/cirque/web.yaml && \
	    chmod 0644 $(DESTDIR)$(SYSCONFDIR)/cirque/web.yaml; }
	@# cirque-web's user and group (its unit runs as it): on this machine, not into a DESTDIR
	@# (a package creates them in its postinst).
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	    getent group cirque-web >/dev/null || groupadd --system cirque-web; \
	    getent passwd cirque-web >/dev/null || useradd --system --gid cirque-web \
	        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin cirque-web; \
	fi

# The configuration stays (it is the operator's).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cirqued $(DESTDIR)$(BINDIR)/cirquectl $(DESTDIR)$(BINDIR)/cirque-web \
	    $(DESTDIR)$(MANDIR)/man1/cirquectl.1 $(DESTDIR)$(MANDIR)/man5/cirque.yaml.5 \
	    $(DESTDIR)$(MANDIR)/man8/cirqued.8 $(DESTDIR)$(MANDIR)/man8/cirque-web.8 \
	    $(DESTDIR)$(COMPLETIONDIR)/cirquectl $(DESTDIR)$(UNITDIR)/cirqued.service \
	    $(DESTDIR)$(UNITDIR)/cirque-web.service $(DESTDIR)$(DOCDIR)/example.yaml
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -f src/*.o src/*.d src/.flags src/cirqued src/cirquectl src/cirque-web src/web_assets.c tests/unit/*.o tests/unit/*.d $(UNIT_TESTS) \
	      tests/fuzz/*.o tests/fuzz/*.d $(FUZZ_REPLAYS) $(FUZZ_BINS) bench/spawn_floor

.PHONY: all deps test-deps bench-deps fuzz-deps run test bench fuzz soak install uninstall clean FORCE
-include src/*.d tests/unit/*.d tests/fuzz/*.d
