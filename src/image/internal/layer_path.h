// Names inside a layer tar: how an entry's path maps below the layer root,
// and which entries are whiteouts. Pure functions, no file system access.
//
// Entry names are normalised lexically, as Docker and containerd do: a
// leading "/" is dropped ("/etc/x" is stored as "etc/x"), "." and empty
// components are dropped, and ".." removes the previous component. A name
// whose ".." would climb above the root ("../x", "a/../../x") is refused;
// Docker refuses such a layer too ("breakout"). Lexical ".." is safe here
// because the components it cancels are never looked up. Names longer than
// PATH_MAX after normalisation are refused too.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace hutch::image::internal {

// The components of `name` below the layer root; empty for the root itself.
Result<std::vector<std::string>> normalise_entry_path(std::string_view name);

// "a/b/c" from components.
std::string join_components(const std::vector<std::string>& parts, size_t count);

enum class WhiteoutKind {
  kNone,     // an ordinary name
  kFile,     // ".wh.NAME": NAME is deleted
  kOpaque,   // ".wh..wh..opq": the directory hides everything below it
  kIgnored,  // another ".wh..wh." name (AUFS bookkeeping such as ".wh..wh.plnk")
};

struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::kNone;
  std::string name;  // for kFile: the name being deleted
};

// Classifies the last component of an entry. ".wh." with an empty name,
// "." or ".." is refused: it would delete the directory itself or its parent.
Result<Whiteout> classify_whiteout(std::string_view base);

}  // namespace hutch::image::internal
