// The .pth reader on hand-built archives: it must rebuild tensors from torch.save's records and refuse
// everything else (code-running globals, unknown opcodes, storages that do not fit).
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include "test_util.hpp"

namespace {

// A stored-only zip writer, enough to assemble torch.save-shaped archives byte by byte.
std::string zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out, dir;
  auto u16 = [](std::string& s, std::uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); };
  auto u32 = [](std::string& s, std::uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); };
  for (const auto& [name, data] : files) {
    auto offset = static_cast<std::uint32_t>(out.size());
    u32(out, 0x04034b50); u16(out, 20); u16(out, 0); u16(out, 0); u16(out, 0); u16(out, 0);
    u32(out, 0); u32(out, static_cast<std::uint32_t>(data.size())); u32(out, static_cast<std::uint32_t>(data.size()));
    u16(out, static_cast<std::uint16_t>(name.size())); u16(out, 0);
    out += name + data;
    u32(dir, 0x02014b50); u16(dir, 20); u16(dir, 20); u16(dir, 0); u16(dir, 0); u16(dir, 0); u16(dir, 0);
    u32(dir, 0); u32(dir, static_cast<std::uint32_t>(data.size())); u32(dir, static_cast<std::uint32_t>(data.size()));
    u16(dir, static_cast<std::uint16_t>(name.size())); u16(dir, 0); u16(dir, 0); u16(dir, 0); u16(dir, 0); u32(dir, 0);
    u32(dir, offset);
    dir += name;
  }
  auto dir_offset = static_cast<std::uint32_t>(out.size());
  out += dir;
  u32(out, 0x06054b50); u16(out, 0); u16(out, 0);
  u16(out, static_cast<std::uint16_t>(files.size())); u16(out, static_cast<std::uint16_t>(files.size()));
  u32(out, static_cast<std::uint32_t>(dir.size())); u32(out, dir_offset); u16(out, 0);
  return out;
}

// Pickle protocol-2 fragments.
std::string str(const std::string& s) {
  auto n = static_cast<std::uint32_t>(s.size());
  return "X" + std::string(reinterpret_cast<const char*>(&n), 4) + s;
}
std::string int1(unsigned v) { return std::string("K") + static_cast<char>(v); }
std::string global(const std::string& mod, const std::string& name) { return "c" + mod + "\n" + name + "\n"; }

// {name: tensor(storage key "0", <storage_type> numel, offset, shape, stride)}
std::string tensor_dict_pickle(const std::string& storage_type, unsigned numel, unsigned offset, std::vector<unsigned> shape,
                               std::vector<unsigned> stride) {
  std::string p("\x80\x02}q\0(", 6);  // PROTO 2, EMPTY_DICT, BINPUT 0, MARK
  p += str("w");
  p += global("torch._utils", "_rebuild_tensor_v2");
  p += "(";                                                       // args tuple
  p += "(" + str("storage") + global("torch", storage_type) + str("0") + str("cpu") + int1(numel) + "tQ";  // BINPERSID
  p += int1(offset);
  p += "(";
  for (auto s : shape) p += int1(s);
  p += "t(";
  for (auto s : stride) p += int1(s);
  p += "t\x89";                                                   // requires_grad False
  p += global("collections", "OrderedDict") + ")R";               // backward hooks
  p += "tR";                                                      // call _rebuild_tensor_v2
  p += "u.";                                                      // SETITEMS, STOP
  return p;
}

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

std::string archive(const std::string& pkl, const std::string& storage) {
  return zip({{"archive/data.pkl", pkl}, {"archive/data/0", storage}, {"archive/version", "3\n"}});
}

rwkv7::TensorTable read(const std::string& bytes) { return rwkv7::load_tensors(rwkv7::FileBytes::view(bytes.data(), bytes.size(), "crafted.pth")); }

