// rwkv7/reference/eigen_weights.hpp — the bound weight view copied to float64 Eigen vectors and matrices, for
// the plain reference forwards (int8 weights with their row scales applied). Meant for test-sized models.
#pragma once

#include <Eigen/Dense>

#include "../model/weights.hpp"
#include "../quant/element.hpp"

namespace rwkv7::reference {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;

inline Vector sigmoid(const Vector& z) { return (1.0 + (-z.array()).exp()).inverse().matrix(); }

// Empty for a view the model's variant does not have.
inline Vector vec(const TensorView& t) {
  if (!t.data) return Vector();
  Vector v(t.numel());
  for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = detail::element(t.data, t.dtype, static_cast<std::size_t>(i));
  return v;
}

// y = W x as an [in, out] matrix M with y = Mᵀ x, from either storage layout, int8 row scales applied.
inline Matrix matrix(const Linear& m) {
  Matrix M(m.in, m.out);
  for (std::int64_t o = 0; o < m.out; ++o)
    for (std::int64_t i = 0; i < m.in; ++i) {
      const std::size_t at = static_cast<std::size_t>(m.transposed ? i * m.out + o : o * m.in + i);
      M(i, o) = detail::element(m.w.data, m.w.dtype, at) * (m.row_scale ? static_cast<double>(m.row_scale[o]) : 1.0);
    }
  return M;
}

}  // namespace rwkv7::reference
