// Unit tests for digests: parsing per image-spec descriptor.md#digests and
// SHA-256 against known vectors (FIPS 180-2 examples).
#include "image/digest.h"

#include <gtest/gtest.h>

#include <string>

namespace hutch::image {
namespace {

const std::string kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Digest, ParsesSha256) {
  auto d = Digest::parse("sha256:" + kAbc);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->algorithm, "sha256");
  EXPECT_EQ(d->hex, kAbc);
  EXPECT_EQ(d->str(), "sha256:" + kAbc);
}

TEST(Digest, ParsesSha512) {
  auto d = Digest::parse("sha512:" + std::string(128, 'a'));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->algorithm, "sha512");
}

TEST(Digest, RefusesBadShapes) {
  struct Case {
    std::string text, want;
  };
  const Case cases[] = {
      {"", "want algorithm:hex"},
      {kAbc, "want algorithm:hex"},
      {"sha256:", "empty encoded part"},
      {":" + kAbc, "the algorithm must match"},
      {"SHA256:" + kAbc, "the algorithm must match"},
      {"sha256+:" + kAbc, "the algorithm must match"},
      {"+sha256:" + kAbc, "the algorithm must match"},
      {"sha..256:" + kAbc, "the algorithm must match"},
      {"sha256:" + kAbc.substr(1), "sha256 wants 64 lower-case hex digits"},
      {"sha256:" + kAbc + "0", "sha256 wants 64 lower-case hex digits"},
      {"sha256:" + std::string(64, 'A'), "sha256 wants 64 lower-case hex digits"},
      {"sha256:" + std::string(64, 'g'), "sha256 wants 64 lower-case hex digits"},
      {"sha256:" + kAbc.substr(0, 63) + ":", "the encoded part must match"},
      {"sha256:../" + kAbc.substr(3), "the encoded part must match"},
      {"sha512:" + kAbc, "sha512 wants 128 lower-case hex digits"},
      {"sha256:xyz", "sha256 wants 64"},
  };
  for (const auto& c : cases) {
    auto d = Digest::parse(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_EQ(d.error().code(), EINVAL) << c.text;
    EXPECT_NE(d.error().message().find(c.want), std::string::npos) << c.text << " -> " << d.error().message();
    EXPECT_NE(d.error().message().find("invalid digest"), std::string::npos);
  }
}

TEST(Digest, RefusesOtherAlgorithmsAsUnsupported) {
  for (const char* text :
       {"blake3:abc", "sha384:abc", "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"}) {
    auto d = Digest::parse(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.error().code(), ENOTSUP) << text;
    EXPECT_NE(d.error().message().find("unsupported digest algorithm"), std::string::npos) << d.error().message();
  }
}

TEST(Digest, QuotesHostileTextShortAndEscaped) {
  auto d = Digest::parse(std::string("sha256:\n\"") + std::string(500, 'x'));
  ASSERT_FALSE(d.ok());
  std::string m = d.error().message();
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_NE(m.find("\\x0a\\\""), std::string::npos) << m;
  EXPECT_LT(m.size(), 300u);
}

TEST(Digest, OrdersAndCompares) {
  Digest a = sha256_of("a"), b = sha256_of("b");
  EXPECT_EQ(a, sha256_of("a"));
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a < b || b < a);
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_of("").str(), "sha256:" + kEmpty);
  EXPECT_EQ(sha256_of("abc").str(), "sha256:" + kAbc);
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex,
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, StreamsInChunksAndRestartsAfterFinish) {
  std::string million(1000000, 'a');
  Sha256 h;
  for (size_t off = 0; off < million.size(); off += 4093)
    h.update(million.data() + off, std::min<size_t>(4093, million.size() - off));
  EXPECT_EQ(h.finish().hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  h.update("abc", 3);
  EXPECT_EQ(h.finish().hex, kAbc);
  EXPECT_EQ(h.finish().hex, kEmpty);
}

TEST(Sha256, ResultParses) {
  auto d = Digest::parse(sha256_of("hutch").str());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, sha256_of("hutch"));
}

}  // namespace
}  // namespace hutch::image
