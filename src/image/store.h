// ContentStore: the content-addressed blob store under <root>/blobs.
//
// Layout (documented in docs/design/on-disk-layout.md):
//   <root>/blobs/sha256/<hex>     immutable blobs (manifests, configs, layers)
//   <root>/ingest/<owner>-<random> partial writes; renamed into blobs/ only
//                                 after the digest and size verified
// A blob becomes visible atomically (write temp, fsync, rename, fsync dir);
// a crash leaves at most an ingest file that the next GC removes. Several
// hutch processes may write the same blob at once: the rename is idempotent.
// Thread-safety: an instance may be shared; operations are independent.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "image/digest.h"

namespace hutch::image {

class BlobWriter;

class ContentStore {
 public:
  explicit ContentStore(std::string root) : root_(std::move(root)) {}
  // Creates the directories.
  Status init() const;
  const std::string& root() const { return root_; }

  // Digests must be valid (from Digest::parse or Sha256); the functions
  // below check that themselves. A missing blob is an ENOENT error.
  std::string blob_path(const Digest& d) const;
  bool has(const Digest& d) const;
  Result<uint64_t> size(const Digest& d) const;
  Result<std::string> read(const Digest& d, size_t max_size = 64 << 20) const;
  Result<UniqueFd> open(const Digest& d) const;

  // Starts a write; `expected` (digest and size) is checked at commit, and a
  // write past `expected_size` fails at once. Only sha256 can be verified.
  Result<BlobWriter> writer(std::optional<Digest> expected = std::nullopt,
                            std::optional<uint64_t> expected_size = std::nullopt) const;
  // Writes a whole blob from memory; returns its digest.
  Result<Digest> put(std::string_view data, std::optional<Digest> expected = std::nullopt) const;

  Status remove(const Digest& d) const;
  Result<std::vector<Digest>> list() const;
  // Removes ingest files left by processes that died (their names start
  // with the owner's tag, base/proc.h) and any older than `age_seconds`.
  Status clean_ingest(int age_seconds) const;

 private:
  std::string root_;
};

// Streams bytes into an ingest file while hashing them; commit() verifies
// and renames into place. Destroying an uncommitted writer removes its file,
// and so does any failed write or commit: the writer is then closed. The
// store must outlive its writers.
class BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) noexcept;
  ~BlobWriter();
  Status write(const void* data, size_t size);
  uint64_t written() const { return written_; }
  // Verifies digest/size (mismatch: nothing stored, error names both).
  Result<Digest> commit();

 private:
  friend class ContentStore;
  BlobWriter() = default;
  // Closes and unlinks the ingest file (failure, destruction, duplicate).
  void discard();
  const ContentStore* store_ = nullptr;
  UniqueFd fd_;
  std::string tmp_path_;
  std::unique_ptr<Sha256> hash_;
  uint64_t written_ = 0;
  std::optional<Digest> expected_;
  std::optional<uint64_t> expected_size_;
};

}  // namespace hutch::image
