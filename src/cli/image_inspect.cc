// hutch image inspect: docker's JSON array, or --format json (compact) or
// a Go template per image (docker/cli's inspect/inspector.go).
#include <cstdio>
#include <optional>

#include "base/json.h"
#include "base/template.h"
#include "cli/commands.h"
#include "engine/images.h"

namespace hutch::cli {

namespace {

// What a template sees: docker runs it over the typed ImageInspect struct,
// where a field the JSON leaves out (or null) still exists with its zero
// value. Config is rebuilt in container.Config's field order with those
// zero values, so {{.Config.Cmd}} prints "[]" and {{.Config.User}} "".
// (docker's own {{json .Config}} prints nil lists as null and leaves out
// its omitempty fields; here they show as [] and zero values.)
void add_zero_fields(json_t* image) {
  if (!json_object_get(image, "Variant")) json_object_set_new(image, "Variant", json_string(""));
  if (!json_object_get(image, "OsVersion")) json_object_set_new(image, "OsVersion", json_string(""));
  json_t* old = json_object_get(image, "Config");
  enum Zero { kStr, kBool, kList, kMap, kNull };
  static const std::pair<const char*, Zero> kFields[] = {
      {"Hostname", kStr},      {"Domainname", kStr},   {"User", kStr},        {"AttachStdin", kBool},
      {"AttachStdout", kBool}, {"AttachStderr", kBool}, {"ExposedPorts", kMap}, {"Tty", kBool},
      {"OpenStdin", kBool},    {"StdinOnce", kBool},   {"Env", kList},        {"Cmd", kList},
      {"Healthcheck", kNull},  {"ArgsEscaped", kBool}, {"Image", kStr},       {"Volumes", kMap},
      {"WorkingDir", kStr},    {"Entrypoint", kList},  {"NetworkDisabled", kBool}, {"MacAddress", kStr},
      {"OnBuild", kList},      {"Labels", kMap},       {"StopSignal", kStr},  {"StopTimeout", kNull},
      {"Shell", kList}};
  json_t* c = json_object();
  for (const auto& [k, zero] : kFields) {
    json_t* v = json_is_object(old) ? json_object_get(old, k) : nullptr;
    if (v && !json_is_null(v)) json_object_set(c, k, v);
    else if (zero == kStr) json_object_set_new(c, k, json_string(""));
    else if (zero == kBool) json_object_set_new(c, k, json_false());
    else if (zero == kList) json_object_set_new(c, k, json_array());
    else if (zero == kMap) json_object_set_new(c, k, json_object());
    else json_object_set_new(c, k, json_null());
  }
  const char* k;
  json_t* v;
  if (json_is_object(old))
    json_object_foreach(old, k, v) if (!json_object_get(c, k)) json_object_set(c, k, v);
  json_object_set_new(image, "Config", c);
}

}  // namespace

int cmd_image_inspect(const Global& g, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {
      {"format", "f", true, false,
       "Format output using a custom template: 'json' (compact) or a Go template over docker's inspect object"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "image inspect [OPTIONS] IMAGE [IMAGE...]",
                         "Display detailed information on one or more images", &code);
  if (!p.ok()) return code;
  if (p->positional.empty()) {
    std::fprintf(stderr, "\"hutch image inspect\" requires at least 1 argument.\nSee 'hutch image inspect --help'.\n");
    return 125;
  }
  std::string format = p->get("format");
  std::optional<tmpl::Template> t;
  if (!format.empty() && format != "json") {
    auto parsed = tmpl::Template::parse(format);
    // docker exits 64 (EX_USAGE) for a template that does not parse.
    if (!parsed.ok()) return fail(Error::plain(EINVAL, "template parsing error: " + parsed.error().innermost()), 64);
    t = std::move(parsed).value();
  }
  engine::Images images(g.root);
  json::Ptr all(json_array());
  std::string out;
  std::vector<std::string> errors;
  for (const auto& name : p->positional) {
    auto text = images.inspect_json(name);
    auto obj = text.ok() ? json::parse(*text) : Result<json::Ptr>(text.error());
    if (!obj.ok()) {
      errors.push_back(obj.error().message());
      continue;
    }
    if (!t) {
      json_array_append(all.get(), obj->get());
      continue;
    }
    add_zero_fields(obj->get());
    auto r = t->execute(obj->get());
    if (!r.ok()) {
      errors.push_back("template parsing error: " + r.error().innermost());
      continue;
    }
    out += *r + "\n";
  }
  if (!t) out = json::dump(all.get(), format == "json" ? 0 : 4) + "\n";
  else if (out.empty()) out = "\n";
  print(out);
  if (errors.empty()) return 0;
  std::string msg;
  for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
  return fail(Error::plain(0, msg));
}

}  // namespace hutch::cli
