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

  RestrictedUnpickler pickle(pkl->data, static_cast<std::size_t>(pkl->size), file);
  const PyRef root = pickle.run();
  if (pickle.kind(root) != PyKind::dict) fail(Errc::format, file + ": data.pkl does not hold a dict of tensors");

  TensorTable table(std::move(bytes), "pth");
  const auto items = pickle.items(root);
  for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
    if (pickle.kind(items[i]) != PyKind::text || pickle.kind(items[i + 1]) != PyKind::tensor) continue;  // e.g. an 'epoch' counter
    const std::string name(pickle.text(items[i]));
    const PyTensor& tensor = pickle.tensor(items[i + 1]);
    auto bad = [&](const std::string& what) { fail(Errc::format, file + ": tensor " + in_quotes(name) + ": " + what); };
    const PyStorage& st = pickle.storage(tensor.storage);
    const std::size_t elem = st.elem;

    auto it = by_name.find(prefix + "data/" + st.key);
    if (it == by_name.end()) bad("its storage " + in_quotes("data/" + st.key) + " is missing from the archive");
    const ZipEntry& blob = *it->second;
    if (!blob.stored) bad("its storage is compressed and cannot be mapped");
    std::uint64_t storage_bytes;
    if (!checked_mul(static_cast<std::uint64_t>(st.numel), elem, storage_bytes) || storage_bytes > blob.size)
      bad("storage claims " + std::to_string(st.numel) + " elements but its entry holds " + std::to_string(blob.size) + " bytes");

    // Contiguous row-major only: strides must be the suffix products (size-1 dims may have any stride). The
    // element count is checked first, so the products below cannot overflow.
    const std::uint64_t numel = tensor_bytes(file, name, tensor.shape, 1);
    if (tensor.offset < 0 || static_cast<std::uint64_t>(tensor.offset) > static_cast<std::uint64_t>(st.numel) ||
        numel > static_cast<std::uint64_t>(st.numel) - static_cast<std::uint64_t>(tensor.offset))
      bad("offset " + std::to_string(tensor.offset) + " + " + std::to_string(numel) + " elements exceed its storage of " +
          std::to_string(st.numel));
    std::uint64_t expect = 1;
    for (std::size_t d = tensor.shape.size(); d-- > 0;) {
      if (tensor.shape[d] != 1 && (tensor.stride[d] < 0 || static_cast<std::uint64_t>(tensor.stride[d]) != expect))
        bad("is not contiguous (shape " + shape_str(tensor.shape) + ", stride " + shape_str(tensor.stride) +
            "); save it with .contiguous()");
      expect *= static_cast<std::uint64_t>(tensor.shape[d]);
    }

    TensorView t;
    t.name = name;
    t.dtype = st.dtype;
    t.source_dtype = st.type;
    t.shape = tensor.shape;
    t.data = blob.data + static_cast<std::uint64_t>(tensor.offset) * elem;
    table.add(std::move(t));
  }
  if (table.tensors().empty()) fail(Errc::format, file + ": data.pkl holds no tensors");
  return table;
}

}  // namespace rwkv7::detail
