// The rows docker's image formatter shows for an image (docker/cli's
// formatter/image.go imageContext): one object per repository:tag, with
// the fields .ID .Repository .Tag .Digest .CreatedSince .CreatedAt .Size
// .Containers .SharedSize .UniqueSize .VirtualSize as docker prints them
// (keys sorted, as its {{json .}} shows them), and the table header names.
// Used by `hutch images` and `hutch system df -v`.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "engine/image_list.h"

namespace hutch::cli {

struct RowOptions {
  bool trunc = true;        // 12-character IDs
  bool digests = false;     // --digests: digest-only references get a row each
  bool need_digest = false; // --digests or a format using {{.Digest}}
  int64_t now = 0;          // for .CreatedSince
};

// One row; `digest` is "sha256:…", "<none>" or "".
json::Ptr image_row(const engine::ImageSummary& s, const std::string& repository, const std::string& tag,
                    const std::string& digest, const RowOptions& o);
// docker's rows for one image: a <none> row for a dangling image, else one
// per tag (and per digest of its repository when need_digest), then its
// digest-only repositories.
std::vector<json::Ptr> image_rows(const engine::ImageSummary& s, const RowOptions& o);
// Column names by field: {"ID": "IMAGE ID", "CreatedSince": "CREATED", …}.
json::Ptr image_header();

}  // namespace hutch::cli
