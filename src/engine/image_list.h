// What `docker images` asks of the daemon: the image list with docker's
// --filter semantics (dangling, reference, before, since, label, until),
// newest first, each image with the creation time and labels of its
// config and its familiar tags and repo digests.
//
// The filter logic is pure (parse_image_filters, path_match,
// filter_images) and unit-tested; list_images() reads the store.
// Thread-safety: pure functions and independent store reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_index.h"

namespace hutch::engine {

struct ImageFilters {
  std::optional<bool> dangling;
  std::vector<std::string> references;  // path.Match patterns; any may match
  // label=KEY or label=KEY=VALUE; all must match.
  std::vector<std::pair<std::string, std::optional<std::string>>> labels;
  std::optional<std::string> before, since;  // image names or IDs
  std::optional<int64_t> until;              // unix seconds
};

// Parses --filter values ("dangling=true", "reference=busy*"). Keys are
// case-insensitive and values trimmed, as docker's filters.ParseFlag does.
// A value without "=" is EINVAL "bad format of filter (expected
// name=value)"; an unknown key or bad value "invalid filter 'k=v'".
// `now` resolves until=DURATION.
Result<ImageFilters> parse_image_filters(const std::vector<std::string>& values, int64_t now);

// Go's path.Match, which docker's reference filter uses: '*' and '?' do not
// match '/', "[a-z]" classes, '\' escapes. EINVAL "syntax error in
// pattern" for a malformed pattern.
Result<bool> path_match(std::string_view pattern, std::string_view name);

struct ImageSummary {
  image::ImageRecord record;
  std::vector<std::string> tags;     // familiar "busybox:latest", filtered by reference=
  std::vector<std::string> digests;  // familiar "busybox@sha256:…"
  int64_t created = 0;               // the config's "created" (store time when absent)
  std::map<std::string, std::string> labels;
  // docker reports -1 (shown "N/A") when it did not compute these.
  int64_t shared_size = -1;
  int64_t containers = -1;
};

// "busybox:latest" -> "busybox"; "busybox@sha256:…" -> "busybox".
std::string familiar_repository(const std::string& familiar);

// docker's daemon-side selection over summaries with created, labels and
// unfiltered tags set; `before`/`since` are the creation times of those
// images. Keeps only the tags that match reference=; sorts newest first.
Result<std::vector<ImageSummary>> filter_images(std::vector<ImageSummary> all, const ImageFilters& f,
                                                std::optional<int64_t> before, std::optional<int64_t> since);

// The images under `root`, filtered as `docker images --filter` does.
Result<std::vector<ImageSummary>> list_images(const std::string& root, const ImageFilters& f);

// RFC 3339 ("2024-05-01T10:00:00.5Z", "+02:00" offsets) to unix seconds.
std::optional<int64_t> parse_rfc3339(std::string_view s);

}  // namespace hutch::engine
