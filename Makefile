# SSCard — build, run, test, bench.
#
#   make run    the main job on the embedded virtual card
#   make test   build everything and run every test
#   make bench  speed and allocation benchmarks (Benchmarks/, ordo-one/benchmark)

SWIFT ?= swift
SSCARD = .build/debug/sscard

.PHONY: all build run test bench bench-pcsc deps clean

all: build

# Debian packages the build and tests need; installed when missing (as root).
deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

# The main job: the conformance suite on the embedded virtual card (each
# script names its profile with a '# @card' line), then a social read.
run: build
	@$(SSCARD) run apdu-scripts/
	@echo
	@$(SSCARD) social read --card default

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench:
	$(SWIFT) build -c release --product sscard
	cd Benchmarks && $(SWIFT) package benchmark

# APDU/s through pcscd + vpcd: the virtual card against a C echo card.
bench-pcsc: deps
	Benchmarks/pcsc/run.sh

clean:
	rm -rf .build Benchmarks/.build
