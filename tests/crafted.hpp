// Writers for hand-made model files, so a test can break any one field on purpose: a stored-only zip, pickle
// fragments in torch.save's shape, and a safetensors file from editable entries.
#pragma once

#include <rwkv7/rwkv7.hpp>

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "test_util.hpp"

namespace test {

inline void put_u16(std::string& s, std::uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); }
inline void put_u32(std::string& s, std::uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
inline void put_u64(std::string& s, std::uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }

// A stored-only zip of (name, bytes) files, as torch.save writes them (without its alignment padding).
inline std::string zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out, dir;
  for (const auto& [name, data] : files) {
    auto offset = static_cast<std::uint32_t>(out.size());
    put_u32(out, 0x04034b50); put_u16(out, 20); put_u16(out, 0); put_u16(out, 0); put_u16(out, 0); put_u16(out, 0);
    put_u32(out, 0); put_u32(out, static_cast<std::uint32_t>(data.size())); put_u32(out, static_cast<std::uint32_t>(data.size()));
    put_u16(out, static_cast<std::uint16_t>(name.size())); put_u16(out, 0);
    out += name + data;
    put_u32(dir, 0x02014b50); put_u16(dir, 20); put_u16(dir, 20); put_u16(dir, 0); put_u16(dir, 0); put_u16(dir, 0); put_u16(dir, 0);
    put_u32(dir, 0); put_u32(dir, static_cast<std::uint32_t>(data.size())); put_u32(dir, static_cast<std::uint32_t>(data.size()));
    put_u16(dir, static_cast<std::uint16_t>(name.size())); put_u16(dir, 0); put_u16(dir, 0); put_u16(dir, 0); put_u16(dir, 0); put_u32(dir, 0);
    put_u32(dir, offset);
    dir += name;
  }
  auto dir_offset = static_cast<std::uint32_t>(out.size());
  out += dir;
  put_u32(out, 0x06054b50); put_u16(out, 0); put_u16(out, 0);
  put_u16(out, static_cast<std::uint16_t>(files.size())); put_u16(out, static_cast<std::uint16_t>(files.size()));
  put_u32(out, static_cast<std::uint32_t>(dir.size())); put_u32(out, dir_offset); put_u16(out, 0);
  return out;
}

// Pickle protocol-2 fragments.
inline std::string pkl_str(const std::string& s) {
  auto n = static_cast<std::uint32_t>(s.size());
  return "X" + std::string(reinterpret_cast<const char*>(&n), 4) + s;
}
inline std::string pkl_int1(unsigned v) { return std::string("K") + static_cast<char>(v); }
inline std::string pkl_global(const std::string& mod, const std::string& name) { return "c" + mod + "\n" + name + "\n"; }

// {name: tensor(storage key "0", <storage_type> numel, offset, shape, stride)}
inline std::string tensor_dict_pickle(const std::string& storage_type, unsigned numel, unsigned offset, std::vector<unsigned> shape,
                                      std::vector<unsigned> stride) {
  std::string p("\x80\x02}q\0(", 6);  // PROTO 2, EMPTY_DICT, BINPUT 0, MARK
  p += pkl_str("w");
  p += pkl_global("torch._utils", "_rebuild_tensor_v2");
  p += "(";                                                                 // args tuple
  p += "(" + pkl_str("storage") + pkl_global("torch", storage_type) + pkl_str("0") + pkl_str("cpu") + pkl_int1(numel) + "tQ";  // BINPERSID
  p += pkl_int1(offset);
  p += "(";
  for (auto s : shape) p += pkl_int1(s);
  p += "t(";
  for (auto s : stride) p += pkl_int1(s);
  p += "t\x89";                                                             // requires_grad False
  p += pkl_global("collections", "OrderedDict") + ")R";                     // backward hooks
  p += "tR";                                                                // call _rebuild_tensor_v2
  p += "u.";                                                                // SETITEMS, STOP
  return p;
}

inline std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

// A torch.save-shaped archive: data.pkl, one storage "0", version.
inline std::string archive(const std::string& pkl, const std::string& storage) {
  return zip({{"archive/data.pkl", pkl}, {"archive/data/0", storage}, {"archive/version", "3\n"}});
}

struct Entry {
  std::string name, dtype;
  rwkv7::Shape shape;
  std::string bytes;
};

// A safetensors file from entries, data in order.
inline std::string write_safetensors(const std::vector<Entry>& entries) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& e : entries) {
    header[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {data.size(), data.size() + e.bytes.size()}}};
    data += e.bytes;
  }
  std::string h = header.dump();
  std::string out;
  put_u64(out, h.size());
  return out + h + data;
}

// The RWKV-LM-named fp32 safetensors fixture (2 layers, width 32), as editable entries.
inline std::vector<Entry> fixture_entries() {
  auto table = rwkv7::load_tensors(fixtures_dir() + "/x070_fp32_rwkvlm.safetensors");
  std::vector<Entry> out;
  for (const auto& t : table.tensors())
    out.push_back({t.name, t.source_dtype, t.shape,
                   std::string(reinterpret_cast<const char*>(t.data), static_cast<std::size_t>(t.numel()) * 4)});
  return out;
}

inline Entry& find_entry(std::vector<Entry>& es, const std::string& name) {
  for (auto& e : es)
    if (e.name == name) return e;
  throw std::runtime_error("fixture lacks " + name);
}

}  // namespace test
