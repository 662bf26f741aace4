// rwkv7/io/pth.hpp — reads a PyTorch .pth (the zip archive torch.save writes) holding a dict of tensors.
// data.pkl is decoded by RestrictedUnpickler; tensors are views into the archive's stored data/<key> entries.
#pragma once

#include "restricted_pickle.hpp"
#include "zip_archive.hpp"

namespace rwkv7::detail {

inline TensorTable read_pth(FileBytes bytes) {
  const std::string file = bytes.name();
  auto entries = read_zip_directory(bytes);

  const ZipEntry* pkl = nullptr;
  for (auto& e : entries) {
    bool is_pkl = e.name == "data.pkl" || (e.name.size() > 9 && e.name.compare(e.name.size() - 9, 9, "/data.pkl") == 0);
    if (!is_pkl) continue;
    if (pkl) fail(Errc::format, file + ": archive holds more than one data.pkl");
    pkl = &e;
  }
  if (!pkl) fail(Errc::format, file + ": zip archive has no data.pkl (not a torch.save file)");
  if (!pkl->stored) fail(Errc::format, file + ": data.pkl is compressed; torch.save stores it uncompressed");
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - 8);  // "archive/" (keeps the slash)

  std::map<std::string, const ZipEntry*> by_name;
  for (auto& e : entries) by_name[e.name] = &e;
  if (auto it = by_name.find(prefix + "byteorder"); it != by_name.end()) {
    std::string order(reinterpret_cast<const char*>(it->second->data), static_cast<std::size_t>(it->second->size));
    if (order != "little") fail(Errc::format, file + ": tensors were saved " + order + "-endian; only little-endian is supported");
  }

  PyRef root = RestrictedUnpickler(pkl->data, static_cast<std::size_t>(pkl->size), file).run();
  if (root->kind != PyValue::Kind::dict) fail(Errc::format, file + ": data.pkl does not hold a dict of tensors");

  TensorTable table(std::move(bytes), "pth");
  for (std::size_t i = 0; i + 1 < root->items.size(); i += 2) {
    const auto& key = root->items[i];
    const auto& val = root->items[i + 1];
    if (key->kind != PyValue::Kind::text || val->kind != PyValue::Kind::tensor) continue;  // e.g. an 'epoch' counter
    const std::string& name = key->text;
    auto bad = [&](const std::string& what) { fail(Errc::format, file + ": tensor " + in_quotes(name) + ": " + what); };
    const PyValue& st = *val->storage;
    DType dtype;
    std::size_t elem;
    torch_storage_type(st.storage_type, dtype, elem);

    auto it = by_name.find(prefix + "data/" + st.text);
    if (it == by_name.end()) bad("its storage " + in_quotes("data/" + st.text) + " is missing from the archive");
    const ZipEntry& blob = *it->second;
    if (!blob.stored) bad("its storage is compressed and cannot be mapped");
    std::uint64_t storage_bytes;
    if (!checked_mul(static_cast<std::uint64_t>(st.numel), elem, storage_bytes) || storage_bytes > blob.size)
      bad("storage claims " + std::to_string(st.numel) + " elements but its entry holds " + std::to_string(blob.size) + " bytes");

    // Contiguous row-major only: strides must be the suffix products (size-1 dims may have any stride).
    std::uint64_t numel = tensor_bytes(file, name, val->shape, 1);
    std::int64_t expect = 1;
    for (std::size_t d = val->shape.size(); d-- > 0;) {
      if (val->shape[d] != 1 && val->stride[d] != expect)
        bad("is not contiguous (shape " + shape_str(val->shape) + ", stride " + shape_str(val->stride) +
            "); save it with .contiguous()");
      expect *= val->shape[d];
    }
    if (val->offset < 0 || static_cast<std::uint64_t>(val->offset) > static_cast<std::uint64_t>(st.numel) ||
        numel > static_cast<std::uint64_t>(st.numel) - static_cast<std::uint64_t>(val->offset))
      bad("offset " + std::to_string(val->offset) + " + " + std::to_string(numel) + " elements exceed its storage of " +
          std::to_string(st.numel));

    TensorView t;
    t.name = name;
    t.dtype = dtype;
    t.source_dtype = st.storage_type;
    t.shape = val->shape;
    t.data = blob.data + static_cast<std::uint64_t>(val->offset) * elem;
    table.add(std::move(t));
  }
  if (table.tensors().empty()) fail(Errc::format, file + ": data.pkl holds no tensors");
  return table;
}

}  // namespace rwkv7::detail
