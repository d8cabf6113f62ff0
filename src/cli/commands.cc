#include "cli/commands.h"

namespace hutch::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"history", cmd_history, "Show the history of an image"},
      {"image", cmd_image, "Manage images"},
      {"images", cmd_images, "List images"},
      {"import", cmd_import, "Import the contents from a tarball to create a filesystem image"},
      {"load", cmd_load, "Load an image from a tar archive or STDIN"},
      {"login", cmd_login, "Log in to a registry"},
      {"logout", cmd_logout, "Log out from a registry"},
      {"manifest", cmd_manifest, "Manage manifest lists (multi-platform images)"},
      {"pull", cmd_pull, "Download an image from a registry"},
      {"push", cmd_push, "Upload an image to a registry"},
      {"rmi", cmd_rmi, "Remove one or more images"},
      {"save", cmd_save, "Save one or more images to a tar archive"},
      {"search", cmd_search, "Search a registry for images"},
      {"system", cmd_system, "Manage hutch"},
      {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
      {"version", cmd_version, "Show the hutch version information"},
  };
  return kCommands;
}

}  // namespace hutch::cli
