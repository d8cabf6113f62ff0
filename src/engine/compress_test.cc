#include "engine/compress.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/fs.h"

namespace hutch::engine {
namespace {

class CompressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hutch-compress-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (int i = 0; i < 300000; ++i) input_ += static_cast<char>("layer-bytes\n"[i % 12] + (i / 4096) % 3);
  }
  void TearDown() override { ASSERT_TRUE(fs::remove_all(dir_).ok()); }

  // The input in 40000-byte pieces, as the layer store hands them out.
  TarChunks reader() {
    pos_ = 0;
    return [this]() -> Result<std::string_view> {
      size_t n = std::min<size_t>(40000, input_.size() - pos_);
      std::string_view piece(input_.data() + pos_, n);
      pos_ += n;
      return piece;
    };
  }
  std::string read_all(const CompressedBlob& b) {
    std::string out(b.size, '\0');
    EXPECT_EQ(::pread(b.fd.get(), out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    return out;
  }

  std::string dir_, input_;
  size_t pos_ = 0;
};

TEST_F(CompressTest, GzipRoundTripAndDigests) {
  auto b = compress_layer(reader(), Compression::kGzip, dir_);
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(b->plain_size, input_.size());
  EXPECT_EQ(b->diff_id, image::sha256_of(input_));
  std::string blob = read_all(*b);
  EXPECT_EQ(b->digest, image::sha256_of(blob));
  ASSERT_GE(blob.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(blob[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(blob[1]), 0x8b);
  // Same input, same blob: pushes of one layer agree with each other.
  auto again = compress_layer(reader(), Compression::kGzip, dir_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->digest, b->digest);
  std::vector<char> out(input_.size() + 16);
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(blob.data());
  z.avail_in = static_cast<uInt>(blob.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  EXPECT_EQ(std::string(out.data(), z.total_out), input_);
  inflateEnd(&z);
}

TEST_F(CompressTest, ZstdRoundTrip) {
  auto b = compress_layer(reader(), Compression::kZstd, dir_);
  ASSERT_TRUE(b.ok()) << b.error().message();
  std::string blob = read_all(*b);
  EXPECT_EQ(b->digest, image::sha256_of(blob));
  std::string out(input_.size(), '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), blob.data(), blob.size());
  ASSERT_FALSE(ZSTD_isError(n));
  EXPECT_EQ(out.substr(0, n), input_);
}

TEST_F(CompressTest, ReaderErrorsPassThrough) {
  auto b = compress_layer([]() -> Result<std::string_view> { return Error::plain(EIO, "layer file vanished"); },
                          Compression::kGzip, dir_);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("layer file vanished"), std::string::npos);
}

}  // namespace
}  // namespace hutch::engine
