#include "monitor/resident.h"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace hutch::monitor {

namespace {

int trim_object(struct dl_phdr_info* info, size_t, void*) {
  // Only the executable itself (the first object, name ""): the monitor is
  // linked statically; a dynamic build leaves shared libraries alone.
  if (info->dlpi_name && info->dlpi_name[0] != '\0') return 0;
  uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W)) continue;
    uintptr_t start = (info->dlpi_addr + ph.p_vaddr) & ~(page - 1);
    uintptr_t end = (info->dlpi_addr + ph.p_vaddr + ph.p_memsz + page - 1) & ~(page - 1);
    // MADV_DONTNEED on a private file mapping that was never written drops
    // the page table entries only; the next access faults the same file
    // contents back in (madvise(2)).
    ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
  return 1;
}

}  // namespace

void trim_code() {
  // The heap first: malloc_trim's own code would fault back in (with its
  // 16 neighbours) after the unmap.
  ::malloc_trim(0);
  ::dl_iterate_phdr(trim_object, nullptr);
}

}  // namespace hutch::monitor
