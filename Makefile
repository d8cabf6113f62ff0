# hutch: build, demo and test entry points, wrapping cmake + ninja.
#
#   make run-demo   install deps, build, `hutch run` a busybox image made locally
#   make test       install deps, build (-Werror), run the unit, root and e2e
#                   tiers, then an ASan/UBSan build's unit and root tiers
#   make build      configure and build into build/ (build/hutchrt, build/hutch)
#   make bench      bench/runtime.sh and bench/concurrent.sh (hutchrt vs crun, runc),
#                   bench/run.sh (hutch run vs podman, crun), bench/net.sh (networks vs podman)
BUILD      ?= build
ASAN_BUILD ?= build-asan
CMAKE_ARGS ?=

.PHONY: all deps build build-asan run-demo test unit root e2e bench clean

all: build

deps:
	bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_COMPILE_WARNING_AS_ERROR=ON $(CMAKE_ARGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) --target all hutchrt hutch

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHUTCH_SANITIZE=ON -DCMAKE_COMPILE_WARNING_AS_ERROR=ON $(CMAKE_ARGS)

build-asan: $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD)

run-demo: deps build
	bash scripts/demo.sh $(BUILD)

test: deps
	BUILD=$(BUILD) ASAN_BUILD=$(ASAN_BUILD) bash scripts/test.sh

# Single tiers against an existing build.
unit root e2e: build
	cd $(BUILD) && ctest -L $@ --output-on-failure

bench: build
	bash bench/runtime.sh
	bash bench/concurrent.sh
	bash bench/run.sh
	bash bench/net.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
