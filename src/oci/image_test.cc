// Unit tests for the image-spec parsers and emitters: real-world-shaped OCI
// and Docker documents, every validation error with the JSON path it names,
// media type detection, and the round trip parse(to_json(x)) == x.
#include "oci/image.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hutch::oci {
namespace {

#define D1 "sha256:c64b67eea24bb2a4c0d1f95c4fa250855d00774ca30fd11d9af836eed509716c"
#define D2 "sha256:f51434cd1e9d4b59f234d56bb5e5b4ed2e06551131cc173f3d66106a73adc1e4"
#define D3 "sha256:b01903035ec19bff428a62f1034e622b061c8aef1e184e5cd22c2c1941710f7f"
#define D4 "sha256:bdb0e2a706fa7815779754ce095d59ec36aef8833b04426128dc2956ebca6dfb"
#define D5 "sha256:f91ffe981886b79b16b9fbf62227e0b8a419cf6d7ba9eb8b8cfb375ec59f48f4"
#define D6 "sha256:89139bbb843c2521759e8791dd3749aa6e1306273946b47f692847a4a783d948"

// As `buildah push --format oci` writes a two-layer image.
constexpr const char* kOciManifest = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": ")" D1 R"(",
    "size": 1472
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": ")" D2 R"(",
      "size": 3408729
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": ")" D3 R"(",
      "size": 1024,
      "annotations": {"org.opencontainers.image.title": "app.tar.zst"}
    }
  ],
  "annotations": {
    "org.opencontainers.image.base.name": "docker.io/library/alpine:3.19",
    "org.opencontainers.image.created": "2024-03-07T22:11:03Z"
  }
})";

// As Docker Hub serves library images pushed by older dockerd.
constexpr const char* kDockerManifest = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": ")" D4 R"("
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 29124181,
         "digest": ")" D5 R"("
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 1502,
         "digest": ")" D6 R"(",
         "urls": ["https://mcr.microsoft.com/v2/windows/blobs/)" D6 R"("]
      }
   ]
})";

// As `docker buildx build --platform ...` pushes: images plus an attestation.
constexpr const char* kOciIndex = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" D1 R"(", "size": 1053,
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" D2 R"(", "size": 1053,
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" D3 R"(", "size": 566,
     "annotations": {"vnd.docker.reference.digest": ")" D1 R"(", "vnd.docker.reference.type": "attestation-manifest"},
     "platform": {"architecture": "unknown", "os": "unknown"}}
  ],
  "annotations": {"org.opencontainers.image.ref.name": "latest"}
})";

constexpr const char* kDockerManifestList = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528, "digest": ")" D4 R"(",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 1125, "digest": ")" D5 R"(",
     "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.5576",
                  "os.features": ["win32k"], "features": ["sse4"]}}
  ]
})";

// A dockerd-built config: Docker fields the spec lacks, and members hutch
// ignores (container_config, docker_version).
constexpr const char* kDockerConfig = R"({
  "architecture": "amd64",
  "config": {
    "Hostname": "",
    "User": "nginx",
    "ExposedPorts": {"80/tcp": {}, "443/tcp": {}, "53/udp": {}},
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.25.4", "EMPTY="],
    "Cmd": ["nginx", "-g", "daemon off;"],
    "Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "Interval": 30000000000,
                    "Timeout": 5000000000, "StartPeriod": 1000000000, "Retries": 3},
    "ArgsEscaped": true,
    "Image": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
    "Volumes": {"/var/cache/nginx": {}},
    "WorkingDir": "/srv",
    "Entrypoint": ["/docker-entrypoint.sh"],
    "OnBuild": ["RUN echo child"],
    "Labels": {"maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"},
    "StopSignal": "SIGQUIT"
  },
  "container": "5f6d2c0a",
  "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) ", "CMD [\"nginx\"]"]},
  "created": "2024-02-14T18:31:42.387111039Z",
  "docker_version": "20.10.23",
  "history": [
    {"created": "2024-01-27T00:30:56.150788217Z", "created_by": "/bin/sh -c #(nop) ADD file:9b1b in / "},
    {"created": "2024-01-27T00:30:56.528839196Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": true},
    {"created": "2024-02-14T18:31:42+01:00", "created_by": "RUN /bin/sh -c apt-get update # buildkit",
     "comment": "buildkit.dockerfile.v0", "author": "someone"}
  ],
  "os": "linux",
  "rootfs": {"type": "layers", "diff_ids": [")" D5 R"(", ")" D6 R"("]}
})";

