// The .pth reader on hand-built archives: it must rebuild tensors from torch.save's records and refuse
// everything else (code-running globals, unknown opcodes, storages that do not fit).
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include "crafted.hpp"

namespace {

using test::archive;
using test::floats;
using test::tensor_dict_pickle;
using test::zip;
using test::pkl_global;
using test::pkl_str;

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
  std::string os_system = "\x80\x02" + pkl_global("os", "system") + "(" + pkl_str("echo pwned") + "tR.";
  expect_format_error(archive(os_system, ""), "refusing global 'os.system'");
  std::string eval = "\x80\x02" + pkl_global("builtins", "eval") + "(" + pkl_str("1") + "tR.";
  expect_format_error(archive(eval, ""), "refusing global 'builtins.eval'");
  std::string torch_load = "\x80\x02" + pkl_global("torch", "load") + ".";
  expect_format_error(archive(torch_load, ""), "refusing global 'torch.load'");
}

TEST_CASE("opcodes that build arbitrary objects are refused") {
  expect_format_error(archive("\x80\x02" + pkl_global("collections", "OrderedDict") + ")\x81.", ""), "unsupported pickle opcode 0x81");
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