void expect_format_error(const std::string& bytes, const std::string& fragment) {
  try {
    read(bytes);
    FAIL("accepted; expected an error containing: " << fragment);
  } catch (const rwkv7::Error& e) {
    std::string what = e.what();
    CAPTURE(what);
    CHECK(e.code() == rwkv7::Errc::format);
    CHECK(std::string(e.what()).find("crafted.pth") != std::string::npos);
    CHECK(std::string(e.what()).find(fragment) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("a hand-built torch.save archive is rebuilt into a zero-copy view") {
  std::string bytes = archive(tensor_dict_pickle("FloatStorage", 6, 2, {2, 2}, {2, 1}), floats({9, 9, 1, 2, 3, 4}));
  auto table = read(bytes);
  const rwkv7::TensorView* w = table.find("w");
  REQUIRE(w != nullptr);
  CHECK(w->dtype == rwkv7::DType::f32);
  CHECK(w->shape == rwkv7::Shape{2, 2});
  float v[4];
  std::memcpy(v, w->data, 16);
  CHECK(v[0] == 1.0f);
  CHECK(v[3] == 4.0f);
  CHECK(reinterpret_cast<const char*>(w->data) > bytes.data());  // points into the archive itself
  CHECK(reinterpret_cast<const char*>(w->data) < bytes.data() + bytes.size());
}

TEST_CASE("globals outside the allow-list are refused, never resolved") {
  std::string os_system = "\x80\x02" + global("os", "system") + "(" + str("echo pwned") + "tR.";
  expect_format_error(archive(os_system, ""), "refusing global 'os.system'");
  std::string eval = "\x80\x02" + global("builtins", "eval") + "(" + str("1") + "tR.";
  expect_format_error(archive(eval, ""), "refusing global 'builtins.eval'");
  std::string torch_load = "\x80\x02" + global("torch", "load") + ".";
  expect_format_error(archive(torch_load, ""), "refusing global 'torch.load'");
}

TEST_CASE("opcodes that build arbitrary objects are refused") {
  expect_format_error(archive("\x80\x02" + global("collections", "OrderedDict") + ")\x81.", ""), "unsupported pickle opcode 0x81");
  expect_format_error(archive("\x80\x02(S'x'\n.", ""), "unsupported pickle opcode 0x53");
}

TEST_CASE("storages and tensors that do not fit are refused, naming the tensor") {
  SUBCASE("storage larger than its entry") {
    expect_format_error(archive(tensor_dict_pickle("FloatStorage", 100, 0, {2, 2}, {2, 1}), floats({1, 2, 3, 4})),
                        "tensor 'w': storage claims 100 elements");
  }
  SUBCASE("view past the end of its storage") {
    expect_format_error(archive(tensor_dict_pickle("FloatStorage", 4, 3, {2, 2}, {2, 1}), floats({1, 2, 3, 4})), "tensor 'w': offset 3");
  }
  SUBCASE("non-contiguous view") {
    expect_format_error(archive(tensor_dict_pickle("FloatStorage", 4, 0, {2, 2}, {1, 2}), floats({1, 2, 3, 4})), "is not contiguous");
  }
  SUBCASE("storage entry missing from the archive") {
    auto pkl = tensor_dict_pickle("FloatStorage", 4, 0, {2, 2}, {2, 1});
    expect_format_error(zip({{"archive/data.pkl", pkl}}), "tensor 'w': its storage 'data/0' is missing");
  }
  SUBCASE("unknown storage type") {
    expect_format_error(archive(tensor_dict_pickle("EvilStorage", 4, 0, {2, 2}, {2, 1}), floats({1, 2, 3, 4})),
                        "refusing global 'torch.EvilStorage'");
  }
  SUBCASE("memo read before write, stack underflow") {
    expect_format_error(archive("\x80\x02h\x05.", ""), "memo index 5 was never stored");
    expect_format_error(archive("\x80\x02s.", ""), "SETITEM on an empty stack");
  }
  SUBCASE("no data.pkl") { expect_format_error(zip({{"archive/other", "x"}}), "no data.pkl"); }
}

TEST_CASE("an int64 tensor loads as unsupported and is refused only when the model uses it") {
  auto table = read(archive(tensor_dict_pickle("LongStorage", 4, 0, {4}, {1}), std::string(32, '\0')));
  REQUIRE(table.find("w") != nullptr);
  CHECK(table.find("w")->dtype == rwkv7::DType::unsupported);
}