constexpr const char* kOciConfig = R"({
  "created": "2015-10-31T22:22:56.015925234Z",
  "author": "Alyssa P. Hacker <alyspdev@example.com>",
  "architecture": "arm64",
  "variant": "v8",
  "os": "linux",
  "config": {"User": "alice", "Env": ["FOO=oci_is_a"], "Entrypoint": ["/bin/my-app-binary"],
             "Cmd": ["--foreground", "--config", "/etc/my-app.d/default.cfg"],
             "Volumes": {"/var/job-result-data": {}, "/var/log/my-app-logs": {}},
             "WorkingDir": "/home/alice", "Labels": {"com.example.project.git.url": "https://example.com/project.git"}},
  "rootfs": {"diff_ids": [")" D1 R"("], "type": "layers"},
  "history": [{"created": "2015-10-31T22:22:54.690851953Z", "created_by": "/bin/sh -c #(nop) ADD file:a3bc1e842b69636f9df5256c49c5374fb4eef1e281fe3f282c65fb853ee171c5 in /"}]
})";

TEST(ImageParse, OciManifest) {
  auto m = parse_manifest(kOciManifest);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->schema_version, 2);
  EXPECT_EQ(m->media_type, kMediaTypeImageManifest);
  EXPECT_EQ(m->config.media_type, kMediaTypeImageConfig);
  EXPECT_EQ(m->config.digest, D1);
  EXPECT_EQ(m->config.size, 1472);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].media_type, kMediaTypeImageLayerGzip);
  EXPECT_EQ(m->layers[0].size, 3408729);
  EXPECT_EQ(m->layers[1].annotations.at("org.opencontainers.image.title"), "app.tar.zst");
  EXPECT_TRUE(is_layer_media_type(m->layers[1].media_type));
  EXPECT_EQ(m->annotations.size(), 2u);
  EXPECT_FALSE(m->subject);
}

TEST(ImageParse, DockerManifest) {
  auto m = parse_manifest(kDockerManifest);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->media_type, kMediaTypeDockerManifest);
  EXPECT_TRUE(is_manifest_media_type(m->media_type));
  EXPECT_TRUE(is_config_media_type(m->config.media_type));
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].media_type, kMediaTypeDockerLayerGzip);
  EXPECT_EQ(m->layers[1].media_type, kMediaTypeDockerForeignLayerGzip);
  EXPECT_EQ(m->layers[1].urls, std::vector<std::string>{"https://mcr.microsoft.com/v2/windows/blobs/" D6});
}

TEST(ImageParse, OciIndex) {
  auto x = parse_index(kOciIndex);
  ASSERT_TRUE(x.ok()) << x.error().message();
  EXPECT_EQ(x->media_type, kMediaTypeImageIndex);
  ASSERT_EQ(x->manifests.size(), 3u);
  ASSERT_TRUE(x->manifests[1].platform);
  EXPECT_EQ(x->manifests[1].platform->architecture, "arm64");
  EXPECT_EQ(x->manifests[1].platform->variant, "v8");
  EXPECT_EQ(x->manifests[2].annotations.at("vnd.docker.reference.type"), "attestation-manifest");
  EXPECT_EQ(x->annotations.at("org.opencontainers.image.ref.name"), "latest");
}

TEST(ImageParse, DockerManifestList) {
  auto x = parse_index(kDockerManifestList);
  ASSERT_TRUE(x.ok()) << x.error().message();
  EXPECT_TRUE(is_index_media_type(x->media_type));
  ASSERT_EQ(x->manifests.size(), 2u);
  const Platform& p = *x->manifests[1].platform;
  EXPECT_EQ(p.os, "windows");
  EXPECT_EQ(p.os_version, "10.0.17763.5576");
  EXPECT_EQ(p.os_features, std::vector<std::string>{"win32k"});
  EXPECT_EQ(x->manifests[0].platform->variant, "v7");
}

TEST(ImageParse, DockerConfig) {
  auto c = parse_image_config(kDockerConfig);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->created, "2024-02-14T18:31:42.387111039Z");
  const ContainerConfig& cc = c->config;
  EXPECT_EQ(cc.user, "nginx");
  EXPECT_EQ(cc.exposed_ports, (std::set<std::string>{"443/tcp", "53/udp", "80/tcp"}));
  EXPECT_EQ(cc.env.size(), 3u);
  EXPECT_EQ(cc.entrypoint, std::vector<std::string>{"/docker-entrypoint.sh"});
  EXPECT_EQ(cc.cmd, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(cc.volumes, std::set<std::string>{"/var/cache/nginx"});
  EXPECT_EQ(cc.working_dir, "/srv");
  EXPECT_EQ(cc.labels.at("maintainer"), "NGINX Docker Maintainers <docker-maint@nginx.com>");
  EXPECT_EQ(cc.stop_signal, "SIGQUIT");
  EXPECT_TRUE(cc.args_escaped);
  EXPECT_EQ(cc.on_build, std::vector<std::string>{"RUN echo child"});
  ASSERT_TRUE(cc.healthcheck);
  EXPECT_EQ(cc.healthcheck->test[0], "CMD-SHELL");
  EXPECT_EQ(cc.healthcheck->interval, 30000000000);
  EXPECT_EQ(cc.healthcheck->timeout, 5000000000);
  EXPECT_EQ(cc.healthcheck->start_period, 1000000000);
  EXPECT_EQ(cc.healthcheck->retries, 3);
  EXPECT_EQ(c->rootfs.type, "layers");
  EXPECT_EQ(c->rootfs.diff_ids, (std::vector<std::string>{D5, D6}));
  ASSERT_EQ(c->history.size(), 3u);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_FALSE(c->history[2].empty_layer);
  EXPECT_EQ(c->history[2].comment, "buildkit.dockerfile.v0");
  EXPECT_EQ(c->history[2].author, "someone");
}

