#include "kernels/reference/int8_rows.h"

#include <algorithm>
#include <cmath>

namespace linnet::kernels {

void quantize_row_int8(const float* x, int n, std::int8_t* q, float* scale) {
  float amax = 0.0f;
  bool finite = true;
  for (int i = 0; i < n; ++i) {
    finite = finite && std::isfinite(x[i]);
    amax = std::max(amax, std::fabs(x[i]));
  }
  // A NaN or infinite row cannot be represented; store zeros (the row then attends as 0)
  // rather than let a NaN scale poison every score of the head.
  if (!finite || amax == 0.0f) {
    for (int i = 0; i < n; ++i) q[i] = 0;
    *scale = 0.0f;
    return;
  }
  const float s = amax / 127.0f;
  const float inv = 127.0f / amax;
  for (int i = 0; i < n; ++i) {
    const float r = std::nearbyint(x[i] * inv);  // |x * inv| <= 127 (+ rounding)
    q[i] = static_cast<std::int8_t>(std::clamp(r, -127.0f, 127.0f));
  }
  *scale = s;
}

void dequantize_row_int8(const std::int8_t* q, float scale, int n, float* x) {
  for (int i = 0; i < n; ++i) x[i] = static_cast<float>(q[i]) * scale;
}

}  // namespace linnet::kernels
