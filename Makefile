# SSCard — build, run, test, bench.
#
#   make run    the main job on the embedded virtual card
#   make test   build everything and run every test
#   make bench  speed and allocation benchmarks (Benchmarks/, ordo-one/benchmark)

SWIFT ?= swift
SSCARD = .build/debug/sscard

.PHONY: all build run test bench deps clean

all: build

# Debian packages the build and tests need; installed when missing (as root).
deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

# Until the virtual card lands, the main job explains sample APDUs.
run: build
	@echo "== sscard decode: sample command APDUs =="
	$(SSCARD) decode 00A404000F7378312E73682EC9E7BBE1B1A3D5CF00 00B2010C00 0020008008241234FFFFFFFFFF00
	@echo
	@echo "== sscard decode --response: the social-security FCI =="
	$(SSCARD) decode --response "6F1C 840F 7378312E73682EC9E7BBE1B1A3D5CF A509 88011E 9F0C03 860103 9000"
	@echo
	@echo "== sscard decode --tlv --json: a PBOC directory record =="
	$(SSCARD) decode --tlv --json 701B61194F08A000000333010101500A50424F43204445424954870101

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench:
	cd Benchmarks && $(SWIFT) package benchmark

clean:
	rm -rf .build Benchmarks/.build