TEST(ImageParse, OciConfig) {
  auto c = parse_image_config(kOciConfig);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->author, "Alyssa P. Hacker <alyspdev@example.com>");
  EXPECT_EQ(c->variant, "v8");
  EXPECT_EQ(c->config.volumes.size(), 2u);
  EXPECT_FALSE(c->config.healthcheck);
  EXPECT_EQ(c->history.size(), 1u);
}

TEST(ImageParse, MinimalDocuments) {
  auto m = parse_manifest(R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.empty.v1+json",)"
                          R"("digest":")" D1 R"(","size":2},"layers":[]})");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_TRUE(m->media_type.empty());
  auto x = parse_index(R"({"schemaVersion":2,"manifests":[]})");
  ASSERT_TRUE(x.ok()) << x.error().message();
  auto c = parse_image_config(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->config, ContainerConfig{});
}

TEST(ImageParse, AcceptsRfc3339Times) {
  for (const char* t : {"2024-02-29T01:02:03Z", "2024-02-29T01:02:03.123456789Z", "2019-10-21T17:21:42.3+02:00",
                        "0001-01-01T00:00:00Z", "2016-12-31T23:59:60-08:30"}) {
    std::string doc = std::string(R"({"architecture":"amd64","os":"linux","created":")") + t +
                      R"(","rootfs":{"type":"layers","diff_ids":[]}})";
    auto c = parse_image_config(doc);
    EXPECT_TRUE(c.ok()) << t << ": " << c.error().message();
  }
  for (const char* t : {"2024-02-29 01:02:03Z", "2024-13-01T00:00:00Z", "2024-02-29T01:02:03", "2024-02-29T01:02:03.Z",
                        "2024-02-29T01:02:03.1234567891Z", "2024-02-29T01:02:03+0200", "2024-02-29T01:02:03Zjunk",
                        "2024-02-29t01:02:03z", "2024-02-29T24:00:00Z", "yesterday", "2024-02-29T01:02:03+02:00:"}) {
    std::string doc = std::string(R"({"architecture":"amd64","os":"linux","created":")") + t +
                      R"(","rootfs":{"type":"layers","diff_ids":[]}})";
    auto c = parse_image_config(doc);
    ASSERT_FALSE(c.ok()) << t;
    EXPECT_EQ(c.error().message(),
              std::string("created: invalid time \"") + t + "\" (want RFC 3339, 2006-01-02T15:04:05Z)");
  }
}

// ---- errors ---------------------------------------------------------------

enum class Kind { kManifest, kIndex, kConfig };

struct ErrorCase {
  Kind kind;
  std::string doc;
  std::string want;  // the whole message
};

std::string manifest_with(const std::string& layers, const std::string& extra = "") {
  return R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" D1
         R"(","size":7},"layers":)" +
         layers + extra + "}";
}

std::string layer(const std::string& fields) {
  return R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)" + fields + "}";
}

const std::string kGoodLayer = layer(R"("digest":")" D2 R"(","size":1)");

std::string index_with(const std::string& manifests, const std::string& extra = "") {
  return R"({"schemaVersion":2,"manifests":)" + manifests + extra + "}";
}

