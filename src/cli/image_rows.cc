#include "cli/image_rows.h"

#include <algorithm>

#include "cli/format.h"

namespace hutch::cli {

json::Ptr image_row(const engine::ImageSummary& s, const std::string& repository, const std::string& tag,
                    const std::string& digest, const RowOptions& o) {
  json::Ptr row(json_object());
  auto set = [&](const char* k, const std::string& v) { json_object_set_new(row.get(), k, json::str(v)); };
  double size = static_cast<double>(s.record.size);
  set("Containers", s.containers < 0 ? "N/A" : std::to_string(s.containers));
  set("CreatedAt", go_time(s.created));
  set("CreatedSince", human_duration(o.now - s.created) + " ago");
  set("Digest", digest);
  set("ID", o.trunc ? truncate_id(s.record.config) : s.record.config);
  set("Repository", repository);
  set("SharedSize", s.shared_size < 0 ? "N/A" : human_size(static_cast<double>(s.shared_size)));
  set("Size", human_size(size, 3));
  set("Tag", tag);
  set("UniqueSize", s.shared_size < 0 ? "N/A" : human_size(size - static_cast<double>(s.shared_size)));
  set("VirtualSize", human_size(size));
  return row;
}

std::vector<json::Ptr> image_rows(const engine::ImageSummary& s, const RowOptions& o) {
  std::vector<json::Ptr> rows;
  if (s.tags.empty() && s.digests.empty()) {
    rows.push_back(image_row(s, "<none>", "<none>", "<none>", o));
    return rows;
  }
  // Repositories in the order their first tag or digest appears.
  std::vector<std::pair<std::string, std::vector<std::string>>> tags, digests;
  auto add = [](auto& list, const std::string& repo, const std::string& v) {
    auto it = std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.first == repo; });
    if (it == list.end()) list.push_back({repo, {v}});
    else it->second.push_back(v);
  };
  for (const auto& t : s.tags) {
    std::string repo = engine::familiar_repository(t);
    add(tags, repo, t.substr(std::min(repo.size() + 1, t.size())));
  }
  for (const auto& d : s.digests) {
    auto at = d.find('@');
    if (at != std::string::npos) add(digests, d.substr(0, at), d.substr(at + 1));
  }
  for (const auto& [repo, repo_tags] : tags) {
    std::vector<std::string> ds;
    auto it = std::find_if(digests.begin(), digests.end(), [&](const auto& e) { return e.first == repo; });
    if (it != digests.end()) {
      ds = it->second;
      digests.erase(it);
    }
    if (!o.need_digest) ds.clear();
    for (const auto& tag : repo_tags) {
      if (ds.empty()) rows.push_back(image_row(s, repo, tag, "<none>", o));
      for (const auto& d : ds) rows.push_back(image_row(s, repo, tag, d, o));
    }
  }
  for (const auto& [repo, ds] : digests) {
    if (o.digests)
      for (const auto& d : ds) rows.push_back(image_row(s, repo, "<none>", d, o));
    else
      rows.push_back(image_row(s, repo, "<none>", "", o));
  }
  return rows;
}

json::Ptr image_header() {
  json::Ptr h(json_object());
  const std::pair<const char*, const char*> kNames[] = {
      {"Containers", "CONTAINERS"}, {"CreatedAt", "CREATED AT"}, {"CreatedSince", "CREATED"},
      {"Digest", "DIGEST"},         {"ID", "IMAGE ID"},          {"Repository", "REPOSITORY"},
      {"SharedSize", "SHARED SIZE"}, {"Size", "SIZE"},            {"Tag", "TAG"},
      {"UniqueSize", "UNIQUE SIZE"}, {"VirtualSize", "SIZE"}};
  for (const auto& [k, v] : kNames) json_object_set_new(h.get(), k, json::str(v));
  return h;
}

}  // namespace hutch::cli
