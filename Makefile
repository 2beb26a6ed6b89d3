# SSCard — build, run, test, bench.
#
#   make run    the main job on the embedded virtual card
#   make test   build everything and run every test
#   make bench  speed and allocation benchmarks (Benchmarks/, ordo-one/benchmark)
#   make fuzz   libFuzzer over the fuzz targets (Fuzz/, FUZZ_SECONDS each)

SWIFT ?= swift
SSCARD = .build/debug/sscard
# python-emv (emvtool) for the interoperability test, in a virtual environment
# that uses Debian's pyscard (emv pins pyscard 2.0.0, which would need swig).
VENV = .build-venv/emv
EMVTOOL = $(VENV)/bin/emvtool
# Selenium for the web kiosk's browser test (it drives Debian's chromium).
BROWSER_VENV = .build-venv/browser
SELENIUM = $(BROWSER_VENV)/bin/python

# The release build links the Swift runtime statically: no Swift shared
# libraries to load and relocate at every start (sscard links
# FoundationEssentials only, never Foundation with its ICU data). GNU ld
# with --no-warnings: the toolchain's static FoundationEssentials calls
# mktemp, and glibc's link-time note about it is the only warning this link
# gives (gold, the default, cannot be told to keep it quiet).
QUIET_LINK = -Xswiftc -use-ld=bfd -Xlinker --no-warnings
# The release binaries pack their relative relocations (DT_RELR, glibc
# 2.36+): the statically linked runtime and metadata need about 100,000 of
# them, and applying them from a packed table halves the CPU time of a
# trivial call (sscard --version) while the binary stays position-independent.
PACKED_RELOCS = -Xlinker -z -Xlinker pack-relative-relocs
RELEASE_FLAGS = -c release --static-swift-stdlib $(QUIET_LINK) $(PACKED_RELOCS)

.PHONY: all build release driver run test bench bench-pcsc fuzz deps venv clean

all: build

# Debian packages the build and tests need; installed when missing (as root).
deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

# .build/release/sscard, for installing and for the benchmarks.
release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product sscard
	$(SWIFT) build $(RELEASE_FLAGS) --product sscard-backoffice

# libSSCardDriver.so for HIS machines, with the Swift runtime linked in: at
# run time it needs only libcrypto3, libpcsclite1 and libstdc++ (README).
# Linked quietly as the release build is (QUIET_LINK).
DRIVER = .build-driver/release/libSSCardDriver.so
driver: deps
	$(SWIFT) build -c release --product SSCardDriver --scratch-path .build-driver -Xswiftc -static-stdlib $(QUIET_LINK)

# The main job: the conformance suite on the embedded virtual card (each
# script names its profile with a '# @card' line; the HTML report in
# .build/run/conformance.html), a social read, a bank
# read, then a pharmacy sale on the default card against a back office in
# .build/run/ (made afresh each time). The default card's PINs: social 123456 (changed to 135790 at
# the counter, as its profile demands), bank the ID number's digits 12–17.
RUN_DB = .build/run/backoffice.sqlite
run: build
	@mkdir -p .build/run
	@$(SSCARD) run apdu-scripts/ --html .build/run/conformance.html
	@echo "the HTML report: .build/run/conformance.html"
	@echo
	@$(SSCARD) social read --card default
	@echo
	@$(SSCARD) bank read --card default
	@echo
	@rm -f $(RUN_DB) $(RUN_DB)-wal $(RUN_DB)-shm .build/run/pos-journal.jsonl
	@$(SSCARD) backoffice init --db $(RUN_DB) > /dev/null
	@SSCARD_PIN=123456 SSCARD_NEW_PIN=135790 \
	  SSCARD_BANK_PIN=$$($(SSCARD) social read --card default --json | sed -E 's/.*"citizenID":"[0-9]{11}([0-9]{6}).*/\1/') \
	  $(SSCARD) pos pharmacy --items examples/pharmacy.csv --card default --db $(RUN_DB) --journal .build/run/pos-journal.jsonl

venv: $(EMVTOOL) $(SELENIUM)

$(SELENIUM): | deps
	/usr/bin/python3 -m venv $(BROWSER_VENV)
	$(BROWSER_VENV)/bin/pip install -q selenium==4.27.1

$(EMVTOOL): | deps
	/usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q --no-deps emv==1.0.14 pycountry==20.7.3 enum-compat==0.0.3 click==7.1.2 terminaltables==3.1.0

# Every program the tests run has its output kept in .build/test-outputs and
# its files in .build/test-files; once the suite has passed, the secret scan
# (SecurityTests) greps them all for the profiles' PINs and keys.
test: deps venv driver
	$(SWIFT) build --build-tests
	$(SWIFT) build --product SSCardDriver
	rm -rf .build/test-outputs .build/test-files
	$(SWIFT) test
	SSCARD_SCAN_TEST_OUTPUTS=1 $(SWIFT) test --skip-build --filter SecurityTests.noOutputOfTheSuiteHoldsAPINOrKey

bench: release
	cd Benchmarks && $(SWIFT) package benchmark

# APDU/s through pcscd + vpcd: the virtual card against a C echo card.
bench-pcsc: deps
	Benchmarks/pcsc/run.sh

# libFuzzer over every fuzz target (Sources/CardFuzzing), FUZZ_SECONDS each
# (default 600), FUZZ_JOBS at once; findings in .build-fuzz/crashes/. The
# committed corpora (Fuzz/corpus/) are replayed by make test.
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
fuzz: deps
	scripts/fuzz.sh --jobs $(FUZZ_JOBS) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf .build Benchmarks/.build Fuzz/.build .build-venv .build-driver .build-fuzz