std::string platform_entry(const std::string& platform) {
  return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" D1 R"(","size":1,"platform":)" +
         platform + "}";
}

std::string config_with(const std::string& config, const std::string& rootfs = R"({"type":"layers","diff_ids":[]})",
                        const std::string& extra = "") {
  return R"({"architecture":"amd64","os":"linux","config":)" + config + R"(,"rootfs":)" + rootfs + extra + "}";
}

Result<bool> parse_any(Kind k, const std::string& doc) {
  switch (k) {
    case Kind::kManifest: {
      auto r = parse_manifest(doc);
      if (!r.ok()) return std::move(r).error();
      break;
    }
    case Kind::kIndex: {
      auto r = parse_index(doc);
      if (!r.ok()) return std::move(r).error();
      break;
    }
    case Kind::kConfig: {
      auto r = parse_image_config(doc);
      if (!r.ok()) return std::move(r).error();
      break;
    }
  }
  return true;
}

TEST(ImageParse, ErrorsNameTheJsonPath) {
  const std::string mt = R"("mediaType":"application/vnd.oci.image.layer.v1.tar",)";
  const ErrorCase cases[] = {
      // Documents.
      {Kind::kManifest, "", "invalid JSON at line 1 column 0: '[' or '{' expected near end of file"},
      {Kind::kManifest, "[]", "expected a JSON object"},
      {Kind::kIndex, "[1]", "expected a JSON object"},
      {Kind::kManifest, R"({"schemaVersion":2,"schemaVersion":2})",
       "invalid JSON at line 1 column 34: duplicate object key near '\"schemaVersion\"'"},
      {Kind::kManifest, "{}", "schemaVersion: is required"},
      {Kind::kManifest, R"({"schemaVersion":"2"})", "schemaVersion: expected an integer"},
      {Kind::kManifest, R"({"schemaVersion":1,"fsLayers":[]})",
       "schemaVersion: Docker schema 1 is not supported (want 2; push the image again with a current client)"},
      {Kind::kIndex, R"({"schemaVersion":3})", "schemaVersion: unsupported value 3 (want 2)"},
      // Manifest members.
      {Kind::kManifest, manifest_with("[]", R"(,"mediaType":"application/vnd.oci.image.index.v1+json")"),
       R"(mediaType: "application/vnd.oci.image.index.v1+json" is an index, not a manifest)"},
      {Kind::kManifest,
       manifest_with("[]", R"(,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws")"),
       R"(mediaType: Docker schema 1 is not supported ("application/vnd.docker.distribution.manifest.v1+prettyjws"))"},
      {Kind::kManifest, manifest_with("[]", R"(,"mediaType":"text/plain")"),
       R"(mediaType: unsupported media type "text/plain")"},
      {Kind::kManifest, manifest_with("[]", R"(,"mediaType":7)"), "mediaType: expected a string"},
      {Kind::kManifest, manifest_with("[]", R"(,"manifests":[])"),
       "manifests: unexpected in a manifest (is this an index?)"},
      {Kind::kManifest, R"({"schemaVersion":2,"layers":[]})", "config: is required"},
      {Kind::kManifest, R"({"schemaVersion":2,"config":[],"layers":[]})", "config: expected an object"},
      {Kind::kManifest, R"({"schemaVersion":2,"config":{},"layers":[]})", "config.mediaType: is required"},
      {Kind::kManifest, R"({"schemaVersion":2,"config":{"mediaType":""},"layers":[]})",
       "config.mediaType: must not be empty"},
      {Kind::kManifest, R"({"schemaVersion":2,"config":{"mediaType":"not a type"},"layers":[]})",
       R"(config.mediaType: invalid media type "not a type" (want type/subtype, RFC 6838))"},
      {Kind::kManifest, R"({"schemaVersion":2,"config":{"mediaType":"a/b"},"layers":[]})",
       "config.digest: is required"},
      {Kind::kManifest, manifest_with(""), "invalid JSON at line 1 column 187: unexpected token near '}'"},
      {Kind::kManifest, R"({"schemaVersion":2,"config":{"mediaType":"a/b","digest":")" D1 R"(","size":1}})",
       "layers: is required"},
      {Kind::kManifest, manifest_with("{}"), "layers: expected an array"},
      {Kind::kManifest,
       manifest_with("[" + kGoodLayer + "," + kGoodLayer + "," + layer(R"("digest":"sha256:xyz","size":1)") + "]"),
       R"(layers[2].digest: invalid digest "sha256:xyz" (sha256 wants 64 lower-case hex digits))"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":"md5:d41d8cd98f00b204e9800998ecf8427e","size":1)") + "]"),
       R"(layers[0].digest: unsupported digest algorithm "md5" in "md5:d41d8cd98f00b204e9800998ecf8427e" (hutch supports sha256 and sha512))"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(")") + "]"), "layers[0].size: is required"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(","size":-1)") + "]"),
       "layers[0].size: must not be negative, got -1"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(","size":1.5)") + "]"),
       "layers[0].size: expected an integer"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(","size":18446744073709551615)") + "]"),
       "layers[0].size: expected an integer"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(","size":"#u64:5")") + "]"),
       "layers[0].size: expected an integer"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(","size":1,"urls":"http://x")") + "]"),
       "layers[0].urls: expected an array"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(","size":1,"urls":["http://x",""])") + "]"),
       "layers[0].urls[1]: must not be empty"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(","size":1,"annotations":{"a":1})") + "]"),
       "layers[0].annotations.a: expected a string"},
      {Kind::kManifest, manifest_with("[" + layer(R"("digest":")" D2 R"(","size":1,"artifactType":"x")") + "]"),
       R"(layers[0].artifactType: invalid media type "x" (want type/subtype, RFC 6838))"},
      {Kind::kManifest, manifest_with("[1]"), "layers[0]: expected an object"},
      {Kind::kManifest, manifest_with("[]", R"(,"subject":{"mediaType":"a/b","size":1})"),
       "subject.digest: is required"},
      {Kind::kManifest, manifest_with("[]", R"(,"annotations":[])"), "annotations: expected an object"},
      {Kind::kManifest, manifest_with("[]", R"(,"artifactType":"/x")"),
       R"(artifactType: invalid media type "/x" (want type/subtype, RFC 6838))"},
      // Index members.
      {Kind::kIndex, index_with("[]", R"(,"mediaType":"application/vnd.docker.distribution.manifest.v2+json")"),
       R"(mediaType: "application/vnd.docker.distribution.manifest.v2+json" is a manifest, not an index)"},
      {Kind::kIndex, index_with("[]", R"(,"layers":[])"), "layers: unexpected in an index (is this a manifest?)"},
      {Kind::kIndex, index_with("[]", R"(,"config":{})"), "config: unexpected in an index (is this a manifest?)"},
      {Kind::kIndex, R"({"schemaVersion":2})", "manifests: is required"},
      {Kind::kIndex, index_with("[" + platform_entry(R"({"os":"linux"})") + "]"),
       "manifests[0].platform.architecture: is required"},
      {Kind::kIndex,
       index_with("[" + platform_entry(R"({"os":"linux","architecture":"amd64"})") + "," +
                  platform_entry(R"({"architecture":"amd64","os":5})") + "]"),
       "manifests[1].platform.os: expected a string"},
      {Kind::kIndex,
       index_with("[" + platform_entry(R"({"architecture":"amd64","os":"linux","os.features":"x"})") + "]"),
       "manifests[0].platform.os.features: expected an array"},
      {Kind::kIndex, index_with("[" + platform_entry("[]") + "]"), "manifests[0].platform: expected an object"},
      // Config members.
      {Kind::kConfig, R"({"os":"linux","rootfs":{"type":"layers","diff_ids":[]}})", "architecture: is required"},
      {Kind::kConfig, R"({"architecture":"amd64","os":"","rootfs":{"type":"layers","diff_ids":[]}})",
       "os: must not be empty"},
      {Kind::kConfig, R"({"architecture":"amd64","os":"linux"})", "rootfs: is required"},
      {Kind::kConfig, config_with("[]"), "config: expected an object"},
      {Kind::kConfig, config_with(R"({"Env":["A=1","PATH"]})"), R"(config.Env[1]: expected KEY=VALUE, got "PATH")"},
      {Kind::kConfig, config_with(R"({"Env":["=x"]})"), R"(config.Env[0]: expected KEY=VALUE, got "=x")"},
      {Kind::kConfig, config_with(R"({"ExposedPorts":{"80/tcp":{},"http/tcp":{}}})"),
       "config.ExposedPorts.http/tcp: invalid port (want PORT or PORT/tcp|udp|sctp)"},
      {Kind::kConfig, config_with(R"({"ExposedPorts":{"80/icmp":{}}})"),
       "config.ExposedPorts.80/icmp: invalid port (want PORT or PORT/tcp|udp|sctp)"},
      {Kind::kConfig, config_with(R"({"ExposedPorts":{"65536":{}}})"),
       "config.ExposedPorts.65536: invalid port (want PORT or PORT/tcp|udp|sctp)"},
      {Kind::kConfig, config_with(R"({"ExposedPorts":{"0/tcp":{}}})"),
       "config.ExposedPorts.0/tcp: invalid port (want PORT or PORT/tcp|udp|sctp)"},
      {Kind::kConfig, config_with(R"({"ExposedPorts":["80/tcp"]})"), "config.ExposedPorts: expected an object"},
      {Kind::kConfig, config_with(R"({"Volumes":{"":{}}})"), "config.Volumes: has an empty volume path"},
      {Kind::kConfig, config_with(R"({"Cmd":"sh"})"), "config.Cmd: expected an array"},
      {Kind::kConfig, config_with(R"({"Entrypoint":[1]})"), "config.Entrypoint[0]: expected a string"},
      {Kind::kConfig, config_with(R"({"Labels":{"a":{}}})"), "config.Labels.a: expected a string"},
      {Kind::kConfig, config_with(R"({"User":0})"), "config.User: expected a string"},
      {Kind::kConfig, config_with(R"({"ArgsEscaped":"yes"})"), "config.ArgsEscaped: expected true or false"},
      {Kind::kConfig, config_with(R"({"OnBuild":{}})"), "config.OnBuild: expected an array"},
      {Kind::kConfig, config_with(R"({"Healthcheck":{"Test":["RUN","x"]}})"),
       R"(config.Healthcheck.Test[0]: unknown value "RUN" (want NONE, CMD or CMD-SHELL))"},
      {Kind::kConfig, config_with(R"({"Healthcheck":{"Interval":-1}})"),
       "config.Healthcheck.Interval: must not be negative"},
      {Kind::kConfig, config_with(R"({"Healthcheck":{"StartPeriod":-5}})"),
       "config.Healthcheck.StartPeriod: must not be negative"},
      {Kind::kConfig, config_with(R"({"Healthcheck":{"Retries":-1}})"),
       "config.Healthcheck.Retries: must not be negative"},
      {Kind::kConfig, config_with(R"({"Healthcheck":{"Timeout":"5s"}})"),
       "config.Healthcheck.Timeout: expected an integer"},
      {Kind::kConfig, config_with("{}", "[]"), "rootfs: expected an object"},
      {Kind::kConfig, config_with("{}", R"({"diff_ids":[]})"), "rootfs.type: is required"},
      {Kind::kConfig, config_with("{}", R"({"type":"tar","diff_ids":[]})"),
       R"(rootfs.type: unknown value "tar" (want "layers"))"},
      {Kind::kConfig, config_with("{}", R"({"type":"layers"})"), "rootfs.diff_ids: is required"},
      {Kind::kConfig, config_with("{}", R"({"type":"layers","diff_ids":[")" D1 R"(","sha256:abc"]})"),
       R"(rootfs.diff_ids[1]: invalid digest "sha256:abc" (sha256 wants 64 lower-case hex digits))"},
      {Kind::kConfig, config_with("{}", R"({"type":"layers","diff_ids":[7]})"),
       "rootfs.diff_ids[0]: expected a string"},
      {Kind::kConfig, config_with("{}", R"({"type":"layers","diff_ids":[]})", R"(,"history":{})"),
       "history: expected an array"},
      {Kind::kConfig, config_with("{}", R"({"type":"layers","diff_ids":[]})", R"(,"history":[{},{"created":"now"}])"),
       R"(history[1].created: invalid time "now" (want RFC 3339, 2006-01-02T15:04:05Z))"},
      {Kind::kConfig, config_with("{}", R"({"type":"layers","diff_ids":[]})", R"(,"history":[{"empty_layer":"true"}])"),
       "history[0].empty_layer: expected true or false"},
      {Kind::kConfig, config_with("{}", R"({"type":"layers","diff_ids":[]})", R"(,"os.features":[1])"),
       "os.features[0]: expected a string"},
  };
  for (const auto& c : cases) {
    auto r = parse_any(c.kind, c.doc);
    ASSERT_FALSE(r.ok()) << c.doc;
    EXPECT_EQ(r.error().message(), c.want) << c.doc;
  }
}

