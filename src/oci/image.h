// The OCI image-spec (1.1) documents and their Docker schema 2 forms, as
// plain types: descriptors, image manifests, image indexes (Docker manifest
// lists) and image configurations.
//
// The parse_* functions take untrusted bytes (from a registry or an
// archive): they refuse documents above kMaxDocumentBytes and arrays above
// kMaxEntries, and name the JSON path of any bad field
// ("layers[2].digest: invalid digest \"sha256:xyz\" (...)"). Unknown fields
// are ignored, as the spec requires. The to_json functions emit canonical
// compact JSON: keys in the order of the spec's Go types (as containerd and
// skopeo write them), map keys sorted, empty optional fields left out, so
// parse(to_json(x)) == x for any valid x.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::oci {

// Media types (image-spec media-types.md; Docker's image-manifest-v2-2.md).
inline constexpr char kMediaTypeImageManifest[] = "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kMediaTypeImageIndex[] = "application/vnd.oci.image.index.v1+json";
inline constexpr char kMediaTypeImageConfig[] = "application/vnd.oci.image.config.v1+json";
inline constexpr char kMediaTypeImageLayer[] = "application/vnd.oci.image.layer.v1.tar";
inline constexpr char kMediaTypeImageLayerGzip[] = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr char kMediaTypeImageLayerZstd[] = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr char kMediaTypeEmptyJson[] = "application/vnd.oci.empty.v1+json";
inline constexpr char kMediaTypeDockerManifest[] = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr char kMediaTypeDockerManifestList[] = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr char kMediaTypeDockerConfig[] = "application/vnd.docker.container.image.v1+json";
inline constexpr char kMediaTypeDockerLayer[] = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr char kMediaTypeDockerLayerGzip[] = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr char kMediaTypeDockerLayerZstd[] = "application/vnd.docker.image.rootfs.diff.tar.zstd";
inline constexpr char kMediaTypeDockerForeignLayerGzip[] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

bool is_manifest_media_type(std::string_view t);  // OCI or Docker image manifest
bool is_index_media_type(std::string_view t);     // OCI index or Docker manifest list
bool is_config_media_type(std::string_view t);    // OCI or Docker image config
bool is_layer_media_type(std::string_view t);     // any layer type above

// Limits for untrusted documents.
inline constexpr size_t kMaxDocumentBytes = 4 << 20;
inline constexpr size_t kMaxEntries = 10000;  // layers, manifests, diff_ids, history

// Checks "algorithm:encoded" (descriptor.md#digests): the algorithm grammar,
// then sha256 = 64 and sha512 = 128 lower-case hex digits; any other
// algorithm is refused as unsupported. The error says which rule failed.
Status check_digest(std::string_view digest);

struct Platform {
  std::string architecture;              // required: "amd64", "arm64", ...
  std::string os;                        // required: "linux"
  std::string os_version;                // "os.version"
  std::vector<std::string> os_features;  // "os.features"
  std::string variant;                   // "v8", "v7", ...
  bool operator==(const Platform&) const = default;
};

struct Descriptor {
  std::string media_type;  // required, RFC 6838
  std::string digest;      // required, checked by check_digest
  int64_t size = 0;        // required, >= 0
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // in indexes
  std::string artifact_type;         // "artifactType" (1.1)
  bool operator==(const Descriptor&) const = default;
};

struct Manifest {
  int schema_version = 2;
  std::string media_type;  // may be empty in OCI manifests, never in Docker's
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;  // base layer first
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
  bool operator==(const Manifest&) const = default;
};

struct Index {
  int schema_version = 2;
  std::string media_type;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
  bool operator==(const Index&) const = default;
};

// Docker's HEALTHCHECK (not in the OCI spec; durations in nanoseconds).
struct HealthConfig {
  std::vector<std::string> test;  // [] inherit, ["NONE"], ["CMD", ...], ["CMD-SHELL", cmd]
  std::optional<int64_t> interval, timeout, start_period;
  std::optional<int> retries;
  bool operator==(const HealthConfig&) const = default;
};

// The "config" member of an image configuration: defaults for containers.
struct ContainerConfig {
  std::string user;                           // "User"
  std::set<std::string> exposed_ports;        // "ExposedPorts" keys: "80/tcp", "53/udp"
  std::vector<std::string> env;               // "Env", KEY=VALUE
  std::vector<std::string> entrypoint;        // "Entrypoint"
  std::vector<std::string> cmd;               // "Cmd"
  std::set<std::string> volumes;              // "Volumes" keys
  std::string working_dir;                    // "WorkingDir"
  std::map<std::string, std::string> labels;  // "Labels"
  std::string stop_signal;                    // "StopSignal"
  bool args_escaped = false;                  // "ArgsEscaped" (Windows; kept for round trips)
  std::optional<HealthConfig> healthcheck;    // "Healthcheck" (Docker)
  std::vector<std::string> on_build;          // "OnBuild" (Docker)
  bool operator==(const ContainerConfig&) const = default;
};

struct RootFs {
  std::string type = "layers";        // the only value the spec defines
  std::vector<std::string> diff_ids;  // digests of the uncompressed layers
  bool operator==(const RootFs&) const = default;
};

struct History {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
  bool operator==(const History&) const = default;
};

struct ImageConfig {
  std::string created;  // RFC 3339, may be empty
  std::string author;
  std::string architecture;  // required
  std::string os;            // required
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;
  ContainerConfig config;
  RootFs rootfs;  // required
  std::vector<History> history;
  bool operator==(const ImageConfig&) const = default;
};

Result<Manifest> parse_manifest(std::string_view text);
Result<Index> parse_index(std::string_view text);
Result<ImageConfig> parse_image_config(std::string_view text);

// The media type of a manifest or index document: its "mediaType" when set,
// else OCI manifest when it has "layers" or "config", OCI index when it has
// "manifests"; both (an ambiguous document) or neither is an error.
Result<std::string> detect_media_type(std::string_view text);

std::string to_json(const Descriptor& d);
std::string to_json(const Manifest& m);
std::string to_json(const Index& i);
std::string to_json(const ImageConfig& c);

}  // namespace hutch::oci
