#include "controller/engine/docker_pause.h"

#include <cstdint>

#include "controller/engine/tar_writer.h"

namespace skiff::controller::engine::docker {

namespace {

void le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

// ELF64 header, one PT_LOAD program header, then the code at 0x400078:
//   loop: mov eax, 34 (pause) ; syscall ; jmp loop
// SIGTERM to pid 1 of a pid namespace without a handler is ignored, so the sandbox is ended
// with SIGKILL (docker rm -f), as pause containers are.
std::string pause_elf() {
  const std::string code("\xb8\x22\x00\x00\x00\x0f\x05\xeb\xf7", 9);
  const uint64_t total = 64 + 56 + code.size();
  std::string elf(
      "\x7f"
      "ELF\x02\x01\x01\x00",
      8);
  elf.append(8, '\0');
  le(elf, 2, 2);         // e_type: EXEC
  le(elf, 0x3e, 2);      // e_machine: x86-64
  le(elf, 1, 4);         // e_version
  le(elf, 0x400078, 8);  // e_entry
  le(elf, 64, 8);        // e_phoff
  le(elf, 0, 8);         // e_shoff
  le(elf, 0, 4);         // e_flags
  le(elf, 64, 2);        // e_ehsize
  le(elf, 56, 2);        // e_phentsize
  le(elf, 1, 2);         // e_phnum
  le(elf, 0, 2);         // e_shentsize
  le(elf, 0, 2);         // e_shnum
  le(elf, 0, 2);         // e_shstrndx
  le(elf, 1, 4);         // p_type: LOAD
  le(elf, 5, 4);         // p_flags: R X
  le(elf, 0, 8);         // p_offset
  le(elf, 0x400000, 8);  // p_vaddr
  le(elf, 0x400000, 8);  // p_paddr
  le(elf, total, 8);     // p_filesz
  le(elf, total, 8);     // p_memsz
  le(elf, 0x1000, 8);    // p_align
  return elf + code;
}

}  // namespace

std::string pause_rootfs_tar() {
#if defined(__x86_64__)
  TarWriter tar;
  tar.add_file("pause", pause_elf(), 0755);
  return tar.finish();
#else
  return {};
#endif
}

}  // namespace skiff::controller::engine::docker
