# The two commands that matter: `make demo` and `make test`. Both set up the machine first
# (scripts/bootstrap installs missing Debian packages), then build with CMake + Ninja.
BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
JOBS         ?= 2
FUZZ_SECONDS ?= 30
PREFIX       ?= /usr/local
CMAKE_COMMON  = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=$(shell command -v ccache)

.PHONY: all bootstrap build demo test unit asan fuzz bench peer-bench key install package format clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	cmake -S . -B $(BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	scripts/demo $(BUILD)

# Every test: the optimized build, the same suite under ASan+UBSan, and bounded fuzzing runs.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory asan fuzz

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

asan: bootstrap
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DANONKIT_SANITIZE=ON \
	  -DANONKIT_BENCH=OFF -DANONKIT_WORKER=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

fuzz: bootstrap
	cmake -S . -B $(FUZZ_BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DANONKIT_FUZZ=ON \
	  -DANONKIT_BENCH=OFF -DANONKIT_WORKER=OFF -DANONKIT_TESTS=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target scanner_fuzz scan_view_fuzz mask_fuzz parsers_fuzz policy_fuzz sql_calls_fuzz
	scripts/run_fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	scripts/bench $(BUILD)

# A new key file (KEY=path, default ./anonkit.key), never overwriting one.
key:
	scripts/anonkit-keygen $(or $(KEY),anonkit.key)

peer-bench: build
	scripts/peer-bench $(BUILD)

# Installs the SQLite extension (lib/sqlite3/anonkit.so), anonkit-worker and anonkit-keygen (bin),
# the systemd units (lib/systemd/system), docs (share/doc/anonkit) under PREFIX, staged under DESTDIR;
# the PostgreSQL extension, when built, into pg_config's directories.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# The Debian package (prefix /usr): $(BUILD)/anonkit_<version>_<arch>.deb.
package: build
	cd $(BUILD) && cpack -G DEB
	@ls $(BUILD)/anonkit_*.deb

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
