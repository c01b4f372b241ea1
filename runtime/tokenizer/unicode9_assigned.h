// Which code points Unicode 9.0 had assigned: the Unicode version of the normalisation
// tables Hugging Face tokenizers use (the unicode-normalization-alignments crate). To
// those tables every later code point is a starter (combining class 0) with no
// decomposition that composes with nothing; see nfc_normalizer.h.
#pragma once

#include <cstdint>

namespace linnet {

// True for a code point with Age <= 9.0 in the Unicode Character Database (characters,
// controls, private use, surrogates and noncharacters designated by Unicode 9.0).
bool assigned_in_unicode9(std::uint32_t cp);

}  // namespace linnet
