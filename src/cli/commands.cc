#include "cli/commands.h"

namespace hutch::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
      {"boot", cmd_boot, "Start the containers whose restart policy asks for it (after a reboot)"},
      {"commit", cmd_commit, "Create a new image from a container's changes"},
      {"container", cmd_container, "Manage containers"},
      {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
      {"create", cmd_create, "Create a new container"},
      {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
      {"events", cmd_events, "Get real time events from the server"},
      {"exec", cmd_exec, "Execute a command in a running container"},
      {"export", cmd_export, "Export a container's filesystem as a tar archive"},
      {"history", cmd_history, "Show the history of an image"},
      {"image", cmd_image, "Manage images"},
      {"images", cmd_images, "List images"},
      {"import", cmd_import, "Import the contents from a tarball to create a filesystem image"},
      {"info", cmd_info, "Display system-wide information"},
      {"inspect", cmd_inspect, "Return low-level information on containers, images or volumes"},
      {"kill", cmd_kill, "Kill one or more running containers"},
      {"load", cmd_load, "Load an image from a tar archive or STDIN"},
      {"login", cmd_login, "Log in to a registry"},
      {"logout", cmd_logout, "Log out from a registry"},
      {"logs", cmd_logs, "Fetch the logs of a container"},
      {"manifest", cmd_manifest, "Manage manifest lists (multi-platform images)"},
      {"network", cmd_network, "Manage networks"},
      {"pause", cmd_pause, "Pause all processes within one or more containers"},
      {"port", cmd_port, "List port mappings or a specific mapping for the container"},
      {"ps", cmd_ps, "List containers"},
      {"pull", cmd_pull, "Download an image from a registry"},
      {"push", cmd_push, "Upload an image to a registry"},
      {"rename", cmd_rename, "Rename a container"},
      {"restart", cmd_restart, "Restart one or more containers"},
      {"rm", cmd_rm, "Remove one or more containers"},
      {"rmi", cmd_rmi, "Remove one or more images"},
      {"save", cmd_save, "Save one or more images to a tar archive"},
      {"run", cmd_run, "Create and run a new container from an image"},
      {"search", cmd_search, "Search a registry for images"},
      {"shell", cmd_shell, "Open a shell in a running container"},
      {"start", cmd_start, "Start one or more stopped containers"},
      {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics"},
      {"stop", cmd_stop, "Stop one or more running containers"},
      {"system", cmd_system, "Manage hutch"},
      {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
      {"top", cmd_top, "Display the running processes of a container"},
      {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
      {"update", cmd_update, "Update configuration of one or more containers"},
      {"version", cmd_version, "Show the hutch version information"},
      {"volume", cmd_volume, "Manage volumes"},
      {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
  };
  return kCommands;
}

}  // namespace hutch::cli