TEST(ImageParse, HostileStringsAreQuotedShortAndEscaped) {
  auto r = parse_manifest(manifest_with("[" +
                                        layer(R"("digest":")" D2 R"(","size":1,"artifactType":")" +
                                              std::string("a/b\\n\\u001b[31m\\\"") + std::string(300, 'x') + "\"") +
                                        "]"));
  ASSERT_FALSE(r.ok());
  std::string m = r.error().message();
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_EQ(m.find('\x1b'), std::string::npos);
  EXPECT_NE(m.find(R"("a/b\x0a\x1b[31m\"xxx)"), std::string::npos) << m;
  EXPECT_LT(m.size(), 250u);
}

TEST(ImageParse, HostileKeysAreEscapedInPaths) {
  auto r = parse_manifest(manifest_with("[]", R"(,"annotations":{"ok":"x","a\u001b[2Jb":1})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), R"(annotations.a\x1b[2Jb: expected a string)");
  auto c = parse_image_config(config_with(R"({"Labels":{"\n":null}})"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), R"(config.Labels.\x0a: expected a string)");
  c = parse_image_config(config_with(R"({"ExposedPorts":{"\r80":{}}})"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), R"(config.ExposedPorts.\x0d80: invalid port (want PORT or PORT/tcp|udp|sctp))");
}

TEST(ImageParse, SizeLimits) {
  std::string big = manifest_with("[]", ",\"annotations\":{\"pad\":\"" + std::string(kMaxDocumentBytes, 'x') + "\"}");
  auto r = parse_manifest(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EFBIG);
  EXPECT_EQ(r.error().message(), "document is " + std::to_string(big.size()) + " bytes, more than the limit of 4 MiB");
  EXPECT_FALSE(parse_index(big).ok());
  EXPECT_FALSE(parse_image_config(big).ok());
  EXPECT_FALSE(detect_media_type(big).ok());

  std::string layers = "[";
  for (size_t i = 0; i <= kMaxEntries; ++i) layers += (i ? "," : "") + kGoodLayer;
  layers += "]";
  auto m = parse_manifest(manifest_with(layers));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "layers: has 10001 entries, more than the limit of 10000");
  // Exactly the limit is fine.
  layers = "[";
  for (size_t i = 0; i < kMaxEntries; ++i) layers += (i ? "," : "") + kGoodLayer;
  layers += "]";
  EXPECT_TRUE(parse_manifest(manifest_with(layers)).ok());

  std::string manifests = "[";
  for (size_t i = 0; i <= kMaxEntries; ++i)
    manifests += (i ? "," : "") + platform_entry(R"({"architecture":"amd64","os":"linux"})");
  manifests += "]";
  auto x = parse_index(index_with(manifests));
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(x.error().message(), "manifests: has 10001 entries, more than the limit of 10000");

  std::string ids = "[";
  for (size_t i = 0; i <= kMaxEntries; ++i) ids += (i ? ",\"" : "\"") + std::string(D1) + "\"";
  ids += "]";
  auto c = parse_image_config(config_with("{}", R"({"type":"layers","diff_ids":)" + ids + "}"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "rootfs.diff_ids: has 10001 entries, more than the limit of 10000");
}

TEST(ImageParse, DigestCheck) {
  EXPECT_TRUE(check_digest(D1).ok());
  EXPECT_TRUE(check_digest("sha512:" + std::string(128, '0')).ok());
  EXPECT_EQ(check_digest("sha256:xyz").error().message(),
            R"(invalid digest "sha256:xyz" (sha256 wants 64 lower-case hex digits))");
  EXPECT_EQ(check_digest("blake3:abc").error().code(), ENOTSUP);
}

// ---- detection ------------------------------------------------------------

TEST(ImageDetect, MediaTypes) {
  struct Case {
    std::string doc, want;
  };
  const Case ok[] = {
      {kOciManifest, kMediaTypeImageManifest},
      {kDockerManifest, kMediaTypeDockerManifest},
      {kOciIndex, kMediaTypeImageIndex},
      {kDockerManifestList, kMediaTypeDockerManifestList},
      {R"({"schemaVersion":2,"layers":[]})", kMediaTypeImageManifest},
      {R"({"schemaVersion":2,"config":{}})", kMediaTypeImageManifest},
      {R"({"schemaVersion":2,"manifests":[]})", kMediaTypeImageIndex},
      {R"({"mediaType":"","manifests":[]})", kMediaTypeImageIndex},
      {R"({"mediaType":"application/vnd.example+json"})", "application/vnd.example+json"},
  };
  for (const auto& c : ok) {
    auto r = detect_media_type(c.doc);
    ASSERT_TRUE(r.ok()) << c.doc << ": " << r.error().message();
    EXPECT_EQ(*r, c.want) << c.doc;
  }
  const Case bad[] = {
      {R"({"schemaVersion":2,"manifests":[],"layers":[]})",
       R"(ambiguous document: it has "manifests" and "layers" or "config")"},
      {R"({"schemaVersion":2})", R"(neither a manifest nor an index (no "layers", "config" or "manifests"))"},
      {R"({"schemaVersion":1,"fsLayers":[]})",
       "schemaVersion: Docker schema 1 is not supported (want 2; push the image again with a current client)"},
      {R"({"mediaType":5})", "mediaType: expected a string"},
      {"[]", "expected a JSON object"},
  };
  for (const auto& c : bad) {
    auto r = detect_media_type(c.doc);
    ASSERT_FALSE(r.ok()) << c.doc;
    EXPECT_EQ(r.error().message(), c.want);
  }
}

// ---- emitters -------------------------------------------------------------

TEST(ImageEmit, CanonicalManifest) {
  // Keys out of order, whitespace, an unknown member: all normalised away.
  auto m = parse_manifest(R"({ "layers": [ {"size": 3, "digest": ")" D2 R"(",
      "mediaType": "application/vnd.oci.image.layer.v1.tar"} ],
    "annotations": {"z": "1", "a": "2"}, "x-unknown": true,
    "config": {"size": 2, "digest": ")" D1 R"(", "mediaType": "application/vnd.oci.empty.v1+json"},
    "mediaType": "application/vnd.oci.image.manifest.v1+json", "schemaVersion": 2 })");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(to_json(*m),
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
            R"("config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" D1 R"(","size":2},)"
            R"("layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" D2 R"(","size":3}],)"
            R"("annotations":{"a":"2","z":"1"}})");
}

TEST(ImageEmit, CanonicalConfigAndIndex) {
  ImageConfig c;
  c.architecture = "amd64";
  c.os = "linux";
  c.config.env = {"PATH=/bin"};
  c.config.exposed_ports = {"80/tcp", "443/tcp"};
  c.rootfs.diff_ids = {D1};
  c.history.push_back({"2024-01-01T00:00:00Z", "RUN true", "", "", true});
  EXPECT_EQ(to_json(c),
            R"({"architecture":"amd64","os":"linux",)"
            R"("config":{"ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Env":["PATH=/bin"]},)"
            R"("rootfs":{"type":"layers","diff_ids":[")" D1 R"("]},)"
            R"("history":[{"created":"2024-01-01T00:00:00Z","created_by":"RUN true","empty_layer":true}]})");
  Index x;
  x.media_type = kMediaTypeImageIndex;
  x.manifests.push_back({kMediaTypeImageManifest, D2, 10, {}, {}, Platform{"arm64", "linux", "", {}, "v8"}, ""});
  EXPECT_EQ(to_json(x), R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                        R"("manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" D2
                        R"(","size":10,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]})");
  EXPECT_EQ(to_json(x.manifests[0]), R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" D2
                                     R"(","size":10,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}})");
}

