// Media type predicates and the canonical JSON emitters of image documents.
// Key order follows the spec's Go types (opencontainers/image-spec
// specs-go/v1, Docker's container.Config for Healthcheck and OnBuild), so a
// document built here reads like one written by containerd or skopeo.
#include "oci/image.h"

#include "base/json.h"

namespace hutch::oci {

bool is_manifest_media_type(std::string_view t) {
  return t == kMediaTypeImageManifest || t == kMediaTypeDockerManifest;
}

bool is_index_media_type(std::string_view t) { return t == kMediaTypeImageIndex || t == kMediaTypeDockerManifestList; }

bool is_config_media_type(std::string_view t) { return t == kMediaTypeImageConfig || t == kMediaTypeDockerConfig; }

bool is_layer_media_type(std::string_view t) {
  for (const char* l : {kMediaTypeImageLayer, kMediaTypeImageLayerGzip, kMediaTypeImageLayerZstd, kMediaTypeDockerLayer,
                        kMediaTypeDockerLayerGzip, kMediaTypeDockerLayerZstd, kMediaTypeDockerForeignLayerGzip})
    if (t == l) return true;
  return false;
}

namespace {

// Builders: each set_* adds the member only when it is not empty (Go's
// omitempty), in the order called.
void set_str(json_t* o, const char* key, const std::string& v) {
  if (!v.empty()) json_object_set_new(o, key, json::str(v));
}

json_t* str_array(const std::vector<std::string>& v) {
  json_t* a = json_array();
  for (const auto& s : v) json_array_append_new(a, json::str(s));
  return a;
}

void set_array(json_t* o, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) json_object_set_new(o, key, str_array(v));
}

void set_map(json_t* o, const char* key, const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  json_t* j = json_object();
  for (const auto& [k, v] : m) json_object_set_new(j, k.c_str(), json::str(v));  // sorted by std::map
  json_object_set_new(o, key, j);
}

// {"key": {}, ...}, Docker's encoding of a set (ExposedPorts, Volumes).
void set_keys(json_t* o, const char* key, const std::set<std::string>& s) {
  if (s.empty()) return;
  json_t* j = json_object();
  for (const auto& k : s) json_object_set_new(j, k.c_str(), json_object());
  json_object_set_new(o, key, j);
}

json_t* platform_json(const Platform& p) {
  json_t* o = json_object();
  set_str(o, "architecture", p.architecture);
  set_str(o, "os", p.os);
  set_str(o, "os.version", p.os_version);
  set_array(o, "os.features", p.os_features);
  set_str(o, "variant", p.variant);
  return o;
}

json_t* descriptor_json(const Descriptor& d) {
  json_t* o = json_object();
  set_str(o, "mediaType", d.media_type);
  set_str(o, "digest", d.digest);
  json_object_set_new(o, "size", json_integer(d.size));
  set_array(o, "urls", d.urls);
  set_map(o, "annotations", d.annotations);
  if (d.platform) json_object_set_new(o, "platform", platform_json(*d.platform));
  set_str(o, "artifactType", d.artifact_type);
  return o;
}

json_t* descriptors_json(const std::vector<Descriptor>& v) {
  json_t* a = json_array();
  for (const auto& d : v) json_array_append_new(a, descriptor_json(d));
  return a;
}

void set_int(json_t* o, const char* key, const std::optional<int64_t>& v) {
  if (v) json_object_set_new(o, key, json_integer(*v));
}

json_t* container_config_json(const ContainerConfig& c) {
  json_t* o = json_object();
  set_str(o, "User", c.user);
  set_keys(o, "ExposedPorts", c.exposed_ports);
  set_array(o, "Env", c.env);
  set_array(o, "Entrypoint", c.entrypoint);
  set_array(o, "Cmd", c.cmd);
  set_keys(o, "Volumes", c.volumes);
  set_str(o, "WorkingDir", c.working_dir);
  set_map(o, "Labels", c.labels);
  set_str(o, "StopSignal", c.stop_signal);
  if (c.args_escaped) json_object_set_new(o, "ArgsEscaped", json_true());
  if (c.healthcheck) {
    json_t* h = json_object();
    set_array(h, "Test", c.healthcheck->test);
    set_int(h, "Interval", c.healthcheck->interval);
    set_int(h, "Timeout", c.healthcheck->timeout);
    set_int(h, "StartPeriod", c.healthcheck->start_period);
    if (c.healthcheck->retries) json_object_set_new(h, "Retries", json_integer(*c.healthcheck->retries));
    json_object_set_new(o, "Healthcheck", h);
  }
  set_array(o, "OnBuild", c.on_build);
  return o;
}

std::string dump(json_t* j) {
  std::string out = json::dump(j);
  json_decref(j);
  return out;
}

}  // namespace

std::string to_json(const Descriptor& d) { return dump(descriptor_json(d)); }

std::string to_json(const Manifest& m) {
  json_t* o = json_object();
  json_object_set_new(o, "schemaVersion", json_integer(m.schema_version));
  set_str(o, "mediaType", m.media_type);
  set_str(o, "artifactType", m.artifact_type);
  json_object_set_new(o, "config", descriptor_json(m.config));
  json_object_set_new(o, "layers", descriptors_json(m.layers));
  if (m.subject) json_object_set_new(o, "subject", descriptor_json(*m.subject));
  set_map(o, "annotations", m.annotations);
  return dump(o);
}

std::string to_json(const Index& x) {
  json_t* o = json_object();
  json_object_set_new(o, "schemaVersion", json_integer(x.schema_version));
  set_str(o, "mediaType", x.media_type);
  set_str(o, "artifactType", x.artifact_type);
  json_object_set_new(o, "manifests", descriptors_json(x.manifests));
  if (x.subject) json_object_set_new(o, "subject", descriptor_json(*x.subject));
  set_map(o, "annotations", x.annotations);
  return dump(o);
}

std::string to_json(const ImageConfig& c) {
  json_t* o = json_object();
  set_str(o, "created", c.created);
  set_str(o, "author", c.author);
  set_str(o, "architecture", c.architecture);
  set_str(o, "os", c.os);
  set_str(o, "os.version", c.os_version);
  set_array(o, "os.features", c.os_features);
  set_str(o, "variant", c.variant);
  json_object_set_new(o, "config", container_config_json(c.config));
  json_t* rootfs = json_object();
  json_object_set_new(rootfs, "type", json::str(c.rootfs.type));
  json_object_set_new(rootfs, "diff_ids", str_array(c.rootfs.diff_ids));
  json_object_set_new(o, "rootfs", rootfs);
  if (!c.history.empty()) {
    json_t* a = json_array();
    for (const auto& h : c.history) {
      json_t* e = json_object();
      set_str(e, "created", h.created);
      set_str(e, "created_by", h.created_by);
      set_str(e, "author", h.author);
      set_str(e, "comment", h.comment);
      if (h.empty_layer) json_object_set_new(e, "empty_layer", json_true());
      json_array_append_new(a, e);
    }
    json_object_set_new(o, "history", a);
  }
  return dump(o);
}

}  // namespace hutch::oci
