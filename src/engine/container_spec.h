// From an image's config and the user's RunOptions to an OCI runtime spec
// (config.json) and the monitor's settings, merged as docker does it:
// Entrypoint/Cmd (a --entrypoint drops the image's Cmd unless a command is
// given), Env (image first, flags override by key; PATH and HOSTNAME
// defaults), WorkingDir, User (names looked up in the image's /etc/passwd
// and /etc/group), Labels, StopSignal, Healthcheck, Volumes (anonymous
// volumes unless a mount covers them).
// Secure defaults as Docker: its default capability set, its default
// seccomp profile (seccomp_default.h), masked and read-only /proc paths,
// the default device set, no_new_privileges only when asked; --privileged
// gives every capability, all host devices, no seccomp, no masked paths.
// Pure: no syscalls except reading the files named (a custom seccomp
// profile). Thread-safety: plain values.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/run_options.h"

namespace hutch::engine {

// A host device node as stat(2) sees it, for --device and the blkio
// throttles (which name devices by major:minor).
struct DeviceInfo {
  std::string type;  // "c" or "b"
  int64_t major = 0, minor = 0;
  uint32_t file_mode = 0666;  // permission bits
  uint32_t uid = 0, gid = 0;
};

struct SpecInputs {
  const json_t* image_config = nullptr;  // the image config's "config" object (may be null)
  RunOptions opts;
  std::string id;        // the container's id (hostname defaults to its first 12 characters)
  std::string rootfs;    // config.json's root.path ("rootfs")
  // Reads a file of the image's root filesystem ("/etc/passwd"); ENOENT when
  // absent. Used for user and group names.
  std::function<Result<std::string>(const std::string&)> read_image_file;
  // Host paths for volumes, filled by the engine before the call: the
  // resolved source of each opts.mounts entry of type "volume" (same order),
  // and of each anonymous volume (anonymous_volume_targets(), same order).
  std::vector<std::string> volume_sources;
  std::vector<std::string> anonymous_sources;
  // Paths a namespace "container:<ref>" resolves to (/proc/<pid>/ns/<type>),
  // filled by the engine: key "pid", "ipc", "uts", "network".
  std::map<std::string, std::string> joined_namespaces;
  // --ipc shareable (its own) or container:<ref> (the other's): the host
  // tmpfs the monitor mounts at <rundir>/shm, bind-mounted at /dev/shm.
  std::string shared_shm;
  std::string hosts_file, resolv_file, hostname_file;  // host files bind-mounted (may be ""); read-only with --read-only, as docker
  // Stats a host device path ("/dev/sda"); the engine passes a stat(2)
  // wrapper (stat_host_device() in host_devices.h) so this builder stays
  // pure. Needed only for --device and the --device-*-bps/iops flags;
  // ENOENT / "not a device" errors pass through.
  std::function<Result<DeviceInfo>(const std::string&)> stat_device;
  // A --device naming a directory (stat_device fails with EISDIR): the
  // device nodes below it, as docker expands "--device /dev/snd"
  // (host_devices() in host_devices.h).
  std::function<std::vector<std::pair<std::string, DeviceInfo>>(const std::string&)> list_devices;
  // --privileged: the host's device nodes, each added at the same path
  // (host_devices() in host_devices.h lists them; empty = none added).
  std::vector<std::pair<std::string, DeviceInfo>> host_devices;
  // --init: the host path of the engine's init binary, bind-mounted
  // read-only at /.hutch-init; process.args become ["/.hutch-init", "--", ...].
  std::string init_binary;
  // The host's hostname, used for HOSTNAME (and the spec's hostname) when
  // the container shares the host's uts namespace or network ("" = none).
  std::string host_hostname;
  // RLIMIT_NOFILE {soft, hard} when no --ulimit nofile is given: docker's
  // (containerd's) 1048576, which the engine lowers to its own hard limit
  // when it may not raise it (default_nofile() in host_devices.h).
  std::pair<uint64_t, uint64_t> default_nofile{1048576, 1048576};
  // Host kernel {major, minor} for seccomp "minKernel" filters; {0, 0} =
  // unknown (filters count as met).
  std::pair<int, int> kernel{0, 0};
  // The capabilities the engine can grant: its own bounding set
  // (bounding_capabilities() in host_devices.h); empty = all. --privileged
  // and --cap-add ALL get those (as podman does: a host whose bounding set
  // lacks one, say CAP_SYS_RESOURCE, still runs privileged containers);
  // --cap-add of one outside it is refused.
  std::vector<std::string> host_caps;
};

// Every Linux capability docker knows ("CAP_CHOWN", ...), by number.
const std::vector<std::string>& all_capabilities();

struct ContainerSpec {
  json::Ptr spec;  // the OCI runtime spec
  // Resolved for the engine's own bookkeeping (inspect's Config): the final
  // argv, env, workdir, user, stop signal, healthcheck.
  std::vector<std::string> args, env;
  std::string workdir, user, stop_signal;
  std::vector<std::string> anonymous_volumes;  // container paths of image Volumes not covered by a mount
  std::optional<std::vector<std::string>> health_test;  // nullopt: no healthcheck
  // With a health_test: the flags', else the image's, else docker's
  // defaults (30s, 30s, 0, 3).
  int64_t health_interval = 0, health_timeout = 0, health_start_period = 0;
  int health_retries = 0;
  std::map<std::string, std::string> labels;  // the image's, overridden by -l/--label-file
};

// `env` is process.env: PATH (docker's default unless the image or -e sets
// it), HOSTNAME, TERM=xterm with -t, then the image's Env with -e/--env-file
// applied by key (a bare "KEY" removes KEY). `args` is process.args without
// the --init prefix.
//
// Errors: EINVAL for contradictions (e.g. "--entrypoint" "" with no command
// and no Cmd: "no command specified"), ENOENT "unable to find user NAME: no
// matching entries in passwd file".
Result<ContainerSpec> build_spec(const SpecInputs& in);

// Container paths of the image's Volumes that no mount in `opts` covers:
// each becomes an anonymous volume (the engine makes its host dir).
std::vector<std::string> anonymous_volume_targets(const json_t* image_config, const RunOptions& opts);

}  // namespace hutch::engine
