// The tar writer behind `skiff build --engine docker` and the pause image: valid ustar
// headers (checked field by field, checksum included), pax records for long names, and a
// folder archived as GNU tar reads it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "controller/engine/docker_pause.h"
#include "controller/engine/tar_writer.h"

using skiff::controller::engine::TarWriter;
namespace fs = std::filesystem;

namespace {

uint64_t octal(const std::string& block, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = offset; i < offset + width && block[i] >= '0' && block[i] <= '7'; ++i) {
    v = v * 8 + static_cast<uint64_t>(block[i] - '0');
  }
  return v;
}

bool checksum_ok(const std::string& block) {
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  }
  return sum == octal(block, 148, 8);
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

}  // namespace

TEST_CASE("a file entry is a valid ustar header, its content padded to 512 bytes") {
  TarWriter tar;
  tar.add_file("app/app.py", "print('hi')\n", 0755);
  const std::string archive = tar.finish();
  REQUIRE(archive.size() == 512 + 512 + 1024);
  const std::string header = archive.substr(0, 512);
  CHECK(header.substr(0, 10) == "app/app.py");
  CHECK(octal(header, 100, 8) == 0755);
  CHECK(octal(header, 124, 12) == 12);
  CHECK(header[156] == '0');
  CHECK(header.substr(257, 6) == std::string("ustar\0", 6));
  CHECK(checksum_ok(header));
  CHECK(archive.substr(512, 12) == "print('hi')\n");
  CHECK(archive.find_first_not_of('\0', 1024) == std::string::npos);
}

TEST_CASE("names longer than 100 bytes get a pax path record") {
  const std::string long_name = std::string(150, 'd') + "/file.txt";
  TarWriter tar;
  tar.add_file(long_name, "x");
  tar.add_symlink("link", std::string(120, 't'));
  const std::string archive = tar.finish();
  const std::string pax = archive.substr(0, 512);
  CHECK(pax[156] == 'x');
  CHECK(checksum_ok(pax));
  const std::string record = archive.substr(512, octal(pax, 124, 12));
  CHECK(record == std::to_string(record.size()) + " path=" + long_name + "\n");
}

TEST_CASE("a folder is archived so that tar lists and extracts it as it was") {
  const fs::path dir = fs::temp_directory_path() / ("skiff-tar-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sub" / std::string(120, 'n'));
  std::ofstream(dir / "Dockerfile") << "FROM scratch\n";
  std::ofstream(dir / "sub" / "empty.txt");
  std::ofstream(dir / "sub" / std::string(120, 'n') / "deep.txt") << "deep";
  fs::create_symlink("Dockerfile", dir / "link");
  auto archive = skiff::controller::engine::tar_directory(dir);
  REQUIRE(archive);
  const fs::path tarball = dir.string() + ".tar";
  std::ofstream(tarball, std::ios::binary) << *archive;
  const std::string listing = run("tar -tf " + tarball.string() + " | LC_ALL=C sort");
  const std::string deep = "sub/" + std::string(120, 'n') + "/";
  CHECK(listing == "Dockerfile\nlink\nsub/\nsub/empty.txt\n" + deep + "\n" + deep + "deep.txt\n");
  const fs::path out = dir.string() + "-x";
  fs::create_directories(out);
  CHECK(run("tar -xf " + tarball.string() + " -C " + out.string() + " && cat " +
            (out / "sub" / std::string(120, 'n') / "deep.txt").string()) == "deep");
  CHECK(fs::read_symlink(out / "link") == "Dockerfile");
  fs::remove_all(dir);
  fs::remove_all(out);
  fs::remove(tarball);

  CHECK_FALSE(skiff::controller::engine::tar_directory(dir));  // gone: an error, no throw
}

TEST_CASE("the pause image's root holds an executable /pause") {
  const std::string rootfs = skiff::controller::engine::docker::pause_rootfs_tar();
#if defined(__x86_64__)
  REQUIRE(rootfs.size() >= 1024);
  CHECK(rootfs.substr(0, 5) == "pause");
  CHECK(octal(rootfs, 100, 8) == 0755);
  CHECK(rootfs.substr(512, 4) ==
        "\x7f"
        "ELF");
#else
  CHECK(rootfs.empty());
#endif
}