template <typename T, typename Parse>
void expect_round_trip(const T& x, Parse parse) {
  std::string text = to_json(x);
  auto y = parse(text);
  ASSERT_TRUE(y.ok()) << text << ": " << y.error().message();
  EXPECT_TRUE(*y == x) << text;
  EXPECT_EQ(to_json(*y), text);  // stable
}

TEST(ImageEmit, RoundTripsSamples) {
  for (const char* doc : {kOciManifest, kDockerManifest}) expect_round_trip(*parse_manifest(doc), parse_manifest);
  for (const char* doc : {kOciIndex, kDockerManifestList}) expect_round_trip(*parse_index(doc), parse_index);
  for (const char* doc : {kDockerConfig, kOciConfig}) expect_round_trip(*parse_image_config(doc), parse_image_config);
}

TEST(ImageEmit, RoundTripsEveryField) {
  Descriptor full{kMediaTypeImageManifest,
                  D3,
                  int64_t{1} << 40,
                  {"https://example.com/a", "https://example.com/b"},
                  {{"k1", "v1"}, {"k2", "ü \"quoted\" \\ \t"}},
                  Platform{"amd64", "windows", "10.0.20348.2340", {"win32k", "x"}, "v3"},
                  "application/vnd.example.sbom+json"};
  Manifest m;
  m.media_type = kMediaTypeImageManifest;
  m.artifact_type = "application/vnd.example.sig";
  m.config = {kMediaTypeEmptyJson, D1, 2, {}, {}, std::nullopt, ""};
  m.layers = {full, {kMediaTypeImageLayerZstd, D2, 0, {}, {}, std::nullopt, ""}};
  m.subject = full;
  m.annotations = {{"org.opencontainers.image.created", "2024-03-07T22:11:03Z"}};
  expect_round_trip(m, parse_manifest);

  Index x;
  x.media_type = kMediaTypeDockerManifestList;
  x.artifact_type = "application/vnd.example+type";
  x.manifests = {full, full};
  x.subject = full;
  x.annotations = {{"a", ""}, {"b", "c"}};
  expect_round_trip(x, parse_index);

  ImageConfig c;
  c.created = "2024-02-29T01:02:03.123456789+05:30";
  c.author = "a";
  c.architecture = "arm";
  c.os = "linux";
  c.os_version = "1";
  c.os_features = {"f"};
  c.variant = "v6";
  c.config.user = "1000:1000";
  c.config.exposed_ports = {"8080/tcp", "53/udp", "9/sctp", "7"};
  c.config.env = {"A=1", "B="};
  c.config.entrypoint = {"/bin/sh", "-c"};
  c.config.cmd = {"exec app"};
  c.config.volumes = {"/data", "/cache"};
  c.config.working_dir = "/w";
  c.config.labels = {{"l", "v"}};
  c.config.stop_signal = "SIGRTMIN+3";
  c.config.args_escaped = true;
  c.config.healthcheck = HealthConfig{{"NONE"}, 1, 2, 3, 0};
  c.config.on_build = {"RUN x"};
  c.rootfs.diff_ids = {D1, D2, D1};
  c.history = {{"2024-02-29T01:02:03Z", "ADD x /", "me", "c", false}, {"", "", "", "", true}};
  expect_round_trip(c, parse_image_config);

  // Empty healthcheck and empty config survive too.
  ImageConfig e;
  e.architecture = "amd64";
  e.os = "linux";
  e.config.healthcheck = HealthConfig{};
  expect_round_trip(e, parse_image_config);
  e.config = {};
  expect_round_trip(e, parse_image_config);
}

}  // namespace
}  // namespace hutch::oci
